/**
 * `rx-amqp/otel`: OpenTelemetry spans and metrics for rx-amqp, built on its diagnostics
 * channels. Uses only `@opentelemetry/api` (an optional peer dependency); the main entry never
 * imports it.
 * @packageDocumentation
 */
export { instrument, type InstrumentOptions } from './otel/instrument';
export { headerGetter, headerSetter } from './otel/carrier';

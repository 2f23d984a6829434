/**
 * rx-amqp: an AMQP 0-9-1 / 0-8 client whose native shape is RxJS.
 * @packageDocumentation
 */
export * from './protocol/errors';
export { Decimal, field, type FieldTable, type FieldValue } from './protocol/field-types';
export type { Protocol } from './protocol/protocol-version';

// README, "Observability": the OpenTelemetry setup.
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor, ConsoleSpanExporter } from '@opentelemetry/sdk-trace-base';
import { instrument } from 'rx-amqp/otel';

// Any exporter will do (OTLPTraceExporter from @opentelemetry/exporter-trace-otlp-http, ...).
const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new ConsoleSpanExporter())] });
provider.register(); // the global tracer provider, AsyncLocalStorage context, W3C propagator
const stop = instrument(); // spans from the global tracer provider, metrics from the global meter provider
// ... connect(), publishTo(), consume(), ackAfter() as usual; stop() unsubscribes

/**
 * OpenTelemetry traces and metrics with `instrument()` from rx-amqp/otel.
 *
 * The OpenTelemetry SDK is set up as an application would (here with an in-memory exporter, so
 * that the program can print what it recorded; use an OTLP exporter in real life). A request
 * span publishes three orders; a consumer handles them with `ackAfter`, each handler starting
 * a span of its own. The third order fails. The program prints the traces as trees — publish,
 * process and handler spans in one trace per order — and the metrics.
 *
 *   npm run example -- observability
 */
import { randomBytes } from 'node:crypto';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { defer, firstValueFrom, lastValueFrom, of, take } from 'rxjs';
import { ackAfter, consume, Message, open } from 'rx-amqp';
import { instrument } from 'rx-amqp/otel';

// ---- the OpenTelemetry SDK: tracer provider (registers context manager and W3C propagator) ----
const spans = new InMemorySpanExporter();
const tracerProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
tracerProvider.register();

/** A metric reader the program collects from at the end (a PeriodicExportingMetricReader in real life). */
class OnDemandReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}
const metrics = new OnDemandReader();
const meterProvider = new MeterProvider({ readers: [metrics] });

// ---- rx-amqp's instrumentation: spans from the global tracer provider, metrics from this one ----
const stop = instrument({ meterProvider });

const tracer = trace.getTracer('observability-example');
const queue = `rx-amqp.example.${randomBytes(4).toString('hex')}.orders`;

async function main(): Promise<void> {
  const connection = await open(process.env.AMQP_URL);
  try {
    const channel = await connection.openChannel();
    await firstValueFrom(channel.confirmSelect());
    await firstValueFrom(channel.queueDeclare(queue, { exclusive: true }));
    console.log(`queue ${queue}`);

    for (const order of ['order-1', 'order-2', 'order-3']) {
      await tracer.startActiveSpan(`checkout ${order}`, async (span) => {
        await firstValueFrom(channel.publish(new Message(order, { messageId: order }), '', queue));
        span.end();
      });
    }

    await lastValueFrom(
      of(channel).pipe(
        consume(queue),
        ackAfter(
          (delivery) =>
            defer(async () =>
              // the process span is active here: this span becomes its child
              tracer.startActiveSpan('charge card', (span) => {
                span.end();
                if (delivery.text === 'order-2') throw new Error('card declined');
                return delivery.text;
              }),
            ),
          { onError: 'reject' },
        ),
        take(2),
      ),
    );
  } finally {
    await connection.close();
  }
  stop();
  printTraces(spans.getFinishedSpans());
  await printMetrics();
}

function printTraces(finished: ReadableSpan[]): void {
  const children = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(finished.map((s) => s.spanContext().spanId));
  for (const s of finished) {
    const parent = s.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), s]);
  }
  const kinds = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
  const print = (s: ReadableSpan, depth: number) => {
    const status = s.status.code === SpanStatusCode.ERROR ? ` ERROR: ${s.status.message}` : '';
    const name = s.name.replace(queue, '<queue>');
    console.log(`${'  '.repeat(depth)}${name} [${kinds[s.kind]}]${status}`);
    for (const c of children.get(s.spanContext().spanId) ?? []) print(c, depth + 1);
  };
  const roots = (children.get(undefined) ?? []).sort((a, b) => a.name.localeCompare(b.name));
  for (const root of roots) {
    console.log(`trace ${root.spanContext().traceId}`);
    print(root, 1);
  }
}

async function printMetrics(): Promise<void> {
  const { resourceMetrics } = await metrics.collect();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      let total = 0;
      for (const p of metric.dataPoints as DataPoint<number | Histogram>[])
        total += typeof p.value === 'number' ? p.value : p.value.count;
      const what = metric.dataPointType === DataPointType.HISTOGRAM ? 'recorded' : 'total';
      console.log(`metric ${metric.descriptor.name}: ${what} ${total}`);
    }
  }
}

main().then(
  () => tracerProvider.shutdown(),
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);

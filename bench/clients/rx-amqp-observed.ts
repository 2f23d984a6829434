/**
 * rx-amqp drivers for the cost of observability, beside bench/clients/rx-amqp.ts:
 *
 * - `rxAmqpAckAfter`: consume and pipeline through `ackAfter` (so every delivery goes through
 *   the `rx-amqp:process` hook), nothing subscribed to the diagnostics channels;
 * - `rxAmqpDiag` / `rxAmqpAckAfterDiag`: the same with empty subscribers on `rx-amqp:publish`
 *   and `rx-amqp:process` (the cost of the contexts and events alone);
 * - `rxAmqpOtel` / `rxAmqpAckAfterOtel`: the same with `instrument()` on and the OpenTelemetry SDK
 *   behind it (every span sampled, batched to an exporter that drops them; metrics aggregated).
 */
import * as dc from 'node:diagnostics_channel';
import { count as count$, firstValueFrom, lastValueFrom, of, take, type Observable } from 'rxjs';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { ackAfter, consume as consumeOp, Message, PROCESS_CHANNEL, PUBLISH_CHANNEL, type Connection } from 'rx-amqp';
import { instrument } from 'rx-amqp/otel';
import type { ConsumeParams, Driver, PipelineParams } from '../cases';
import { rxAmqp } from './rx-amqp';

async function consumeWithAckAfter(connection: Connection, { queue, count, noAck }: ConsumeParams): Promise<void> {
  const channel = await connection.openChannel();
  const deliveries = of(channel).pipe(consumeOp(queue, { noAck }));
  const handled: Observable<unknown> = noAck
    ? deliveries
    : deliveries.pipe(ackAfter((d) => of(d.deliveryTag), { concurrency: 100 }));
  await lastValueFrom(handled.pipe(take(count), count$()));
  await channel.close();
}

async function pipelineWithAckAfter(connection: Connection, { count, body, prefetch }: PipelineParams): Promise<void> {
  const consumer = await connection.openChannel();
  const publisher = await connection.openChannel();
  const { queue } = await firstValueFrom(consumer.queueDeclare('', { exclusive: true, autoDelete: true }));
  await firstValueFrom(consumer.basicQos(prefetch));
  const consumed = lastValueFrom(
    of(consumer).pipe(
      consumeOp(queue),
      ackAfter((d) => of(d.deliveryTag), { concurrency: 100 }),
      take(count),
      count$(),
    ),
  );
  const message = new Message(body);
  // basicPublish with socket backpressure, as the plain driver does
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    const pump = () => {
      try {
        while (sent < count && connection.isOpen) {
          publisher.basicPublish(message, '', queue);
          sent++;
          if (sent % 1000 === 0) return void setImmediate(pump);
        }
        resolve();
      } catch (e) {
        reject(e);
      }
    };
    pump();
  });
  await consumed;
  await Promise.all([consumer.close(), publisher.close()]);
}

/** Empty subscribers on both TracingChannels: contexts are built and every event published. */
function subscribeEmpty(): void {
  const noop = () => undefined;
  const all = { start: noop, end: noop, asyncStart: noop, asyncEnd: noop, error: noop };
  dc.tracingChannel(PUBLISH_CHANNEL).subscribe(all);
  dc.tracingChannel(PROCESS_CHANNEL).subscribe(all);
}

/** Drops what it is given (the cost measured is rx-amqp's and the SDK's, not an exporter's I/O). */
class DiscardingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

class IdleReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** The OpenTelemetry SDK as an application would set it up, and rx-amqp's instrumentation on it. */
function setUpOtel(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [
      new BatchSpanProcessor(new DiscardingExporter(), { maxQueueSize: 65536, maxExportBatchSize: 4096 }),
    ],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  instrument({ tracerProvider, meterProvider: new MeterProvider({ readers: [new IdleReader()] }) });
}

const withSetup = (driver: Driver<Connection>, setup: () => void): Driver<Connection> => ({
  ...driver,
  connect: (url) => {
    setup();
    return driver.connect(url);
  },
});

export const rxAmqpAckAfter: Driver<Connection> = {
  ...rxAmqp,
  consume: consumeWithAckAfter,
  pipeline: pipelineWithAckAfter,
};
export const rxAmqpDiag = withSetup(rxAmqp, subscribeEmpty);
export const rxAmqpAckAfterDiag = withSetup(rxAmqpAckAfter, subscribeEmpty);
export const rxAmqpOtel = withSetup(rxAmqp, setUpOtel);
export const rxAmqpAckAfterOtel = withSetup(rxAmqpAckAfter, setUpOtel);

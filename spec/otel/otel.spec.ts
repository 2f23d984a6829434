/**
 * rx-amqp/otel against RabbitMQ, with the OpenTelemetry SDK's in-memory exporter: one trace from
 * publish through process to the handler's own spans, ERROR status on handler failure, nack and
 * return, metrics, and trace continuity with amqplib under @opentelemetry/instrumentation-amqplib
 * (run in a child process, see amqplib-peer.cjs).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { defer, firstValueFrom, lastValueFrom, of, take, toArray } from 'rxjs';
import {
  ackAfter,
  consume,
  Message,
  MessageReturnedError,
  open,
  PublishNackedError,
  rpcCall,
  serveRpc,
  type Channel,
  type Connection,
} from 'rx-amqp';
import { instrument } from 'rx-amqp/otel';
import { BROKER_URL, eventually, once, opts, uniqueName } from '../integration/helpers';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
const reader = new TestReader();
const meterProvider = new MeterProvider({ readers: [reader] });
const tracer = trace.getTracer('spec');

let stop: () => void;
let conn: Connection;
let ch: Channel;

beforeAll(async () => {
  stop = instrument({ tracerProvider: provider, meterProvider });
  conn = await open(opts('0-9-1', { connectionName: uniqueName('otel') }));
  ch = await conn.openChannel();
  await once(ch.confirmSelect());
});

afterAll(async () => {
  stop();
  await conn?.close();
  await provider.shutdown();
});

beforeEach(() => exporter.reset());

function spansNamed(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.name === name);
}

function one(name: string): ReadableSpan {
  const found = spansNamed(name);
  if (found.length !== 1)
    throw new Error(
      `expected one span ${name}, found ${found.length}: ${exporter
        .getFinishedSpans()
        .map((s) => s.name)
        .join(', ')}`,
    );
  return found[0];
}

async function metricSum(name: string): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  let total = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const p of metric.dataPoints as DataPoint<number | Histogram>[])
        total += typeof p.value === 'number' ? p.value : p.value.count;
    }
  }
  return total;
}

async function exclusiveQueue(c: Channel, args = {}): Promise<string> {
  return (await once(c.queueDeclare(uniqueName('otel'), { exclusive: true, arguments: args }))).queue;
}

function runPeer(
  mode: 'publish' | 'consume',
  queue: string,
): Promise<
  Array<{
    name: string;
    kind: number;
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    attributes: Record<string, unknown>;
  }>
> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(__dirname, 'amqplib-peer.cjs'), mode, BROKER_URL, queue],
      { timeout: 20000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`amqplib peer failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!));
      },
    );
  });
}

describe('rx-amqp/otel', () => {
  it('publish -> process -> handler spans form one trace, with messaging attributes', async () => {
    const q = await exclusiveQueue(ch);
    await tracer.startActiveSpan('root', async (root) => {
      await firstValueFrom(ch.publish(new Message('hello', { messageId: 'm-1', correlationId: 'c-1' }), '', q));
      root.end();
    });
    const handled = await lastValueFrom(
      of(ch).pipe(
        consume(q),
        ackAfter((d) =>
          defer(async () =>
            tracer.startActiveSpan('handler-work', (s) => {
              s.end();
              return d.text;
            }),
          ),
        ),
        take(1),
      ),
    );
    expect(handled).toBe('hello');
    await eventually(() => spansNamed(`${q} process`).length === 1, 'the process span ended');

    const root = one('root');
    const publish = one('publish <default>');
    const processSpan = one(`${q} process`);
    const work = one('handler-work');
    const traceId = root.spanContext().traceId;
    for (const s of [publish, processSpan, work]) expect(s.spanContext().traceId).toBe(traceId);
    expect(publish.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(processSpan.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(work.parentSpanContext?.spanId).toBe(processSpan.spanContext().spanId);

    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(publish.status.code).toBe(SpanStatusCode.UNSET);
    expect(publish.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.destination.name': '',
      'messaging.rabbitmq.destination.routing_key': q,
      'messaging.message.id': 'm-1',
      'messaging.message.conversation_id': 'c-1',
      'server.address': '127.0.0.1',
      'server.port': 5672,
      'network.protocol.name': 'amqp',
      'network.protocol.version': '0.9.1',
    });
    expect(processSpan.kind).toBe(SpanKind.CONSUMER);
    expect(processSpan.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'process',
      'messaging.rabbitmq.destination.routing_key': q,
      'messaging.message.id': 'm-1',
      'messaging.message.conversation_id': 'c-1',
      'server.port': 5672,
    });
    expect(typeof processSpan.attributes['messaging.rabbitmq.message.delivery_tag']).toBe('number');
  });

  it('in confirm mode the publish span ends on the confirm, not on the write', async () => {
    const q = await exclusiveQueue(ch);
    const confirmed = firstValueFrom(ch.publish('wait for it', '', q)); // written synchronously
    expect(spansNamed('publish <default>')).toEqual([]);
    await confirmed;
    expect(spansNamed('publish <default>')).toHaveLength(1);
  });

  it('without confirm mode the publish span ends once the frames are handed to the socket', async () => {
    const plain = await conn.openChannel();
    try {
      const q = await exclusiveQueue(plain);
      plain.basicPublish('no confirms', '', q);
      expect(spansNamed('publish <default>')).toEqual([]);
      await eventually(() => spansNamed('publish <default>').length === 1, 'the publish span ended');
      const span = one('publish <default>');
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes['messaging.rabbitmq.destination.routing_key']).toBe(q);
    } finally {
      await plain.close();
    }
  });

  it('a failed handler marks its process span ERROR (and the stream goes on)', async () => {
    const q = await exclusiveQueue(ch);
    await firstValueFrom(ch.publish('boom', '', q));
    await firstValueFrom(ch.publish('fine', '', q));
    const results = await lastValueFrom(
      of(ch).pipe(
        consume(q),
        ackAfter(
          (d) => {
            if (d.text === 'boom') throw new Error('handler failed');
            return of(d.text);
          },
          { onError: 'reject' },
        ),
        take(1),
        toArray(),
      ),
    );
    expect(results).toEqual(['fine']);
    await eventually(() => spansNamed(`${q} process`).length === 2, 'both process spans ended');
    const [failed, ok] = spansNamed(`${q} process`);
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.status.message).toBe('handler failed');
    expect(failed.attributes['error.type']).toBe('Error');
    expect(failed.events.some((e) => e.name === 'exception')).toBe(true);
    expect(ok.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a nacked publish marks its span ERROR and counts as nacked', async () => {
    const nackedBefore = await metricSum('rx_amqp.publish.nacked');
    const q = await exclusiveQueue(ch, { 'x-max-length': 0, 'x-overflow': 'reject-publish' });
    await expect(firstValueFrom(ch.publish('refused', '', q))).rejects.toBeInstanceOf(PublishNackedError);
    const span = one('publish <default>');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('PublishNackedError');
    expect(await metricSum('rx_amqp.publish.nacked')).toBe(nackedBefore + 1);
  });

  it('a returned mandatory publish marks its span ERROR and counts as returned', async () => {
    const returnedBefore = await metricSum('rx_amqp.publish.returned');
    const x = uniqueName('otel-x');
    await once(ch.exchangeDeclare(x, 'direct', { autoDelete: true }));
    try {
      await expect(firstValueFrom(ch.publish('lost', x, 'nobody', { mandatory: true }))).rejects.toBeInstanceOf(
        MessageReturnedError,
      );
      const span = one(`publish ${x}`);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe('MessageReturnedError');
      expect(await metricSum('rx_amqp.publish.returned')).toBe(returnedBefore + 1);
    } finally {
      await once(ch.exchangeDelete(x));
    }
  });

  it('useLinksForConsume: the process span links to the publish span instead of being its child', async () => {
    stop();
    stop = instrument({ tracerProvider: provider, meterProvider, useLinksForConsume: true });
    try {
      const q = await exclusiveQueue(ch);
      await firstValueFrom(ch.publish('linked', '', q));
      await lastValueFrom(
        of(ch).pipe(
          consume(q),
          ackAfter(() => of(1)),
          take(1),
        ),
      );
      await eventually(() => spansNamed(`${q} process`).length === 1, 'the process span ended');
      const publish = one('publish <default>');
      const processSpan = one(`${q} process`);
      expect(processSpan.parentSpanContext).toBeUndefined();
      expect(processSpan.links.map((l) => l.context.spanId)).toEqual([publish.spanContext().spanId]);
    } finally {
      stop();
      stop = instrument({ tracerProvider: provider, meterProvider });
    }
  });

  it('counts published, confirmed, consumed, process durations and nothing unconfirmed at rest', async () => {
    const [published, confirmed, consumed, processed] = await Promise.all(
      [
        'messaging.client.sent.messages',
        'rx_amqp.publish.confirmed',
        'messaging.client.consumed.messages',
        'messaging.process.duration',
      ].map(metricSum),
    );
    const q = await exclusiveQueue(ch);
    await firstValueFrom(ch.publish('counted', '', q));
    await lastValueFrom(
      of(ch).pipe(
        consume(q),
        ackAfter(() => of(1)),
        take(1),
      ),
    );
    await eventually(
      async () => (await metricSum('messaging.process.duration')) === processed + 1,
      'the process duration was recorded',
    );
    expect(await metricSum('messaging.client.sent.messages')).toBe(published + 1);
    expect(await metricSum('rx_amqp.publish.confirmed')).toBe(confirmed + 1);
    expect(await metricSum('messaging.client.consumed.messages')).toBe(consumed + 1);
    expect(await metricSum('rx_amqp.publish.unconfirmed')).toBe(0);
  });

  it('an amqplib-instrumented publisher -> rx-amqp consumer stays in one trace', async () => {
    const q = await exclusiveQueueShared();
    const peerSpans = await runPeer('publish', q);
    const amqplibPublish = peerSpans.find((s) => s.name === 'publish <default>')!;
    expect(amqplibPublish).toBeDefined();
    await lastValueFrom(
      of(ch).pipe(
        consume(q),
        ackAfter(() => defer(async () => tracer.startActiveSpan('after-amqplib', (s) => s.end()))),
        take(1),
      ),
    );
    await eventually(() => spansNamed(`${q} process`).length === 1, 'the process span ended');
    const processSpan = one(`${q} process`);
    expect(processSpan.spanContext().traceId).toBe(amqplibPublish.traceId);
    expect(processSpan.parentSpanContext?.spanId).toBe(amqplibPublish.spanId);
    expect(one('after-amqplib').parentSpanContext?.spanId).toBe(processSpan.spanContext().spanId);
    await once(ch.queueDelete(q));
  });

  it('an rx-amqp publisher -> amqplib-instrumented consumer stays in one trace', async () => {
    const q = await exclusiveQueueShared();
    try {
      await tracer.startActiveSpan('rx-root', async (root) => {
        await firstValueFrom(ch.publish('to amqplib', '', q));
        root.end();
      });
      const publish = one('publish <default>');
      const peerSpans = await runPeer('consume', q);
      const amqplibProcess = peerSpans.find((s) => s.name === `${q} process`)!;
      expect(amqplibProcess).toBeDefined();
      expect(amqplibProcess.traceId).toBe(publish.spanContext().traceId);
      expect(amqplibProcess.parentSpanId).toBe(publish.spanContext().spanId);
    } finally {
      await once(ch.queueDelete(q));
    }
  });

  it('a handler publishing a reply nests that publish under its process span', async () => {
    const q = await exclusiveQueue(ch);
    const replies = await exclusiveQueue(ch);
    await firstValueFrom(ch.publish('ask', '', q));
    await lastValueFrom(
      of(ch).pipe(
        consume(q),
        ackAfter(() => ch.publish('answer', '', replies)),
        take(1),
      ),
    );
    await eventually(() => spansNamed(`${q} process`).length === 1, 'the process span ended');
    const processSpan = one(`${q} process`);
    const replyPublish = spansNamed('publish <default>').find(
      (s) => s.attributes['messaging.rabbitmq.destination.routing_key'] === replies,
    )!;
    expect(replyPublish.parentSpanContext?.spanId).toBe(processSpan.spanContext().spanId);
  });

  it('serveRpc: the request handler runs in its process span, and the reply publish nests under it', async () => {
    const q = await exclusiveQueue(ch);
    const server = of(ch)
      .pipe(
        serveRpc(q, (request) =>
          defer(async () =>
            tracer.startActiveSpan('rpc-handler', (s) => {
              s.end();
              return `re: ${request.text}`;
            }),
          ),
        ),
      )
      .subscribe();
    try {
      const client = await conn.openChannel();
      const reply = await tracer.startActiveSpan('rpc-root', async (root) => {
        const r = await firstValueFrom(rpcCall(client, q, 'ping', { timeout: 5000 }));
        root.end();
        return r.text;
      });
      expect(reply).toBe('re: ping');
      await eventually(() => spansNamed(`${q} process`).length === 1, 'the process span ended');
      const root = one('rpc-root');
      const request = spansNamed('publish <default>').find(
        (s) => s.attributes['messaging.rabbitmq.destination.routing_key'] === q,
      )!;
      const processSpan = one(`${q} process`);
      const answer = spansNamed('publish <default>').find(
        (s) => s.attributes['messaging.rabbitmq.destination.routing_key'] !== q,
      )!;
      expect(request.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
      expect(processSpan.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
      expect(one('rpc-handler').parentSpanContext?.spanId).toBe(processSpan.spanContext().spanId);
      expect(answer.parentSpanContext?.spanId).toBe(processSpan.spanContext().spanId);
      expect(answer.spanContext().traceId).toBe(root.spanContext().traceId);
      await client.close();
    } finally {
      server.unsubscribe();
    }
  });

  it('stop() unsubscribes: no spans afterwards', async () => {
    stop();
    try {
      const q = await exclusiveQueue(ch);
      await firstValueFrom(context.with(context.active(), () => ch.publish('quiet', '', q)));
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      stop = instrument({ tracerProvider: provider, meterProvider });
    }
  });
});

/** A queue another connection (the amqplib peer) can use: not exclusive, auto-deleted by the test. */
async function exclusiveQueueShared(): Promise<string> {
  return (await once(ch.queueDeclare(uniqueName('otel-peer'), {}))).queue;
}

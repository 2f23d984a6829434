/**
 * The end-to-end cases and the interface every client driver implements.
 *
 * A driver is one client library seen through three functions (consume, publish, pipeline).
 * A variant of a driver — the same library used another way — is a copy of it with one of the
 * functions replaced; register it in `CLIENTS` (bench/index.ts) and it runs beside the others.
 */

/** Consume `count` deliveries from `queue` (fake broker: it streams exactly that many). */
export interface ConsumeParams {
  queue: string;
  count: number;
  noAck: boolean;
}

/**
 * Publish `count` messages of `body` to the default exchange with `routingKey`. Without a
 * window: no confirms, socket backpressure only. With one: confirm mode, at most `window`
 * messages unconfirmed. Either way the run ends when the broker has everything: the last
 * confirm, or (no confirms) the reply to a queue.declare of `routingKey` sent after the last
 * publish, whose messageCount the fake broker sets to the publishes it read on that channel.
 */
export interface PublishParams {
  routingKey: string;
  count: number;
  body: Buffer;
  window: number;
}

/**
 * Real broker: declare a server-named exclusive queue, consume it (prefetch `prefetch`, each
 * delivery acked), publish `count` messages of `body` to it on a second channel (no confirms,
 * socket backpressure), and end when all `count` have been consumed.
 */
export interface PipelineParams {
  count: number;
  body: Buffer;
  prefetch: number;
}

/**
 * One client library. `connect` runs before and `close` after the timed part; each case
 * function is called twice on the same connection (warm-up, then measured) and opens and closes
 * its own channel(s) each time (the fake broker numbers delivery tags per channel).
 */
export interface Driver<C = unknown> {
  connect(url: string): Promise<C>;
  close(connection: C): Promise<void>;
  consume?(connection: C, params: ConsumeParams): Promise<void>;
  publish?(connection: C, params: PublishParams): Promise<void>;
  pipeline?(connection: C, params: PipelineParams): Promise<void>;
}

export type CaseKind = 'consume' | 'publish' | 'pipeline';

export interface Case {
  name: string;
  kind: CaseKind;
  /** 'fake': the fake broker (bench/fake-broker.ts); 'real': the RabbitMQ at AMQP_URL. */
  broker: 'fake' | 'real';
  /** Messages in the measured run (a first run of a tenth of that warms the process up). */
  count: number;
  bodySize: number;
  noAck?: boolean;
  window?: number;
}

export const CASES: Case[] = [
  { name: 'consume noAck 100 B', kind: 'consume', broker: 'fake', count: 1_500_000, bodySize: 100, noAck: true },
  { name: 'consume + ack 100 B', kind: 'consume', broker: 'fake', count: 600_000, bodySize: 100, noAck: false },
  { name: 'consume noAck 4 KiB', kind: 'consume', broker: 'fake', count: 500_000, bodySize: 4096, noAck: true },
  { name: 'publish 100 B', kind: 'publish', broker: 'fake', count: 1_000_000, bodySize: 100, window: 0 },
  {
    name: 'publish confirm 100 B (window 1000)',
    kind: 'publish',
    broker: 'fake',
    count: 500_000,
    bodySize: 100,
    window: 1000,
  },
  { name: 'pipeline RabbitMQ 100 B', kind: 'pipeline', broker: 'real', count: 100_000, bodySize: 100 },
];

/** Prefetch used by the pipeline consumer. */
export const PIPELINE_PREFETCH = 1000;

/** The parameters a case passes to its driver function for `count` messages. */
export function paramsFor(c: Case, count: number): ConsumeParams | PublishParams | PipelineParams {
  const body = Buffer.alloc(c.bodySize, 0x62);
  switch (c.kind) {
    case 'consume':
      return { queue: `fake.deliver.${count}.${c.bodySize}`, count, noAck: c.noAck ?? true };
    case 'publish':
      return { routingKey: 'fake.sink', count, body, window: c.window ?? 0 };
    case 'pipeline':
      return { count, body, prefetch: PIPELINE_PREFETCH };
  }
}

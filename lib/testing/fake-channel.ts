/**
 * The fake channel for marble tests: a real {@link Channel} whose broker is in the same
 * process (`fake-broker.ts`, with `fake-consumers.ts`); its data types are in
 * `fake-channel-types.ts`.
 */
import type { Observable } from 'rxjs';
import { Channel, type Connection } from '../facades';
import { ChannelCore } from '../channel/channel-core';
import type { Delivery } from '../facades';
import type { Message } from '../message';
import { FakeBroker } from './fake-broker';
import type { FakeChannelOptions, FakePublish, FakeRejection } from './fake-channel-types';

export type { FakeChannelOptions, FakePublish, FakeRejection } from './fake-channel-types';

/**
 * A real {@link Channel} (the same class production code gets) whose broker is a fake in the
 * same process: it answers every synchronous method, delivers to consumers what the marbles
 * in `queues` emit, and records what the code under test sends.
 */
export class FakeChannel extends Channel {
  /** Each delivery tag acknowledged, one value per message (a `multiple` ack is expanded). */
  readonly acks$: Observable<number>;
  /** Each nack (basic.nack, expanded like acks$). */
  readonly nacks$: Observable<FakeRejection>;
  /** Each basic.reject. */
  readonly rejects$: Observable<FakeRejection>;
  /** Each message published. */
  readonly published$: Observable<FakePublish>;
  /** The name of every method the code under test sent, in order (`'queue.declare'`, ...). */
  readonly methods$: Observable<{ name: string; args: Record<string, unknown> }>;
  /** @internal */
  readonly broker: FakeBroker;

  /** @internal use {@link fakeChannel} */
  constructor(core: ChannelCore, broker: FakeBroker) {
    // No connection: `connection` is undefined on a fake channel (the public type cannot say so).
    super(core, undefined as unknown as Connection);
    this.broker = broker;
    this.acks$ = broker.acks.asObservable();
    this.nacks$ = broker.nacks.asObservable();
    this.rejects$ = broker.rejects.asObservable();
    this.published$ = broker.published.asObservable();
    this.methods$ = broker.methods.asObservable();
  }

  /** Sets (or replaces) the deliveries of a queue. */
  setQueue(queue: string, deliveries: Observable<Delivery | string | Message>): void {
    this.broker.queues.set(queue, deliveries);
  }

  /** The server closes the channel with a soft error (e.g. 404), as RabbitMQ would. */
  serverClose(replyCode: number, replyText: string): void {
    this.broker.toClient('channel.close', { replyCode, replyText, classId: 0, methodId: 0 });
  }

  /** The server cancels a consumer (as when its queue is deleted). */
  serverCancel(consumerTag: string): void {
    this.broker.toClient('basic.cancel', { consumerTag, nowait: true });
  }
}

/**
 * A fake channel for marble tests of consumer and publisher logic, with no broker and no
 * socket. Deliveries come from the Observables in `options.queues` (cold or hot marbles, of
 * `delivery(...)`s, strings or Messages); what the code under test does is on `acks$`,
 * `nacks$`, `rejects$`, `published$` and `methods$`. The channel is already open.
 *
 * ```ts
 * testScheduler.run(({ cold, expectObservable }) => {
 *   const ch = fakeChannel({ queues: { jobs: cold('-a-b', { a: delivery('1'), b: delivery('2') }) } });
 *   expectObservable(of(ch).pipe(consume('jobs'), ackEach(), map((d) => d.text))).toBe('-a-b', { a: '1', b: '2' });
 *   expectObservable(ch.acks$).toBe('-a-b', { a: 1, b: 2 });
 * });
 * ```
 */
export function fakeChannel(options: FakeChannelOptions = {}): FakeChannel {
  const broker = new FakeBroker(options);
  const core = new ChannelCore(1, broker);
  broker.core = core;
  core.state = 'open';
  return new FakeChannel(core, broker);
}

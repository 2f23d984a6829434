import { asapScheduler, asyncScheduler, type Observable, Subject, type SchedulerLike, type Subscription } from 'rxjs';
import { BehaviorSubject } from 'rxjs';
import { Channel, Delivery, type Connection } from '../facades';
import { ChannelCore, type ChannelHost } from '../channel/channel-core';
import { OutputBuffer } from '../connection/output';
import { TopologyRegistry } from '../channel/topology';
import { decodeContentHeader, encodeContentHeader } from '../protocol/content-header';
import { FrameParser, FrameType, type Frame } from '../protocol/frame';
import { decodeMethod, encodeMethod } from '../protocol/method-codec';
import { methodTable, type MethodTable } from '../protocol/method-table';
import type { Protocol } from '../protocol/protocol-version';
import { Message, type MessageProperties } from '../message';

/** A message the code under test published on a fake channel. */
export interface FakePublish {
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  message: Message;
  /** Its confirm sequence number (0 outside confirm mode). */
  sequence: number;
}

/** A nack or reject the code under test sent. */
export interface FakeRejection {
  deliveryTag: number;
  requeue: boolean;
}

/** Options of {@link fakeChannel}. */
export interface FakeChannelOptions {
  /** Dialect (default '0-9-1'). */
  protocol?: Protocol;
  /** Deliveries per queue name: each consumer of the queue gets the Observable's values. */
  queues?: Record<string, Observable<Delivery | string | Message>>;
  /**
   * How the fake broker answers publishes in confirm mode (default `'ack'`); a function can
   * decide per message.
   */
  confirm?: 'ack' | 'nack' | ((publish: FakePublish) => 'ack' | 'nack');
  /**
   * When the fake answers: one tick of this scheduler after the request (default the asap
   * scheduler, which `TestScheduler.run` makes virtual: the same frame).
   */
  scheduler?: SchedulerLike;
}

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

/** Output that hands every frame to the fake broker synchronously. */
class SyncOutput extends OutputBuffer {
  override commit(): void {
    this.flush();
  }
}

/** @internal The in-process broker side of a fake channel. */
export class FakeBroker implements ChannelHost {
  readonly protocol: Protocol;
  readonly table: MethodTable;
  readonly out: OutputBuffer;
  readonly sendFrameMax = 131072;
  readonly maxBodySize = 512 * 1024 * 1024;
  readonly blocked$ = new BehaviorSubject<boolean>(false);
  readonly writable$ = new BehaviorSubject<boolean>(true);
  readonly endpoint = { hostname: '', port: 0, tls: false };
  readonly topology = new TopologyRegistry();
  readonly generation = 0;
  readonly isClosing = false;
  readonly closeTimeout = 10000;
  readonly queues = new Map<string, Observable<Delivery | string | Message>>();
  readonly acks = new Subject<number>();
  readonly nacks = new Subject<FakeRejection>();
  readonly rejects = new Subject<FakeRejection>();
  readonly published = new Subject<FakePublish>();
  readonly methods = new Subject<{ name: string; args: Record<string, unknown> }>();
  core!: ChannelCore;

  private readonly parser = new FrameParser({ frameMax: 0 });
  private readonly consumers = new Map<string, Subscription>();
  private readonly outstanding: number[] = [];
  private pendingPublish: {
    args: Record<string, unknown>;
    props?: MessageProperties;
    size: number;
    parts: Buffer[];
  } | null = null;
  private deliveryTag = 0;
  private publishSeq = 0;
  private confirming = false;
  private names = 0;

  constructor(private readonly options: FakeChannelOptions) {
    this.protocol = options.protocol ?? '0-9-1';
    this.table = methodTable(this.protocol);
    for (const [q, d] of Object.entries(options.queues ?? {})) this.queues.set(q, d);
    this.out = new SyncOutput((bytes) => this.parser.push(bytes, (f) => this.fromClient(f)));
  }

  /** Timers of the channel: the injected scheduler, else RxJS's asyncScheduler. */
  get scheduler(): SchedulerLike {
    return this.options.scheduler ?? asyncScheduler;
  }

  quarantine(): void {
    this.release();
  }

  release(): void {
    for (const s of this.consumers.values()) s.unsubscribe();
    this.consumers.clear();
  }

  /** Sends a method to the client channel one scheduler tick from now. */
  toClient(name: string, args: object, content?: { body: Buffer; properties: MessageProperties }): void {
    const frames: Frame[] = [
      {
        type: FrameType.METHOD,
        channel: this.core.id,
        payload: encodeMethod(name as never, args as Record<string, unknown>, this.protocol),
      },
    ];
    if (content) {
      frames.push({
        type: FrameType.HEADER,
        channel: this.core.id,
        payload: encodeContentHeader({ bodySize: content.body.length, properties: content.properties }, this.protocol),
      });
      if (content.body.length) frames.push({ type: FrameType.BODY, channel: this.core.id, payload: content.body });
    }
    (this.options.scheduler ?? asapScheduler).schedule(() => {
      if (this.core.state === 'closed') return;
      for (const f of frames) this.core.handleFrame(f);
    });
  }

  private fromClient(frame: Frame): void {
    if (frame.type === FrameType.METHOD) {
      const m = decodeMethod(frame.payload, this.protocol);
      const args = m.args as unknown as Record<string, unknown>;
      if (m.name === 'basic.publish') {
        this.pendingPublish = { args, size: 0, parts: [] };
        return;
      }
      this.methods.next({ name: m.name, args });
      this.onMethod(m.name, args);
    } else if (frame.type === FrameType.HEADER && this.pendingPublish) {
      const h = decodeContentHeader(frame.payload, this.protocol);
      this.pendingPublish.props = h.properties;
      this.pendingPublish.size = h.bodySize;
      if (h.bodySize === 0) this.publishDone();
    } else if (frame.type === FrameType.BODY && this.pendingPublish) {
      this.pendingPublish.parts.push(Buffer.from(frame.payload));
      if (this.pendingPublish.parts.reduce((n, p) => n + p.length, 0) >= this.pendingPublish.size) this.publishDone();
    }
  }

  private publishDone(): void {
    const p = this.pendingPublish!;
    this.pendingPublish = null;
    const sequence = this.confirming ? ++this.publishSeq : 0;
    const publish: FakePublish = {
      exchange: p.args.exchange as string,
      routingKey: p.args.routingKey as string,
      mandatory: p.args.mandatory as boolean,
      message: new Message(Buffer.concat(p.parts), p.props ?? {}),
      sequence,
    };
    this.methods.next({ name: 'basic.publish', args: p.args });
    this.published.next(publish);
    if (this.confirming) {
      const c = this.options.confirm ?? 'ack';
      const answer = typeof c === 'function' ? c(publish) : c;
      this.toClient(answer === 'ack' ? 'basic.ack' : 'basic.nack', {
        deliveryTag: sequence,
        multiple: false,
        requeue: false,
      });
    }
  }

  private settledUpTo(tag: number, multiple: boolean): number[] {
    if (!multiple) {
      const i = this.outstanding.indexOf(tag);
      if (i >= 0) this.outstanding.splice(i, 1);
      return [tag];
    }
    const tags = this.outstanding.filter((t) => t <= tag);
    this.outstanding.splice(0, tags.length);
    return tags;
  }

  private onMethod(name: string, a: Record<string, unknown>): void {
    switch (name) {
      case 'basic.ack':
        for (const t of this.settledUpTo(a.deliveryTag as number, a.multiple as boolean)) this.acks.next(t);
        return;
      case 'basic.nack':
        for (const t of this.settledUpTo(a.deliveryTag as number, a.multiple as boolean))
          this.nacks.next({ deliveryTag: t, requeue: a.requeue as boolean });
        return;
      case 'basic.reject':
        this.settledUpTo(a.deliveryTag as number, false);
        this.rejects.next({ deliveryTag: a.deliveryTag as number, requeue: a.requeue as boolean });
        return;
      case 'basic.consume': {
        const tag = (a.consumerTag as string) || `amq.ctag-fake-${++this.names}`;
        if (!a.nowait) this.toClient('basic.consume-ok', { consumerTag: tag });
        this.startConsumer(tag, a.queue as string, a.noAck as boolean);
        return;
      }
      case 'basic.cancel': {
        this.consumers.get(a.consumerTag as string)?.unsubscribe();
        this.consumers.delete(a.consumerTag as string);
        if (!a.nowait) this.toClient('basic.cancel-ok', { consumerTag: a.consumerTag });
        return;
      }
      case 'confirm.select':
        this.confirming = true;
        break;
      case 'queue.declare': {
        const queue = (a.queue as string) || `amq.gen-fake-${++this.names}`;
        if (!a.nowait) this.toClient('queue.declare-ok', { queue, messageCount: 0, consumerCount: 0 });
        return;
      }
      case 'access.request':
        this.toClient('access.request-ok', { ticket: 1 });
        return;
      case 'channel.flow':
        this.toClient('channel.flow-ok', { active: a.active });
        return;
      case 'basic.get':
        this.toClient('basic.get-empty', {});
        return;
    }
    const def = this.table.named(name);
    if (def.synchronous && !a.nowait && def.replies.length > 0) this.toClient(def.replies[0], {});
  }

  private startConsumer(tag: string, queue: string, noAck: boolean): void {
    const source = this.queues.get(queue);
    if (!source) return;
    // Deliveries are sent through the scheduler like every other answer, after consume-ok.
    (this.options.scheduler ?? asapScheduler).schedule(() => {
      const sub = source.subscribe((value) => {
        const d = value instanceof Delivery ? value : null;
        const msg = typeof value === 'string' ? new Message(value) : value;
        const deliveryTag = ++this.deliveryTag;
        if (!noAck) this.outstanding.push(deliveryTag);
        const frames: Frame[] = [
          {
            type: FrameType.METHOD,
            channel: this.core.id,
            payload: encodeMethod(
              'basic.deliver',
              {
                consumerTag: tag,
                deliveryTag,
                redelivered: d?.redelivered ?? false,
                exchange: d?.exchange ?? '',
                routingKey: d?.routingKey ?? queue,
              },
              this.protocol,
            ),
          },
          {
            type: FrameType.HEADER,
            channel: this.core.id,
            payload: encodeContentHeader({ bodySize: msg.body.length, properties: msg.properties }, this.protocol),
          },
        ];
        if (msg.body.length) frames.push({ type: FrameType.BODY, channel: this.core.id, payload: msg.body });
        if (this.core.state === 'closed') return;
        for (const f of frames) this.core.handleFrame(f);
      });
      this.consumers.set(tag, sub);
    });
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

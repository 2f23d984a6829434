/**
 * The in-process broker behind a fake channel: the connection side of the channel
 * (`ChannelHost`), which parses what the channel writes, records it, answers every
 * synchronous method and confirms publishes; deliveries come from `fake-consumers.ts`.
 */
import { asapScheduler, asyncScheduler, BehaviorSubject, type SchedulerLike, Subject } from 'rxjs';
import type { ChannelCore } from '../channel/channel-core';
import type { ChannelHost } from '../channel/channel-host';
import { TopologyRegistry } from '../channel/topology';
import { OutputBuffer } from '../connection/output';
import { Message, type MessageProperties } from '../message';
import { decodeContentHeader, encodeContentHeader } from '../protocol/content-header';
import { FrameParser, FrameType, type Frame } from '../protocol/frame';
import type { ArgsOf } from '../protocol/dispatch';
import { decodeMethod, encodeMethod, type DecodedMethod, type MethodName } from '../protocol/method-codec';
import { methodTable, type MethodTable } from '../protocol/method-table';
import type { Protocol } from '../protocol/protocol-version';
import { toSafeNumber } from '../protocol/reader';
import type { FakeChannelOptions, FakePublish, FakeRejection } from './fake-channel-types';
import { FakeConsumers, type FakeQueue } from './fake-consumers';

/** Output that hands every frame to the fake broker synchronously. */
class SyncOutput extends OutputBuffer {
  override commit(): void {
    this.flush();
  }
}

/** A basic.publish waiting for its header and body. */
interface PendingPublish {
  args: ArgsOf<'basic.publish'>;
  props?: MessageProperties;
  size: number;
  parts: Buffer[];
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
  readonly isClosing = false;
  readonly closeTimeout = 10000;
  readonly queues = new Map<string, FakeQueue>();
  readonly acks = new Subject<number>();
  readonly nacks = new Subject<FakeRejection>();
  readonly rejects = new Subject<FakeRejection>();
  readonly published = new Subject<FakePublish>();
  readonly methods = new Subject<{ name: string; args: Record<string, unknown> }>();
  core!: ChannelCore;

  private readonly parser = new FrameParser({ frameMax: 0 });
  private readonly consumers: FakeConsumers;
  private pendingPublish: PendingPublish | null = null;
  private publishSeq = 0;
  private confirming = false;
  private names = 0;

  constructor(private readonly options: FakeChannelOptions) {
    this.protocol = options.protocol ?? '0-9-1';
    this.table = methodTable(this.protocol);
    for (const [q, d] of Object.entries(options.queues ?? {})) this.queues.set(q, d);
    this.out = new SyncOutput((bytes) => this.parser.push(bytes, (f) => this.fromClient(f)));
    this.consumers = new FakeConsumers(this, options.scheduler);
  }

  /** Timers of the channel: the injected scheduler, else RxJS's asyncScheduler. */
  get scheduler(): SchedulerLike {
    return this.options.scheduler ?? asyncScheduler;
  }

  quarantine(): void {
    this.release();
  }

  release(): void {
    this.consumers.cancelAll();
  }

  /** Sends a method to the client channel one scheduler tick from now. */
  toClient(
    name: MethodName,
    args: Record<string, unknown>,
    content?: { body: Buffer; properties: MessageProperties },
  ): void {
    const frames: Frame[] = [
      {
        type: FrameType.METHOD,
        channel: this.core.id,
        payload: encodeMethod(name, args, this.protocol),
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
      if (m.name === 'basic.publish') {
        this.pendingPublish = { args: m.args, size: 0, parts: [] };
        return;
      }
      this.methods.next({ name: m.name, args: { ...m.args } });
      this.onMethod(m);
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
      exchange: p.args.exchange,
      routingKey: p.args.routingKey,
      mandatory: p.args.mandatory,
      message: new Message(Buffer.concat(p.parts), p.props ?? {}),
      sequence,
    };
    this.methods.next({ name: 'basic.publish', args: { ...p.args } });
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

  private onMethod(m: DecodedMethod): void {
    switch (m.name) {
      case 'basic.ack':
        for (const t of this.consumers.settle(tag(m.args.deliveryTag), m.args.multiple)) this.acks.next(t);
        return;
      case 'basic.nack':
        for (const t of this.consumers.settle(tag(m.args.deliveryTag), m.args.multiple))
          this.nacks.next({ deliveryTag: t, requeue: m.args.requeue });
        return;
      case 'basic.reject':
        this.consumers.settle(tag(m.args.deliveryTag), false);
        this.rejects.next({ deliveryTag: tag(m.args.deliveryTag), requeue: m.args.requeue });
        return;
      case 'basic.consume': {
        const consumerTag = m.args.consumerTag || `amq.ctag-fake-${++this.names}`;
        if (!m.args.nowait) this.toClient('basic.consume-ok', { consumerTag });
        this.consumers.start(consumerTag, m.args.queue, m.args.noAck);
        return;
      }
      case 'basic.cancel': {
        this.consumers.cancel(m.args.consumerTag);
        if (!m.args.nowait) this.toClient('basic.cancel-ok', { consumerTag: m.args.consumerTag });
        return;
      }
      case 'confirm.select':
        this.confirming = true;
        break;
      case 'queue.declare': {
        const queue = m.args.queue || `amq.gen-fake-${++this.names}`;
        if (!m.args.nowait) this.toClient('queue.declare-ok', { queue, messageCount: 0, consumerCount: 0 });
        return;
      }
      case 'access.request':
        this.toClient('access.request-ok', { ticket: 1 });
        return;
      case 'channel.flow':
        this.toClient('channel.flow-ok', { active: m.args.active });
        return;
      case 'basic.get':
        this.toClient('basic.get-empty', {});
        return;
    }
    const def = this.table.named(m.name);
    const nowait = 'nowait' in m.args && m.args.nowait;
    if (def.synchronous && !nowait && def.replies.length > 0) this.toClient(def.replies[0] as MethodName, {});
  }
}

/** A delivery tag the client sent, as the number the fake's records keep. */
function tag(deliveryTag: number | bigint): number {
  return toSafeNumber(deliveryTag, 'deliveryTag');
}

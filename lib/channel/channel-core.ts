import { BehaviorSubject, merge, Subject, type Subscription } from 'rxjs';
import type { MethodDef, PropertiesDef } from '../protocol/definitions';
import { EncodeError, FrameError, UnexpectedFrameError } from '../protocol/errors';
import { FRAME_END, FrameType, toBuffer, type Frame } from '../protocol/frame';
import { decodeArgs, writeBodyFrames, writeHeaderFrame, writeMethodFrame } from '../protocol/method-codec';
import { Reader } from '../protocol/reader';
import { FrameSyntaxError } from '../protocol/errors';
import type { ChannelHost, FrameOutput } from './channel-host';
import {
  ChannelClosedError,
  ConsumerCancelledError,
  MessageReturnedError,
  MessageTooLargeError,
  NotOpenError,
  PublishNackedError,
  UnsupportedError,
} from './errors';
import { ReturnedMessage, type DeliveryBase, type DeliveryFactory, type DeliverySettler } from '../delivery';
import type { Message, MessageProperties } from '../message';
import { RpcQueue, type PendingCall } from './rpc-queue';
import { ConfirmTracker } from './confirm-tracker';
import { Unsettled } from './unsettled';
import { isTraced, publishChannel } from '../diagnostics/channels';
import { tracePublish } from '../diagnostics/publish-trace';

export type { ChannelHost, FrameOutput } from './channel-host';

/** A consumer registered on the channel. */
export interface ConsumerHandle {
  readonly noAck: boolean;
  /** The queue consumed (for diagnostics; `''` is the channel's last declared queue). */
  readonly queue?: string;
  /** False once the subscriber left; deliveries still in flight are then requeued. */
  active: boolean;
  deliver(delivery: DeliveryBase): void;
  /** The consumer ended: by the server (error) or by the channel closing. */
  end(error?: Error): void;
}

/** A `publish()` waiting for its turn to write (see {@link ChannelCore.whenPublishable}). */
export interface PublishWaiter {
  /** Its turn: write now. Must not throw. */
  go(): void;
  /** The channel ended first. */
  fail(error: Error): void;
}

type ContentKind = 'basic.deliver' | 'basic.get-ok' | 'basic.return';

const EMPTY_BODY = Buffer.alloc(0);

const enum Expect {
  Method,
  Header,
  Body,
}

/** Channel lifecycle. */
export type ChannelState = 'opening' | 'open' | 'closing' | 'closed';

/**
 * The protocol state machine of one channel: the synchronous-method queue, content assembly
 * (method + header + bodies -> message), consumers, publisher confirms, flow and the close
 * handshakes. It never touches bytes of other channels and never does I/O itself: frames come
 * in through {@link handleFrame} and go out through the connection's {@link FrameOutput}.
 */
export class ChannelCore implements DeliverySettler {
  state: ChannelState = 'opening';
  /**
   * Makes this channel's deliveries: its public Channel, which sets itself here when it is
   * created (before channel.open goes out), so that deliveries name it as their `channel`.
   */
  deliveryFactory!: DeliveryFactory;
  readonly rpc: RpcQueue;
  readonly consumers = new Map<string, ConsumerHandle>();
  readonly confirms = new ConfirmTracker();
  /** Deliveries awaiting ack/nack/reject, and acks queued for the next batch. */
  readonly unsettled = new Unsettled();
  readonly returns$ = new Subject<ReturnedMessage>();
  readonly flow$ = new BehaviorSubject<boolean>(true);
  readonly alerts$ = new Subject<{ replyCode: number; replyText: string; details: object }>();
  /** Settles with the reason the channel ended (undefined: closed by the client). */
  readonly closed: Promise<Error | undefined>;
  /** The error that ended the channel, if any. */
  error: Error | undefined;
  /** Ticket sent with every method that carries one (set by accessRequest). */
  ticket: number;
  /** Whether confirm.select succeeded. */
  confirmMode = false;
  /** Whether tx.select succeeded. */
  txMode = false;
  /** The queue last declared on this channel (the broker's "" shortcut). */
  lastQueue = '';

  private expect = Expect.Method;
  private contentKind: ContentKind | null = null;
  private contentArgs: Record<string, unknown> | null = null;
  private contentProps: MessageProperties = {};
  private bodySize = 0;
  private bodyParts: Buffer[] = [];
  private readonly reader: Reader;
  // the last basic.publish method frame written, with what it was made from
  private publishFrame: Buffer | null = null;
  private publishExchange = '';
  private publishRoutingKey = '';
  private publishMandatory = false;
  private publishImmediate = false;
  private publishTicket = 0;
  // basic.deliver arguments of the content being received (kept in fields, not an object)
  private deliverConsumerTag = '';
  private deliverTag = 0;
  private deliverRedelivered = false;
  private deliverExchange = '';
  private deliverRoutingKey = '';
  private bodyReceived = 0;
  private closePromise: Promise<void> | null = null;
  /** channel.close went out. */
  private closeSent = false;
  /** Ends a close the server does not answer (closeTimeout). */
  private closeTimer: Subscription | null = null;
  /** Set when the close timed out: the number is quarantined rather than released. */
  private closeTimedOut = false;
  private resolveClosed!: (e: Error | undefined) => void;
  /** publish() calls waiting for the socket, the broker or channel.flow, in order. */
  private readonly publishWaiters = new Set<PublishWaiter>();
  /** Watches flow$, blocked$ and writable$ while publishWaiters is not empty. */
  private publishGate: Subscription | null = null;

  private readonly publishDef: MethodDef;
  private readonly ackDef: MethodDef;
  private readonly rejectDef: MethodDef;
  private readonly nackDef: MethodDef | undefined;
  private readonly basicProps: PropertiesDef;

  constructor(
    readonly id: number,
    readonly host: ChannelHost,
  ) {
    const t = host.table;
    this.publishDef = t.named('basic.publish');
    this.ackDef = t.named('basic.ack');
    this.rejectDef = t.named('basic.reject');
    this.nackDef = t.byName.get('basic.nack');
    this.basicProps = t.properties.get(60)!;
    this.ticket = host.protocol === '0-8' ? 1 : 0;
    this.reader = new Reader(EMPTY_BODY, 0, 0, host.protocol);
    this.rpc = new RpcQueue((call) => this.write(call.def, call.args));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Sends channel.open; `done` fires on open-ok or failure. */
  open(done: (error?: Error) => void): void {
    this.call(
      'channel.open',
      {},
      false,
      () => {
        if (this.state === 'opening') this.state = 'open';
        done();
      },
      done,
    );
  }

  // ---- outgoing ------------------------------------------------------------------------

  /** Writes one method frame now (no queueing). Throws if the channel is finished. */
  write(def: MethodDef, args: object): void {
    if (this.state === 'closed') throw new NotOpenError(`channel ${this.id} is closed`, { cause: this.error });
    const out = this.host.out;
    const start = out.pos;
    writeMethodFrame(out, this.id, def, args);
    this.checkFrameSize(out, start, def.name);
    out.commit();
  }

  /**
   * A method or content header frame cannot be split: one over frame_max would make the broker
   * close the whole connection (501). Drops the frame just written (from `start`) and throws
   * EncodeError instead, so only this call fails.
   */
  private checkFrameSize(out: FrameOutput, start: number, what: string): void {
    const max = this.host.sendFrameMax;
    const size = out.pos - start;
    if (max > 0 && size > max) {
      out.pos = start;
      throw new EncodeError(`${what} frame of ${size} bytes exceeds frame_max ${max}; a ${what} frame cannot be split`);
    }
  }

  /** Looks a method up by name, with a typed error for one the dialect lacks. */
  def(name: string): MethodDef {
    const d = this.host.table.byName.get(name);
    if (!d) throw new UnsupportedError(`AMQP ${this.host.protocol} has no ${name}`);
    return d;
  }

  /**
   * Queues a synchronous method (or, with `noReply`, one sent in order without awaiting a
   * reply). Returns the pending call so the caller can withdraw it.
   */
  call(
    name: string,
    args: object,
    noReply: boolean,
    resolve: PendingCall['resolve'],
    reject: PendingCall['reject'],
  ): PendingCall {
    const def = this.def(name);
    const call: PendingCall = {
      def,
      args,
      noReply: noReply || !def.synchronous,
      sent: false,
      abandoned: false,
      resolve,
      reject,
    };
    if (this.state === 'closed' || (this.state === 'closing' && name !== 'channel.close')) {
      reject(new NotOpenError(`channel ${this.id} is ${this.state}`, { cause: this.error }));
      return call;
    }
    this.rpc.enqueue(call);
    return call;
  }

  /**
   * Writes basic.publish + header + body frames for one message, contiguously. Returns the
   * confirm sequence number in confirm mode, else 0. Throws EncodeError (nothing written) for
   * properties that cannot be encoded or do not fit in one frame.
   */
  publish(message: Message, exchange: string, routingKey: string, mandatory: boolean, immediate: boolean): number {
    if (isTraced(publishChannel)) return tracePublish(this, message, exchange, routingKey, mandatory, immediate);
    return this.writePublish(message, exchange, routingKey, mandatory, immediate);
  }

  /** {@link publish} without diagnostics: encodes and writes the frames. */
  writePublish(message: Message, exchange: string, routingKey: string, mandatory: boolean, immediate: boolean): number {
    if (this.state !== 'open') throw new NotOpenError(`channel ${this.id} is ${this.state}`, { cause: this.error });
    const out = this.host.out;
    const start = out.pos;
    const body = message.body;
    try {
      this.writePublishMethod(out, exchange, routingKey, mandatory, immediate);
      const header = out.pos;
      if (hasNoProperties(message.properties)) writeBareHeaderFrame(out, this.id, body.length);
      else writeHeaderFrame(out, this.id, this.basicProps, body.length, message.properties);
      this.checkFrameSize(out, header, 'content header');
    } catch (e) {
      out.pos = start;
      throw e;
    }
    if (body.length > 0) writeBodyFrames(out, this.id, body, this.host.sendFrameMax);
    out.commit();
    return this.confirmMode ? this.confirms.next() : 0;
  }

  /**
   * Whether a `publish()` may write at once: nothing is waiting before it, the socket takes
   * more (`writable$`), the broker does not block the connection and channel.flow is on.
   */
  get canPublish(): boolean {
    return this.publishWaiters.size === 0 && this.host.writable$.value && !this.host.blocked$.value && this.flow$.value;
  }

  /**
   * Queues a `publish()` until {@link canPublish} holds; waiters go in the order they came,
   * one at a time, and stop as soon as a write fills the socket again (writable$ false), so
   * the bytes handed to the socket stay bounded however many publishes wait. Fails the waiter
   * at once if the channel is finished.
   */
  whenPublishable(waiter: PublishWaiter): void {
    if (this.state === 'closed') return waiter.fail(this.error ?? new NotOpenError(`channel ${this.id} closed`));
    this.publishWaiters.add(waiter);
    if (this.publishGate) return;
    const gate = merge(this.flow$, this.host.blocked$, this.host.writable$).subscribe(() => this.pumpPublishes());
    if (this.publishWaiters.size === 0) gate.unsubscribe();
    else this.publishGate = gate;
  }

  /** Withdraws a waiting publish (its subscriber left). */
  cancelPublish(waiter: PublishWaiter): void {
    if (this.publishWaiters.delete(waiter) && this.publishWaiters.size === 0) this.closeGate();
  }

  private pumpPublishes(): void {
    for (const waiter of this.publishWaiters) {
      if (!this.host.writable$.value || this.host.blocked$.value || !this.flow$.value) return;
      this.publishWaiters.delete(waiter);
      waiter.go();
    }
    if (this.publishWaiters.size === 0) this.closeGate();
  }

  private closeGate(): void {
    this.publishGate?.unsubscribe();
    this.publishGate = null;
  }

  /**
   * The basic.publish method frame. Its bytes depend only on the ticket, exchange, routing key
   * and flags, and a publisher usually repeats them, so the last frame is kept and copied.
   */
  private writePublishMethod(
    out: FrameOutput,
    exchange: string,
    routingKey: string,
    mandatory: boolean,
    immediate: boolean,
  ): void {
    const cached = this.publishFrame;
    if (
      cached !== null &&
      exchange === this.publishExchange &&
      routingKey === this.publishRoutingKey &&
      mandatory === this.publishMandatory &&
      immediate === this.publishImmediate &&
      this.ticket === this.publishTicket
    ) {
      out.ensure(cached.length);
      cached.copy(out.buf, out.pos);
      out.pos += cached.length;
      return;
    }
    const start = out.pos;
    writeMethodFrame(out, this.id, this.publishDef, {
      ticket: this.ticket,
      exchange,
      routingKey,
      mandatory,
      immediate,
    });
    if (out.pos - start <= 600) {
      this.publishFrame = Buffer.from(out.buf.subarray(start, out.pos));
      this.publishExchange = exchange;
      this.publishRoutingKey = routingKey;
      this.publishMandatory = mandatory;
      this.publishImmediate = immediate;
      this.publishTicket = this.ticket;
    }
  }

  /**
   * Whether deliveries may still be settled: not once the channel (or its connection) began to
   * close. The broker discards what follows channel.close (or connection.close) and requeues
   * what was unsettled, so an ack written then would only claim a success that never happens.
   */
  private get settling(): boolean {
    return this.state === 'open' && !this.host.isClosing;
  }

  /** DeliverySettler: ack / nack / reject a delivery tag; false (nothing written) once the channel began to close. */
  settle(deliveryTag: number, kind: 'ack' | 'nack' | 'reject', multiple: boolean, requeue: boolean): boolean {
    if (!this.settling) return false;
    if (this.unsettled.hasQueued) this.flushAcks();
    this.unsettled.settled(deliveryTag, multiple);
    if (kind === 'ack') {
      this.write(this.ackDef, { deliveryTag, multiple });
    } else if (kind === 'nack' && this.nackDef) {
      this.write(this.nackDef, { deliveryTag, multiple, requeue });
    } else {
      if (multiple) throw new UnsupportedError(`AMQP ${this.host.protocol} cannot reject several messages at once`);
      this.write(this.rejectDef, { deliveryTag, requeue });
    }
    return true;
  }

  /** DeliverySettler: queues an ack for the next {@link flushAcks}; false once the channel began to close. */
  queueAck(deliveryTag: number): boolean {
    if (!this.settling) return false;
    this.unsettled.queueAck(deliveryTag);
    return true;
  }

  /**
   * Writes the queued acks, coalesced into `multiple` acks where that acks exactly them.
   * `close()` (of the channel or the connection) calls it before it begins; once closing,
   * the plan is dropped (the broker requeues those deliveries).
   */
  flushAcks(): void {
    const plan = this.unsettled.takePlan();
    if (!plan || !this.settling) return;
    if (plan.multipleUpTo > 0) this.write(this.ackDef, { deliveryTag: plan.multipleUpTo, multiple: true });
    for (const tag of plan.singles) this.write(this.ackDef, { deliveryTag: tag, multiple: false });
  }

  // ---- incoming ------------------------------------------------------------------------

  /** Handles one frame for this channel. Throws typed errors that are fatal to the connection. */
  handleFrame(frame: Frame): void {
    const payload = toBuffer(frame.payload);
    this.onFrame(frame.type, payload, 0, payload.length);
  }

  /** Handles one frame whose payload is `buf[start..end)` (the connection's hot path). */
  onFrame(type: number, buf: Buffer, start: number, end: number): void {
    if (type === FrameType.METHOD) return this.onMethodFrame(buf, start, end);
    if (type === FrameType.HEADER) return this.onHeader(buf, start, end);
    if (type === FrameType.BODY) return this.onBody(buf, start, end);
    if (type === FrameType.HEARTBEAT) throw new FrameError(`heartbeat frame on channel ${this.id}`);
    throw new UnexpectedFrameError(`frame type ${type} on channel ${this.id}`);
  }

  private onMethodFrame(buf: Buffer, start: number, end: number): void {
    if (this.expect !== Expect.Method) {
      throw new UnexpectedFrameError(`method frame on channel ${this.id} while content was being received`);
    }
    if (end - start < 4) throw new FrameSyntaxError('method frame shorter than its class and method ids');
    const classId = (buf[start] << 8) | buf[start + 1];
    const methodId = (buf[start + 2] << 8) | buf[start + 3];
    if (classId === 60 && methodId === 60) return this.onDeliver(buf, start + 4, end);
    const def = this.host.table.lookup(classId, methodId);
    const args = decodeArgs(def, buf, start + 4, end, this.host.protocol) as Record<string, unknown>;
    if (def.content) {
      if (def.name !== 'basic.get-ok' && def.name !== 'basic.return') {
        throw new UnexpectedFrameError(`${def.name} is not expected from a server`);
      }
      this.contentKind = def.name;
      this.contentArgs = args;
      this.expect = Expect.Header;
      return;
    }
    this.onMethod(def, args);
  }

  /** basic.deliver, decoded in place: consumer-tag, delivery-tag, redelivered, exchange, routing-key. */
  private onDeliver(buf: Buffer, pos: number, end: number): void {
    const r = this.reader.reset(buf, pos, end);
    this.deliverConsumerTag = r.shortstr();
    const tag = r.longlong();
    if (typeof tag !== 'number') throw new FrameSyntaxError(`delivery tag ${tag} is beyond 2^53`);
    this.deliverTag = tag;
    this.deliverRedelivered = (r.octet() & 1) !== 0;
    this.deliverExchange = r.shortstr();
    this.deliverRoutingKey = r.shortstr();
    if (r.pos !== end) throw new FrameSyntaxError(`basic.deliver: ${end - r.pos} bytes after the last argument`);
    this.contentKind = 'basic.deliver';
    this.expect = Expect.Header;
  }

  private onHeader(buf: Buffer, start: number, end: number): void {
    if (this.expect !== Expect.Header)
      throw new UnexpectedFrameError(`content header on channel ${this.id} without a content method`);
    const r = this.reader.reset(buf, start, end);
    const classId = r.short();
    if (classId !== 60) throw new FrameSyntaxError(`content header for class ${classId}, expected 60 (basic)`);
    r.short();
    const size = r.longlong();
    if (typeof size !== 'number' || size > this.host.maxBodySize) {
      throw new MessageTooLargeError(size, this.host.maxBodySize);
    }
    const flags = r.short();
    if ((flags & 0x3) !== 0)
      throw new FrameSyntaxError(`content header flags 0x${flags.toString(16)} name unknown properties`);
    this.contentProps = flags === 0 ? {} : (this.basicProps.decode(r, flags) as MessageProperties);
    if (r.pos !== end) throw new FrameSyntaxError('bytes after the content properties');
    this.bodySize = size;
    if (size === 0) return this.contentDone(EMPTY_BODY);
    this.bodyReceived = 0;
    this.expect = Expect.Body;
  }

  private onBody(buf: Buffer, start: number, end: number): void {
    if (this.expect !== Expect.Body)
      throw new UnexpectedFrameError(`body frame on channel ${this.id} before a content header`);
    const received = this.bodyReceived + (end - start);
    if (received > this.bodySize) {
      throw new FrameError(`body of ${received}+ bytes on channel ${this.id} exceeds the ${this.bodySize} declared`);
    }
    if (received === this.bodySize && this.bodyReceived === 0) return this.contentDone(buf.subarray(start, end));
    this.bodyParts.push(buf.subarray(start, end));
    this.bodyReceived = received;
    if (received === this.bodySize) {
      const body = Buffer.concat(this.bodyParts, received);
      this.bodyParts = [];
      this.contentDone(body);
    }
  }

  private contentDone(body: Buffer): void {
    this.expect = Expect.Method;
    const kind = this.contentKind!;
    const props = this.contentProps;
    this.contentKind = null;
    if (kind === 'basic.deliver') {
      const consumerTag = this.deliverConsumerTag;
      const consumer = this.consumers.get(consumerTag);
      const noAck = consumer?.noAck === true;
      if (this.state !== 'open') return; // closing: the broker requeues it
      const d = this.deliveryFactory.createDelivery(
        this.deliverTag,
        this.deliverRedelivered,
        this.deliverExchange,
        this.deliverRoutingKey,
        consumerTag,
        undefined,
        noAck,
        body,
        props,
      );
      if (!noAck) this.unsettled.add(d);
      if (consumer?.active) consumer.deliver(d);
      else if (consumer && !noAck) {
        // Arrived after the subscriber left: back to the queue (streams cannot requeue; their
        // consumers read by offset, so an ack just releases the credit).
        if (d.streamOffset === undefined) d.reject(true);
        else d.ack();
      }
    } else if (kind === 'basic.get-ok') {
      const head = this.rpc.head;
      if (head?.def.name !== 'basic.get') throw new UnexpectedFrameError('basic.get-ok without a basic.get');
      const noAck = (head.args as { noAck?: boolean }).noAck ?? false;
      const args = this.contentArgs!;
      this.contentArgs = null;
      const d = this.deliveryFactory.createDelivery(
        deliveryTagOf(args),
        args.redelivered as boolean,
        args.exchange as string,
        args.routingKey as string,
        undefined,
        args.messageCount as number,
        noAck,
        body,
        props,
      );
      if (!noAck) this.unsettled.add(d);
      if (head.abandoned && !noAck) d.reject(true);
      this.rpc.complete('basic.get-ok', args, d);
    } else {
      const args = this.contentArgs!;
      this.contentArgs = null;
      const returned = new ReturnedMessage(
        args.replyCode as number,
        args.replyText as string,
        args.exchange as string,
        args.routingKey as string,
        body,
        props,
      );
      if (this.confirmMode) {
        this.confirms.returned(
          returned.exchange,
          returned.routingKey,
          new MessageReturnedError(returned.replyCode, returned.replyText, returned.exchange, returned.routingKey),
        );
      }
      this.returns$.next(returned);
    }
  }

  private onMethod(def: MethodDef, args: Record<string, unknown>): void {
    const name = def.name;
    switch (name) {
      case 'basic.ack':
        this.confirms.settle(deliveryTagOf(args), args.multiple as boolean, undefined);
        return;
      case 'basic.nack':
        this.confirms.settle(deliveryTagOf(args), args.multiple as boolean, (seq) => new PublishNackedError(seq));
        return;
      case 'channel.close':
        return this.onServerClose(args);
      case 'channel.close-ok':
        // While opening, it answers the channel.close of the previous channel with this number,
        // which crossed the server's own channel.close (that one already freed the number).
        if (this.state === 'opening') return;
        if (this.state !== 'closing')
          throw new UnexpectedFrameError(`channel.close-ok on channel ${this.id}, which was not closing`);
        return this.finish(undefined);
      case 'channel.flow':
        this.write(this.def('channel.flow-ok'), { active: args.active });
        if (this.flow$.value !== args.active) this.flow$.next(args.active as boolean);
        return;
      case 'basic.cancel': {
        const tag = args.consumerTag as string;
        const consumer = this.consumers.get(tag);
        this.consumers.delete(tag);
        if (!args.nowait) this.write(this.def('basic.cancel-ok'), { consumerTag: tag });
        consumer?.end(new ConsumerCancelledError(tag));
        return;
      }
      case 'channel.alert':
        this.alerts$.next({
          replyCode: args.replyCode as number,
          replyText: args.replyText as string,
          details: args.details as object,
        });
        return;
    }
    const head = this.rpc.head;
    if (!head?.def.replies.includes(name)) {
      throw new UnexpectedFrameError(
        `unexpected ${name} on channel ${this.id}${head ? ` (awaiting a reply to ${head.def.name})` : ''}`,
      );
    }
    this.rpc.complete(name, args);
  }

  // ---- closing ------------------------------------------------------------------------

  private onServerClose(args: Record<string, unknown>): void {
    const error = new ChannelClosedError(this.id, {
      replyCode: args.replyCode as number,
      replyText: args.replyText as string,
      classId: args.classId as number,
      methodId: args.methodId as number,
    });
    writeMethodFrame(this.host.out, this.id, this.def('channel.close-ok'), {});
    this.host.out.commit();
    this.finish(error);
  }

  /**
   * Closes gracefully: waits for outstanding confirms, then channel.close / close-ok.
   * Resolves when the channel is finished, whoever finished it.
   *
   * Bounded by the connection's `closeTimeout`: when confirms or close-ok do not come in
   * time, the channel is finished as a client close (the Promise resolves, as
   * `connection.close()` does after its own timeout; consumers and side streams complete;
   * unconfirmed publishes fail with NotOpenError), channel.close is sent if it was not yet,
   * and the number is quarantined (see {@link ChannelHost.quarantine}): the server may still
   * consider the channel open, so a new channel on that number could receive its frames.
   */
  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    if (this.closePromise) return this.closePromise;
    const wasOpening = this.state === 'opening';
    // Acks queued before the close reach the broker before channel.close does.
    if (!wasOpening) this.flushAcks();
    this.state = 'closing';
    this.closeTimer = this.host.scheduler.schedule(() => this.onCloseTimeout(), this.host.closeTimeout);
    if (wasOpening || this.confirms.outstanding === 0) {
      // Nothing to wait for: channel.close goes now (in the same tick as the close() call).
      this.sendClose();
      this.closePromise = this.closed.then(noop);
    } else {
      this.closePromise = (async () => {
        await this.confirms.drained(this.closed);
        this.sendClose();
        await this.closed;
      })();
    }
    return this.closePromise;
  }

  /** Writes channel.close once (it may go while a synchronous method is outstanding). */
  private sendClose(): void {
    if (this.closeSent || this.isFinished) return;
    this.closeSent = true;
    try {
      writeMethodFrame(this.host.out, this.id, this.def('channel.close'), {
        replyCode: 200,
        replyText: 'Goodbye',
        classId: 0,
        methodId: 0,
      });
      this.host.out.commit();
    } catch (e) {
      this.finish(e as Error);
    }
  }

  private onCloseTimeout(): void {
    this.closeTimer = null;
    if (this.state !== 'closing') return;
    // Still waiting for confirms: tell the server anyway, so that it frees the channel.
    this.sendClose();
    if (this.isFinished) return;
    this.closeTimedOut = true;
    this.finish(undefined);
  }

  /** DeliverySettler: the channel is finished; its unsettled deliveries are back in their queues. */
  get isGone(): boolean {
    return this.state === 'closed';
  }

  private get isFinished(): boolean {
    return this.state === 'closed';
  }

  /** Ends the channel: fails or completes everything that waits on it. Idempotent. */
  finish(error: Error | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.error = error;
    this.expect = Expect.Method;
    this.bodyParts = [];
    const failure = error ?? new NotOpenError(`channel ${this.id} closed`);
    this.unsettled.clear();
    const waiters = [...this.publishWaiters];
    this.publishWaiters.clear();
    this.closeGate();
    for (const w of waiters) w.fail(failure);
    this.rpc.failAll(failure);
    this.confirms.failAll(failure);
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    for (const c of consumers) c.end(error);
    // Side streams complete rather than error: the channel's own stream carries the error,
    // and an error here would crash a subscriber that did not expect one.
    this.returns$.complete();
    this.flow$.complete();
    this.alerts$.complete();
    this.closeTimer?.unsubscribe();
    this.closeTimer = null;
    if (this.closeTimedOut) this.host.quarantine(this.id);
    else this.host.release(this.id);
    this.resolveClosed(error);
  }
}

function noop(): void {
  return undefined;
}

/** Whether a message has no content properties to encode. */
function hasNoProperties(p: MessageProperties): boolean {
  for (const key in p) if ((p as Record<string, unknown>)[key] !== undefined) return false;
  return true;
}

/**
 * The delivery tag of decoded basic.ack / basic.nack / basic.get-ok arguments. The codec gives
 * a longlong past 2^53 as a bigint, which no tag or publish sequence of this client can be
 * (and which tag arithmetic would throw on): a FrameSyntaxError, as for basic.deliver.
 */
function deliveryTagOf(args: Record<string, unknown>): number {
  const tag = args.deliveryTag;
  if (typeof tag !== 'number') throw new FrameSyntaxError(`delivery tag ${String(tag)} is beyond 2^53`);
  return tag;
}

/** A content header frame for class basic with no properties: 14 payload bytes, size the only variable. */
function writeBareHeaderFrame(out: FrameOutput, channel: number, bodySize: number): void {
  out.ensure(22);
  const b = out.buf;
  const p = out.pos;
  b[p] = FrameType.HEADER;
  b[p + 1] = channel >>> 8;
  b[p + 2] = channel & 0xff;
  b.writeUInt32BE(14, p + 3);
  b.writeUInt32BE(0x003c0000, p + 7); // class 60, weight 0
  b.writeUInt32BE(Math.floor(bodySize / 0x100000000), p + 11);
  b.writeUInt32BE(bodySize >>> 0, p + 15);
  b[p + 19] = 0; // no property flags
  b[p + 20] = 0;
  b[p + 21] = FRAME_END;
  out.pos = p + 22;
}

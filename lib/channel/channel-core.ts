import { BehaviorSubject, Subject } from 'rxjs';
import type { MethodDef } from '../protocol/definitions';
import { FrameError, UnexpectedFrameError } from '../protocol/errors';
import { toBuffer, type Frame } from '../protocol/frame';
import { FrameKind } from '../protocol/generated/constants';
import { writeMethodFrame } from '../protocol/method-codec';
import type { DeliveryFactory, DeliverySettler, ReturnedMessage } from '../delivery';
import type { Message } from '../message';
import type { ChannelHost } from './channel-host';
import type { ChannelState } from './channel-state';
import { CloseHandshake } from './close-handshake';
import { ConfirmTracker } from './confirm-tracker';
import { endConsumers, type Consumers } from './consumers';
import { ContentAssembler } from './content-assembly';
import { NotOpenError, UnsupportedError } from './errors';
import { checkFrameSize } from './frame-size';
import { MethodDispatch, type ChannelAlert } from './method-dispatch';
import { MethodQueue, pendingCall, type PendingCall } from './method-queue';
import { PublishEncoder } from './publish-encoder';
import { PublishGate, type PublishWaiter } from './publish-gate';
import { SettleWriter } from './settle-writer';
import { Unsettled } from './unsettled';
import { isTraced, publishChannel } from '../diagnostics/channels';
import { tracePublish } from '../diagnostics/publish-trace';

export type { ChannelHost, FrameOutput } from './channel-host';
export type { ChannelState } from './channel-state';
export type { ConsumerHandle } from './consumers';
export type { ChannelAlert } from './method-dispatch';
export type { PublishWaiter } from './publish-gate';

/**
 * The protocol state machine of one channel. It owns the parts that do the work — content
 * assembly ({@link ContentAssembler}), the method dispatch ({@link MethodDispatch}), the
 * synchronous-method queue ({@link MethodQueue}), publish encoding ({@link PublishEncoder}) and
 * its gate ({@link PublishGate}), confirms, unsettled deliveries and ack batching, consumers,
 * and the close handshakes ({@link CloseHandshake}) — and the lifecycle they share
 * ({@link ChannelState}). It never touches bytes of other channels and never does I/O itself:
 * frames come in through {@link onFrame} and go out through the connection's `FrameOutput`.
 */
export class ChannelCore implements DeliverySettler {
  state: ChannelState = 'opening';
  /**
   * Makes this channel's deliveries: its public Channel, which sets itself here when it is
   * created (before channel.open goes out), so that deliveries name it as their `channel`.
   */
  deliveryFactory!: DeliveryFactory;
  /** The synchronous-method queue: one outstanding synchronous method, the rest in order. */
  readonly methods: MethodQueue;
  readonly consumers: Consumers = new Map();
  readonly confirms = new ConfirmTracker();
  /** Deliveries awaiting ack/nack/reject, and acks queued for the next batch. */
  readonly unsettled = new Unsettled();
  readonly returns$ = new Subject<ReturnedMessage>();
  readonly flow$ = new BehaviorSubject<boolean>(true);
  readonly alerts$ = new Subject<ChannelAlert>();
  /** Resolves with the reason the channel finished (undefined: closed by the client). */
  readonly closed: Promise<Error | undefined>;
  /** The error that finished the channel, if any. */
  error: Error | undefined;
  /** Ticket sent with every method that carries one (set by accessRequest). */
  ticket: number;
  /** Whether confirm.select succeeded. */
  confirmMode = false;
  /** The queue last declared on this channel (the broker's "" shortcut). */
  lastQueue = '';

  private readonly content: ContentAssembler;
  private readonly encoder: PublishEncoder;
  private readonly gate: PublishGate;
  private readonly handshake: CloseHandshake;
  private readonly settleWriter: SettleWriter;
  private resolveClosed!: (e: Error | undefined) => void;

  constructor(
    readonly id: number,
    readonly host: ChannelHost,
  ) {
    const t = host.table;
    this.ticket = host.protocol === '0-8' ? 1 : 0;
    this.methods = new MethodQueue((call) => this.write(call.def, call.args));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.handshake = new CloseHandshake(this);
    this.content = new ContentAssembler(id, host, new MethodDispatch(this, this.handshake));
    this.encoder = new PublishEncoder(id, host, t.named('basic.publish'), t.basicProperties);
    this.gate = new PublishGate(host, this.flow$);
    this.settleWriter = new SettleWriter(this, t);
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

  // ---- outgoing methods ------------------------------------------------------------------

  /** Writes one method frame now (no queueing). Throws if the channel is finished. */
  write(def: MethodDef, args: object): void {
    if (this.state === 'closed') throw new NotOpenError(`channel ${this.id} is closed`, { cause: this.error });
    const out = this.host.out;
    const start = out.pos;
    writeMethodFrame(out, this.id, def, args);
    checkFrameSize(out, start, this.host.sendFrameMax, def.name);
    out.commit();
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
    const call = pendingCall(this.def(name), args, noReply, resolve, reject);
    if (this.state === 'closed' || (this.state === 'closing' && name !== 'channel.close')) {
      reject(new NotOpenError(`channel ${this.id} is ${this.state}`, { cause: this.error }));
      return call;
    }
    this.methods.enqueue(call);
    return call;
  }

  // ---- publishing -------------------------------------------------------------------------

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
    this.encoder.write(message, exchange, routingKey, mandatory, immediate, this.ticket);
    return this.confirmMode ? this.confirms.next() : 0;
  }

  /**
   * Whether a `publish()` may write at once: nothing is waiting before it, the socket takes
   * more (`writable$`), the broker does not block the connection and channel.flow is on.
   */
  get canPublish(): boolean {
    return this.gate.canPass;
  }

  /**
   * Queues a `publish()` until {@link canPublish} holds (see {@link PublishGate}). Fails the
   * waiter at once if the channel is finished.
   */
  whenPublishable(waiter: PublishWaiter): void {
    if (this.state === 'closed') return waiter.fail(this.error ?? new NotOpenError(`channel ${this.id} closed`));
    this.gate.wait(waiter);
  }

  /** Withdraws a waiting publish (its subscriber left). */
  cancelPublish(waiter: PublishWaiter): void {
    this.gate.cancel(waiter);
  }

  // ---- settling deliveries ------------------------------------------------------------------

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
    this.settleWriter.write(deliveryTag, kind, multiple, requeue);
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
    if (plan && this.settling) this.settleWriter.writePlan(plan);
  }

  // ---- incoming -----------------------------------------------------------------------------

  /** Handles one frame for this channel. Throws typed errors that are fatal to the connection. */
  handleFrame(frame: Frame): void {
    const payload = toBuffer(frame.payload);
    this.onFrame(frame.type, payload, 0, payload.length);
  }

  /** Handles one frame whose payload is `buf[start..end)` (the connection's hot path). */
  onFrame(type: number, buf: Buffer, start: number, end: number): void {
    if (type === FrameKind.METHOD) return this.content.onMethodFrame(buf, start, end);
    if (type === FrameKind.HEADER) return this.content.onHeader(buf, start, end);
    if (type === FrameKind.BODY) return this.content.onBody(buf, start, end);
    if (type === FrameKind.HEARTBEAT) throw new FrameError(`heartbeat frame on channel ${this.id}`);
    throw new UnexpectedFrameError(`frame type ${type} on channel ${this.id}`);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Closes gracefully: flushes queued acks, waits for outstanding confirms, then channel.close /
   * close-ok, bounded by the connection's `closeTimeout` (see {@link CloseHandshake.begin}).
   * Resolves when the channel is finished, whoever finished it.
   */
  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    const pending = this.handshake.pending;
    if (pending) return pending;
    const wasOpening = this.state === 'opening';
    // Acks queued before the close reach the broker before channel.close does.
    if (!wasOpening) this.flushAcks();
    this.state = 'closing';
    return this.handshake.begin(wasOpening);
  }

  /** DeliverySettler: the channel is finished; its unsettled deliveries are back in their queues. */
  get isGone(): boolean {
    return this.state === 'closed';
  }

  /**
   * The final transition: the channel is `closed`, and everything that waits on it is failed
   * (publishes, synchronous methods, confirms: with `error`, else NotOpenError) or ended
   * (consumers and side streams). Gives the number back to the connection, or quarantines it
   * when the close timed out. Idempotent.
   */
  finish(error: Error | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.error = error;
    this.content.reset();
    const failure = error ?? new NotOpenError(`channel ${this.id} closed`);
    this.unsettled.clear();
    this.gate.failAll(failure);
    this.methods.failAll(failure);
    this.confirms.failAll(failure);
    endConsumers(this.consumers, error);
    // Side streams complete rather than error: the channel's own stream carries the error,
    // and an error here would crash a subscriber that did not expect one.
    this.returns$.complete();
    this.flow$.complete();
    this.alerts$.complete();
    this.handshake.stopTimer();
    if (this.handshake.timedOut) this.host.quarantine(this.id);
    else this.host.release(this.id);
    this.resolveClosed(error);
  }
}

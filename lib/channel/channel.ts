import type { Observable } from 'rxjs';
import type { FieldTable } from '../protocol/field-types';
import type { DeliveryBase, DeliveryFactory, ReturnedMessage } from '../delivery';
import * as consumers from './basic-consume';
import * as basic from './basic-methods';
import type { ChannelCore } from './channel-core';
import type {
  AccessRequestOptions,
  BindOptions,
  ConsumeOptions,
  ExchangeDeclareOptions,
  PublishOptions,
  QueueDeclareOk,
  QueueDeclareOptions,
  TicketOption,
} from './channel-options';
import * as exchangeQueue from './exchange-queue';
import { publishOn, type PublishResult } from './publish-call';
import { publishable, type Publishable } from './publishable';

// The public Channel (lib/facades.ts) is `ChannelBase<Delivery>` plus `connection`, and makes
// its core's deliveries (`createDelivery`). The method groups are functions over the core
// (exchange-queue.ts, basic-methods.ts, basic-consume.ts, publish-call.ts); the members here
// document and call them.

/** Every member of a `Channel` but `connection`; `D` is the class of its deliveries. */
export abstract class ChannelBase<D extends DeliveryBase> {
  /** @internal The channel's protocol state; for the operators, not part of the public API. */
  readonly core: ChannelCore;

  /** @internal Channels come from `Connection.channel()` / `openChannel()`. */
  constructor(core: ChannelCore) {
    this.core = core;
    core.deliveryFactory = this;
  }

  /** @internal Makes the core's deliveries (DeliveryFactory), which name this channel. */
  abstract createDelivery(...fields: Parameters<DeliveryFactory['createDelivery']>): D;

  /** The channel number. */
  get id(): number {
    return this.core.id;
  }

  /** Whether the channel is open (not opening, closing or closed). */
  get isOpen(): boolean {
    return this.core.state === 'open';
  }

  /** Whether `confirmSelect` put it in confirm mode. */
  get confirmMode(): boolean {
    return this.core.confirmMode;
  }

  /** The ticket sent with methods that carry one (from the last accessRequest). */
  get ticket(): number {
    return this.core.ticket;
  }

  /** The queue last declared on this channel: what `''` names in queue arguments. */
  get lastQueue(): string {
    return this.core.lastQueue;
  }

  /** Tags of the consumers live on this channel. */
  get consumerTags(): string[] {
    return [...this.core.consumers.entries()].filter(([, c]) => c.active).map(([tag]) => tag);
  }

  /** Mandatory or immediate messages the broker sent back. Completes when the channel ends. */
  get returns$(): Observable<ReturnedMessage> {
    return this.core.returns$.asObservable();
  }

  /** Whether the server lets this channel publish (channel.flow); starts true. */
  get flow$(): Observable<boolean> {
    return this.core.flow$.asObservable();
  }

  /** 0-8 `channel.alert` notices. */
  get alerts$(): Observable<{ replyCode: number; replyText: string; details: object }> {
    return this.core.alerts$.asObservable();
  }

  /** Resolves when the channel ends, with the error that ended it (undefined: closed by us). */
  get closed(): Promise<Error | undefined> {
    return this.core.closed;
  }

  /** `access.request`: asks for a ticket for `realm`; it becomes the channel's default ticket. */
  accessRequest(realm: string, options: AccessRequestOptions = {}): Observable<number> {
    return basic.accessRequest(this.core, realm, options);
  }

  // ---- access, exchanges and queues (basic-methods.ts, exchange-queue.ts) --------------

  /** `exchange.declare`. */
  exchangeDeclare(exchange: string, type = 'direct', options: ExchangeDeclareOptions = {}): Observable<void> {
    return exchangeQueue.exchangeDeclare(this.core, exchange, type, options);
  }

  /** `exchange.delete`. */
  exchangeDelete(
    exchange: string,
    options: TicketOption & { ifUnused?: boolean; nowait?: boolean } = {},
  ): Observable<void> {
    return exchangeQueue.exchangeDelete(this.core, exchange, options);
  }

  /** `exchange.bind` (RabbitMQ extension, 0-9-1): routes from `source` to `destination`. */
  exchangeBind(destination: string, source: string, routingKey = '', options: BindOptions = {}): Observable<void> {
    return exchangeQueue.exchangeBind(this.core, destination, source, routingKey, options);
  }

  /** `exchange.unbind` (RabbitMQ extension, 0-9-1). */
  exchangeUnbind(destination: string, source: string, routingKey = '', options: BindOptions = {}): Observable<void> {
    return exchangeQueue.exchangeUnbind(this.core, destination, source, routingKey, options);
  }

  /** `queue.declare`; an empty name lets the server choose one. */
  queueDeclare(queue = '', options: QueueDeclareOptions = {}): Observable<QueueDeclareOk> {
    return exchangeQueue.queueDeclare(this.core, queue, options);
  }

  /** `queue.bind`. */
  queueBind(queue: string, exchange: string, routingKey = '', options: BindOptions = {}): Observable<void> {
    return exchangeQueue.queueBind(this.core, queue, exchange, routingKey, options);
  }

  /** `queue.unbind`. */
  queueUnbind(
    queue: string,
    exchange: string,
    routingKey = '',
    options: TicketOption & { arguments?: FieldTable } = {},
  ): Observable<void> {
    return exchangeQueue.queueUnbind(this.core, queue, exchange, routingKey, options);
  }

  /** `queue.purge`: emits how many messages were removed. */
  queuePurge(queue = '', options: TicketOption & { nowait?: boolean } = {}): Observable<number> {
    return exchangeQueue.queuePurge(this.core, queue, options);
  }

  /** `queue.delete`: emits how many messages were deleted with it. */
  queueDelete(
    queue = '',
    options: TicketOption & { ifUnused?: boolean; ifEmpty?: boolean; nowait?: boolean } = {},
  ): Observable<number> {
    return exchangeQueue.queueDelete(this.core, queue, options);
  }

  // ---- basic (basic-methods.ts, basic-consume.ts, publish-call.ts) --------------------

  /** `basic.qos`: at most `prefetchCount` unacknowledged deliveries (0: no limit). */
  basicQos(prefetchCount: number, options: { prefetchSize?: number; global?: boolean } = {}): Observable<void> {
    return basic.basicQos(this.core, prefetchCount, options);
  }

  /**
   * `basic.consume` as a stream: subscribing starts the consumer, unsubscribing cancels it
   * (`basic.cancel`; deliveries still in flight are requeued). A server `basic.cancel` (its
   * queue was deleted) ends the stream with `ConsumerCancelledError`; the channel closing
   * ends it with the channel's error, or completes it when the client closed it.
   */
  basicConsume(queue = '', options: ConsumeOptions = {}): Observable<D> {
    return consumers.basicConsume<D>(this.core, queue, options);
  }

  /** `basic.cancel` for a consumer tag; a consumer stream of this channel with it completes. */
  basicCancel(consumerTag: string): Observable<void> {
    return consumers.basicCancel(this.core, consumerTag);
  }

  /** `basic.get`: emits the next message of the queue, or null when it is empty. */
  basicGet(queue = '', options: TicketOption & { noAck?: boolean } = {}): Observable<D | null> {
    return basic.basicGet<D>(this.core, queue, options);
  }

  /**
   * `basic.publish`: written at once, no answer. In confirm mode it still takes a sequence
   * number (returned) so that `close()` waits for its confirm.
   *
   * It does not wait for anything: not for the socket to drain (`connection.writable$`), not
   * while the broker blocks the connection or pauses the channel (flow), and not behind
   * `publish()` calls that are waiting for those. A loop of basicPublish calls therefore grows
   * the output buffer as fast as it runs; pause while `connection.writable$` is false, or use
   * {@link publish} / `publishTo`, which wait.
   */
  basicPublish(message: Publishable, exchange = '', routingKey = '', options: PublishOptions = {}): number {
    const { mandatory, immediate } = options;
    return this.core.publish(
      publishable(message, options),
      exchange,
      routingKey,
      mandatory ?? false,
      immediate ?? false,
    );
  }

  /**
   * Publishes when subscribed and emits once settled: in confirm mode when the broker
   * confirmed it (errors with `PublishNackedError` on a nack, `MessageReturnedError` when a
   * mandatory message came back); otherwise once it is handed to the socket.
   *
   * It writes only when the socket takes more (`connection.writable$`), the server does not
   * block the connection (`connection.blocked`) and has not paused the channel (`channel.flow`);
   * otherwise it waits its turn, after the publishes that wait already, in subscription order.
   * So `mergeMap((m) => channel.publish(m))` keeps the bytes handed to the socket bounded.
   * Unsubscribing while it waits publishes nothing; the channel ending errors it.
   */
  publish(
    message: Publishable,
    exchange = '',
    routingKey = '',
    options: PublishOptions = {},
  ): Observable<PublishResult> {
    return publishOn(this.core, message, exchange, routingKey, options);
  }

  /** `basic.ack`. */
  basicAck(deliveryTag: number, multiple = false): void {
    this.core.settle(deliveryTag, 'ack', multiple, false);
  }

  /** `basic.nack` (RabbitMQ extension; `basic.reject` in 0-8, where `multiple` is not possible). */
  basicNack(deliveryTag: number, multiple = false, requeue = true): void {
    this.core.settle(deliveryTag, 'nack', multiple, requeue);
  }

  /** `basic.reject`. */
  basicReject(deliveryTag: number, requeue = true): void {
    this.core.settle(deliveryTag, 'reject', false, requeue);
  }

  /** `basic.recover`: redeliver unacknowledged messages (requeued when `requeue`). */
  basicRecover(requeue = true): Observable<void> {
    return basic.basicRecover(this.core, requeue);
  }

  // ---- tx, confirm, flow (basic-methods.ts) ------------------------------------------

  /** `tx.select`. */
  txSelect(): Observable<void> {
    return basic.txSelect(this.core);
  }

  /** `tx.commit`. */
  txCommit(): Observable<void> {
    return basic.txCommit(this.core);
  }

  /** `tx.rollback`. */
  txRollback(): Observable<void> {
    return basic.txRollback(this.core);
  }

  /** `confirm.select` (RabbitMQ extension, 0-9-1): publisher confirms from now on. */
  confirmSelect(options: { nowait?: boolean } = {}): Observable<void> {
    return basic.confirmSelect(this.core, options);
  }

  /** `channel.flow`: asks the server to pause (false) or resume (true) deliveries. */
  flow(active: boolean): Observable<boolean> {
    return basic.flow(this.core, active);
  }

  // ---- lifecycle ---------------------------------------------------------------------

  /**
   * Closes the channel: waits for outstanding confirms, then `channel.close` / `close-ok`.
   * Starts at once; the Promise settles when the channel is closed, at the latest after the
   * connection's `closeTimeout`. When that passes first (confirms or close-ok never came),
   * the channel ends anyway, as a client close: the Promise resolves (as `connection.close()`
   * does after its own timeout), consumers and side streams complete, unconfirmed publishes
   * fail with `NotOpenError`, and its number is not reused until the server confirms the
   * close or the connection ends (`channel(id)` of it fails meanwhile; a channel without an id
   * gets another number).
   */
  close(): Promise<void> {
    return this.core.close();
  }

  /** `await using` support. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

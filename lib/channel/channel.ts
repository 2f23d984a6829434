import { Observable } from 'rxjs';
import type { FieldTable } from '../protocol/field-types';
import { queueArguments, streamOffsetArgument, type QueueFeatures, type StreamOffset } from './queue-arguments';
import { streamFilterArguments, streamFilterMatcher, withFilterValue, type StreamFilterOptions } from './stream-filter';
import { UnsupportedError } from './errors';
import type { Delivery, ReturnedMessage } from '../delivery';
import { Message } from '../message';
import type { ChannelCore, ConsumerHandle } from './channel-core';
import { PublishCall, type PublishResult } from './publish-call';
import type { Connection } from '../connection/connection';

/**
 * Permissions asked for by {@link Channel.accessRequest} (0-8 access tickets). Each one left
 * out is false, as in py-amqplib's `access_request` (not the spec's defaults, which ask for
 * passive, active, write and read access).
 */
export interface AccessRequestOptions {
  exclusive?: boolean;
  passive?: boolean;
  active?: boolean;
  write?: boolean;
  read?: boolean;
}

/** Options every method that carries a ticket accepts. */
export interface TicketOption {
  /** Access ticket; default: the one from the last accessRequest on this channel. */
  ticket?: number;
}

/** Options of {@link Channel.exchangeDeclare}. Defaults follow the AMQP spec (all false). */
export interface ExchangeDeclareOptions extends TicketOption {
  passive?: boolean;
  durable?: boolean;
  autoDelete?: boolean;
  internal?: boolean;
  nowait?: boolean;
  arguments?: FieldTable;
}

/** Options of {@link Channel.queueDeclare}. Defaults follow the AMQP spec (all false). */
export interface QueueDeclareOptions extends TicketOption, QueueFeatures {
  passive?: boolean;
  durable?: boolean;
  exclusive?: boolean;
  autoDelete?: boolean;
  nowait?: boolean;
  arguments?: FieldTable;
}

/** The answer to queue.declare. */
export interface QueueDeclareOk {
  /** The queue's name (the server's choice when the request named none). */
  queue: string;
  messageCount: number;
  consumerCount: number;
}

/** Options of bind/unbind methods. */
export interface BindOptions extends TicketOption {
  nowait?: boolean;
  arguments?: FieldTable;
}

/** Options of {@link Channel.basicConsume}. */
export interface ConsumeOptions extends TicketOption, StreamFilterOptions {
  /** Client-chosen tag; default: the server picks one. */
  consumerTag?: string;
  noLocal?: boolean;
  /** The broker considers messages acknowledged on delivery. */
  noAck?: boolean;
  exclusive?: boolean;
  /** Send basic.consume without waiting for consume-ok (needs `consumerTag`). */
  nowait?: boolean;
  arguments?: FieldTable;
  /** Called with the consumer tag once the broker has registered the consumer (consume-ok). */
  onStarted?: (consumerTag: string) => void;
  /**
   * Streams: where to start reading (`x-stream-offset`): `'first'`, `'last'`, `'next'`, an
   * offset, or a Date. Stream consumers need a prefetch (basic.qos) and acknowledgements.
   */
  offset?: StreamOffset;
  /** `x-priority`: consumers with a higher priority get messages first. */
  priority?: number;
  /**
   * `x-consumer-timeout`: ms this consumer may hold a delivery unacknowledged (wins over the
   * queue's and the broker's setting). RabbitMQ 3.12+ (3.11.15+); from 4.3 quorum queues only.
   */
  consumerTimeout?: number;
}

/** Options of {@link Channel.basicPublish} and {@link Channel.publish}. */
export interface PublishOptions {
  /** Return the message if no queue is bound for it. */
  mandatory?: boolean;
  /** Return the message if no consumer can take it at once (not supported by RabbitMQ). */
  immediate?: boolean;
  /**
   * Stream filtering (RabbitMQ 3.13+): sent as the message's `x-stream-filter-value` header,
   * which consumers select with `filter`. For `publishTo`, tag messages with `withFilterValue`.
   */
  filterValue?: string;
}

export type { PublishResult } from './publish-call';

/** A message body as accepted by the publish methods: a Message, a string or bytes. */
export type Publishable = Message | string | Uint8Array;

/**
 * An AMQP channel. Methods the server answers return a cold Observable that sends the method
 * when subscribed and emits the reply once; methods the server never answers are written at
 * once and return nothing. One synchronous method is outstanding at a time; the others wait
 * their turn in order.
 */
export class Channel {
  /** @internal The channel's protocol state; for the operators, not part of the public API. */
  readonly core: ChannelCore;

  /** @internal Channels come from `Connection.channel()` / `openChannel()`. */
  constructor(core: ChannelCore) {
    this.core = core;
  }

  /** The channel number. */
  get id(): number {
    return this.core.id;
  }

  /** The connection the channel belongs to. */
  get connection(): Connection {
    return this.core.host.api as Connection;
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

  // ---- access (0-8 tickets) ----------------------------------------------------------

  /** `access.request`: asks for a ticket for `realm`; it becomes the channel's default ticket. */
  accessRequest(realm: string, options: AccessRequestOptions = {}): Observable<number> {
    const { exclusive = false, passive = false, active = false, write = false, read = false } = options;
    return this.request('access.request', { realm, exclusive, passive, active, write, read }, false, (a) => {
      const ticket = (a as { ticket: number }).ticket;
      this.core.ticket = ticket;
      return ticket;
    });
  }

  // ---- exchanges ---------------------------------------------------------------------

  /** `exchange.declare`. */
  exchangeDeclare(exchange: string, type = 'direct', options: ExchangeDeclareOptions = {}): Observable<void> {
    return this.request('exchange.declare', { ...this.ticketed(options), exchange, type }, !!options.nowait, () => {
      this.core.host.topology.noteDeclared('exchange', exchange);
    });
  }

  /** `exchange.delete`. */
  exchangeDelete(
    exchange: string,
    options: TicketOption & { ifUnused?: boolean; nowait?: boolean } = {},
  ): Observable<void> {
    return this.request('exchange.delete', { ...this.ticketed(options), exchange }, !!options.nowait, () => {
      this.core.host.topology.noteDeleted('exchange', exchange);
    });
  }

  /** `exchange.bind` (RabbitMQ extension, 0-9-1): routes from `source` to `destination`. */
  exchangeBind(destination: string, source: string, routingKey = '', options: BindOptions = {}): Observable<void> {
    return this.request(
      'exchange.bind',
      { ...this.ticketed(options), destination, source, routingKey },
      !!options.nowait,
      () => {
        this.core.host.topology.noteDeclared('exchange-binding', destination, source, routingKey);
      },
    );
  }

  /** `exchange.unbind` (RabbitMQ extension, 0-9-1). */
  exchangeUnbind(destination: string, source: string, routingKey = '', options: BindOptions = {}): Observable<void> {
    return this.request(
      'exchange.unbind',
      { ...this.ticketed(options), destination, source, routingKey },
      !!options.nowait,
      () => {
        this.core.host.topology.noteDeleted('exchange-binding', destination, source, routingKey);
      },
    );
  }

  // ---- queues ------------------------------------------------------------------------

  /** `queue.declare`; an empty name lets the server choose one. */
  queueDeclare(queue = '', options: QueueDeclareOptions = {}): Observable<QueueDeclareOk> {
    // The encoder reads only the method's own fields; the typed features go into `arguments`.
    const args = { ...this.ticketed(options), queue, arguments: queueArguments(options, options.arguments) };
    return this.request('queue.declare', args, !!options.nowait, (a) => {
      const ok = options.nowait ? { queue, messageCount: 0, consumerCount: 0 } : (a as QueueDeclareOk);
      this.core.lastQueue = ok.queue;
      this.core.host.topology.noteDeclared('queue', ok.queue);
      return { queue: ok.queue, messageCount: ok.messageCount, consumerCount: ok.consumerCount };
    });
  }

  /** `queue.bind`. */
  queueBind(queue: string, exchange: string, routingKey = '', options: BindOptions = {}): Observable<void> {
    return this.request(
      'queue.bind',
      { ...this.ticketed(options), queue, exchange, routingKey },
      !!options.nowait,
      () => {
        this.core.host.topology.noteDeclared('queue-binding', queue || this.core.lastQueue, exchange, routingKey);
      },
    );
  }

  /** `queue.unbind`. */
  queueUnbind(
    queue: string,
    exchange: string,
    routingKey = '',
    options: TicketOption & { arguments?: FieldTable } = {},
  ): Observable<void> {
    return this.request('queue.unbind', { ...this.ticketed(options), queue, exchange, routingKey }, false, () => {
      this.core.host.topology.noteDeleted('queue-binding', queue || this.core.lastQueue, exchange, routingKey);
    });
  }

  /** `queue.purge`: emits how many messages were removed. */
  queuePurge(queue = '', options: TicketOption & { nowait?: boolean } = {}): Observable<number> {
    return this.request('queue.purge', { ...this.ticketed(options), queue }, !!options.nowait, messageCount);
  }

  /** `queue.delete`: emits how many messages were deleted with it. */
  queueDelete(
    queue = '',
    options: TicketOption & { ifUnused?: boolean; ifEmpty?: boolean; nowait?: boolean } = {},
  ): Observable<number> {
    return this.request('queue.delete', { ...this.ticketed(options), queue }, !!options.nowait, (a) => {
      this.core.host.topology.noteDeleted('queue', queue || this.core.lastQueue);
      return messageCount(a);
    });
  }

  // ---- basic -------------------------------------------------------------------------

  /** `basic.qos`: at most `prefetchCount` unacknowledged deliveries (0: no limit). */
  basicQos(prefetchCount: number, options: { prefetchSize?: number; global?: boolean } = {}): Observable<void> {
    return this.request(
      'basic.qos',
      { prefetchCount, prefetchSize: options.prefetchSize ?? 0, global: options.global ?? false },
      false,
      noValue,
    );
  }

  /**
   * `basic.consume` as a stream: subscribing starts the consumer, unsubscribing cancels it
   * (`basic.cancel`; deliveries still in flight are requeued). A server `basic.cancel` (its
   * queue was deleted) ends the stream with `ConsumerCancelledError`; the channel closing
   * ends it with the channel's error, or completes it when the client closed it.
   */
  basicConsume(queue = '', options: ConsumeOptions = {}): Observable<Delivery> {
    const core = this.core;
    return new Observable<Delivery>((subscriber) => {
      if (options.nowait && !options.consumerTag) {
        // The server would pick a tag it never tells: its deliveries could not be routed here.
        subscriber.error(new TypeError('basicConsume with nowait needs a consumerTag'));
        return;
      }
      const noAck = options.noAck ?? false;
      let tag: string | undefined;
      let left = false;
      // Set once the consumer is gone on the server's side (cancelled, or the channel ended).
      let ended = false;
      const handle: ConsumerHandle = {
        noAck,
        queue,
        active: true,
        deliver: (d) => (wanted && !wanted(d) ? skipUnwanted(d) : subscriber.next(d)),
        end: (error) => {
          ended = true;
          if (error) subscriber.error(error);
          else subscriber.complete();
        },
      };
      const register = (consumerTag: string) => {
        tag = consumerTag;
        core.consumers.set(consumerTag, handle);
        if (left) this.cancelConsumer(consumerTag);
        else options.onStarted?.(consumerTag);
      };
      const {
        onStarted: _onStarted,
        offset,
        priority,
        consumerTimeout,
        filter,
        matchUnfiltered,
        ...consumeOptions
      } = options;
      let extra: FieldTable;
      let wanted: ReturnType<typeof streamFilterMatcher>;
      try {
        extra = streamFilterArguments({ filter, matchUnfiltered });
        wanted = streamFilterMatcher({ filter, matchUnfiltered });
      } catch (e) {
        subscriber.error(e);
        return;
      }
      if (consumerTimeout !== undefined) extra['x-consumer-timeout'] = consumerTimeout;
      if (offset !== undefined) extra['x-stream-offset'] = streamOffsetArgument(offset);
      if (priority !== undefined) extra['x-priority'] = priority;
      const consumeArguments = Object.keys(extra).length ? { ...options.arguments, ...extra } : options.arguments;
      const args = {
        ...this.ticketed(consumeOptions),
        queue,
        consumerTag: options.consumerTag ?? '',
        arguments: consumeArguments,
      };
      const call = core.call(
        'basic.consume',
        args,
        !!options.nowait,
        (_reply, ok) => register(options.nowait ? args.consumerTag : (ok as { consumerTag: string }).consumerTag),
        (e) => subscriber.error(e),
      );
      return () => {
        left = true;
        handle.active = false;
        if (ended) return;
        if (tag !== undefined) this.cancelConsumer(tag);
        else if (!call.sent) core.rpc.withdraw(call);
      };
    });
  }

  /** `basic.cancel` for a consumer tag; a consumer stream of this channel with it completes. */
  basicCancel(consumerTag: string): Observable<void> {
    return this.request('basic.cancel', { consumerTag }, false, () => {
      const handle = this.core.consumers.get(consumerTag);
      this.core.consumers.delete(consumerTag);
      handle?.end();
    });
  }

  private cancelConsumer(tag: string): void {
    if (this.core.state !== 'open') return;
    this.core.call(
      'basic.cancel',
      { consumerTag: tag },
      false,
      () => this.core.consumers.delete(tag),
      () => undefined,
    );
  }

  /** `basic.get`: emits the next message of the queue, or null when it is empty. */
  basicGet(queue = '', options: TicketOption & { noAck?: boolean } = {}): Observable<Delivery | null> {
    return this.request(
      'basic.get',
      { ...this.ticketed(options), queue, noAck: options.noAck ?? false },
      false,
      (_a, content) => (content as Delivery | undefined) ?? null,
    );
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
    return this.core.publish(
      publishable(message, options),
      exchange,
      routingKey,
      options.mandatory ?? false,
      options.immediate ?? false,
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
    const core = this.core;
    const msg = publishable(message, options);
    const mandatory = options.mandatory ?? false;
    const immediate = options.immediate ?? false;
    return new Observable<PublishResult>((subscriber) => {
      const call = new PublishCall(core, subscriber, msg, exchange, routingKey, mandatory, immediate);
      if (core.canPublish) {
        call.write(); // the hot path: nothing waits, write now (a throw errors the subscriber)
        return;
      }
      core.whenPublishable(call);
      return () => core.cancelPublish(call);
    });
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
    if (this.core.host.protocol === '0-8') {
      // 0-8's basic.recover (60/100) has no reply.
      return this.request('basic.recover-async', { requeue }, true, noValue);
    }
    return this.request('basic.recover', { requeue }, false, noValue);
  }

  // ---- tx, confirm, flow -------------------------------------------------------------

  /** `tx.select`. */
  txSelect(): Observable<void> {
    return this.request('tx.select', {}, false, () => {
      this.core.txMode = true;
    });
  }

  /** `tx.commit`. */
  txCommit(): Observable<void> {
    return this.request('tx.commit', {}, false, noValue);
  }

  /** `tx.rollback`. */
  txRollback(): Observable<void> {
    return this.request('tx.rollback', {}, false, noValue);
  }

  /** `confirm.select` (RabbitMQ extension, 0-9-1): publisher confirms from now on. */
  confirmSelect(options: { nowait?: boolean } = {}): Observable<void> {
    if (this.core.host.protocol === '0-8') {
      return new Observable((s) => s.error(new UnsupportedError('publisher confirms do not exist in AMQP 0-8')));
    }
    return this.request('confirm.select', { nowait: options.nowait ?? false }, !!options.nowait, () => {
      this.core.confirmMode = true;
    });
  }

  /** `channel.flow`: asks the server to pause (false) or resume (true) deliveries. */
  flow(active: boolean): Observable<boolean> {
    return this.request('channel.flow', { active }, false, (a) => (a as { active: boolean }).active);
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

  private ticketed<T extends TicketOption>(options: T): T & { ticket: number } {
    return { ...options, ticket: options.ticket ?? this.core.ticket };
  }

  private request<T>(
    name: string,
    args: object,
    noReply: boolean,
    project: (args: object, content?: unknown) => T,
  ): Observable<T> {
    const core = this.core;
    return new Observable<T>((subscriber) => {
      let settled = false;
      const call = core.call(
        name,
        args,
        noReply,
        (_reply, replyArgs, content) => {
          settled = true;
          let value: T;
          try {
            value = project(replyArgs, content);
          } catch (e) {
            subscriber.error(e);
            return;
          }
          subscriber.next(value);
          subscriber.complete();
        },
        (e) => {
          settled = true;
          subscriber.error(e);
        },
      );
      return () => {
        if (settled) return;
        if (!core.rpc.withdraw(call)) call.abandoned = true;
      };
    });
  }
}

function noValue(): void {
  return undefined;
}

function messageCount(a: object): number {
  return (a as { messageCount?: number }).messageCount ?? 0;
}

/**
 * A delivery that the broker's Bloom filter let through but the consumer's stream filter does
 * not want: acknowledged (streams cannot be rejected) so that it does not hold the prefetch.
 */
function skipUnwanted(delivery: Delivery): void {
  try {
    if (!delivery.noAck) delivery.ack();
  } catch {
    // Writing the ack failed: the channel is failing and says so to the consumer itself.
  }
}

/** The Message a publish sends: with `filterValue`, tagged for stream filtering. */
function publishable(message: Publishable, options: PublishOptions): Message {
  return options.filterValue === undefined ? toMessage(message) : withFilterValue(message, options.filterValue);
}

/** A Message from any publishable value. */
export function toMessage(m: Publishable): Message {
  return m instanceof Message ? m : new Message(m);
}

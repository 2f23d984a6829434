import { Message, type MessageProperties } from './message';
import { UnsupportedError } from './channel/errors';

/** Where a delivery came from and how to settle it; implemented by the channel. */
export interface DeliverySettler {
  /** Writes basic.ack / basic.nack / basic.reject unless the channel began to close; false then. */
  settle(deliveryTag: number, kind: 'ack' | 'nack' | 'reject', multiple: boolean, requeue: boolean): boolean;
  /** Queues an ack for the channel's next batch; false once the channel began to close. */
  queueAck(deliveryTag: number): boolean;
  /** Writes the queued acks now. */
  flushAcks(): void;
  /** True once the channel is gone: the broker has requeued what was unsettled. */
  readonly isGone?: boolean;
}

/**
 * Makes the deliveries of one channel core, settled by that core: its public Channel, which
 * the deliveries name as their `channel` (see lib/facades.ts). The Channel hands itself to the
 * core when it is created, so that the channel layer never names the public classes.
 */
export interface DeliveryFactory {
  /** A delivery of `basic.deliver` (with `consumerTag`) or `basic.get-ok` (with `messageCount`). */
  createDelivery(
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
    consumerTag: string | undefined,
    messageCount: number | undefined,
    noAck: boolean,
    body: Buffer,
    properties: MessageProperties,
  ): DeliveryBase;
}

// The public Delivery (lib/facades.ts) adds the getter `channel` to this base, whose type names
// the Delivery back; the channel layer works with the base. The base holds the channel as an
// opaque `C`, so the Delivery does not repeat the constructor (measured: no faster or slower).

/**
 * Every member of a `Delivery` but `channel`: what `basic.deliver` / `basic.get-ok` carried,
 * and settling it. `C` is the type of the channel it arrived on.
 */
export abstract class DeliveryBase<C = unknown> extends Message {
  /** The channel-scoped tag that settles this message. */
  readonly deliveryTag: number;
  /** Whether the broker delivered it before (it was requeued). */
  readonly redelivered: boolean;
  /** The exchange the message was published to (`''`: the default exchange). */
  readonly exchange: string;
  /** The routing key it was published with. */
  readonly routingKey: string;
  /** Set for consumer deliveries. */
  readonly consumerTag: string | undefined;
  /** Set for `basicGet`: messages left in the queue. */
  readonly messageCount: number | undefined;
  /** Whether the broker wants no acknowledgement (noAck consumer or get). */
  readonly noAck: boolean;
  private settled: boolean;
  /** @internal */
  readonly settler: DeliverySettler;
  /** @internal The channel it arrived on; undefined for testing's `delivery()`. */
  readonly arrivedOn: C | undefined;

  /** @internal Created by the channel. */
  constructor(
    arrivedOn: C | undefined,
    settler: DeliverySettler,
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
    consumerTag: string | undefined,
    messageCount: number | undefined,
    noAck: boolean,
    body: Buffer,
    properties: MessageProperties,
  ) {
    super(body, properties);
    this.arrivedOn = arrivedOn;
    this.settler = settler;
    this.deliveryTag = deliveryTag;
    this.redelivered = redelivered;
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.consumerTag = consumerTag;
    this.messageCount = messageCount;
    this.noAck = noAck;
    this.settled = noAck;
  }

  /** For stream deliveries: the message's offset in the stream (`x-stream-offset`). */
  get streamOffset(): number | bigint | undefined {
    const v = this.properties.headers?.['x-stream-offset'];
    return typeof v === 'number' || typeof v === 'bigint' ? v : undefined;
  }

  /**
   * How often the broker delivered it before: quorum queues count deliveries in the
   * `x-delivery-count` header (RabbitMQ 3.10+; since 4.0 they dead-letter or drop a message
   * after 20 by default, see `deliveryLimit`). 0 on a first delivery and when the header is
   * absent (classic queues and streams do not count; use {@link redelivered} there).
   */
  get deliveryCount(): number {
    const v = this.properties.headers?.['x-delivery-count'];
    if (typeof v === 'bigint') return Number(v);
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
  }

  /** Whether it has been acked, nacked or rejected (always true for noAck deliveries). */
  get isSettled(): boolean {
    return this.settled;
  }

  /**
   * Acknowledges it (`multiple`: and every earlier unsettled delivery of the channel). True
   * when `basic.ack` was written; false (nothing written) when it was settled already or its
   * channel began to close. The same holds for {@link nack} and {@link reject}.
   */
  ack(multiple = false): boolean {
    return this.settle('ack', multiple, false);
  }

  /**
   * Rejects it, requeued by default (`basic.nack`; `basic.reject` in 0-8). Stream deliveries
   * cannot be rejected (RabbitMQ would close the connection): that is an `UnsupportedError`.
   */
  nack(requeue = true, multiple = false): boolean {
    this.refuseOnStream('nack');
    return this.settle('nack', multiple, requeue);
  }

  /** Rejects it (`basic.reject`), requeued by default. Not for stream deliveries (see {@link nack}). */
  reject(requeue = true): boolean {
    this.refuseOnStream('reject');
    return this.settle('reject', false, requeue);
  }

  private refuseOnStream(what: string): void {
    if (this.streamOffset !== undefined && !this.settled) {
      throw new UnsupportedError(
        `a stream delivery cannot be ${what}ed: streams keep every message; ack it and move on`,
      );
    }
  }

  /**
   * Marks it settled and queues its ack for the channel's next batch (see `ackEach`); the
   * batch is written by `flushAcks()` on the channel, at the latest before the channel closes.
   * False if it was settled already or the channel is gone.
   */
  ackLater(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return this.settler.queueAck(this.deliveryTag);
  }

  /** @internal Marks it settled by a `multiple` settle of a later tag. */
  markSettled(): void {
    this.settled = true;
  }

  private settle(kind: 'ack' | 'nack' | 'reject', multiple: boolean, requeue: boolean): boolean {
    if (this.settled) return false;
    this.settled = true;
    try {
      return this.settler.settle(this.deliveryTag, kind, multiple, requeue);
    } catch (e) {
      this.settled = false; // nothing was written (e.g. a multiple reject in 0-8)
      throw e;
    }
  }
}

/** A message the broker could not route and sent back (`basic.return`). */
export class ReturnedMessage extends Message {
  constructor(
    readonly replyCode: number,
    readonly replyText: string,
    readonly exchange: string,
    readonly routingKey: string,
    body: Buffer,
    properties: MessageProperties,
  ) {
    super(body, properties);
  }
}

// The public Connection, Channel and Delivery, tied in one file because their types name each
// other: `delivery.channel` is a Channel, whose `basicConsume()` emits Deliveries and whose
// `connection` is the Connection, whose `openChannel()` resolves to a Channel. Everything else
// of them lives in generic bases below (`ConnectionBase<C>`, `ChannelBase<D>`, `DeliveryBase`),
// which name none of them; this file only closes the knot, so lib/ has no import cycle. Whoever
// creates a core hands it its facade: the Connection makes the Channel of each channel core it
// opens, and the Channel makes its core's deliveries (see ARCHITECTURE.md, "Layers").
import { ChannelBase } from './channel/channel';
import type { ChannelCore } from './channel/channel-core';
import { ConnectionBase } from './connection/connection';
import { DeliveryBase } from './delivery';
import type { MessageProperties } from './message';

/**
 * A {@link Message} the broker delivered (`basic.deliver`) or handed out (`basic.get-ok`), with
 * the means to settle it. Settling is idempotent: the first `ack`/`nack`/`reject` wins and later
 * calls do nothing, so a message is never acknowledged twice (which the broker punishes with
 * a channel error). Settling once its channel began to close (`channel.close()` or
 * `connection.close()` was called, or the server closed it) writes nothing and returns false:
 * the broker discards what follows a close and requeues the message, and its tag means
 * nothing on any other channel.
 */
export class Delivery extends DeliveryBase<Channel> {
  /** The channel it arrived on. */
  get channel(): Channel {
    if (this.arrivedOn === undefined) throw new Error('a delivery() made outside a fakeChannel has no channel');
    return this.arrivedOn;
  }
}

/**
 * An AMQP channel. Methods the server answers return a cold Observable that sends the method
 * when subscribed and emits the reply once; methods the server never answers are written at
 * once and return nothing. One synchronous method is outstanding at a time; the others wait
 * their turn in order.
 */
export class Channel extends ChannelBase<Delivery> {
  private readonly owner: Connection;

  /** @internal Channels come from `Connection.channel()` / `openChannel()`. */
  constructor(core: ChannelCore, connection: Connection) {
    super(core);
    this.owner = connection;
  }

  /** The connection the channel belongs to. */
  get connection(): Connection {
    return this.owner;
  }

  /** @internal DeliveryFactory: the core's deliveries, settled by the core, on this channel. */
  override createDelivery(
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
    consumerTag: string | undefined,
    messageCount: number | undefined,
    noAck: boolean,
    body: Buffer,
    properties: MessageProperties,
  ): Delivery {
    return new Delivery(
      this,
      this.core,
      deliveryTag,
      redelivered,
      exchange,
      routingKey,
      consumerTag,
      messageCount,
      noAck,
      body,
      properties,
    );
  }
}

/**
 * An open AMQP connection, as emitted by `connect()` or resolved by `open()`.
 * Channels come from {@link channel} (a cold Observable) or {@link openChannel} (a Promise).
 */
export class Connection extends ConnectionBase<Channel> {
  /** @internal */
  protected override channelOf(core: ChannelCore): Channel {
    return new Channel(core, this);
  }
}

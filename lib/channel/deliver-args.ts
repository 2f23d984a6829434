import { FrameSyntaxError } from '../protocol/errors';
import { ShortStringMemo, type Reader } from '../protocol/reader';

/**
 * The arguments of the basic.deliver being received, decoded in place.
 *
 * Why by hand rather than with the generic decoder (`decodeArgs`): basic.deliver is the one
 * method frame of every consumed message, so it is on the consume hot path. `decodeArgs` walks
 * the method's field list and returns a new object per method; this reads the five arguments
 * (consumer-tag, delivery-tag, redelivered, exchange, routing-key; the same layout in 0-8 and
 * 0-9-1) into the fields of one object that the channel reuses for every delivery. The three
 * strings mostly repeat from one delivery to the next, so each is compared with the last one
 * read there before it is decoded (`Reader.shortstrAgain`).
 */
export class DeliverArgs {
  consumerTag = '';
  deliveryTag = 0;
  redelivered = false;
  exchange = '';
  routingKey = '';
  private readonly seenConsumerTag = new ShortStringMemo();
  private readonly seenExchange = new ShortStringMemo();
  private readonly seenRoutingKey = new ShortStringMemo();

  /** Reads the arguments from `r`'s position; they must end exactly at `end`. */
  read(r: Reader, end: number): void {
    this.consumerTag = r.shortstrAgain(this.seenConsumerTag);
    this.deliveryTag = r.longlongNumber('delivery tag');
    this.redelivered = (r.octet() & 1) !== 0;
    this.exchange = r.shortstrAgain(this.seenExchange);
    this.routingKey = r.shortstrAgain(this.seenRoutingKey);
    if (r.pos !== end) throw new FrameSyntaxError(`basic.deliver: ${end - r.pos} bytes after the last argument`);
  }
}

import type { DeliverySettler } from '../delivery';
import { Delivery } from '../facades';
import { Message, type MessageProperties } from '../message';

/** Fields of a test delivery; all optional. */
export interface DeliveryFields {
  deliveryTag?: number;
  redelivered?: boolean;
  exchange?: string;
  routingKey?: string;
  consumerTag?: string;
  messageCount?: number;
  noAck?: boolean;
  /**
   * Sets the `x-delivery-count` header that {@link Delivery.deliveryCount} reads (as a
   * quorum queue would on a redelivery); `redelivered` defaults to `deliveryCount > 0`.
   */
  deliveryCount?: number;
  properties?: MessageProperties;
}

/** What a standalone delivery's ack/nack/reject did, for assertions. */
export interface SettleRecord {
  kind: 'ack' | 'nack' | 'reject';
  deliveryTag: number;
  multiple: boolean;
  requeue: boolean;
}

/**
 * A standalone settler: records settles instead of writing frames. Deliveries made by
 * {@link delivery} use one; `fakeChannel` re-issues them on its own channel instead.
 */
class RecordingSettler implements DeliverySettler {
  readonly records: SettleRecord[] = [];
  private queued: number[] = [];
  settle(deliveryTag: number, kind: 'ack' | 'nack' | 'reject', multiple: boolean, requeue: boolean): boolean {
    this.records.push({ kind, deliveryTag, multiple, requeue });
    return true;
  }
  queueAck(deliveryTag: number): boolean {
    this.queued.push(deliveryTag);
    return true;
  }
  flushAcks(): void {
    for (const tag of this.queued.splice(0))
      this.records.push({ kind: 'ack', deliveryTag: tag, multiple: false, requeue: false });
  }
}

let nextTag = 1;

/**
 * Makes a Delivery for tests: a body (string or bytes, or a Message) and optional fields. On
 * its own its ack/nack/reject are recorded in `settles(delivery)`; given to a `fakeChannel`
 * (as a value of a marble), the channel delivers a copy that settles on the fake channel.
 */
export function delivery(body: string | Uint8Array | Message = '', fields: DeliveryFields = {}): Delivery {
  const message = body instanceof Message ? body : new Message(body, fields.properties);
  const merged = body instanceof Message ? { ...message.properties, ...fields.properties } : message.properties;
  const count = fields.deliveryCount;
  const properties =
    count === undefined ? merged : { ...merged, headers: { ...merged.headers, 'x-delivery-count': count } };
  return new Delivery(
    undefined,
    new RecordingSettler(),
    fields.deliveryTag ?? nextTag++,
    fields.redelivered ?? (count !== undefined && count > 0),
    fields.exchange ?? '',
    fields.routingKey ?? '',
    fields.consumerTag,
    fields.messageCount,
    fields.noAck ?? false,
    message.body,
    properties,
  );
}

/** The acks, nacks and rejects of a delivery made by {@link delivery}. */
export function settles(d: Delivery): readonly SettleRecord[] {
  const s = d.settler;
  if (!(s instanceof RecordingSettler))
    throw new TypeError('settles() reads deliveries made by delivery(); use the fake channel’s acks$ for others');
  return s.records;
}

import type { DeliveryBase } from '../delivery';

/** A consumer registered on the channel (by `basic.consume`), under its consumer tag. */
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

/** The consumers of a channel by consumer tag. */
export type Consumers = Map<string, ConsumerHandle>;

/**
 * Hands a basic.deliver's delivery to the consumer of its tag. One that arrives after the
 * subscriber left goes back to the queue (streams cannot requeue; their consumers read by
 * offset, so an ack just releases the credit); one for an unknown tag is left unsettled.
 */
export function handOver(consumer: ConsumerHandle | undefined, delivery: DeliveryBase): void {
  if (consumer?.active) consumer.deliver(delivery);
  else if (consumer && !delivery.noAck) {
    if (delivery.streamOffset === undefined) delivery.reject(true);
    else delivery.ack();
  }
}

/** Ends every consumer of a finished channel (with its error, or completes them) and forgets them. */
export function endConsumers(consumers: Consumers, error: Error | undefined): void {
  const ended = [...consumers.values()];
  consumers.clear();
  for (const c of ended) c.end(error);
}

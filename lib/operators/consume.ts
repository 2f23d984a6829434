import { switchMap, type OperatorFunction } from 'rxjs';
import { endOnRecoverable } from '../connection/recovery';
import type { Channel, ConsumeOptions } from '../channel/channel';
import type { Delivery } from '../delivery';
import { queueName, type QueueName } from './perform';

/**
 * Consumes `queue` ('' = the queue last declared on the channel) on each Channel that
 * arrives, switching to the newest channel after a reconnect. Unsubscribing cancels the
 * consumer (`basic.cancel`); unacknowledged deliveries go back to the queue when the channel
 * closes.
 */
export function consume(queue: QueueName = '', options: ConsumeOptions = {}): OperatorFunction<Channel, Delivery> {
  return switchMap((channel) => channel.basicConsume(queueName(queue, channel), options).pipe(endOnRecoverable()));
}

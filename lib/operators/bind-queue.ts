import type { MonoTypeOperatorFunction } from 'rxjs';
import type { BindOptions, Channel } from '../channel/channel';
import { perform, queueName, type QueueName } from './perform';

/** Binds a queue ('' = the last declared on the channel) to an exchange on each channel. */
export function bindQueue(queue: QueueName, exchange: string, routingKey = '', options: BindOptions = {}): MonoTypeOperatorFunction<Channel> {
  return perform((ch) => ch.queueBind(queueName(queue, ch), exchange, routingKey, options));
}

import { EMPTY, type MonoTypeOperatorFunction } from 'rxjs';
import type { BindOptions } from '../channel/channel-options';
import type { Channel } from '../facades';
import { perform, queueName, type QueueName } from './perform';

/**
 * Binds a queue ('' = the last declared on the channel) to an exchange on each channel;
 * after a reconnect, not if the application has unbound or deleted either side meanwhile.
 */
export function bindQueue(
  queue: QueueName,
  exchange: string,
  routingKey = '',
  options: BindOptions = {},
): MonoTypeOperatorFunction<Channel> {
  return perform((ch) => {
    const q = queueName(queue, ch);
    const topology = ch.core.host.topology;
    const gone =
      topology.isDeleted('queue-binding', q, exchange, routingKey) ||
      topology.isDeleted('queue', q) ||
      topology.isDeleted('exchange', exchange);
    return gone ? EMPTY : ch.queueBind(q, exchange, routingKey, options);
  });
}

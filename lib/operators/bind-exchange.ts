import { EMPTY, type MonoTypeOperatorFunction } from 'rxjs';
import type { BindOptions } from '../channel/channel-options';
import type { Channel } from '../facades';
import { perform } from './perform';

/** Binds exchange `destination` to `source` on each channel (RabbitMQ extension). */
export function bindExchange(
  destination: string,
  source: string,
  routingKey = '',
  options: BindOptions = {},
): MonoTypeOperatorFunction<Channel> {
  return perform((ch) => {
    const topology = ch.core.host.topology;
    const gone =
      topology.isDeleted('exchange-binding', destination, source, routingKey) ||
      topology.isDeleted('exchange', destination) ||
      topology.isDeleted('exchange', source);
    return gone ? EMPTY : ch.exchangeBind(destination, source, routingKey, options);
  });
}

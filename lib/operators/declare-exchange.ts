import { EMPTY, type MonoTypeOperatorFunction } from 'rxjs';
import type { ExchangeDeclareOptions } from '../channel/channel-options';
import type { Channel } from '../facades';
import { perform } from './perform';

/**
 * Declares an exchange on each channel, then passes the channel on; after a reconnect, not
 * if the application has deleted it meanwhile.
 */
export function declareExchange(
  exchange: string,
  type = 'direct',
  options: ExchangeDeclareOptions = {},
): MonoTypeOperatorFunction<Channel> {
  return perform((ch) =>
    ch.core.host.topology.isDeleted('exchange', exchange) ? EMPTY : ch.exchangeDeclare(exchange, type, options),
  );
}

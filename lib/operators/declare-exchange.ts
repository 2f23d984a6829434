import type { MonoTypeOperatorFunction } from 'rxjs';
import type { Channel, ExchangeDeclareOptions } from '../channel/channel';
import { perform } from './perform';

/** Declares an exchange on each channel, then passes the channel on. */
export function declareExchange(exchange: string, type = 'direct', options: ExchangeDeclareOptions = {}): MonoTypeOperatorFunction<Channel> {
  return perform((ch) => ch.exchangeDeclare(exchange, type, options));
}

import type { MonoTypeOperatorFunction } from 'rxjs';
import type { BindOptions, Channel } from '../channel/channel';
import { perform } from './perform';

/** Binds exchange `destination` to `source` on each channel (RabbitMQ extension). */
export function bindExchange(destination: string, source: string, routingKey = '', options: BindOptions = {}): MonoTypeOperatorFunction<Channel> {
  return perform((ch) => ch.exchangeBind(destination, source, routingKey, options));
}

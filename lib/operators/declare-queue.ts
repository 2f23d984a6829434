import type { MonoTypeOperatorFunction } from 'rxjs';
import type { Channel, QueueDeclareOptions } from '../channel/channel';
import { perform } from './perform';

/**
 * Declares a queue on each channel, then passes the channel on. A server-named queue (empty
 * name) is remembered as `channel.lastQueue`, and the operators after this one take `''` to
 * mean it, so `declareQueue('', …), bindQueue('', 'amq.fanout'), consume('')` follows the
 * queue through reconnects, each new channel getting a newly named queue.
 */
export function declareQueue(queue = '', options: QueueDeclareOptions = {}): MonoTypeOperatorFunction<Channel> {
  return perform((ch) => ch.queueDeclare(queue, options));
}

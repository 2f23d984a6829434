import { EMPTY, type MonoTypeOperatorFunction } from 'rxjs';
import type { QueueDeclareOptions } from '../channel/channel-options';
import type { Channel } from '../facades';
import { perform } from './perform';

/**
 * Declares a queue on each channel, then passes the channel on. A server-named queue (empty
 * name) is remembered as `channel.lastQueue`, and the operators after this one take `''` to
 * mean it, so `declareQueue('', …), bindQueue('', 'amq.fanout'), consume('')` follows the
 * queue through reconnects, each new channel getting a newly named queue. A named queue the
 * application deleted since (with `queueDelete` on a connection of the same `connect()`) is
 * not declared again by recovery.
 */
export function declareQueue(queue = '', options: QueueDeclareOptions = {}): MonoTypeOperatorFunction<Channel> {
  return perform((ch) =>
    queue !== '' && ch.core.host.topology.isDeleted('queue', queue) ? EMPTY : ch.queueDeclare(queue, options),
  );
}

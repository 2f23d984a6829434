import { concat, ignoreElements, type Observable, of, switchMap, type MonoTypeOperatorFunction } from 'rxjs';
import { endOnRecoverable } from '../connection/recovery';
import type { Channel } from '../facades';

/**
 * For each Channel that arrives: subscribe to `action(channel)`, wait for it to complete,
 * then pass the channel on. A newer channel (after a reconnect) abandons the older one's
 * action, so every new channel gets the whole setup again; the loss of a connection that
 * `connect()` is replacing ends the action quietly.
 */
export function perform(action: (channel: Channel) => Observable<unknown>): MonoTypeOperatorFunction<Channel> {
  return switchMap((channel) => concat(action(channel).pipe(ignoreElements()), of(channel)).pipe(endOnRecoverable()));
}

/** A queue name, or a function of the channel giving one (e.g. `ch => ch.lastQueue`). */
export type QueueName = string | ((channel: Channel) => string);

/** Resolves a {@link QueueName}; '' means the queue last declared on the channel. */
export function queueName(name: QueueName, channel: Channel): string {
  const q = typeof name === 'function' ? name(channel) : name;
  return q === '' ? channel.lastQueue : q;
}

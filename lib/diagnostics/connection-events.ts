import type { Observer, SchedulerLike } from 'rxjs';
import type { ConnectionStatus } from '../connection/status';
import { connectionChannel, type ConnectionEvent } from './channels';

/**
 * The `status` observer of one `connect()` subscription, extended to report on the
 * `rx-amqp:connection` diagnostics channel (when it has subscribers): open, blocked,
 * unblocked (with how long, by the connection's scheduler), reconnect (the connection was lost; another attempt follows, with
 * the endpoint and the error) and close. The application's own observer is called as before.
 */
export function withConnectionEvents(
  status: Partial<Observer<ConnectionStatus>> | undefined,
  scheduler: SchedulerLike,
): { next(s: ConnectionStatus): void } {
  let everOpen = false;
  let blockedSince: number | undefined;
  return {
    next(s: ConnectionStatus): void {
      const event = toEvent(s);
      if (event !== undefined && connectionChannel.hasSubscribers) connectionChannel.publish(event);
      status?.next?.(s);
    },
  };

  function toEvent(s: ConnectionStatus): ConnectionEvent | undefined {
    switch (s.state) {
      case 'connecting':
        return { event: 'connecting', endpoint: s.endpoint, attempt: s.attempt };
      case 'open': {
        if (blockedSince !== undefined) {
          const blockedMs = scheduler.now() - blockedSince;
          blockedSince = undefined;
          return { event: 'unblocked', endpoint: s.endpoint, blockedMs };
        }
        const reconnected = everOpen;
        everOpen = true;
        return { event: 'open', endpoint: s.endpoint, reconnected };
      }
      case 'blocked':
        blockedSince = scheduler.now();
        return { event: 'blocked', endpoint: s.endpoint, reason: s.reason };
      case 'disconnected':
        blockedSince = undefined;
        return { event: 'reconnect', endpoint: s.endpoint, error: s.error, attempt: s.attempt, retryIn: s.retryIn };
      case 'closed':
        blockedSince = undefined;
        return s.error === undefined ? { event: 'close' } : { event: 'close', error: s.error };
    }
  }
}

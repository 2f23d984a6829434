import { concat, EMPTY, ignoreElements, of, switchMap, type OperatorFunction } from 'rxjs';
import type { Channel, Connection } from '../facades';
import { endOnRecoverable } from '../connection/recovery';

/** Options of {@link openChannel}. */
export interface OpenChannelOptions {
  /** Channel number; subscribers asking for the same number share the channel. */
  id?: number;
  /** basic.qos prefetch count for the channel's consumers. */
  prefetch?: number;
  /** Apply `prefetch` to the whole channel (RabbitMQ's `global`) rather than per consumer. */
  prefetchGlobal?: boolean;
  /** Put the channel in publisher-confirm mode. */
  confirm?: boolean;
}

/**
 * Opens a channel on each Connection that arrives (switching to the newest after a
 * reconnect), applies prefetch and confirm mode, and emits it. The channel closes when the
 * pipeline unsubscribes.
 */
export function openChannel(options: OpenChannelOptions = {}): OperatorFunction<Connection, Channel> {
  return switchMap((connection) =>
    connection.channel(options.id).pipe(
      switchMap((channel) =>
        concat(
          options.prefetch !== undefined
            ? channel.basicQos(options.prefetch, { global: options.prefetchGlobal ?? false })
            : EMPTY,
          options.confirm ? channel.confirmSelect() : EMPTY,
        ).pipe(ignoreElements(), (setup) => concat(setup, of(channel))),
      ),
      endOnRecoverable(),
    ),
  );
}

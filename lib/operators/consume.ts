import { defer, switchMap, tap, type ObservableInput, type OperatorFunction } from 'rxjs';
import { endOnRecoverable } from '../connection/recovery';
import type { ConsumeOptions } from '../channel/channel-options';
import type { StreamOffset } from '../channel/queue-arguments';
import type { Channel, Delivery } from '../facades';
import { drainableConsumer } from './drain-consumer';
import { queueName, type QueueName } from './perform';

/** Options of the {@link consume} operator: those of `basicConsume`, and `until`. */
export interface ConsumeOperatorOptions extends ConsumeOptions {
  /**
   * Graceful drain: when it emits, the consumer is cancelled (`basic.cancel`), the deliveries
   * already received still flow, then the stream completes (like `takeUntil`, whatever the
   * upstream does: `connect()` never completes by itself). `ackAfter`/`ackAfterBatch`
   * downstream then finish their in-flight handlers, ack them and complete, and only then is
   * the channel closed (and the connection, when the pipeline owns it). What was not
   * delivered stays in the queue. E.g. `until: fromEvent(process, 'SIGTERM')`.
   */
  until?: ObservableInput<unknown>;
}

/**
 * Consumes `queue` ('' = the queue last declared on the channel) on each Channel that
 * arrives, switching to the newest channel after a reconnect. Unsubscribing cancels the
 * consumer (`basic.cancel`); unacknowledged deliveries go back to the queue when the channel
 * closes. On a stream, a consumer that has received messages resumes after a reconnect right
 * after the last offset it received (not at `offset` again), so it neither reads the stream
 * again from its start nor skips what was appended while it was away. With `until`, it
 * drains gracefully (see {@link ConsumeOperatorOptions.until}).
 */
export function consume(
  queue: QueueName = '',
  options: ConsumeOperatorOptions = {},
): OperatorFunction<Channel, Delivery> {
  const { until, ...consumeOptions } = options;
  return (source) =>
    defer(() => {
      let resumeAt: StreamOffset | undefined;
      const noteOffset = (delivery: Delivery) => {
        const offset = delivery.streamOffset;
        if (offset !== undefined) resumeAt = typeof offset === 'bigint' ? offset + 1n : offset + 1;
      };
      const start = (channel: Channel, started?: (consumerTag: string) => void) => {
        let opts: ConsumeOptions = resumeAt === undefined ? consumeOptions : { ...consumeOptions, offset: resumeAt };
        if (started) {
          const onStarted = opts.onStarted;
          opts = {
            ...opts,
            onStarted: (tag) => {
              started(tag);
              onStarted?.(tag);
            },
          };
        }
        return channel.basicConsume(queueName(queue, channel), opts).pipe(tap(noteOffset), endOnRecoverable());
      };
      if (until === undefined) return source.pipe(switchMap((channel) => start(channel)));
      return drainableConsumer(source, start, until);
    });
}

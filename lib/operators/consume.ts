import { defer, switchMap, tap, type OperatorFunction } from 'rxjs';
import { endOnRecoverable } from '../connection/recovery';
import type { Channel, ConsumeOptions } from '../channel/channel';
import type { StreamOffset } from '../channel/queue-arguments';
import type { Delivery } from '../delivery';
import { queueName, type QueueName } from './perform';

/**
 * Consumes `queue` ('' = the queue last declared on the channel) on each Channel that
 * arrives, switching to the newest channel after a reconnect. Unsubscribing cancels the
 * consumer (`basic.cancel`); unacknowledged deliveries go back to the queue when the channel
 * closes. On a stream, a consumer that has received messages resumes after a reconnect right
 * after the last offset it received (not at `offset` again), so it neither reads the stream
 * again from its start nor skips what was appended while it was away.
 */
export function consume(queue: QueueName = '', options: ConsumeOptions = {}): OperatorFunction<Channel, Delivery> {
  return (source) =>
    defer(() => {
      let resumeAt: StreamOffset | undefined;
      const noteOffset = (delivery: Delivery) => {
        const offset = delivery.streamOffset;
        if (offset !== undefined) resumeAt = typeof offset === 'bigint' ? offset + 1n : offset + 1;
      };
      return source.pipe(
        switchMap((channel) =>
          channel
            .basicConsume(queueName(queue, channel), resumeAt === undefined ? options : { ...options, offset: resumeAt })
            .pipe(tap(noteOffset), endOnRecoverable()),
        ),
      );
    });
}

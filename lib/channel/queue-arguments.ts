import { field, type FieldTable } from '../protocol/field-types';
import { QUEUE_MODE_MESSAGE, QUEUE_MODE_WARNING, warnOnce } from './deprecation';

/** RabbitMQ's queue types. */
export type QueueType = 'classic' | 'quorum' | 'stream';

/**
 * Queue features as typed options; each becomes the `x-` argument RabbitMQ reads. Values in
 * `arguments` with the same name are overridden by these.
 */
export interface QueueFeatures {
  /** `x-queue-type`: classic (default), quorum (replicated, durable) or stream (append-only log). */
  type?: QueueType;
  /** `x-message-ttl`: ms a message may wait in the queue. */
  messageTtl?: number;
  /** `x-expires`: ms an unused queue lives. */
  expires?: number;
  /** `x-max-length`: most messages kept. */
  maxLength?: number;
  /** `x-max-length-bytes`: most body bytes kept (also a stream's retention). */
  maxLengthBytes?: number;
  /** `x-overflow`: what happens at the limit. */
  overflow?: 'drop-head' | 'reject-publish' | 'reject-publish-dlx';
  /** `x-dead-letter-exchange`: where rejected, expired and dropped messages go. */
  deadLetterExchange?: string;
  /** `x-dead-letter-routing-key`: their routing key there (default: their own). */
  deadLetterRoutingKey?: string;
  /** `x-dead-letter-strategy` (quorum): `at-least-once` needs `overflow: 'reject-publish'`. */
  deadLetterStrategy?: 'at-most-once' | 'at-least-once';
  /** `x-delivery-limit` (quorum): deliveries before a message is dead-lettered or dropped. */
  deliveryLimit?: number;
  /** `x-single-active-consumer`: only one consumer receives at a time. */
  singleActiveConsumer?: boolean;
  /** `x-max-priority` (classic): priorities 0..n honoured. */
  maxPriority?: number;
  /** `x-quorum-initial-group-size` / `x-initial-cluster-size` (streams): replicas at declare. */
  initialClusterSize?: number;
  /** `x-max-age` (streams): retention by age, e.g. `'7D'`, `'12h'`. */
  maxAge?: string;
  /** `x-stream-max-segment-size-bytes` (streams). */
  streamMaxSegmentSizeBytes?: number;
  /**
   * `x-consumer-timeout`: ms a consumer may hold a delivery unacknowledged before the broker
   * gives up on it (it closes the channel; 4.3 cancels the consumer). Overrides the broker's
   * `consumer_timeout` (30 minutes by default) for this queue. RabbitMQ 3.12+ (3.11.15+);
   * from 4.3 quorum queues only.
   */
  consumerTimeout?: number;
  /**
   * `x-queue-leader-locator`: where a replicated queue's leader goes, on the node the client
   * is connected to (`'client-local'`, the default) or on the node with the fewest leaders
   * (`'balanced'`). Quorum queues and streams, RabbitMQ 3.10+.
   */
  leaderLocator?: 'client-local' | 'balanced';
  /**
   * `x-queue-mode` (classic, before 3.12): `'lazy'` keeps messages on disk.
   * @deprecated RabbitMQ 3.12 ignores it and RabbitMQ 4.3 refuses a declare that has it;
   * setting it emits a one-time `DeprecationWarning` (code `RX_AMQP_QUEUE_MODE`).
   */
  queueMode?: 'default' | 'lazy';
}

/** The `arguments` table for queue.declare: the raw ones merged with the typed features. */
export function queueArguments(features: QueueFeatures, raw: FieldTable | undefined): FieldTable | undefined {
  const out: FieldTable = { ...raw };
  const set = (name: string, value: unknown) => {
    if (value !== undefined) out[name] = value as FieldTable[string];
  };
  set('x-queue-type', features.type);
  set('x-message-ttl', features.messageTtl);
  set('x-expires', features.expires);
  set('x-max-length', features.maxLength);
  set('x-max-length-bytes', features.maxLengthBytes);
  set('x-overflow', features.overflow);
  set('x-dead-letter-exchange', features.deadLetterExchange);
  set('x-dead-letter-routing-key', features.deadLetterRoutingKey);
  set('x-dead-letter-strategy', features.deadLetterStrategy);
  set('x-delivery-limit', features.deliveryLimit);
  set('x-single-active-consumer', features.singleActiveConsumer);
  set('x-max-priority', features.maxPriority);
  if (features.initialClusterSize !== undefined) {
    set(
      features.type === 'stream' ? 'x-initial-cluster-size' : 'x-quorum-initial-group-size',
      features.initialClusterSize,
    );
  }
  set('x-max-age', features.maxAge);
  set('x-stream-max-segment-size-bytes', features.streamMaxSegmentSizeBytes);
  set('x-consumer-timeout', features.consumerTimeout);
  set('x-queue-leader-locator', features.leaderLocator);
  if (features.queueMode !== undefined) warnOnce(QUEUE_MODE_WARNING, QUEUE_MODE_MESSAGE);
  set('x-queue-mode', features.queueMode);
  return Object.keys(out).length ? out : raw;
}

/** Where a stream consumer starts: the first retained message, the last chunk, only new ones, an offset, or a time. */
export type StreamOffset = 'first' | 'last' | 'next' | number | bigint | Date;

/** The `x-stream-offset` consumer argument for an offset (numbers as 64-bit, dates as timestamps). */
export function streamOffsetArgument(offset: StreamOffset): FieldTable[string] {
  if (typeof offset === 'number' || typeof offset === 'bigint') return field.int64(offset);
  return offset;
}

import type { FieldTable } from '../protocol/field-types';
import type { QueueFeatures, StreamOffset } from './queue-arguments';
import type { StreamFilterOptions } from './stream-filter';

/**
 * Permissions asked for by {@link Channel.accessRequest} (0-8 access tickets). Each one left
 * out is false, as in py-amqplib's `access_request` (not the spec's defaults, which ask for
 * passive, active, write and read access).
 */
export interface AccessRequestOptions {
  exclusive?: boolean;
  passive?: boolean;
  active?: boolean;
  write?: boolean;
  read?: boolean;
}

/** Options every method that carries a ticket accepts. */
export interface TicketOption {
  /** Access ticket; default: the one from the last accessRequest on this channel. */
  ticket?: number;
}

/** Options of {@link Channel.exchangeDeclare}. Defaults follow the AMQP spec (all false). */
export interface ExchangeDeclareOptions extends TicketOption {
  passive?: boolean;
  durable?: boolean;
  autoDelete?: boolean;
  internal?: boolean;
  nowait?: boolean;
  arguments?: FieldTable;
}

/** Options of {@link Channel.queueDeclare}. Defaults follow the AMQP spec (all false). */
export interface QueueDeclareOptions extends TicketOption, QueueFeatures {
  passive?: boolean;
  durable?: boolean;
  exclusive?: boolean;
  autoDelete?: boolean;
  nowait?: boolean;
  arguments?: FieldTable;
}

/** The answer to queue.declare. */
export interface QueueDeclareOk {
  /** The queue's name (the server's choice when the request named none). */
  queue: string;
  messageCount: number;
  consumerCount: number;
}

/** Options of bind/unbind methods. */
export interface BindOptions extends TicketOption {
  nowait?: boolean;
  arguments?: FieldTable;
}

/** Options of {@link Channel.basicConsume}. */
export interface ConsumeOptions extends TicketOption, StreamFilterOptions {
  /** Client-chosen tag; default: the server picks one. */
  consumerTag?: string;
  noLocal?: boolean;
  /** The broker considers messages acknowledged on delivery. */
  noAck?: boolean;
  exclusive?: boolean;
  /** Send basic.consume without waiting for consume-ok (needs `consumerTag`). */
  nowait?: boolean;
  arguments?: FieldTable;
  /** Called with the consumer tag once the broker has registered the consumer (consume-ok). */
  onStarted?: (consumerTag: string) => void;
  /**
   * Streams: where to start reading (`x-stream-offset`): `'first'`, `'last'`, `'next'`, an
   * offset, or a Date. Stream consumers need a prefetch (basic.qos) and acknowledgements.
   */
  offset?: StreamOffset;
  /** `x-priority`: consumers with a higher priority get messages first. */
  priority?: number;
  /**
   * `x-consumer-timeout`: ms this consumer may hold a delivery unacknowledged (wins over the
   * queue's and the broker's setting). RabbitMQ 3.12+ (3.11.15+); from 4.3 quorum queues only.
   */
  consumerTimeout?: number;
}

/** Options of {@link Channel.basicPublish} and {@link Channel.publish}. */
export interface PublishOptions {
  /** Return the message if no queue is bound for it. */
  mandatory?: boolean;
  /** Return the message if no consumer can take it at once (not supported by RabbitMQ). */
  immediate?: boolean;
  /**
   * Stream filtering (RabbitMQ 3.13+): sent as the message's `x-stream-filter-value` header,
   * which consumers select with `filter`. For `publishTo`, tag messages with `withFilterValue`.
   */
  filterValue?: string;
}

/**
 * Stream filtering (RabbitMQ 3.13+). A publisher tags a message with a filter value (the
 * `x-stream-filter-value` header); a stream consumer asks for some values (`x-stream-filter`)
 * and, optionally, for messages without any (`x-stream-match-unfiltered`). The broker filters
 * whole chunks with a Bloom filter, so it also sends messages of other values that share a
 * chunk with wanted ones: the client must check each delivery again, which
 * {@link streamFilterMatcher} does.
 */
import type { FieldTable } from '../protocol/field-types';
import type { DeliveryBase } from '../delivery';
import { Message } from '../message';

/** The header that carries a message's filter value. */
export const STREAM_FILTER_VALUE_HEADER = 'x-stream-filter-value';

/** The stream filter options of a consumer. */
export interface StreamFilterOptions {
  /**
   * `x-stream-filter`: the filter value(s) wanted (RabbitMQ 3.13+, streams only). Deliveries
   * whose `x-stream-filter-value` is not one of them are skipped by the client (the broker's
   * Bloom filter lets some through) and acknowledged, so that they do not hold the consumer's
   * prefetch; the stream keeps them for other consumers.
   */
  filter?: string | readonly string[];
  /**
   * `x-stream-match-unfiltered`: also receive messages published without a filter value
   * (default false). Only with `filter`.
   */
  matchUnfiltered?: boolean;
}

function filterValues(filter: string | readonly string[]): string[] {
  const values = typeof filter === 'string' ? [filter] : [...filter];
  if (values.length === 0 || values.some((v) => typeof v !== 'string' || v === '')) {
    throw new TypeError('consume filter must be a non-empty string or a non-empty array of non-empty strings');
  }
  return values;
}

/** The consumer arguments for the filter options (none without `filter`). Throws TypeError for a bad filter. */
export function streamFilterArguments(options: StreamFilterOptions): FieldTable {
  if (options.filter === undefined) {
    if (options.matchUnfiltered !== undefined) throw new TypeError('matchUnfiltered needs a filter');
    return {};
  }
  const values = filterValues(options.filter);
  const out: FieldTable = { 'x-stream-filter': typeof options.filter === 'string' ? values[0] : values };
  if (options.matchUnfiltered !== undefined) out['x-stream-match-unfiltered'] = options.matchUnfiltered;
  return out;
}

/**
 * The client-side check of a filtered consumer: whether a delivery is one it asked for (its
 * filter value is wanted, or it has none and `matchUnfiltered` is set). Undefined without
 * `filter` (everything matches).
 */
export function streamFilterMatcher(options: StreamFilterOptions): ((delivery: DeliveryBase) => boolean) | undefined {
  if (options.filter === undefined) return undefined;
  const wanted = new Set(filterValues(options.filter));
  const unfiltered = options.matchUnfiltered ?? false;
  return (delivery) => {
    const value = streamFilterValue(delivery);
    return value === undefined ? unfiltered : wanted.has(value);
  };
}

/** A message's stream filter value (`x-stream-filter-value`), if it has one. */
export function streamFilterValue(message: Message): string | undefined {
  const v = message.headers?.[STREAM_FILTER_VALUE_HEADER];
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return undefined;
}

/**
 * A copy of `message` whose `x-stream-filter-value` header is `value` (other headers kept): how
 * a publisher tags a message for stream filtering (RabbitMQ 3.13+), e.g. in `publishTo`'s
 * `toMessage`. `Channel.publish` and `basicPublish` take it as the `filterValue` option.
 */
export function withFilterValue(message: Message | string | Uint8Array, value: string): Message {
  if (typeof value !== 'string' || value === '') throw new TypeError('filterValue must be a non-empty string');
  const m = message instanceof Message ? message : new Message(message);
  return new Message(m.body, {
    ...m.properties,
    headers: { ...m.properties.headers, [STREAM_FILTER_VALUE_HEADER]: value },
  });
}

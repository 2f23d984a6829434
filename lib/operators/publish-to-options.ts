import type { SchedulerLike } from 'rxjs';
import type { Message } from '../message';

/** Options of {@link publishTo}. */
export interface PublishToOptions<T> {
  /**
   * Turns an input into a Message. Default: Messages as they are, strings and bytes as bodies,
   * anything else as JSON. When it throws, that input fails (one `'failed'` result).
   */
  toMessage?: (value: T) => Message;
  /** Return unroutable messages (reported as status `'returned'` in confirm mode). */
  mandatory?: boolean;
  /**
   * Wait for broker confirms. `true` puts the channel in confirm mode if it is not;
   * default: whatever mode the channel is in.
   */
  confirm?: boolean;
  /** Most messages published but not yet settled (default 1000). */
  window?: number;
  /** Emit results in input order (default true); false emits each as it settles. */
  ordered?: boolean;
  /**
   * When the channel is lost with messages unconfirmed and a new channel arrives (the
   * channel argument is an Observable that emits again after a reconnect): `'republish'`
   * them on the new channel (at-least-once; the default) or report them `'failed'`.
   */
  onChannelLoss?: 'republish' | 'fail';
  /**
   * Most milliseconds from an input's arrival to its settlement (confirm, nack, return; or,
   * outside confirm mode, its write). An input not settled by then gets its one result:
   * `'failed'` with a `PublishTimeoutError`, whether it was still waiting to be published
   * (then it never is) or waiting for its confirm (a late confirm is dropped). It then counts
   * as settled for the `window`. Default: no limit.
   */
  timeout?: number;
  /**
   * Most inputs waiting to be published (received, not yet written: the window is full, the
   * socket's buffer is, or the broker blocks the connection or the channel's flow). Default:
   * no bound. Inputs republished after a channel loss are not counted (the window bounds them).
   */
  maxBuffered?: number;
  /**
   * What an input arriving while `maxBuffered` inputs wait does: `'error'` (the default) errors
   * the operator with a `PublishOverflowError` — the producer outruns the broker and must be
   * slowed down upstream; `'fail'` gives that input one `'failed'` result with a
   * `PublishOverflowError` at once and the stream goes on (load shedding, e.g. telemetry).
   * There is no `'wait'`: an RxJS source pushes and cannot be paused from downstream, so
   * waiting would only mean buffering without bound, which is what no `maxBuffered` does. To
   * make a source wait, pull it: e.g. `concatMap` over `channel.publish`, or an upstream that
   * emits on demand.
   */
  overflow?: 'error' | 'fail';
  /** Scheduler of `timeout` (default `asyncScheduler`); a `TestScheduler` makes it virtual. */
  scheduler?: SchedulerLike;
}

import {
  asapScheduler,
  asyncScheduler,
  from,
  mergeMap,
  Observable,
  tap,
  type ObservableInput,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { NotOpenError } from '../channel/errors';
import type { Delivery } from '../facades';
import { AckBatch } from './ack-batch';
import { collectBatches } from './collect-batches';
import { LeaseHolder } from './drain-lease';
import { HandlerTimeoutError } from './errors';
import { HandlerSignals } from './handler-signals';
import { chooseFailureAction, defaultFailureAction, settleFailure, type FailurePolicy } from './failure-action';

/** Options of {@link ackAfterBatch}. */
export interface AckAfterBatchOptions {
  /**
   * Most deliveries in one batch (default 100). Keep it at or below the channel's prefetch,
   * or rely on `time`: a batch waiting for deliveries the broker will not send before the
   * earlier ones are acked only leaves through `time`.
   */
  size?: number;
  /** Most milliseconds a batch waits after its first delivery before it is processed (default 1000; `Infinity`: no limit). */
  time?: number;
  /** Batches processed at once (default 1: in order). */
  concurrency?: number;
  /**
   * On failure of a batch, for each of its deliveries: `'requeue'`, `'reject'` (dead-letter),
   * `'ack'`, or a function of the error, the delivery and the whole batch choosing one. Default
   * (also when the function throws): requeue a first delivery, reject a redelivered one. Stream
   * deliveries cannot be nacked: they are acked whatever this says.
   */
  onError?: FailurePolicy<[batch: readonly Delivery[]]>;
  /**
   * Most milliseconds `project(batch)` may run. Past it, its `signal` aborts (with a
   * `HandlerTimeoutError`), each delivery of the batch is settled as a failure per `onError`,
   * and whatever the project does later is ignored. Default: no limit.
   */
  timeout?: number;
  /** Scheduler of the `time` bound and of `timeout` (default `asyncScheduler`). */
  scheduler?: SchedulerLike;
}

/**
 * Processes deliveries in batches: up to `size` deliveries, or those that arrived within
 * `time` ms of the batch's first one, go to `project(batch)`. When its result completes, the
 * batch is acked — one `basic.ack multiple` per channel where the batch's tags are exactly the
 * channel's oldest unacked ones, single acks otherwise; deliveries of different channels (a
 * reconnect) never share an ack — and then its results are emitted. When it fails (throws or
 * errors), every delivery of the batch is settled per `onError` and the stream goes on. When
 * the source completes (a drain), the partial batch is processed, then the stream completes.
 * Unsubscribing abandons unfinished batches: they are not acked, so the broker redelivers
 * them. Deliveries whose channel closed before their batch started are left out of it (the
 * broker redelivers them).
 *
 * `signal` aborts when the batch runs past `timeout` (it then fails per `onError`), or when its
 * work is abandoned: a channel of its deliveries is lost, or the stream is unsubscribed or
 * errors (a `NotOpenError`).
 */
export function ackAfterBatch<R>(
  project: (batch: Delivery[], signal: AbortSignal) => ObservableInput<R>,
  options: AckAfterBatchOptions = {},
): OperatorFunction<Delivery, R> {
  const size = options.size ?? 100;
  const time = options.time ?? 1000;
  const concurrency = options.concurrency ?? 1;
  if (!(size >= 1 && (Number.isInteger(size) || size === Infinity)))
    throw new RangeError(`ackAfterBatch: size must be a positive integer, not ${size}`);
  if (!(time > 0)) throw new RangeError(`ackAfterBatch: time must be a positive number of milliseconds, not ${time}`);
  if (size === Infinity && time === Infinity)
    throw new RangeError('ackAfterBatch: size and time cannot both be Infinity');
  if (!(concurrency >= 1)) throw new RangeError(`ackAfterBatch: concurrency must be at least 1, not ${concurrency}`);
  const onError = options.onError ?? defaultFailureAction;
  const scheduler = options.scheduler ?? asyncScheduler;
  const timeout = options.timeout;
  if (timeout !== undefined && !(timeout > 0))
    throw new RangeError(`ackAfterBatch: timeout must be a positive number of milliseconds, not ${timeout}`);
  return (source) =>
    new Observable<R>((subscriber) => {
      const acks = new AckBatch(asapScheduler);
      // holds a draining consumer's channel open until the partial batch is acked
      const leases = new LeaseHolder();
      const signals = new HandlerSignals();
      const limits: BatchLimits = { timeout, scheduler, signals };
      const subscription = source
        .pipe(
          tap((delivery) => leases.note(delivery.settler)),
          collectBatches(size, time, scheduler),
          mergeMap((batch) => processBatch(batch, project, onError, acks, limits), concurrency),
        )
        .subscribe({
          next: (r) => subscriber.next(r),
          error: (e) => {
            acks.flush();
            leases.releaseAll();
            subscriber.error(e);
          },
          complete: () => {
            acks.flush();
            leases.releaseAll();
            subscriber.complete();
          },
        });
      return () => {
        acks.flush();
        subscription.unsubscribe();
        signals.clear();
        leases.releaseAll();
      };
    });
}

/** What bounds the run of one batch: its `timeout`, and the loss of its channels. */
interface BatchLimits {
  timeout: number | undefined;
  scheduler: SchedulerLike;
  signals: HandlerSignals;
}

/** Runs one batch: acks it and emits its results on success, settles it per `onError` on failure. */
function processBatch<R>(
  collected: Delivery[],
  project: (batch: Delivery[], signal: AbortSignal) => ObservableInput<R>,
  onError: FailurePolicy<[batch: readonly Delivery[]]>,
  acks: AckBatch,
  limits: BatchLimits,
): Observable<R> {
  return new Observable<R>((inner) => {
    // Deliveries whose channel closed while the batch waited its turn are back in their queue
    // and come again, flagged redelivered: processing them now would do the work twice.
    const batch = collected.filter((d) => d.isSettled || !d.settler.isGone);
    if (batch.length === 0) {
      inner.complete();
      return;
    }
    const controller = new AbortController();
    // usually one channel; more when the batch spans a reconnect
    const channels = new Set(batch.map((d) => d.settler));
    for (const c of channels) limits.signals.watch(c, controller);
    let finished = false;
    const fail = (error: unknown) => {
      finished = true;
      for (const d of batch) settleFailure(d, chooseFailureAction(onError, error, d, batch), acks);
      acks.flush();
      inner.complete();
    };
    const timeout = limits.timeout;
    const timer: Subscription | undefined =
      timeout === undefined
        ? undefined
        : limits.scheduler.schedule(() => {
            const error = new HandlerTimeoutError(timeout);
            controller.abort(error);
            fail(error);
          }, timeout);
    const teardown = () => {
      timer?.unsubscribe();
      for (const c of channels) limits.signals.close(c, controller);
      if (!finished && !controller.signal.aborted) {
        const gone = batch.some((d) => d.settler.isGone);
        controller.abort(
          new NotOpenError(
            gone
              ? 'a channel of the batch was lost while it was being handled'
              : 'ackAfterBatch was unsubscribed while the batch was being handled: it is left unacked',
          ),
        );
      }
    };
    let input: Observable<R>;
    try {
      input = from(project(batch, controller.signal));
    } catch (e) {
      // A project that throws synchronously (or returns no ObservableInput) fails its batch.
      fail(e);
      teardown();
      return;
    }
    const results: R[] = [];
    const running = input.subscribe({
      next: (r) => results.push(r),
      error: fail,
      complete: () => {
        finished = true;
        for (const d of batch) acks.ack(d);
        acks.flush();
        for (const r of results) inner.next(r);
        inner.complete();
      },
    });
    return () => {
      teardown();
      running.unsubscribe();
    };
  });
}

import {
  asapScheduler,
  asyncScheduler,
  mergeMap,
  Observable,
  tap,
  type ObservableInput,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { Delivery } from '../facades';
import { AckBatch } from './ack-batch';
import { LeaseHolder } from './drain-lease';
import { NotOpenError } from '../channel/errors';
import { HandlerTimeoutError } from './errors';
import { HandlerSignals } from './handler-signals';
import { processInput } from '../diagnostics/process-trace';
import { chooseFailureAction, defaultFailureAction, settleFailure, type FailurePolicy } from './failure-action';

export type { FailureAction } from './failure-action';

/** Options of {@link ackAfter}. */
export interface AckAfterOptions {
  /** Deliveries processed at once (default 1: in order). Keep it at or below the prefetch. */
  concurrency?: number;
  /**
   * On failure: `'requeue'` (nack, back to the queue), `'reject'` (nack without requeue: to
   * the dead-letter exchange if the queue has one, else dropped), `'ack'`, or a function of
   * the error and the delivery choosing one. Default: requeue a first delivery, reject a
   * redelivered one — so a message that fails twice is dead-lettered instead of looping.
   * Stream deliveries cannot be nacked: a failed one is acked whatever this says.
   * A function that throws (or returns anything else than these three) gets the default.
   */
  onError?: FailurePolicy;
  /**
   * Most milliseconds a handler may run. Past it, its `signal` aborts (with a
   * `HandlerTimeoutError`), its delivery is settled as a failure per `onError`, and whatever
   * the handler does later is ignored (its subscription is ended; it is never settled twice).
   * Default: no limit (the broker's consumer timeout, 30 minutes by default, still applies).
   */
  timeout?: number;
  /**
   * Scheduler of ack batching and of `timeout` (default: `asapScheduler` for acks,
   * `asyncScheduler` for timeouts). A `TestScheduler` makes both virtual.
   */
  scheduler?: SchedulerLike;
}

/**
 * Runs `project(delivery, signal)` for each delivery. When it completes, acks the delivery and then
 * emits its results, so a downstream `take(n)` or unsubscribe never leaves a processed
 * message unacked. When it fails, nacks the delivery (see `onError`) and goes on with the
 * next; the stream does not error. A `project` that throws synchronously, or returns
 * something that is no ObservableInput (a `TypeError`), fails like one that errors later.
 * Unsubscribing abandons deliveries still being processed: they are not acked, so the broker
 * redelivers them. Deliveries waiting for their turn (beyond `concurrency`) when their channel
 * closes are dropped unprocessed: the broker redelivers them.
 *
 * `signal` aborts when the handler runs past `timeout` (reason: a `HandlerTimeoutError`; the
 * delivery then fails per `onError`), or when its work is abandoned — its delivery's channel
 * is lost (the broker has requeued it; nothing is settled), or the stream is unsubscribed or
 * errors — with a `NotOpenError`. Pass it on to `fetch`, database drivers and the like so that abandoned work stops.
 * A `project` declared with one parameter (`(delivery) => ...`) gets no signal of its own (a
 * shared one that never aborts), which saves an AbortController per delivery.
 *
 * When the source completes (a drain: `consume(queue, { until })`), the handlers in flight
 * finish, their deliveries are acked, and then the stream completes; the draining consumer
 * keeps the channel open until these acks are written.
 */
export function ackAfter<R>(
  project: (delivery: Delivery, signal: AbortSignal) => ObservableInput<R>,
  options: AckAfterOptions = {},
): OperatorFunction<Delivery, R> {
  const onError = options.onError ?? defaultFailureAction;
  const timeout = options.timeout;
  if (timeout !== undefined && !(timeout > 0))
    throw new RangeError(`ackAfter: timeout must be a positive number of milliseconds, not ${timeout}`);
  const timerScheduler = options.scheduler ?? asyncScheduler;
  // `length` counts the parameters before the first default or rest one: 1 means the project
  // was written as `(delivery) => ...` (0 may be `(...args) => ...`, which could read it).
  const usesSignal = project.length !== 1;
  return (source) =>
    new Observable<R>((subscriber) => {
      const batch = new AckBatch(options.scheduler ?? asapScheduler);
      const leases = new LeaseHolder();
      const signals = new HandlerSignals();
      const subscription = source
        .pipe(
          tap((delivery) => leases.note(delivery.settler)),
          mergeMap(
            (delivery) =>
              new Observable<R>((inner) => {
                // Its channel closed while it waited its turn (a lost connection): the broker
                // has requeued it and delivers it again, flagged redelivered. Processing it
                // now would only do the work twice, ahead of the redeliveries.
                if (!delivery.isSettled && delivery.settler.isGone) {
                  inner.complete();
                  return;
                }
                const channel = delivery.settler;
                // A one-parameter project cannot read its signal: it gets a shared one that
                // never aborts, and no AbortController is made for it.
                const controller = usesSignal ? signals.open(channel) : undefined;
                const signal = controller === undefined ? neverAborted() : controller.signal;
                let timer: Subscription | undefined;
                const fail = (e: unknown) => {
                  settleFailure(delivery, chooseFailureAction(onError, e, delivery), batch);
                  inner.complete();
                };
                if (timeout !== undefined) {
                  timer = timerScheduler.schedule(() => {
                    const error = new HandlerTimeoutError(timeout);
                    controller?.abort(error);
                    fail(error);
                  }, timeout);
                }
                const done = () => {
                  timer?.unsubscribe();
                  if (controller !== undefined) signals.close(channel, controller);
                };
                let finished = false;
                // A project that throws (or returns no ObservableInput, which `from` throws
                // on) fails this delivery only, exactly like one that errors asynchronously.
                let work: Observable<R>;
                try {
                  work = processInput(project, delivery, signal);
                } catch (e) {
                  done();
                  fail(e);
                  return;
                }
                const results: R[] = [];
                const running = work.subscribe({
                  next: (r) => results.push(r),
                  error: (e) => {
                    finished = true;
                    fail(e);
                  },
                  complete: () => {
                    finished = true;
                    batch.ack(delivery);
                    for (const r of results) inner.next(r);
                    inner.complete();
                  },
                });
                return () => {
                  done();
                  running.unsubscribe();
                  // Abandoned (unsubscribed, errored, or its channel lost) before it finished:
                  // tell the handler its work is no longer wanted.
                  if (!finished && controller !== undefined && !controller.signal.aborted)
                    controller.abort(abandonReason(delivery));
                };
              }),
            options.concurrency ?? 1,
          ),
        )
        .subscribe({
          next: (r) => subscriber.next(r),
          error: (e) => {
            batch.flush();
            leases.releaseAll();
            subscriber.error(e);
          },
          complete: () => {
            batch.flush();
            leases.releaseAll();
            subscriber.complete();
          },
        });
      return () => {
        batch.flush();
        subscription.unsubscribe();
        signals.clear();
        leases.releaseAll();
      };
    });
}

let sharedSignal: AbortSignal | undefined;

/** The signal of projects that take none: one for the process, never aborted. */
function neverAborted(): AbortSignal {
  sharedSignal ??= new AbortController().signal;
  return sharedSignal;
}

/** Why an unfinished handler's signal aborts when ackAfter lets it go. */
function abandonReason(delivery: Delivery): Error {
  return delivery.settler.isGone
    ? new NotOpenError('the channel of the delivery was lost while it was being handled')
    : new NotOpenError('ackAfter was unsubscribed while the delivery was being handled: it is left unacked');
}

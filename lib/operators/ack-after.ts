import {
  asapScheduler,
  mergeMap,
  Observable,
  type ObservableInput,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { Delivery } from '../delivery';
import { AckBatch } from './ack-batch';
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
  /** Scheduler of ack batching (default `asapScheduler`). */
  scheduler?: SchedulerLike;
}

/**
 * Runs `project(delivery)` for each delivery. When it completes, acks the delivery and then
 * emits its results, so a downstream `take(n)` or unsubscribe never leaves a processed
 * message unacked. When it fails, nacks the delivery (see `onError`) and goes on with the
 * next; the stream does not error. A `project` that throws synchronously, or returns
 * something that is no ObservableInput (a `TypeError`), fails like one that errors later.
 * Unsubscribing abandons deliveries still being processed: they are not acked, so the broker
 * redelivers them. Deliveries waiting for their turn (beyond `concurrency`) when their channel
 * closes are dropped unprocessed: the broker redelivers them.
 */
export function ackAfter<R>(
  project: (delivery: Delivery) => ObservableInput<R>,
  options: AckAfterOptions = {},
): OperatorFunction<Delivery, R> {
  const onError = options.onError ?? defaultFailureAction;
  return (source) =>
    new Observable<R>((subscriber) => {
      const batch = new AckBatch(options.scheduler ?? asapScheduler);
      const subscription = source
        .pipe(
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
                const fail = (e: unknown) => {
                  settleFailure(delivery, chooseFailureAction(onError, e, delivery), batch);
                  inner.complete();
                };
                // A project that throws (or returns no ObservableInput, which `from` throws
                // on) fails this delivery only, exactly like one that errors asynchronously.
                let work: Observable<R>;
                try {
                  work = processInput(project, delivery);
                } catch (e) {
                  fail(e);
                  return;
                }
                const results: R[] = [];
                return work.subscribe({
                  next: (r) => results.push(r),
                  error: fail,
                  complete: () => {
                    batch.ack(delivery);
                    for (const r of results) inner.next(r);
                    inner.complete();
                  },
                });
              }),
            options.concurrency ?? 1,
          ),
        )
        .subscribe({
          next: (r) => subscriber.next(r),
          error: (e) => {
            batch.flush();
            subscriber.error(e);
          },
          complete: () => {
            batch.flush();
            subscriber.complete();
          },
        });
      return () => {
        batch.flush();
        subscription.unsubscribe();
      };
    });
}

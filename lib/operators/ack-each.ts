import { asapScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import type { Delivery } from '../facades';
import { AckBatch } from './ack-batch';

/** Options of {@link ackEach}. */
export interface AckEachOptions {
  /** When batched acks are written: once per tick of this scheduler (default `asapScheduler`). */
  scheduler?: SchedulerLike;
}

/**
 * Acknowledges each delivery as it passes, then passes it on. Acks of one tick are written
 * together, coalesced into a `basic.ack multiple` where that acknowledges exactly them.
 * Pending acks are written when the pipeline ends or is unsubscribed, before its channel
 * closes. Deliveries already settled (or from noAck consumers) pass through untouched.
 */
export function ackEach(options: AckEachOptions = {}): MonoTypeOperatorFunction<Delivery> {
  return (source) =>
    new Observable<Delivery>((subscriber) => {
      const batch = new AckBatch(options.scheduler ?? asapScheduler);
      const subscription = source.subscribe({
        next(delivery) {
          batch.ack(delivery);
          subscriber.next(delivery);
        },
        error(e) {
          batch.flush();
          subscriber.error(e);
        },
        complete() {
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

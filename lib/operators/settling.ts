import { Observable, tap, type SchedulerLike } from 'rxjs';
import { internalsOf } from '../channel/internal';
import type { Delivery } from '../facades';
import { AckBatch } from './ack-batch';
import { LeaseHolder } from './drain-lease';
import { HandlerSignals } from './handler-signals';

/** What the handlers of one `ackAfter`/`ackAfterBatch` subscription settle with. */
export interface Settling {
  /** Their acks, written once per tick and at the latest when the stream ends. */
  readonly acks: AckBatch;
  /** The signals of the handlers in flight, aborted when their delivery's channel is lost. */
  readonly signals: HandlerSignals;
}

/**
 * The frame `ackAfter` and `ackAfterBatch` share: subscribes to `handle(deliveries, settling)`
 * once per subscriber, holding the drain lease of each channel a delivery came from (see
 * `DrainLease`). When the stream ends — it completes or errors, or the subscriber leaves — the
 * queued acks are written first and the leases released after, so that a draining consumer
 * closes its channel only behind those acks; the handlers' signals are forgotten on teardown.
 */
export function runSettling<R>(
  source: Observable<Delivery>,
  ackScheduler: SchedulerLike,
  handle: (deliveries: Observable<Delivery>, settling: Settling) => Observable<R>,
): Observable<R> {
  return new Observable<R>((subscriber) => {
    const acks = new AckBatch(ackScheduler);
    const leases = new LeaseHolder();
    const signals = new HandlerSignals();
    const deliveries = source.pipe(tap((delivery) => leases.note(internalsOf(delivery))));
    const subscription = handle(deliveries, { acks, signals }).subscribe({
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

import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * Groups values into arrays: a batch is emitted when it holds `size` values, or `time` ms
 * after its first value arrived, whichever comes first (`Infinity` disables either bound).
 * Unlike `bufferTime`, the clock starts with a batch's first value, so no empty batches are
 * emitted and a lone value waits at most `time`. On completion the partial batch is emitted,
 * then the stream completes; on error or unsubscribe the partial batch is dropped.
 */
export function collectBatches<T>(size: number, time: number, scheduler: SchedulerLike): OperatorFunction<T, T[]> {
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = [];
      let timer: Subscription | null = null;
      const emit = () => {
        timer?.unsubscribe();
        timer = null;
        const full = batch;
        batch = [];
        subscriber.next(full);
      };
      const subscription = source.subscribe({
        next(value) {
          batch.push(value);
          if (batch.length >= size) emit();
          else if (batch.length === 1 && Number.isFinite(time)) timer = scheduler.schedule(emit, time);
        },
        error(e) {
          subscriber.error(e);
        },
        complete() {
          if (batch.length > 0) emit();
          subscriber.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}

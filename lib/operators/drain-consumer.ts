import { Observable, Subscription, from, type ObservableInput } from 'rxjs';
import type { Channel, Delivery } from '../facades';
import { DrainLease, setDrainLease } from './drain-lease';

/** Starts consuming on a channel; calls `started(tag)` once the broker registered the consumer. */
export type StartConsumer = (channel: Channel, started: (consumerTag: string) => void) => Observable<Delivery>;

/** The consumer on the current channel. */
interface Current {
  readonly channel: Channel;
  tag: string | undefined;
  subscription: Subscription | null;
}

/**
 * The `until` form of `consume`: consumes on each channel of `source` (switching to the newest)
 * until `until` emits, then drains: `basic.cancel`, every delivery received before the
 * broker's cancel-ok still flows, then the output completes — whatever `source` does. The
 * source (which holds the channel and the connection) is let go only once the operators
 * downstream that settle deliveries (`ackAfter`, `ackAfterBatch`) have flushed their acks:
 * see {@link DrainLease}. An error of `until` errors the output, as with `takeUntil`.
 */
export function drainableConsumer(
  source: Observable<Channel>,
  start: StartConsumer,
  until: ObservableInput<unknown>,
): Observable<Delivery> {
  return new Observable<Delivery>((subscriber) => {
    const lease = new DrainLease();
    const upstream = new Subscription();
    let current: Current | null = null;
    let draining = false;
    let sourceDone = false;
    let completed = false;

    const complete = () => {
      if (subscriber.closed) return;
      completed = true;
      subscriber.complete();
    };

    const drain = () => {
      if (draining) return;
      draining = true;
      const c = current;
      if (c === null) return complete();
      if (c.tag === undefined || c.channel.core.state !== 'open') {
        // Not registered yet: no delivery can have come; unsubscribing withdraws the consume.
        c.subscription?.unsubscribe();
        current = null;
        return complete();
      }
      // The consumer stream completes on cancel-ok, after the deliveries sent before it.
      upstream.add(
        c.channel.basicCancel(c.tag).subscribe({
          error: () => {
            // The channel is going: what it delivered goes back to the queue anyway.
            c.subscription?.unsubscribe();
            complete();
          },
        }),
      );
    };

    upstream.add(
      source.subscribe({
        next: (channel) => {
          if (draining) return;
          current?.subscription?.unsubscribe();
          setDrainLease(channel, lease);
          const c: Current = { channel, tag: undefined, subscription: null };
          current = c;
          c.subscription = start(channel, (tag) => (c.tag = tag)).subscribe({
            next: (d) => subscriber.next(d),
            error: (e) => subscriber.error(e),
            complete: () => {
              if (current !== c) return;
              current = null;
              if (draining || sourceDone) complete();
            },
          });
        },
        error: (e) => {
          if (draining) complete();
          else subscriber.error(e);
        },
        complete: () => {
          sourceDone = true;
          if (current === null) complete();
        },
      }),
    );
    const notifier = from(until).subscribe({ next: drain, error: (e) => subscriber.error(e) });

    return () => {
      notifier.unsubscribe();
      current?.subscription?.unsubscribe();
      current = null;
      // Completed by a drain: keep the channel until the acks downstream are written.
      if (completed) lease.free(() => upstream.unsubscribe());
      else upstream.unsubscribe();
    };
  });
}

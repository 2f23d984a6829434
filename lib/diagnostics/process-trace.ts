import { from, Observable, throwError, type ObservableInput, type Subscription } from 'rxjs';
import type { ChannelCore } from '../channel/channel-core';
import type { Delivery } from '../facades';
import { isTraced } from './channels';
import { processChannel, type ProcessContext } from './process-channel';
import { peerOf } from './peer';

/**
 * `project(delivery)` as an Observable, for `ackAfter` and everything built on it (`serveRpc`).
 * A handler that throws synchronously becomes an Observable that errors (a failure of that one
 * delivery). With subscribers on `rx-amqp:process`, the handler is invoked and subscribed
 * inside the channel's `start.runStores(...)`, so that the async context a subscriber binds is
 * active in it; without, nothing is allocated beyond what `from()` needs.
 */
export function processInput<R>(
  project: (delivery: Delivery, signal: AbortSignal) => ObservableInput<R>,
  delivery: Delivery,
  signal: AbortSignal,
): Observable<R> {
  if (isTraced(processChannel)) return tracedProcess(project, delivery, signal);
  try {
    return from(project(delivery, signal));
  } catch (e) {
    return throwError(() => e);
  }
}

/** What a channel core offers to diagnostics (the settler of a delivery may be a test fake). */
type SettlerLike = Partial<Pick<ChannelCore, 'id' | 'host' | 'consumers' | 'lastQueue'>>;

function contextOf(delivery: Delivery): ProcessContext {
  const core = delivery.settler as unknown as SettlerLike;
  let queue: string | undefined;
  if (delivery.consumerTag !== undefined) {
    queue = core.consumers?.get(delivery.consumerTag)?.queue;
    if (queue === '') queue = core.lastQueue || undefined;
  }
  return {
    delivery,
    queue,
    channelId: core.id ?? 0,
    peer: core.host ? peerOf(core.host) : { serverAddress: '', serverPort: 0, protocol: '0-9-1', tls: false },
  };
}

function tracedProcess<R>(
  project: (delivery: Delivery, signal: AbortSignal) => ObservableInput<R>,
  delivery: Delivery,
  signal: AbortSignal,
): Observable<R> {
  return new Observable<R>((subscriber) => {
    const ctx = contextOf(delivery);
    let inSyncPart = true;
    let settled = false;
    // An outcome reached while the handler's synchronous part runs waits for `end`.
    let pending: { failed: boolean; error: unknown } | undefined;
    let inner: Subscription | undefined;

    const outcome = (failed: boolean, error: unknown) => {
      if (settled) return;
      settled = true;
      if (inSyncPart) {
        pending = { failed, error };
        return;
      }
      report(failed, error);
    };
    const report = (failed: boolean, error: unknown) => {
      if (failed) {
        ctx.error = error;
        processChannel.error.publish(ctx);
      }
      processChannel.asyncStart.publish(ctx);
      processChannel.asyncEnd.publish(ctx);
      if (failed) subscriber.error(error);
      else subscriber.complete();
    };
    const invoke = () => {
      try {
        inner = from(project(delivery, signal)).subscribe({
          next: (value) => subscriber.next(value),
          error: (e) => outcome(true, e),
          complete: () => outcome(false, undefined),
        });
      } catch (e) {
        outcome(true, e);
      }
    };

    processChannel.start.runStores(ctx, () => {
      const runWith = ctx.runWith;
      if (runWith === undefined) return invoke();
      try {
        runWith(invoke);
      } catch (e) {
        outcome(true, e); // a subscriber's runWith failed: the handler's failure, not the stream's
      }
      if (!settled && inner === undefined)
        outcome(true, new Error('rx-amqp:process runWith did not invoke the handler'));
    });
    inSyncPart = false;
    processChannel.end.publish(ctx);
    if (pending) report(pending.failed, pending.error);

    return () => {
      inner?.unsubscribe();
      if (!settled) {
        settled = true;
        ctx.abandoned = true;
        processChannel.asyncStart.publish(ctx);
        processChannel.asyncEnd.publish(ctx);
      }
    };
  });
}

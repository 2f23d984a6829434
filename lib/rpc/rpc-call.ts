import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { toMessage, type Publishable } from '../channel/publishable';
import { TimeoutError } from '../connection/errors';
import type { Channel, Delivery } from '../facades';
import { Message } from '../message';
import { DIRECT_REPLY_TO, ReplyRouter } from './reply-router';
import { inCallerContext } from '../diagnostics/channels';

/** Options of {@link rpcCall}. */
export interface RpcCallOptions {
  /** Exchange the request is published to (default: the default exchange ''). */
  exchange?: string;
  /** ms to wait for the reply before erroring with `TimeoutError` (default 30000; 0: forever). */
  timeout?: number;
  /** Scheduler of the timeout (default `asyncScheduler`). */
  scheduler?: SchedulerLike;
}

/**
 * A remote procedure call over RabbitMQ's direct reply-to: publishes `request` with a fresh
 * correlation id and `replyTo: amq.rabbitmq.reply-to`, and emits the reply (then completes).
 * Cold: each subscription is one call. Many calls may run at once on one channel; they share
 * one reply consumer. Errors with `TimeoutError` when no reply comes within `timeout`.
 */
export function rpcCall(
  channel: Channel,
  routingKey: string,
  request: Publishable,
  options: RpcCallOptions = {},
): Observable<Delivery> {
  return new Observable<Delivery>((subscriber) => {
    const router = ReplyRouter.of(channel);
    const correlationId = router.nextId();
    const timeout = options.timeout ?? 30000;
    let timer: Subscription | undefined;
    const ready = router.ready.subscribe({
      complete: inCallerContext(() => {
        if (subscriber.closed) return;
        // Inside a subscriber callback nothing may throw: a bad request errors this call.
        try {
          const base = toMessage(request);
          const message = new Message(base.body, { ...base.properties, correlationId, replyTo: DIRECT_REPLY_TO });
          router.expect(correlationId, subscriber);
          channel.basicPublish(message, options.exchange ?? '', routingKey);
        } catch (e) {
          router.forget(correlationId);
          subscriber.error(e);
          return;
        }
        if (timeout > 0) {
          timer = (options.scheduler ?? asyncScheduler).schedule(() => {
            router.forget(correlationId);
            subscriber.error(
              new TimeoutError(`no reply to RPC ${correlationId} on '${routingKey}' within ${timeout} ms`),
            );
          }, timeout);
        }
      }),
      error: (e) => subscriber.error(e),
    });
    return () => {
      ready.unsubscribe();
      timer?.unsubscribe();
      router.forget(correlationId);
    };
  });
}

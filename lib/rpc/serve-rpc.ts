import { from, map, switchMap, type ObservableInput, type OperatorFunction } from 'rxjs';
import type { ConsumeOptions } from '../channel/channel-options';
import { toMessage, type Publishable } from '../channel/publishable';
import type { Channel, Delivery } from '../facades';
import { Message } from '../message';
import { ackAfter, type AckAfterOptions } from '../operators/ack-after';
import { endOnRecoverable } from '../connection/recovery';
import { queueName, type QueueName } from '../operators/perform';

/** One request a server answered. */
export interface RpcServed {
  request: Delivery;
  reply: Message;
}

/** Options of {@link serveRpc}. */
export interface ServeRpcOptions extends Pick<AckAfterOptions, 'concurrency' | 'onError'> {
  /** Options of the request consumer (not `noAck`: requests are acked once answered). */
  consume?: Omit<ConsumeOptions, 'noAck'>;
}

/**
 * The server side of RPC: consumes `queue` on each Channel that arrives, answers each request
 * with `handler(request)` — every value it emits is published to the request's `replyTo` with
 * its `correlationId` — and acks the request once the handler completed (nacks it if the
 * handler failed, per `onError`). Emits each request with its last reply.
 *
 * A handler that throws synchronously, returns no ObservableInput, or emits an answer that is
 * no Message, string or bytes fails that request only, exactly like one that errors later: the
 * request is nacked per `onError` (default: requeued the first time, rejected — dead-lettered
 * if the queue has a dead-letter exchange — when it fails again) and the server goes on
 * answering the next ones. Replies already sent for a failed request stay sent.
 */
export function serveRpc(
  queue: QueueName,
  handler: (request: Delivery) => ObservableInput<Publishable>,
  options: ServeRpcOptions = {},
): OperatorFunction<Channel, RpcServed> {
  return switchMap((channel) =>
    channel.basicConsume(queueName(queue, channel), options.consume ?? {}).pipe(
      ackAfter(
        (request) =>
          from(handler(request)).pipe(
            map((answer) => {
              const base = toMessage(answer);
              const reply = new Message(base.body, {
                ...base.properties,
                correlationId: request.properties.correlationId,
              });
              const replyTo = request.properties.replyTo;
              if (replyTo) channel.basicPublish(reply, '', replyTo);
              return { request, reply };
            }),
          ),
        { concurrency: options.concurrency, onError: options.onError },
      ),
      endOnRecoverable(),
    ),
  );
}

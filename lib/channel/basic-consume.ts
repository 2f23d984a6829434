import { Observable } from 'rxjs';
import type { FieldTable } from '../protocol/field-types';
import type { DeliveryBase } from '../delivery';
import type { ChannelCore, ConsumerHandle } from './channel-core';
import type { ConsumeOptions } from './channel-options';
import { request, ticketed } from './channel-request';
import { streamOffsetArgument } from './queue-arguments';
import { streamFilterArguments, streamFilterMatcher } from './stream-filter';

/**
 * `basic.consume` as a stream (see `Channel.basicConsume`): subscribing registers a consumer,
 * unsubscribing cancels it. `D` is the channel's delivery class: the core makes every delivery
 * of this channel with its Channel's `createDelivery`, so what it hands the consumer is a `D`.
 */
export function basicConsume<D extends DeliveryBase>(
  core: ChannelCore,
  queue: string,
  options: ConsumeOptions,
): Observable<D> {
  return new Observable<D>((subscriber) => {
    if (options.nowait && !options.consumerTag) {
      // The server would pick a tag it never tells: its deliveries could not be routed here.
      subscriber.error(new TypeError('basicConsume with nowait needs a consumerTag'));
      return;
    }
    const noAck = options.noAck ?? false;
    let tag: string | undefined;
    let left = false;
    // Set once the consumer is gone on the server's side (cancelled, or the channel ended).
    let ended = false;
    const handle: ConsumerHandle = {
      noAck,
      queue,
      active: true,
      deliver: (d) => (wanted && !wanted(d) ? skipUnwanted(d) : subscriber.next(d as D)),
      end: (error) => {
        ended = true;
        if (error) subscriber.error(error);
        else subscriber.complete();
      },
    };
    const register = (consumerTag: string) => {
      tag = consumerTag;
      core.consumers.set(consumerTag, handle);
      if (left) cancelConsumer(core, consumerTag);
      else options.onStarted?.(consumerTag);
    };
    const {
      onStarted: _onStarted,
      offset,
      priority,
      consumerTimeout,
      filter,
      matchUnfiltered,
      ...consumeOptions
    } = options;
    let extra: FieldTable;
    let wanted: ReturnType<typeof streamFilterMatcher>;
    try {
      extra = streamFilterArguments({ filter, matchUnfiltered });
      wanted = streamFilterMatcher({ filter, matchUnfiltered });
    } catch (e) {
      subscriber.error(e);
      return;
    }
    if (consumerTimeout !== undefined) extra['x-consumer-timeout'] = consumerTimeout;
    if (offset !== undefined) extra['x-stream-offset'] = streamOffsetArgument(offset);
    if (priority !== undefined) extra['x-priority'] = priority;
    const consumeArguments = Object.keys(extra).length ? { ...options.arguments, ...extra } : options.arguments;
    const args = {
      ...ticketed(core, consumeOptions),
      queue,
      consumerTag: options.consumerTag ?? '',
      arguments: consumeArguments,
    };
    const call = core.call(
      'basic.consume',
      args,
      !!options.nowait,
      (_reply, ok) => register(options.nowait ? args.consumerTag : (ok as { consumerTag: string }).consumerTag),
      (e) => subscriber.error(e),
    );
    return () => {
      left = true;
      handle.active = false;
      if (ended) return;
      if (tag !== undefined) cancelConsumer(core, tag);
      else if (!call.sent) core.methods.withdraw(call);
    };
  });
}

/** `basic.cancel` for a consumer tag; a consumer stream of this channel with it completes. */
export function basicCancel(core: ChannelCore, consumerTag: string): Observable<void> {
  return request(core, 'basic.cancel', { consumerTag }, false, () => {
    const handle = core.consumers.get(consumerTag);
    core.consumers.delete(consumerTag);
    handle?.end();
  });
}

/** Cancels the consumer of a stream whose subscriber left (nothing to tell anyone). */
function cancelConsumer(core: ChannelCore, tag: string): void {
  if (core.state !== 'open') return;
  core.call(
    'basic.cancel',
    { consumerTag: tag },
    false,
    () => core.consumers.delete(tag),
    () => undefined,
  );
}

/**
 * A delivery that the broker's Bloom filter let through but the consumer's stream filter does
 * not want: acknowledged (streams cannot be rejected) so that it does not hold the prefetch.
 */
function skipUnwanted(delivery: DeliveryBase): void {
  try {
    if (!delivery.noAck) delivery.ack();
  } catch {
    // Writing the ack failed: the channel is failing and says so to the consumer itself.
  }
}

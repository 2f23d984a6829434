/**
 * The delivering side of the fake channel's broker: consumers fed from the Observables of
 * `FakeChannelOptions.queues`, delivery tags, and which deliveries are still unsettled.
 */
import { asapScheduler, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { ChannelCore } from '../channel/channel-core';
import { Delivery } from '../facades';
import { Message } from '../message';
import { encodeContentHeader } from '../protocol/content-header';
import { FrameType, type Frame } from '../protocol/frame';
import { encodeMethod } from '../protocol/method-codec';
import type { Protocol } from '../protocol/protocol-version';

/** What a queue of the fake broker delivers: test deliveries, strings or Messages. */
export type FakeQueue = Observable<Delivery | string | Message>;

/** What the consumers need of the fake broker. */
export interface ConsumerHost {
  readonly protocol: Protocol;
  /** The client's channel, which the deliveries are handed to. */
  readonly core: ChannelCore;
  /** The deliveries per queue name (read when a consumer starts). */
  readonly queues: Map<string, FakeQueue>;
}

/** The consumers of one fake channel (see the file's documentation). */
export class FakeConsumers {
  private readonly consumers = new Map<string, Subscription>();
  /** Delivery tags not yet acked, nacked or rejected, in order. */
  private readonly outstanding: number[] = [];
  private deliveryTag = 0;

  /**
   * @param host the broker
   * @param scheduler when the first delivery goes: one tick after basic.consume (asap by default)
   */
  constructor(
    private readonly host: ConsumerHost,
    private readonly scheduler: SchedulerLike | undefined,
  ) {}

  /** Starts a consumer: one scheduler tick from now, each value of the queue becomes a basic.deliver. */
  start(tag: string, queue: string, noAck: boolean): void {
    const source = this.host.queues.get(queue);
    if (!source) return;
    // Deliveries are sent through the scheduler like every other answer, after consume-ok.
    (this.scheduler ?? asapScheduler).schedule(() => {
      const sub = source.subscribe((value) => {
        const deliveryTag = ++this.deliveryTag;
        if (!noAck) this.outstanding.push(deliveryTag);
        this.deliver(tag, queue, deliveryTag, value);
      });
      this.consumers.set(tag, sub);
    });
  }

  /** Stops a consumer (basic.cancel). */
  cancel(tag: string): void {
    this.consumers.get(tag)?.unsubscribe();
    this.consumers.delete(tag);
  }

  /** Stops every consumer (the channel is finished). */
  cancelAll(): void {
    for (const s of this.consumers.values()) s.unsubscribe();
    this.consumers.clear();
  }

  /** The tags a basic.ack/nack/reject settles (`multiple`: every outstanding one up to `tag`). */
  settle(tag: number, multiple: boolean): number[] {
    if (!multiple) {
      const i = this.outstanding.indexOf(tag);
      if (i >= 0) this.outstanding.splice(i, 1);
      return [tag];
    }
    const tags = this.outstanding.filter((t) => t <= tag);
    this.outstanding.splice(0, tags.length);
    return tags;
  }

  private deliver(tag: string, queue: string, deliveryTag: number, value: Delivery | string | Message): void {
    const core = this.host.core;
    const protocol = this.host.protocol;
    const d = value instanceof Delivery ? value : null;
    const msg = typeof value === 'string' ? new Message(value) : value;
    const frames: Frame[] = [
      {
        type: FrameType.METHOD,
        channel: core.id,
        payload: encodeMethod(
          'basic.deliver',
          {
            consumerTag: tag,
            deliveryTag,
            redelivered: d?.redelivered ?? false,
            exchange: d?.exchange ?? '',
            routingKey: d?.routingKey ?? queue,
          },
          protocol,
        ),
      },
      {
        type: FrameType.HEADER,
        channel: core.id,
        payload: encodeContentHeader({ bodySize: msg.body.length, properties: msg.properties }, protocol),
      },
    ];
    if (msg.body.length) frames.push({ type: FrameType.BODY, channel: core.id, payload: msg.body });
    if (core.state === 'closed') return;
    for (const f of frames) core.handleFrame(f);
  }
}

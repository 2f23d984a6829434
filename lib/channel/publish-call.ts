import { asapScheduler, Observable, type Subscriber } from 'rxjs';
import type { Message } from '../message';
import type { ChannelCore, PublishWaiter } from './channel-core';
import type { PublishOptions } from './channel-options';
import type { ConfirmWaiter } from './confirm-tracker';
import { publishable, type Publishable } from './publishable';

/** What {@link Channel.publish} emits once a message is settled. */
export interface PublishResult {
  /** The confirm sequence number (0 when the channel is not in confirm mode). */
  sequence: number;
  /** True when the broker confirmed it; false when it only reached the socket. */
  confirmed: boolean;
  exchange: string;
  routingKey: string;
}

/**
 * `Channel.publish()` over the core: on subscribe, writes at once when nothing waits (the hot
 * path), else queues the publish until the socket, the broker and channel.flow let it go.
 */
export function publishOn(
  core: ChannelCore,
  message: Publishable,
  exchange: string,
  routingKey: string,
  options: PublishOptions,
): Observable<PublishResult> {
  const msg = publishable(message, options);
  const mandatory = options.mandatory ?? false;
  const immediate = options.immediate ?? false;
  return new Observable<PublishResult>((subscriber) => {
    const call = new PublishCall(core, subscriber, msg, exchange, routingKey, mandatory, immediate);
    if (core.canPublish) {
      call.write(); // the hot path: nothing waits, write now (a throw errors the subscriber)
      return;
    }
    core.whenPublishable(call);
    return () => core.cancelPublish(call);
  });
}

/**
 * One subscription to `Channel.publish()`: the publish, its place in the queue of publishes
 * waiting for their turn, and its confirm waiter, in one object. `publish()` runs at the rate
 * of the confirm window (a million a second in the benchmark), so one object per publish
 * replaces the closures and the watcher object a literal implementation would allocate.
 */
export class PublishCall implements PublishWaiter, ConfirmWaiter {
  /** Set by the confirm tracker when a basic.return was matched to this publish. */
  returned?: Error;
  private sequence = 0;

  constructor(
    private readonly core: ChannelCore,
    private readonly subscriber: Subscriber<PublishResult>,
    private readonly message: Message,
    readonly exchange: string,
    readonly routingKey: string,
    readonly mandatory: boolean,
    private readonly immediate: boolean,
  ) {}

  /** Writes the publish now; throws what the write throws (the caller errors the subscriber). */
  write(): void {
    const sequence = this.core.publish(this.message, this.exchange, this.routingKey, this.mandatory, this.immediate);
    if (sequence > 0) {
      this.sequence = sequence;
      this.core.confirms.watch(sequence, this);
    } else {
      // The output buffer's flush was scheduled on asapScheduler by the write; this runs after it.
      asapScheduler.schedule(handedToSocket, 0, this);
    }
  }

  /** Its turn came after waiting (PublishWaiter): write; a failure errors the subscriber. */
  go(): void {
    try {
      this.write();
    } catch (e) {
      this.subscriber.error(e);
    }
  }

  /** The channel ended while it waited (PublishWaiter). */
  fail(error: Error): void {
    this.subscriber.error(error);
  }

  /** The broker confirmed it (ConfirmWaiter). */
  resolve(): void {
    this.settled(true);
  }

  /** The broker nacked or returned it, or the channel ended before the confirm (ConfirmWaiter). */
  reject(error: Error): void {
    this.subscriber.error(error);
  }

  /** Emits the result and completes. */
  settled(confirmed: boolean): void {
    this.subscriber.next({ sequence: this.sequence, confirmed, exchange: this.exchange, routingKey: this.routingKey });
    this.subscriber.complete();
  }
}

/** The asap task of an unconfirmed publish: its bytes went to the socket in this tick's flush. */
function handedToSocket(this: unknown, call: PublishCall | undefined): void {
  call?.settled(false);
}

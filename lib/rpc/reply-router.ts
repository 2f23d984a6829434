import { ReplaySubject, type Subscriber } from 'rxjs';
import type { Channel } from '../facades';
import type { ChannelCore } from '../channel/channel-core';
import type { Delivery } from '../facades';

/** RabbitMQ's pseudo-queue for direct reply-to. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

const routers = new WeakMap<ChannelCore, ReplyRouter>();

/**
 * One direct reply-to consumer per channel, shared by every call on it; replies are routed to
 * the waiting call by correlation id. The consumer must be running before the first request
 * is published (RabbitMQ refuses a reply-to request otherwise), so calls wait for `ready`.
 */
export class ReplyRouter {
  private readonly waiting = new Map<string, Subscriber<Delivery>>();
  private readonly prefix = Math.random().toString(36).slice(2, 10);
  private counter = 0;
  /** Emits once the reply consumer is registered; errors if it could not be. */
  readonly ready = new ReplaySubject<void>(1);

  /** The router of a channel, started on first use. */
  static of(channel: Channel): ReplyRouter {
    let router = routers.get(channel.core);
    if (!router) {
      router = new ReplyRouter(channel);
      routers.set(channel.core, router);
    }
    return router;
  }

  private constructor(channel: Channel) {
    const core = channel.core;
    channel
      .basicConsume(DIRECT_REPLY_TO, {
        noAck: true,
        onStarted: () => {
          this.ready.next();
          this.ready.complete();
        },
      })
      .subscribe({
        next: (reply) => {
          const id = reply.properties.correlationId;
          const waiter = id === undefined ? undefined : this.waiting.get(id);
          if (!waiter) return; // a late reply to a call that timed out or was abandoned
          this.waiting.delete(id!);
          waiter.next(reply);
          waiter.complete();
        },
        error: (e) => this.fail(core, e),
        complete: () => this.fail(core, new Error('direct reply-to consumer ended')),
      });
  }

  /** A fresh correlation id. */
  nextId(): string {
    return `${this.prefix}.${++this.counter}`;
  }

  /** Registers a call waiting for the reply with `correlationId`. */
  expect(correlationId: string, subscriber: Subscriber<Delivery>): void {
    this.waiting.set(correlationId, subscriber);
  }

  /** Forgets a call (timed out or unsubscribed). */
  forget(correlationId: string): void {
    this.waiting.delete(correlationId);
  }

  private fail(core: ChannelCore, error: unknown): void {
    routers.delete(core);
    this.ready.error(error);
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiters) w.error(error);
  }
}

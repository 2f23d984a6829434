import { ReplaySubject, type Subscriber } from 'rxjs';
import type { Channel } from '../facades';
import type { Delivery } from '../facades';

/** RabbitMQ's pseudo-queue for direct reply-to. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/**
 * The router of each channel. Keyed by the Channel itself: a channel has one Channel object for
 * its whole life (`openChannel(id)` of an open channel resolves to the same one), so no internal
 * object is needed to name it.
 */
const routers = new WeakMap<Channel, ReplyRouter>();

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
    let router = routers.get(channel);
    if (!router) {
      router = new ReplyRouter(channel);
      routers.set(channel, router);
    }
    return router;
  }

  private constructor(channel: Channel) {
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
        error: (e) => this.fail(channel, e),
        complete: () => this.fail(channel, new Error('direct reply-to consumer ended')),
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

  private fail(channel: Channel, error: unknown): void {
    routers.delete(channel);
    this.ready.error(error);
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiters) w.error(error);
  }
}

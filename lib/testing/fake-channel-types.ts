/**
 * The data types of the fake channel (`fakeChannel()`): its options, and what it records of
 * the code under test (publishes, nacks and rejects).
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { Delivery } from '../facades';
import type { Message } from '../message';
import type { Protocol } from '../protocol/protocol-version';

/** A message the code under test published on a fake channel. */
export interface FakePublish {
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  message: Message;
  /** Its confirm sequence number (0 outside confirm mode). */
  sequence: number;
}

/** A nack or reject the code under test sent. */
export interface FakeRejection {
  deliveryTag: number;
  requeue: boolean;
}

/** Options of {@link fakeChannel}. */
export interface FakeChannelOptions {
  /** Dialect (default '0-9-1'). */
  protocol?: Protocol;
  /** Deliveries per queue name: each consumer of the queue gets the Observable's values. */
  queues?: Record<string, Observable<Delivery | string | Message>>;
  /**
   * How the fake broker answers publishes in confirm mode (default `'ack'`); a function can
   * decide per message.
   */
  confirm?: 'ack' | 'nack' | ((publish: FakePublish) => 'ack' | 'nack');
  /**
   * When the fake answers: one tick of this scheduler after the request (default the asap
   * scheduler, which `TestScheduler.run` makes virtual: the same frame).
   */
  scheduler?: SchedulerLike;
}

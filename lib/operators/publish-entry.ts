import type { Message } from '../message';
import type { ConfirmWaiter } from './publish-port';
import type { PublishToResult } from './publish-result';

/** Where a {@link PublishEntry} reports the broker's answer to its publish. */
export interface EntryOwner<T> {
  confirmed(entry: PublishEntry<T>): void;
  rejected(entry: PublishEntry<T>, error: Error): void;
}

/**
 * One input on its way, from its arrival to its result. It is also the confirm waiter of its
 * publish (the channel calls `resolve`/`reject`), so nothing else is allocated per input.
 */
export class PublishEntry<T> implements ConfirmWaiter {
  /** Its confirm sequence number on the channel it was last published on (0: none). */
  sequence = 0;
  /** How many times it was published. */
  attempts = 0;
  /** Written on the current channel and not settled: it counts against the window. */
  published = false;
  /** Its one result, once it has it. */
  result: PublishToResult<T> | null = null;
  /** Set by the channel when a basic.return was matched to its publish. */
  returned?: Error;
  /** The channel it was last published on (the window never looks at it). */
  channel: object | null = null;
  /**
   * When it times out, in ms on its publishTo's `DeadlineTimer` clock (0: no `timeout`). A
   * small integer, so V8 stores it unboxed: no heap number per entry.
   */
  deadline = 0;

  constructor(
    readonly owner: EntryOwner<T>,
    readonly value: T,
    /** Undefined only for an input whose `toMessage` threw (it is never published). */
    readonly message: Message | undefined,
    readonly exchange: string,
    readonly routingKey: string,
    readonly mandatory: boolean,
  ) {}

  resolve(): void {
    this.owner.confirmed(this);
  }

  reject(error: Error): void {
    this.owner.rejected(this, error);
  }
}

import { MessageReturnedError, PublishNackedError } from '../channel/errors';
import { PublishOverflowError, PublishTimeoutError } from './errors';
import type { PublishEntry } from './publish-entry';
import type { PublishStatus, PublishToResult } from './publish-result';
import { RingBuffer } from './ring-buffer';

/** What a {@link PublishWindow} makes happen, synchronously, as it takes in events. */
export interface WindowSink<T> {
  /** Emit this result downstream. */
  result(result: PublishToResult<T>): void;
  /** Every input has its result and the source completed: complete downstream. */
  complete(): void;
  /** End with this error (an input overflowed `maxBuffered` with `overflow: 'error'`). */
  error(error: Error): void;
}

/** The limits and policies of a {@link PublishWindow}, from publishTo's options. */
export interface WindowSettings {
  /** Most inputs published and not settled (at least 1). */
  readonly window: number;
  /** Emit results in input order; false: each as it settles. */
  readonly ordered: boolean;
  /** On a channel loss, publish the unsettled inputs again (true) or fail them. */
  readonly republish: boolean;
  /** Most inputs waiting to be published for the first time (Infinity: no bound). */
  readonly maxBuffered: number;
  /** An input beyond `maxBuffered` fails alone (true) or errors the operator. */
  readonly failOnOverflow: boolean;
  /** The `timeout` option in ms, for the error of an input that times out (0: none). */
  readonly timeout: number;
}

/**
 * The state machine of publishTo's window, without I/O: which inputs wait, which are
 * published and unsettled, which have their result, and in which order results go out. The
 * operator feeds it events (an input arrived or failed, a publish was written or failed, the
 * broker answered, time passed, the channel was lost, the source completed, the subscriber
 * left) and publishes what {@link next} hands it; the window calls its {@link WindowSink} to
 * emit results, complete or error. Once stopped (teardown, error, completion) it ignores every
 * event and hands out nothing more to publish.
 *
 * Entries live in a {@link RingBuffer} in input order, from the oldest without an emitted
 * result (`head`) to the newest; `cursor` is the next one to publish.
 */
export class PublishWindow<T> {
  private readonly entries = new RingBuffer<PublishEntry<T>>();
  /** Position of the next entry to publish (never before the ring's head). */
  private cursor = 0;
  private unsettled = 0;
  private queued = 0;
  private sourceDone = false;
  private isStopped = false;

  constructor(
    private readonly settings: WindowSettings,
    private readonly sink: WindowSink<T>,
  ) {}

  /** Published on the current channel and not settled (never more than `window`). */
  get inFlight(): number {
    return this.unsettled;
  }

  /** Accepted and never published yet (what `maxBuffered` bounds). */
  get waiting(): number {
    return this.queued;
  }

  /** True once torn down, errored or completed: nothing more happens. */
  get stopped(): boolean {
    return this.isStopped;
  }

  /** The subscriber left or the operator errored: nothing more is handed out or emitted. */
  stop(): void {
    this.isStopped = true;
  }

  /**
   * An input arrived. Returns true when it waits to be published; false when it did not get in
   * (stopped, or it overflowed `maxBuffered`: then it has its `'failed'` result, or the sink
   * was told to error).
   */
  add(entry: PublishEntry<T>): boolean {
    if (this.isStopped) return false;
    if (this.queued >= this.settings.maxBuffered) {
      const overflow = new PublishOverflowError(this.settings.maxBuffered);
      if (!this.settings.failOnOverflow) {
        this.isStopped = true;
        this.sink.error(overflow);
        return false;
      }
      this.failAtOnce(entry, overflow);
      return false;
    }
    this.queued++;
    this.entries.push(entry);
    return true;
  }

  /** An input whose `toMessage` or routing-key function threw: one `'failed'` result, in its place. */
  failInput(entry: PublishEntry<T>, error: Error): void {
    if (!this.isStopped) this.failAtOnce(entry, error);
  }

  /** The source completed: complete once every input has its result emitted. */
  sourceComplete(): void {
    if (this.isStopped) return;
    this.sourceDone = true;
    this.emitSettled();
  }

  /** The next entry to publish, if the window has room; null when none (or stopped). */
  next(): PublishEntry<T> | null {
    if (this.isStopped) return null;
    const entries = this.entries;
    while (this.cursor < entries.tail && this.unsettled < this.settings.window) {
      const entry = entries.at(this.cursor);
      if (entry.result === null) return entry;
      this.cursor++; // it got its result (timed out) while waiting
    }
    return null;
  }

  /** The entry {@link next} handed out was written, with this confirm sequence number. */
  published(entry: PublishEntry<T>, sequence: number): void {
    this.cursor++;
    this.unsettled++;
    if (entry.attempts === 0) this.queued--;
    entry.attempts++;
    entry.published = true;
    entry.sequence = sequence;
  }

  /** Writing the entry {@link next} handed out threw (the channel open): it fails. */
  publishFailed(entry: PublishEntry<T>, error: Error): void {
    this.cursor++;
    this.settle(entry, 'failed', error);
    this.emitSettled();
  }

  /** Outside confirm mode, what was written has reached the socket: each is `'sent'`. */
  settleSent(): void {
    const entries = this.entries;
    for (let p = entries.head; !this.isStopped; p++) {
      if (p < entries.head) p = entries.head; // results emitted meanwhile (unordered)
      if (p >= this.cursor) break;
      const entry = entries.at(p);
      if (entry.published) this.settle(entry, 'sent');
    }
    this.emitSettled();
  }

  /** The broker confirmed the entry's publish. */
  confirmed(entry: PublishEntry<T>): void {
    if (this.isStopped) return; // a late confirm after teardown: dropped quietly
    this.settle(entry, 'confirmed');
    this.emitSettled();
  }

  /** The broker nacked or returned the entry's publish, or its channel failed it. */
  rejected(entry: PublishEntry<T>, error: Error): void {
    if (this.isStopped) return;
    const status =
      error instanceof MessageReturnedError ? 'returned' : error instanceof PublishNackedError ? 'nacked' : 'failed';
    this.settle(entry, status, error);
    this.emitSettled();
  }

  /**
   * `now` on the deadline clock: every unsettled entry whose deadline has passed fails with a
   * `PublishTimeoutError` (one still waiting is never published). Deadlines come due in input
   * order. Returns the next deadline to arm the timer for, or 0 for none.
   */
  expire(now: number): number {
    if (this.isStopped) return 0;
    const entries = this.entries;
    let next = 0;
    let timedOut = false;
    for (let p = entries.head; !this.isStopped; p++) {
      if (p < entries.head) p = entries.head; // results emitted meanwhile (unordered)
      if (p >= entries.tail) break;
      const entry = entries.at(p);
      if (entry.result !== null) continue;
      if (entry.deadline > now) {
        next = entry.deadline;
        break;
      }
      this.settle(entry, 'failed', new PublishTimeoutError(this.settings.timeout));
      timedOut = true;
    }
    if (timedOut) this.emitSettled();
    return next;
  }

  /**
   * The channel was lost. Everything published and not settled goes back in line to be
   * published again on the next channel (`republish`), or fails with `error`.
   */
  lost(error: Error): void {
    if (this.isStopped) return;
    const entries = this.entries;
    const republish = this.settings.republish;
    let first = -1;
    for (let p = entries.head; !this.isStopped; p++) {
      if (p < entries.head) p = entries.head; // results emitted meanwhile (unordered)
      if (p >= this.cursor) break;
      const entry = entries.at(p);
      if (entry.result !== null || !entry.published) continue;
      if (republish) {
        entry.published = false;
        this.unsettled--;
        if (first < 0) first = p;
      } else {
        this.settle(entry, 'failed', error);
      }
    }
    if (first >= 0) this.cursor = first;
    else if (!republish) this.emitSettled();
  }

  /** Gives `entry` its result; it no longer counts against the window or `maxBuffered`. */
  private settle(entry: PublishEntry<T>, status: PublishStatus, error?: Error): void {
    if (entry.result !== null) return;
    if (entry.published) this.unsettled--;
    else if (entry.attempts === 0) this.queued--;
    this.finish(entry, status, error);
  }

  /** An entry that fails on arrival: in line for its place in the order, never counted. */
  private failAtOnce(entry: PublishEntry<T>, error: Error): void {
    this.entries.push(entry);
    this.finish(entry, 'failed', error);
    this.emitSettled();
  }

  private finish(entry: PublishEntry<T>, status: PublishStatus, error: Error | undefined): void {
    entry.result = {
      value: entry.value,
      message: entry.message,
      exchange: entry.exchange,
      routingKey: entry.routingKey,
      sequence: entry.sequence,
      confirmed: status === 'confirmed',
      status,
      ok: status === 'confirmed' || status === 'sent',
      error,
      attempts: entry.attempts,
    } as PublishToResult<T>;
    if (!this.settings.ordered) this.sink.result(entry.result);
  }

  /** Lets go of the entries at the head that have their result (emitting them when ordered). */
  private emitSettled(): void {
    const entries = this.entries;
    const ordered = this.settings.ordered;
    while (entries.size > 0 && !this.isStopped) {
      const result = entries.at(entries.head).result;
      if (result === null) break;
      entries.shift();
      if (ordered) this.sink.result(result);
    }
    // an input that failed before publishing (its routing key or message) can be passed over
    // by the head before the cursor reached it
    if (this.cursor < entries.head) this.cursor = entries.head;
    if (this.sourceDone && entries.size === 0 && !this.isStopped) {
      this.isStopped = true;
      this.sink.complete();
    }
  }
}

import { PublishNackedError } from './errors';

/** A publish awaiting its confirm. */
export interface ConfirmWaiter {
  resolve(): void;
  reject(error: Error): void;
  mandatory: boolean;
  exchange: string;
  routingKey: string;
  /** Set when a basic.return was matched to it: the ack that follows becomes a failure. */
  returned?: Error;
  /** A waiter watched after this one for the same publish (diagnostics wraps the publisher's). */
  chain?(next: ConfirmWaiter): void;
}

/** Marks a slot whose confirm arrived out of order, before the slots ahead of it. */
const CONFIRMED = Symbol('confirmed');

type Slot = ConfirmWaiter | null | typeof CONFIRMED;

/**
 * Publisher-confirm bookkeeping of one channel (RabbitMQ's confirm extension): sequence
 * numbers from 1, `basic.ack`/`basic.nack` with `multiple` settling every earlier one.
 * Every published sequence number is tracked (with or without a waiter) so that a graceful
 * close can wait until the broker has answered for all of them. Sequence numbers are dense,
 * so the slots are an array indexed by `seq - firstSeq` (from `head`), not a map.
 */
export class ConfirmTracker {
  private seq = 0;
  private slots: Slot[] = [];
  private head = 0;
  /** The sequence number of `slots[head]`. */
  private firstSeq = 1;
  private count = 0;
  private drainWaiters: Array<() => void> = [];

  /** Messages published and not yet confirmed. */
  get outstanding(): number {
    return this.count;
  }

  /** The sequence number of the next publish; registers it as outstanding. */
  next(): number {
    this.slots.push(null);
    this.count++;
    return ++this.seq;
  }

  /** Attaches a waiter to a sequence number returned by {@link next}. */
  watch(seq: number, waiter: ConfirmWaiter): void {
    const i = this.head + (seq - this.firstSeq);
    if (i < this.head || i >= this.slots.length) return;
    const slot = this.slots[i];
    if (slot === null) this.slots[i] = waiter;
    else if (slot !== CONFIRMED) slot.chain?.(waiter);
  }

  /**
   * A basic.return in confirm mode: RabbitMQ sends it before the confirm of the same message,
   * so it belongs to the oldest outstanding mandatory publish with that exchange and key.
   */
  returned(exchange: string, routingKey: string, error: Error): void {
    for (let i = this.head; i < this.slots.length; i++) {
      const w = this.slots[i];
      if (
        w &&
        w !== CONFIRMED &&
        w.mandatory &&
        !w.returned &&
        w.exchange === exchange &&
        w.routingKey === routingKey
      ) {
        w.returned = error;
        return;
      }
    }
  }

  /** basic.ack: the broker took `tag` (and, with `multiple`, every one before it). */
  acked(tag: number, multiple: boolean): void {
    this.confirm(tag, multiple, false);
  }

  /** basic.nack: the broker refused `tag` (and, with `multiple`, every one before it). */
  nacked(tag: number, multiple: boolean): void {
    this.confirm(tag, multiple, true);
  }

  /** Completes the waiters of `tag` (and, with `multiple`, all before it); `nack` fails them. */
  private confirm(tag: number, multiple: boolean, nack: boolean): void {
    const slots = this.slots;
    if (multiple) {
      while (this.head < slots.length && this.firstSeq <= tag) {
        const w = slots[this.head];
        slots[this.head] = null;
        this.head++;
        const seq = this.firstSeq++;
        if (w !== CONFIRMED) {
          this.count--;
          if (w) answerWaiter(w, seq, nack);
        }
      }
    } else {
      const i = this.head + (tag - this.firstSeq);
      if (i < this.head || i >= slots.length || slots[i] === CONFIRMED) return;
      const w = slots[i];
      slots[i] = CONFIRMED;
      this.count--;
      while (this.head < slots.length && slots[this.head] === CONFIRMED) {
        slots[this.head] = null;
        this.head++;
        this.firstSeq++;
      }
      if (w) answerWaiter(w, tag, nack);
    }
    if (this.head > 1024 && this.head * 2 > slots.length) {
      this.slots = slots.slice(this.head);
      this.head = 0;
    }
    if (this.count === 0) this.wake();
  }

  /** Resolves once nothing is outstanding, or when `abort` resolves. */
  drained(abort: Promise<unknown>): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return Promise.race([new Promise<void>((resolve) => this.drainWaiters.push(resolve)), abort.then(() => undefined)]);
  }

  /** Fails every outstanding publish (the channel finished). */
  failAll(error: Error): void {
    const waiters = this.slots.slice(this.head);
    this.slots = [];
    this.head = 0;
    this.firstSeq = this.seq + 1;
    this.count = 0;
    for (const w of waiters) if (w && w !== CONFIRMED) w.reject(error);
    this.wake();
  }

  private wake(): void {
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of ws) resolve();
  }
}

function answerWaiter(w: ConfirmWaiter, seq: number, nack: boolean): void {
  if (nack) w.reject(new PublishNackedError(seq));
  else if (w.returned) w.reject(w.returned);
  else w.resolve();
}

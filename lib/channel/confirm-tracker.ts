/** A publish awaiting its confirm. */
export interface ConfirmWaiter {
  resolve(): void;
  reject(error: Error): void;
  mandatory: boolean;
  exchange: string;
  routingKey: string;
  /** Set when a basic.return was matched to it: the ack that follows becomes a failure. */
  returned?: Error;
}

/**
 * Publisher-confirm bookkeeping of one channel (RabbitMQ's confirm extension): sequence
 * numbers from 1, `basic.ack`/`basic.nack` with `multiple` settling every earlier one.
 * Every published sequence number is tracked (with or without a waiter) so that a graceful
 * close can wait until the broker has answered for all of them.
 */
export class ConfirmTracker {
  private seq = 0;
  private readonly pending = new Map<number, ConfirmWaiter | null>();
  private drainWaiters: Array<() => void> = [];

  /** Messages published and not yet confirmed. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** The sequence number of the next publish; registers it as outstanding. */
  next(): number {
    const n = ++this.seq;
    this.pending.set(n, null);
    return n;
  }

  /** Attaches a waiter to a sequence number returned by {@link next}. */
  watch(seq: number, waiter: ConfirmWaiter): void {
    if (this.pending.has(seq)) this.pending.set(seq, waiter);
  }

  /**
   * A basic.return in confirm mode: RabbitMQ sends it before the confirm of the same message,
   * so it belongs to the oldest outstanding mandatory publish with that exchange and key.
   */
  returned(exchange: string, routingKey: string, error: Error): void {
    for (const w of this.pending.values()) {
      if (w && w.mandatory && !w.returned && w.exchange === exchange && w.routingKey === routingKey) {
        w.returned = error;
        return;
      }
    }
  }

  /** Settles `tag` (and, with `multiple`, all before it); `nack` makes the failure. */
  settle(tag: number, multiple: boolean, nack: ((seq: number) => Error) | undefined): void {
    if (multiple) {
      for (const [seq, w] of this.pending) {
        if (seq > tag) break;
        this.pending.delete(seq);
        if (w) finishOne(w, seq, nack);
      }
    } else {
      const w = this.pending.get(tag);
      if (w === undefined) return;
      this.pending.delete(tag);
      if (w) finishOne(w, tag, nack);
    }
    if (this.pending.size === 0) this.wake();
  }

  /** Resolves once nothing is outstanding, or when `abort` settles. */
  drained(abort: Promise<unknown>): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return Promise.race([new Promise<void>((resolve) => this.drainWaiters.push(resolve)), abort.then(() => undefined)]);
  }

  /** Fails every outstanding publish (the channel is gone). */
  failAll(error: Error): void {
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const w of waiters) w?.reject(error);
    this.wake();
  }

  private wake(): void {
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of ws) resolve();
  }
}

function finishOne(w: ConfirmWaiter, seq: number, nack: ((seq: number) => Error) | undefined): void {
  if (nack) w.reject(nack(seq));
  else if (w.returned) w.reject(w.returned);
  else w.resolve();
}

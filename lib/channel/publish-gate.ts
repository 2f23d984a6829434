import { type BehaviorSubject, merge, type Subscription } from 'rxjs';
import type { ChannelHost } from './channel-host';

/** A `publish()` waiting for its turn to write (see {@link PublishGate}). */
export interface PublishWaiter {
  /** Its turn: write now. Must not throw. */
  go(): void;
  /** The channel finished first. */
  fail(error: Error): void;
}

/**
 * The `publish()` calls of a channel that wait for their turn to write: while the socket's
 * buffer is full (`writable$` false), the broker blocks the connection (`blocked$`) or the
 * server paused the channel (`channel.flow`, `flow$`). Waiters go in the order they came, one
 * at a time, and stop as soon as a write fills the socket again, so the bytes handed to the
 * socket stay bounded however many publishes wait. The three states are watched only while
 * something waits.
 */
export class PublishGate {
  private readonly waiters = new Set<PublishWaiter>();
  /** Watches flow$, blocked$ and writable$ while `waiters` is not empty. */
  private watch: Subscription | null = null;

  constructor(
    private readonly host: ChannelHost,
    private readonly flow$: BehaviorSubject<boolean>,
  ) {}

  /** Whether a publish may write at once: nothing waits before it and the way is free. */
  get canPass(): boolean {
    return this.waiters.size === 0 && this.host.writable$.value && !this.host.blocked$.value && this.flow$.value;
  }

  /** Queues a waiter until its turn ({@link PublishWaiter.go}). */
  wait(waiter: PublishWaiter): void {
    this.waiters.add(waiter);
    if (this.watch) return;
    const watch = merge(this.flow$, this.host.blocked$, this.host.writable$).subscribe(() => this.pump());
    if (this.waiters.size === 0) watch.unsubscribe();
    else this.watch = watch;
  }

  /** Withdraws a waiter (its subscriber left). */
  cancel(waiter: PublishWaiter): void {
    if (this.waiters.delete(waiter) && this.waiters.size === 0) this.stopWatching();
  }

  /** Fails every waiter (the channel finished) and stops watching. */
  failAll(error: Error): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    this.stopWatching();
    for (const w of waiters) w.fail(error);
  }

  private pump(): void {
    for (const waiter of this.waiters) {
      if (!this.host.writable$.value || this.host.blocked$.value || !this.flow$.value) return;
      this.waiters.delete(waiter);
      waiter.go();
    }
    if (this.waiters.size === 0) this.stopWatching();
  }

  private stopWatching(): void {
    this.watch?.unsubscribe();
    this.watch = null;
  }
}

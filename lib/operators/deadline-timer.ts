import type { SchedulerLike, Subscription } from 'rxjs';

/**
 * One scheduler action for many deadlines that come due in the order they were set (as the
 * per-message deadlines of `publishTo`, counted from each input's arrival): only the earliest
 * pending deadline is armed, and the callback re-arms it for the next one. No timer per
 * message, nothing allocated per message. Times are counted from the timer's creation, so they
 * stay small integers (V8 keeps them unboxed in the objects that store them, where an epoch
 * time in ms would be a heap number allocated per message).
 */
export class DeadlineTimer {
  private armed: Subscription | null = null;
  private armedFor = Infinity;
  private readonly origin: number;

  constructor(
    private readonly scheduler: SchedulerLike,
    /** Called when the armed deadline is due; it settles what is due and calls {@link arm} again. */
    private readonly due: () => void,
  ) {
    this.origin = scheduler.now();
  }

  /** Milliseconds since the timer was created, by the scheduler's clock. */
  now(): number {
    return this.scheduler.now() - this.origin;
  }

  /** Makes sure the timer fires no later than `deadline` (a no-op if it is armed earlier). */
  arm(deadline: number): void {
    if (this.armed !== null && this.armedFor <= deadline) return;
    this.armed?.unsubscribe();
    this.armedFor = deadline;
    this.armed = this.scheduler.schedule(
      () => {
        this.armed = null;
        this.armedFor = Infinity;
        this.due();
      },
      Math.max(0, deadline - this.now()),
    );
  }

  /** Cancels the armed action. */
  cancel(): void {
    this.armed?.unsubscribe();
    this.armed = null;
    this.armedFor = Infinity;
  }
}

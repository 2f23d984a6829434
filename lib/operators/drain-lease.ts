import type { Channel } from '../facades';
import type { DeliverySettler } from '../delivery';

/**
 * Keeps a draining consumer's channel (and so its connection) open while downstream
 * operators still settle the deliveries they received from it.
 *
 * `consume(queue, { until })` completes its output once its consumer is cancelled, but the
 * channel its deliveries must be acked on is held by its upstream subscription, which RxJS
 * ends the moment the output completes. So the consumer hands that subscription to a lease
 * instead: `ackAfter`/`ackAfterBatch` hold the lease of every channel they received a
 * delivery from and release it when they have flushed their acks (on completion, error or
 * unsubscribe); the upstream is unsubscribed — closing the channel after those acks — when
 * the last holder released it, or at once when nobody held it.
 */
export class DrainLease {
  private holders = 0;
  private whenFree: (() => void) | null = null;

  /** Marks one more operator as still settling deliveries of this lease. */
  hold(): void {
    this.holders++;
  }

  /** One holder is done; runs the pending `free` callback when it was the last. */
  release(): void {
    if (this.holders > 0 && --this.holders === 0) this.runFree();
  }

  /** Runs `free` now when nobody holds the lease, else once the last holder released it. */
  free(free: () => void): void {
    this.whenFree = free;
    if (this.holders === 0) this.runFree();
  }

  private runFree(): void {
    const free = this.whenFree;
    this.whenFree = null;
    free?.();
  }
}

/** The lease of the draining consumer on each channel (one lookup per delivery, no allocation). */
const leases = new WeakMap<DeliverySettler, DrainLease>();

/** @internal Registers `lease` as the lease of the deliveries arriving on `channel`. */
export function setDrainLease(channel: Channel, lease: DrainLease): void {
  leases.set(channel.core, lease);
}

/**
 * Tracks the leases an operator holds: `note(delivery.settler)` for each delivery it
 * receives (the settler of a channel's deliveries is its ChannelCore), `releaseAll()` once its acks are flushed.
 */
export class LeaseHolder {
  private held: DrainLease[] | null = null;

  /** Holds the lease of a delivery's channel, if a draining consumer set one and it is not held yet. */
  note(settler: DeliverySettler): void {
    const lease = leases.get(settler);
    if (lease === undefined) return;
    if (this.held === null) this.held = [];
    else if (this.held.includes(lease)) return;
    this.held.push(lease);
    lease.hold();
  }

  /** Releases every lease held (idempotent). */
  releaseAll(): void {
    const held = this.held;
    this.held = null;
    if (held) for (const lease of held) lease.release();
  }
}

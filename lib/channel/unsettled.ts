import type { DeliveryBase } from '../delivery';

/** What to write for a batch of acks: one `multiple` ack and/or single ones. */
export interface AckPlan {
  /** Ack every delivery up to and including this tag with `multiple` (0: none). */
  multipleUpTo: number;
  /** Tags to ack one by one. */
  singles: number[];
}

/**
 * The deliveries of a channel that still await an ack, nack or reject, in tag order (the
 * broker numbers deliveries 1, 2, 3, ... per channel, so insertion order is tag order), and
 * the acks queued for the next batch. A batch coalesces into one `basic.ack multiple` for its
 * longest run starting at the oldest unsettled delivery — only there does `multiple` ack
 * exactly the batch and nothing the application still holds.
 */
export class Unsettled {
  private readonly byTag = new Map<number, DeliveryBase>();
  private queued: number[] = [];

  /** Number of deliveries not yet settled (including queued acks not yet written). */
  get size(): number {
    return this.byTag.size;
  }

  /** Whether acks wait to be written. */
  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  /** Tracks a delivery that needs settling. */
  add(delivery: DeliveryBase): void {
    this.byTag.set(delivery.deliveryTag, delivery);
  }

  /** A settle written now: forgets `tag`, or with `multiple` every tag up to it. */
  settled(tag: number, multiple: boolean): void {
    if (!multiple) {
      this.byTag.delete(tag);
      return;
    }
    for (const [t, d] of this.byTag) {
      if (t > tag) break;
      d.markSettled();
      this.byTag.delete(t);
    }
  }

  /** Queues an ack for the next {@link takePlan}. */
  queueAck(tag: number): void {
    this.queued.push(tag);
  }

  /** The frames to write for the queued acks, forgetting them; null when none are queued. */
  takePlan(): AckPlan | null {
    const queued = this.queued;
    if (queued.length === 0) return null;
    this.queued = [];
    // Usual case: the queued tags are exactly the oldest unsettled ones, in order.
    let i = 0;
    for (const tag of this.byTag.keys()) {
      if (i === queued.length || queued[i] !== tag) break;
      i++;
    }
    if (i === queued.length) {
      for (let k = 0; k < i; k++) this.byTag.delete(queued[k]);
      return i > 1 ? { multipleUpTo: queued[i - 1], singles: [] } : { multipleUpTo: 0, singles: [queued[0]] };
    }
    const batch = new Set(queued);
    let run = 0;
    let last = 0;
    for (const tag of this.byTag.keys()) {
      if (!batch.has(tag)) break;
      batch.delete(tag);
      this.byTag.delete(tag);
      last = tag;
      run++;
    }
    const singles: number[] = [];
    if (run === 1) singles.push(last);
    for (const tag of batch) {
      if (this.byTag.delete(tag)) singles.push(tag);
    }
    return { multipleUpTo: run > 1 ? last : 0, singles };
  }

  /** Forgets everything (the channel finished; the broker requeues what was unsettled). */
  clear(): void {
    this.byTag.clear();
    this.queued = [];
  }
}

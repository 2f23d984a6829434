import type { DeliveryBase } from '../delivery';

/** What to write for a batch of acks: one `multiple` ack and/or single ones. */
export interface AckPlan {
  /** Ack every delivery up to and including this tag with `multiple` (0: none). */
  multipleUpTo: number;
  /** Tags to ack one by one. */
  singles: number[];
}

/** Below this many slots the arrays are not compacted (copying would cost more than the holes). */
const COMPACT_MIN_SLOTS = 64;
/** Arrays longer than this are released once empty, so a burst does not pin its memory. */
const KEEP_MAX_SLOTS = 4096;

/**
 * The deliveries of a channel that still await an ack, nack or reject, in tag order, and the
 * acks queued for the next batch. A batch coalesces into one `basic.ack multiple` for its
 * longest run starting at the oldest unsettled delivery — only there does `multiple` ack
 * exactly the batch and nothing the application still holds.
 *
 * Why two arrays and not a Map: the broker numbers deliveries 1, 2, 3, ... per channel, so
 * they arrive in tag order and are mostly settled oldest first. Appending to sorted arrays and
 * advancing a head index over settled slots costs no hashing and allocates nothing per
 * delivery, where a Map of tags rehashed its table over and over under the churn of
 * `ackEach` (measured: about 12 % of the CPU of consume + ackEach; see bench/RESULTS.md). A
 * tag out of order (a broker bug, or a fuzzed stream) is inserted in place, so the order
 * stays the order that `multiple` acks by.
 */
export class Unsettled {
  /** Tags, ascending, of the slots [head, end). */
  private readonly tags: number[] = [];
  /** The delivery of each slot; null once settled (a hole, skipped and compacted away). */
  private readonly items: (DeliveryBase | null)[] = [];
  /** Index of the first slot that may hold an unsettled delivery. */
  private head = 0;
  /**
   * One past the last slot in use. The arrays are not shortened when they empty (a new
   * backing store per delivery would be the allocation this class exists to avoid), so
   * slots from `end` on are spare; their items are always null.
   */
  private end = 0;
  /** Number of non-null slots. */
  private live = 0;
  private queued: number[] = [];

  /** Number of deliveries not yet settled (including queued acks not yet written). */
  get size(): number {
    return this.live;
  }

  /** Whether acks wait to be written. */
  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  /** Tracks a delivery that needs settling. */
  add(delivery: DeliveryBase): void {
    const tag = delivery.deliveryTag;
    const n = this.end;
    if (n === this.head || this.tags[n - 1] < tag) {
      this.tags[n] = tag;
      this.items[n] = delivery;
      this.end = n + 1;
      this.live++;
      return;
    }
    this.insert(tag, delivery);
  }

  /** A settle written now: forgets `tag`, or with `multiple` every tag up to it. */
  settled(tag: number, multiple: boolean): void {
    if (!multiple) {
      this.forget(tag);
      return;
    }
    const { tags, items } = this;
    for (let i = this.head; i < this.end && tags[i] <= tag; i++) {
      const d = items[i];
      if (d === null) continue;
      d.markSettled();
      items[i] = null;
      this.live--;
    }
    this.tidy();
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
    const { tags, items } = this;
    // Usual case: the queued tags are exactly the oldest unsettled ones, in order.
    let i = 0;
    let p = this.head;
    for (; i < queued.length && p < this.end; p++) {
      if (items[p] === null) continue;
      if (tags[p] !== queued[i]) break;
      i++;
    }
    if (i === queued.length) {
      this.clearSlots(this.head, p);
      return i > 1 ? { multipleUpTo: queued[i - 1], singles: [] } : { multipleUpTo: 0, singles: [queued[0]] };
    }
    // Otherwise: the longest run of queued tags from the oldest unsettled one as `multiple`,
    // the rest one by one (only those still unsettled: a tag may have been settled meanwhile).
    const batch = new Set(queued);
    let run = 0;
    let last = 0;
    for (p = this.head; p < this.end; p++) {
      if (items[p] === null) continue;
      if (!batch.has(tags[p])) break;
      batch.delete(tags[p]);
      last = tags[p];
      run++;
    }
    this.clearSlots(this.head, p);
    const singles: number[] = [];
    if (run === 1) singles.push(last);
    for (const tag of batch) {
      if (this.forget(tag)) singles.push(tag);
    }
    return { multipleUpTo: run > 1 ? last : 0, singles };
  }

  /** Forgets everything (the channel finished; the broker requeues what was unsettled). */
  clear(): void {
    this.tags.length = 0;
    this.items.length = 0;
    this.head = 0;
    this.end = 0;
    this.live = 0;
    this.queued = [];
  }

  /** Removes the delivery of `tag`; false if it was not unsettled. */
  private forget(tag: number): boolean {
    const i = this.indexOf(tag);
    if (i < 0 || this.items[i] === null) return false;
    this.items[i] = null;
    this.live--;
    this.tidy();
    return true;
  }

  /** Empties the slots [from, to) (holes stay holes). */
  private clearSlots(from: number, to: number): void {
    const items = this.items;
    for (let k = from; k < to; k++) {
      if (items[k] === null) continue;
      items[k] = null;
      this.live--;
    }
    this.tidy();
  }

  /** The slot of `tag` in [head, end) (binary search: tags are ascending), or -1. */
  private indexOf(tag: number): number {
    const tags = this.tags;
    // Usually the oldest: deliveries are mostly settled in the order they came.
    if (this.head < this.end && tags[this.head] === tag) return this.head;
    let lo = this.head;
    let hi = this.end - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = tags[mid];
      if (t === tag) return mid;
      if (t < tag) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Puts an out-of-order tag in its place; a tag already present gets the new delivery. */
  private insert(tag: number, delivery: DeliveryBase): void {
    const { tags, items } = this;
    let i = this.head;
    while (i < this.end && tags[i] < tag) i++;
    if (i < this.end && tags[i] === tag) {
      if (items[i] === null) this.live++;
      items[i] = delivery;
      return;
    }
    for (let k = this.end; k > i; k--) {
      tags[k] = tags[k - 1];
      items[k] = items[k - 1];
    }
    tags[i] = tag;
    items[i] = delivery;
    this.end++;
    this.live++;
  }

  /**
   * After settling: moves {@link head} past the holes at the front (back to 0 once nothing is
   * unsettled), and compacts the slots once holes are most of them (a delivery held for long
   * while later ones are settled), so memory follows the number of unsettled deliveries, not
   * the number ever delivered. Each compaction follows at least as many settles as it moves
   * slots, so the cost per delivery stays constant.
   */
  private tidy(): void {
    const { tags, items, end } = this;
    let h = this.head;
    while (h < end && items[h] === null) h++;
    if (h === end) {
      this.head = this.end = 0;
      if (items.length > KEEP_MAX_SLOTS) {
        tags.length = 0;
        items.length = 0;
      }
      return;
    }
    this.head = h;
    const slots = end - h;
    if (end < COMPACT_MIN_SLOTS || (h < slots && this.live * 2 > slots)) return;
    let w = 0;
    for (let r = h; r < end; r++) {
      const d = items[r];
      if (d === null) continue;
      tags[w] = tags[r];
      items[w] = d;
      w++;
    }
    for (let k = w; k < end; k++) items[k] = null;
    this.head = 0;
    this.end = w;
  }
}

/** The smallest capacity. A power of two. */
const MIN_CAPACITY = 16;
/**
 * A ring never shrinks below this capacity (a power of two). Why: a publish window fills and
 * drains over and over; shrinking it on every drain and growing it on every fill allocated and
 * copied its storage each time (measured: 1-2 % of publishTo's CPU, and garbage). Up to this
 * size the storage is kept; above it, a burst's storage is given back as the ring drains.
 */
const KEEP_CAPACITY = 1024;

/**
 * A first-in-first-out queue addressed by position: the n-th element ever pushed has position
 * n (from 0) until it is shifted out, however the storage grows or shrinks meanwhile. So a
 * caller may hold a position across a callback that pushes or shifts (publishTo's results reach
 * user code, which can feed its source synchronously), where an array compacted with `splice`
 * would move every index under it. The storage is a power-of-two ring, doubled when full and,
 * above {@link KEEP_CAPACITY}, halved when seven eighths empty (so it does not flap between two
 * sizes around one threshold): nothing is allocated per element (amortized), and nothing is
 * copied on `shift` (unlike `Array.prototype.shift`).
 */
export class RingBuffer<E> {
  private slots: Array<E | undefined> = new Array<E | undefined>(MIN_CAPACITY).fill(undefined);
  private mask = MIN_CAPACITY - 1;
  private first = 0;
  private end = 0;

  /** The position of the oldest element (the next {@link shift} removes it). */
  get head(): number {
    return this.first;
  }

  /** One past the position of the newest element (the position the next {@link push} gets). */
  get tail(): number {
    return this.end;
  }

  /** How many elements it holds. */
  get size(): number {
    return this.end - this.first;
  }

  /** Appends `element` at position {@link tail}. */
  push(element: E): void {
    if (this.end - this.first > this.mask) this.resize((this.mask + 1) * 2);
    this.slots[this.end & this.mask] = element;
    this.end++;
  }

  /** The element at `position`, which must be in [{@link head}, {@link tail}). */
  at(position: number): E {
    return this.slots[position & this.mask] as E;
  }

  /** Removes the oldest element (the ring must not be empty). */
  shift(): void {
    this.slots[this.first & this.mask] = undefined;
    this.first++;
    const capacity = this.mask + 1;
    if (capacity > KEEP_CAPACITY && this.end - this.first <= capacity >> 3) this.resize(capacity >> 1);
  }

  private resize(capacity: number): void {
    const slots = new Array<E | undefined>(capacity).fill(undefined);
    const mask = capacity - 1;
    // Positions stay what they are; only where they are stored changes.
    for (let p = this.first; p < this.end; p++) slots[p & mask] = this.slots[p & this.mask];
    this.slots = slots;
    this.mask = mask;
  }
}

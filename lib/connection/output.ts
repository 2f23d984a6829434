import { asapScheduler } from 'rxjs';
import { Writer } from '../protocol/writer';

const SLAB = 64 * 1024;
/** Bytes pending after which a flush happens at once rather than at the end of the tick. */
const FLUSH_AT = 32 * 1024;
/** Free room below which a flushed slab is replaced rather than written on. */
const MIN_ROOM = 8 * 1024;

/**
 * The connection's outgoing byte buffer. Frames are appended synchronously by whoever sends
 * them; everything written in one tick goes out in one `write` (or one per 32 KiB), so a
 * burst of publishes or acks costs one syscall, not one per frame. Flushed bytes are handed
 * to the transport and never overwritten: the writer moves on to fresh room.
 *
 * The end-of-tick flush is scheduled on RxJS's `asapScheduler`: a microtask in production,
 * and virtual time inside `TestScheduler.run()`, so that marble tests see writes happen.
 */
export class OutputBuffer extends Writer {
  private base = 0;
  private scheduled = false;
  private sink: ((bytes: Buffer) => void) | null;

  constructor(sink: (bytes: Buffer) => void) {
    super(SLAB);
    this.sink = sink;
  }

  /** Bytes written but not yet handed to the transport. */
  get pending(): number {
    return this.pos - this.base;
  }

  /** Call after appending frames: schedules (or forces) a flush. */
  commit(): void {
    if (this.pos - this.base >= FLUSH_AT) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      asapScheduler.schedule(this.flushTask);
    }
  }

  private readonly flushTask = () => {
    this.scheduled = false;
    this.flush();
  };

  /** Hands everything pending to the transport now. */
  flush(): void {
    if (this.pos === this.base || !this.sink) return;
    const chunk = this.buf.subarray(this.base, this.pos);
    if (this.buf.length - this.pos < MIN_ROOM) {
      this.buf = Buffer.allocUnsafe(SLAB);
      this.pos = 0;
    }
    this.base = this.pos;
    this.sink(chunk);
  }

  /** Drops pending bytes and stops writing (the transport is gone). */
  detach(): void {
    this.sink = null;
    this.base = this.pos = 0;
  }
}

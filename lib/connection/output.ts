import { asapScheduler } from 'rxjs';
import { Writer } from '../protocol/writer';

const SLAB = 64 * 1024;
/** Bytes pending after which a flush happens at once rather than at the end of the tick. */
const FLUSH_AT = 32 * 1024;
/** Flushes up to this size are copied out, and the slab is written over from its start. */
const COPY_MAX = 16 * 1024;

/**
 * The connection's outgoing byte buffer. Frames are appended synchronously by whoever sends
 * them; everything written in one tick goes out in one `write` (or one per 32 KiB), so a
 * burst of publishes or acks costs one syscall, not one per frame.
 *
 * Bytes handed to the transport are never overwritten. A small flush (the usual case: the
 * frames of one tick) is handed over as a copy and the slab is reused from its start, so one
 * slab serves the connection for its whole life; a large one is handed over as it is and the
 * writer moves to a fresh slab. (Moving on after every flush would leave one 64 KiB slab
 * behind every few dozen flushes, each kept long enough to be promoted by the GC and then
 * held until a full collection: tens of MB under steady load. Keeping one slab across
 * flushes without rewinding it would make it grow without bound in a long synchronous burst.)
 *
 * The end-of-tick flush is scheduled on RxJS's `asapScheduler`: a microtask in production,
 * and virtual time inside `TestScheduler.run()`, so that marble tests see writes happen.
 */
export class OutputBuffer extends Writer {
  private scheduled = false;
  private sink: ((bytes: Buffer) => void) | null;

  constructor(sink: (bytes: Buffer) => void) {
    super(SLAB);
    this.sink = sink;
  }

  /** Bytes written but not yet handed to the transport. */
  get pending(): number {
    return this.pos;
  }

  /** Call after appending frames: schedules (or forces) a flush. */
  commit(): void {
    if (this.pos >= FLUSH_AT) this.flush();
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
    if (!this.sink) {
      this.pos = 0; // detached: nothing will ever send it
      return;
    }
    if (this.pos === 0) return;
    let chunk: Buffer;
    if (this.pos <= COPY_MAX) {
      chunk = Buffer.from(this.buf.subarray(0, this.pos));
    } else {
      chunk = this.buf.subarray(0, this.pos);
      this.buf = Buffer.allocUnsafe(SLAB);
    }
    this.pos = 0;
    this.sink(chunk);
  }

  /** Drops pending bytes and stops writing (the transport is gone). */
  detach(): void {
    this.sink = null;
    this.pos = 0;
  }
}

import { FrameError, UnexpectedFrameError } from './errors';
import { FrameConstant, FrameKind } from './generated/constants';

export { FRAME_END, FRAME_MIN_SIZE, FrameType } from './generated/constants';

/** Bytes a frame adds around its payload: type (1), channel (2), size (4), frame-end (1). */
export const FRAME_OVERHEAD = 8;

/** frame_max rx-amqp proposes and assumes until tune: 128 KiB, as RabbitMQ does. */
export const DEFAULT_FRAME_MAX = 131072;

/** One AMQP frame. `payload` is a view onto the bytes received whenever possible. */
export interface Frame {
  /** 1 method, 2 content header, 3 content body, 8 heartbeat. */
  type: number;
  channel: number;
  payload: Uint8Array;
}

/**
 * Receives frames without a Frame object or a payload view being made for each: the payload
 * is `buf[start..end)`. The connection's hot path; {@link FrameParser.push} builds Frames on it.
 */
export interface FrameSink {
  frame(type: number, channel: number, buf: Buffer, start: number, end: number): void;
}

/** Options of {@link FrameParser} and `parseFrames`. */
export interface FrameParserOptions {
  /**
   * Largest whole frame accepted, header and frame-end included (as negotiated by
   * connection.tune). A size field past it is a {@link FrameError} as soon as the 7-byte header
   * is read. 0 (the spec's "no limit") is taken as {@link FRAME_MAX_CEILING}. Default
   * {@link DEFAULT_FRAME_MAX}.
   */
  frameMax?: number;
}

/** Largest frame accepted even when no frame_max is set: 2 GiB, so a 4 GiB size never buffers. */
export const FRAME_MAX_CEILING = 0x7fffffff;

const HEADER_SIZE = 7;

/**
 * Splits a byte stream into frames. Push chunks as they arrive; each complete frame is handed
 * to `emit`. A frame wholly inside one chunk is a zero-copy slice of it; a frame spread over
 * chunks is copied once into a buffer of its exact size, allocated only after its header has
 * been checked. Any error leaves the parser failed: further pushes throw the same error.
 */
export class FrameParser {
  /** The frame_max in force; may be raised or lowered between pushes (after tune). */
  frameMax: number;
  private head: Buffer | null = null;
  private headLen = 0;
  private partial: Buffer | null = null;
  private filled = 0;
  private failure: Error | null = null;

  constructor(options: FrameParserOptions = {}) {
    this.frameMax = options.frameMax ?? DEFAULT_FRAME_MAX;
  }

  /** Whether bytes of an unfinished frame are held. */
  get pending(): boolean {
    return this.headLen > 0 || this.partial !== null;
  }

  /** Feeds one chunk. Throws {@link FrameError} / {@link UnexpectedFrameError} on bad input. */
  push(chunk: Uint8Array, emit: (frame: Frame) => void): void {
    this.pushRaw(chunk, {
      frame: (type, channel, buf, start, end) => emit({ type, channel, payload: buf.subarray(start, end) }),
    });
  }

  /** Like {@link push}, handing each frame to `sink` as a byte range of a buffer. */
  pushRaw(chunk: Uint8Array, sink: FrameSink): void {
    if (this.failure) throw this.failure;
    try {
      this.consume(toBuffer(chunk), sink);
    } catch (e) {
      this.failure = e as Error;
      this.head = this.partial = null;
      throw e;
    }
  }

  private consume(buf: Buffer, emit: FrameSink): void {
    let off = 0;
    const len = buf.length;
    if (this.partial) {
      off = this.fill(buf, emit);
      if (off < 0) return;
    } else if (this.headLen > 0) {
      const head = this.head!;
      const take = Math.min(HEADER_SIZE - this.headLen, len);
      buf.copy(head, this.headLen, 0, take);
      this.headLen += take;
      off = take;
      if (this.headLen < HEADER_SIZE) return;
      const total = this.checkHeader(head, 0) + FRAME_OVERHEAD;
      this.head = null;
      this.headLen = 0;
      this.partial = Buffer.allocUnsafe(total);
      head.copy(this.partial, 0, 0, HEADER_SIZE);
      this.filled = HEADER_SIZE;
      const used = this.fill(buf.subarray(off), emit);
      if (used < 0) return;
      off += used;
    }
    while (len - off >= HEADER_SIZE) {
      const size = this.checkHeader(buf, off);
      const total = size + FRAME_OVERHEAD;
      if (len - off >= total) {
        if (buf[off + total - 1] !== FrameConstant.END) throw badEnd(buf[off + total - 1]);
        emit.frame(buf[off], (buf[off + 1] << 8) | buf[off + 2], buf, off + HEADER_SIZE, off + HEADER_SIZE + size);
        off += total;
        if (this.failure) return;
      } else {
        this.partial = Buffer.allocUnsafe(total);
        buf.copy(this.partial, 0, off, len);
        this.filled = len - off;
        return;
      }
    }
    if (off < len) {
      this.head = Buffer.allocUnsafe(HEADER_SIZE);
      buf.copy(this.head, 0, off, len);
      this.headLen = len - off;
    }
  }

  /** Copies into the partial frame; returns bytes used, or -1 if the chunk ran out first. */
  private fill(buf: Buffer, emit: FrameSink): number {
    const partial = this.partial!;
    const take = Math.min(partial.length - this.filled, buf.length);
    buf.copy(partial, this.filled, 0, take);
    this.filled += take;
    if (this.filled < partial.length) return -1;
    this.partial = null;
    if (partial[partial.length - 1] !== FrameConstant.END) throw badEnd(partial[partial.length - 1]);
    emit.frame(partial[0], (partial[1] << 8) | partial[2], partial, HEADER_SIZE, partial.length - 1);
    return take;
  }

  /** Validates type and size of the header at `off`; returns the payload size. */
  private checkHeader(buf: Buffer, off: number): number {
    const type = buf[off];
    if (
      type !== FrameKind.METHOD &&
      type !== FrameKind.HEADER &&
      type !== FrameKind.BODY &&
      type !== FrameKind.HEARTBEAT
    ) {
      throw new UnexpectedFrameError(`unknown frame type ${type}`);
    }
    const size = buf[off + 3] * 0x1000000 + ((buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6]);
    const max = this.frameMax > 0 ? this.frameMax : FRAME_MAX_CEILING;
    if (size > max - FRAME_OVERHEAD) {
      throw new FrameError(`frame of ${size + FRAME_OVERHEAD} bytes exceeds frame_max ${max}`);
    }
    return size;
  }
}

function badEnd(octet: number): FrameError {
  return new FrameError(`frame-end octet is 0x${octet.toString(16).padStart(2, '0')}, expected 0xce`);
}

/** A Buffer view of any Uint8Array, without copying. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes one frame: type, channel, size, payload, frame-end. */
export function encodeFrame(frame: Frame): Uint8Array {
  const { type, channel, payload } = frame;
  if ((type & 0xff) !== type) throw new RangeError(`frame type ${type} is not an octet`);
  if ((channel & 0xffff) !== channel) throw new RangeError(`channel ${channel} is not 0..65535`);
  const out = Buffer.allocUnsafe(payload.length + FRAME_OVERHEAD);
  out[0] = type;
  out.writeUInt16BE(channel, 1);
  out.writeUInt32BE(payload.length, 3);
  out.set(payload, HEADER_SIZE);
  out[out.length - 1] = FrameConstant.END;
  return out;
}

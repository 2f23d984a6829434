import { isUtf8 } from 'node:buffer';
import type { FieldReader } from './cursor';
import { FrameSyntaxError } from './errors';
import { decodeFieldValue, MAX_TABLE_DEPTH } from './field-value';
import type { FieldTable } from './field-types';
import type { Protocol } from './protocol-version';

/** Largest integer a JS number holds exactly, as the high 32-bit word of a 64-bit value. */
const SAFE_HIGH = 0x1fffff;

/** The weight of the high 32-bit word of a 64-bit value (2^32). */
const HIGH_WORD = 0x100000000;

/** Short strings of bytes below this are ASCII, which decodes as Latin-1 without a UTF-8 check. */
const ASCII_END = 0x80;

/** @internal The last short string {@link Reader.shortstrAgain} read at one place, and its bytes. */
export class ShortStringMemo {
  /** Its bytes (a copy: the frame buffer is not pinned). */
  bytes: Uint8Array = new Uint8Array(0);
  /** The string they decode to; '' is what no bytes decode to. */
  value = '';
}

/**
 * Bounds-checked cursor over one frame payload. Every read checks that its bytes are present
 * and throws {@link FrameSyntaxError} (502) otherwise, so truncated input can never surface as
 * a RangeError or read into a neighbouring frame.
 */
export class Reader implements FieldReader {
  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
    readonly protocol: Protocol = '0-9-1',
  ) {}

  /** Points the reader at another byte range (readers are reused on hot paths). */
  reset(buf: Buffer, pos: number, end: number): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    return this;
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      throw new FrameSyntaxError(`truncated ${what}: needs ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  octet(): number {
    if (this.pos >= this.end) this.need(1, 'octet');
    return this.buf[this.pos++];
  }

  short(): number {
    if (this.end - this.pos < 2) this.need(2, 'short');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  long(): number {
    if (this.end - this.pos < 4) this.need(4, 'long');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Unsigned 64-bit: a number when exact, otherwise a bigint. */
  longlong(): number | bigint {
    if (this.end - this.pos < 8) this.need(8, 'longlong');
    const hi = this.buf.readUInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi <= SAFE_HIGH ? hi * HIGH_WORD + lo : (BigInt(hi) << 32n) | BigInt(lo);
  }

  /**
   * Unsigned 64-bit that the client keeps as a number (a delivery tag, a body size): past 2^53
   * it is a {@link FrameSyntaxError} naming `what`, not a silently rounded number.
   */
  longlongNumber(what: string): number {
    return toSafeNumber(this.longlong(), what);
  }

  /** Signed 64-bit: a number when exact, otherwise a bigint. */
  signedLonglong(): number | bigint {
    if (this.end - this.pos < 8) this.need(8, 'longlong');
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    if (hi <= SAFE_HIGH && hi >= -SAFE_HIGH - 1) return hi * HIGH_WORD + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /**
   * Short string: one length octet, then that many bytes of UTF-8. Invalid UTF-8 is a
   * {@link FrameSyntaxError}: short strings name things (queues, exchanges, keys, tags) and a
   * silently replaced character would name something else.
   */
  shortstr(): string {
    if (this.pos >= this.end) this.need(1, 'short string length');
    const len = this.buf[this.pos];
    const start = this.pos + 1;
    const stop = start + len;
    if (stop > this.end) {
      throw new FrameSyntaxError(`truncated short string: claims ${len} bytes, ${this.end - start} left`);
    }
    this.pos = stop;
    return decodeShortUtf8(this.buf, start, stop);
  }

  /**
   * @internal The consume path's (`DeliverArgs`), not part of the public Reader.
   *
   * A short string that usually repeats the one read at the same place of the previous frame
   * (the consumer tag, exchange and routing key of a consumer's deliveries). Why: one compare
   * with the bytes `memo` kept is a single pass with no hashing and no string made, where
   * {@link shortstr} hashes, looks up its cache and compares; measured about 9 % of the CPU of
   * consuming 100-byte messages. Bytes that differ are read by {@link shortstr} (with its
   * checks) and remembered; equal bytes were valid UTF-8 when first read.
   */
  shortstrAgain(memo: ShortStringMemo): string {
    const { buf, pos } = this;
    const seen = memo.bytes;
    const len = seen.length;
    if (pos < this.end && buf[pos] === len && pos + 1 + len <= this.end) {
      let i = 0;
      while (i < len && seen[i] === buf[pos + 1 + i]) i++;
      if (i === len) {
        this.pos = pos + 1 + len;
        return memo.value;
      }
    }
    const value = this.shortstr();
    memo.bytes = Uint8Array.prototype.slice.call(buf, pos + 1, this.pos);
    memo.value = value;
    return value;
  }

  /** Long string as raw bytes (a copy, so the frame buffer is not pinned). */
  longstr(): Buffer {
    const len = this.long();
    if (this.end - this.pos < len) {
      throw new FrameSyntaxError(`truncated long string: claims ${len} bytes, ${this.end - this.pos} left`);
    }
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return v;
  }

  /** 64-bit seconds since the epoch. */
  timestamp(): Date {
    const s = this.longlong();
    return new Date(Number(s) * 1000);
  }

  /** A field table: 4-byte size, then name/value pairs. */
  table(depth = 0): FieldTable {
    if (depth > MAX_TABLE_DEPTH) {
      throw new FrameSyntaxError(`field tables nested deeper than ${MAX_TABLE_DEPTH} levels`);
    }
    const size = this.long();
    if (this.end - this.pos < size) {
      throw new FrameSyntaxError(`truncated table: claims ${size} bytes, ${this.end - this.pos} left`);
    }
    const stop = this.pos + size;
    const outerEnd = this.end;
    // Narrow the reader to the table so nothing inside can read past its declared size.
    this.end = stop;
    const table: FieldTable = {};
    try {
      while (this.pos < stop) {
        const key = this.shortstr();
        const value = decodeFieldValue(this, depth);
        if (key === '__proto__') {
          Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
        } else {
          table[key] = value;
        }
      }
    } finally {
      this.end = outerEnd;
    }
    return table;
  }
}

/**
 * A decoded 64-bit value (a number when exact, a bigint past 2^53) as a number, for the values
 * the client keeps as numbers (delivery tags, publish sequence numbers): a bigint is a
 * {@link FrameSyntaxError} (502), `${what} ${value} is beyond 2^53`.
 */
export function toSafeNumber(value: number | bigint, what: string): number {
  if (typeof value !== 'number') throw new FrameSyntaxError(`${what} ${String(value)} is beyond 2^53`);
  return value;
}

/**
 * Short strings repeat (consumer tags, exchanges, routing keys, content types), so decoded
 * ones up to 32 bytes are kept in a small direct-mapped cache keyed by their bytes; a hit
 * costs a hash and a compare instead of a new string.
 */
const CACHE_SLOTS = 1024;
const CACHEABLE = 32;
const cachedBytes: Array<Uint8Array | undefined> = new Array(CACHE_SLOTS);
const cachedStrings: string[] = new Array(CACHE_SLOTS);

/** Decodes a short UTF-8 run, rejecting invalid sequences. */
function decodeShortUtf8(buf: Buffer, start: number, stop: number): string {
  const len = stop - start;
  if (len === 0) return '';
  if (len > CACHEABLE) return decodeUtf8(buf, start, stop);
  let h = len;
  let high = 0;
  for (let i = start; i < stop; i++) {
    const b = buf[i];
    h = (Math.imul(h, 31) + b) | 0;
    high |= b;
  }
  const slot = (h ^ (h >>> 10)) & (CACHE_SLOTS - 1);
  const cached = cachedBytes[slot];
  if (cached !== undefined && cached.length === len) {
    let i = 0;
    while (i < len && cached[i] === buf[start + i]) i++;
    if (i === len) return cachedStrings[slot];
  }
  const str = high < ASCII_END ? buf.toString('latin1', start, stop) : decodeUtf8(buf, start, stop);
  cachedBytes[slot] = Uint8Array.prototype.slice.call(buf, start, stop);
  cachedStrings[slot] = str;
  return str;
}

function decodeUtf8(buf: Buffer, start: number, stop: number): string {
  if (!isUtf8(buf.subarray(start, stop))) throw new FrameSyntaxError('short string is not valid UTF-8');
  return buf.toString('utf8', start, stop);
}

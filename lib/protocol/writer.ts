import type { FieldWriter } from './cursor';
import { EncodeError } from './errors';
import { encodeTableBody } from './field-encode';
import type { FieldTable } from './field-types';
import type { Protocol } from './protocol-version';

/** Longest short string in bytes (its length is one octet). */
const SHORTSTR_MAX = 255;

/** The weight of the high 32-bit word of a 64-bit value (2^32). */
const HIGH_WORD = 0x100000000;

/**
 * A growable output buffer with checked writers for every AMQP domain type. A value that does
 * not fit its type is an {@link EncodeError}, raised before the write. `field` names the
 * argument in the message.
 */
export class Writer implements FieldWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 4096) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Forgets what was written, keeping the buffer. */
  reset(): void {
    this.pos = 0;
  }

  /** A copy of the bytes written so far. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  octet(v: number, field = 'octet'): void {
    if ((v & 0xff) !== v) throw rangeError(field, v, 'an octet (0..255)');
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = v;
  }

  short(v: number, field = 'short'): void {
    if ((v & 0xffff) !== v) throw rangeError(field, v, 'a short (0..65535)');
    this.ensure(2);
    this.buf[this.pos] = v >>> 8;
    this.buf[this.pos + 1] = v & 0xff;
    this.pos += 2;
  }

  long(v: number, field = 'long'): void {
    if (v >>> 0 !== v) throw rangeError(field, v, 'a long (0..4294967295)');
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  /** Unsigned 64-bit from a safe integer or a bigint. */
  longlong(v: number | bigint, field = 'longlong'): void {
    this.ensure(8);
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) throw rangeError(field, v, 'an unsigned 64-bit integer');
      this.buf.writeUInt32BE(Math.floor(v / HIGH_WORD), this.pos);
      this.buf.writeUInt32BE(v >>> 0, this.pos + 4);
    } else if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) {
      this.buf.writeBigUInt64BE(v, this.pos);
    } else {
      throw rangeError(field, v, 'an unsigned 64-bit integer');
    }
    this.pos += 8;
  }

  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  /** Signed 64-bit from a safe integer. */
  int64(v: number): void {
    this.ensure(8);
    this.buf.writeInt32BE(Math.floor(v / HIGH_WORD), this.pos);
    this.buf.writeUInt32BE(v >>> 0, this.pos + 4);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** Short string: length octet + UTF-8; over 255 bytes is an error and nothing is kept. */
  shortstr(s: string, field = 'short string'): void {
    if (typeof s !== 'string') throw typeError(field, s, 'a string');
    const units = s.length;
    if (units > SHORTSTR_MAX) throw tooLong(field, s);
    this.ensure(1 + units * 3);
    const bytes = this.buf.write(s, this.pos + 1, 'utf8');
    if (bytes !== units) {
      if (bytes > SHORTSTR_MAX) throw tooLong(field, s);
      if (!s.isWellFormed()) throw new EncodeError(`${field}: string has an unpaired surrogate`);
    }
    this.buf[this.pos] = bytes;
    this.pos += 1 + bytes;
  }

  /** Long string: 4-byte length + UTF-8 text or raw bytes. */
  longstr(s: string | Uint8Array, field = 'long string'): void {
    if (typeof s === 'string') {
      const max = s.length * 3;
      this.ensure(4 + max);
      const bytes = this.buf.write(s, this.pos + 4, 'utf8');
      if (bytes !== s.length && !s.isWellFormed()) {
        throw new EncodeError(`${field}: string has an unpaired surrogate`);
      }
      this.buf.writeUInt32BE(bytes, this.pos);
      this.pos += 4 + bytes;
    } else if (s instanceof Uint8Array) {
      this.ensure(4 + s.length);
      this.buf.writeUInt32BE(s.length, this.pos);
      this.buf.set(s, this.pos + 4);
      this.pos += 4 + s.length;
    } else {
      throw typeError(field, s, 'a string or Uint8Array');
    }
  }

  /** Timestamp: whole seconds since the epoch as an unsigned 64-bit value. */
  timestamp(d: Date, field = 'timestamp'): void {
    if (!(d instanceof Date)) throw typeError(field, d, 'a Date');
    const ms = d.getTime();
    if (!(ms >= 0)) throw new EncodeError(`${field}: ${String(d)} is not a timestamp AMQP can carry`);
    this.longlong(Math.floor(ms / 1000), field);
  }

  /** Field table (4-byte size first); `undefined`/`null` is the empty table. */
  table(t: FieldTable | undefined | null, protocol: Protocol, field = 'table'): void {
    if (t === undefined || t === null) {
      this.long(0);
      return;
    }
    if (typeof t !== 'object' || Array.isArray(t)) throw typeError(field, t, 'an object');
    const start = this.pos;
    try {
      encodeTableBody(this, t, protocol, 0);
    } catch (e) {
      this.pos = start;
      if (e instanceof EncodeError) throw new EncodeError(`${field} ${e.message}`);
      throw e;
    }
  }

  /** Reserves 4 bytes for a size written later by {@link patchLong}; returns their offset. */
  reserveLong(): number {
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    return at;
  }

  /** Writes a 32-bit size at an offset from {@link reserveLong}. */
  patchLong(at: number, v: number): void {
    this.buf.writeUInt32BE(v, at);
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

function rangeError(field: string, v: unknown, what: string): EncodeError {
  return new EncodeError(`${field}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)} is not ${what}`);
}

function typeError(field: string, v: unknown, what: string): EncodeError {
  return new EncodeError(`${field}: expected ${what}, got ${v === null ? 'null' : typeof v}`);
}

function tooLong(field: string, s: string): EncodeError {
  return new EncodeError(
    `${field}: ${Buffer.byteLength(s)} bytes of UTF-8 exceed the ${SHORTSTR_MAX} of a short string`,
  );
}

import { EncodeError, FrameSyntaxError } from './errors';
import { Decimal, TaggedValue, type FieldTable, type FieldValue } from './field-types';
import type { Protocol } from './protocol-version';
import type { FieldReader, FieldWriter } from './cursor';
import { isUtf8 } from 'node:buffer';

/**
 * Deepest nesting of tables and arrays accepted in either direction. Deeper input is a
 * {@link FrameSyntaxError} (decode) or {@link EncodeError} (encode, which also stops cycles),
 * never a stack overflow.
 */
export const MAX_TABLE_DEPTH = 64;

/** Field tags of AMQP 0-8 (the only ones it defines). */
const TAGS_0_8 = 'SIDTF';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Reads one tagged value. 0-8 peers only send `S I D T F`, but any tag is read leniently. */
export function decodeFieldValue(r: FieldReader, depth: number): FieldValue {
  const tag = r.octet();
  switch (tag) {
    case 0x53: // 'S' long string: UTF-8 text, or the raw bytes when they are not valid UTF-8
      return longStringValue(r);
    case 0x49: {
      // 'I' int32
      r.need(4, 'int32');
      const v = r.buf.readInt32BE(r.pos);
      r.pos += 4;
      return v;
    }
    case 0x74: // 't' boolean
      return r.octet() !== 0;
    case 0x46: // 'F' nested table
      return r.table(depth + 1);
    case 0x41: // 'A' array
      return decodeArray(r, depth + 1);
    case 0x6c: // 'l' int64
      return r.signedLonglong();
    case 0x4c: // 'L' uint64
      return r.longlong();
    case 0x64: {
      // 'd' float64
      r.need(8, 'double');
      const v = r.buf.readDoubleBE(r.pos);
      r.pos += 8;
      return v;
    }
    case 0x66: {
      // 'f' float32
      r.need(4, 'float');
      const v = r.buf.readFloatBE(r.pos);
      r.pos += 4;
      return v;
    }
    case 0x54: // 'T' timestamp, seconds
      return r.timestamp();
    case 0x44: {
      // 'D' decimal: scale octet, signed 32-bit unscaled value
      r.need(5, 'decimal');
      const scale = r.buf[r.pos];
      const value = r.buf.readInt32BE(r.pos + 1);
      r.pos += 5;
      return new Decimal(scale, value);
    }
    case 0x78: // 'x' byte array
      return r.longstr();
    case 0x56: // 'V' void
      return null;
    case 0x62: {
      // 'b' int8
      r.need(1, 'int8');
      return r.buf.readInt8(r.pos++);
    }
    case 0x42: // 'B' uint8
      return r.octet();
    case 0x73: {
      // 's' int16 (RabbitMQ; 0-9-1's "short string" tag is not used by any broker)
      r.need(2, 'int16');
      const v = r.buf.readInt16BE(r.pos);
      r.pos += 2;
      return v;
    }
    case 0x75: // 'u' uint16
      return r.short();
    case 0x69: // 'i' uint32
      return r.long();
    default:
      throw new FrameSyntaxError(`unknown field tag 0x${tag.toString(16).padStart(2, '0')}`);
  }
}

function longStringValue(r: FieldReader): string | Buffer {
  const len = r.long();
  if (r.end - r.pos < len) {
    throw new FrameSyntaxError(`truncated long string: claims ${len} bytes, ${r.end - r.pos} left`);
  }
  const start = r.pos;
  r.pos += len;
  const slice = r.buf.subarray(start, start + len);
  if (isAscii(slice) || isUtf8(slice)) return r.buf.toString('utf8', start, start + len);
  return Buffer.from(slice);
}

function isAscii(b: Buffer): boolean {
  if (b.length > 64) return false;
  for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) return false;
  return true;
}

function decodeArray(r: FieldReader, depth: number): FieldValue[] {
  if (depth > MAX_TABLE_DEPTH) {
    throw new FrameSyntaxError(`field tables nested deeper than ${MAX_TABLE_DEPTH} levels`);
  }
  const size = r.long();
  if (r.end - r.pos < size) {
    throw new FrameSyntaxError(`truncated array: claims ${size} bytes, ${r.end - r.pos} left`);
  }
  const stop = r.pos + size;
  const outerEnd = r.end;
  r.end = stop;
  const out: FieldValue[] = [];
  try {
    while (r.pos < stop) out.push(decodeFieldValue(r, depth));
  } finally {
    r.end = outerEnd;
  }
  return out;
}

/** Writes one value with its tag, choosing the tag from the JS type (see field-types.ts). */
export function encodeFieldValue(w: FieldWriter, v: FieldValue, protocol: Protocol, depth: number): void {
  switch (typeof v) {
    case 'string':
      w.octet(0x53);
      w.longstr(v);
      return;
    case 'boolean':
      allow(protocol, 't', 'boolean');
      w.octet(0x74);
      w.octet(v ? 1 : 0);
      return;
    case 'number':
      encodeNumber(w, v, protocol);
      return;
    case 'bigint':
      if (protocol === '0-8') {
        if (v >= -(2n ** 31n) && v < 2n ** 31n) return encodeTagged(w, 'I', Number(v));
        throw new EncodeError(`AMQP 0-8 field tables cannot hold the 64-bit integer ${v}`);
      }
      return encodeTagged(w, v >= 0n && v > INT64_MAX ? 'L' : 'l', v);
    case 'undefined':
      allow(protocol, 'V', 'null/undefined');
      w.octet(0x56);
      return;
    case 'object':
      break;
    default:
      throw new EncodeError(`a ${typeof v} cannot be put in a field table`);
  }
  if (v === null) {
    allow(protocol, 'V', 'null');
    w.octet(0x56);
  } else if (v instanceof Uint8Array) {
    allow(protocol, 'x', 'byte array');
    w.octet(0x78);
    w.longstr(v);
  } else if (v instanceof Date) {
    w.octet(0x54);
    w.timestamp(v);
  } else if (Array.isArray(v)) {
    allow(protocol, 'A', 'array');
    if (depth >= MAX_TABLE_DEPTH) throw tooDeep();
    w.octet(0x41);
    const at = w.reserveLong();
    for (let i = 0; i < v.length; i++) {
      try {
        encodeFieldValue(w, v[i], protocol, depth + 1);
      } catch (e) {
        throw withPath(e, `[${i}]`);
      }
    }
    w.patchLong(at, w.pos - at - 4);
  } else if (v instanceof Decimal) {
    encodeDecimal(w, v);
  } else if (v instanceof TaggedValue) {
    allow(protocol, v.tag, `tag '${v.tag}'`);
    encodeTagged(w, v.tag, v.value);
  } else if (isPlainObject(v)) {
    if (depth >= MAX_TABLE_DEPTH) throw tooDeep();
    w.octet(0x46);
    encodeTableBody(w, v as FieldTable, protocol, depth + 1);
  } else {
    throw new EncodeError(`a ${describe(v)} cannot be put in a field table`);
  }
}

/** Writes a table (4-byte size first). `undefined` entries are left out, as in JSON. */
export function encodeTableBody(w: FieldWriter, t: FieldTable, protocol: Protocol, depth: number): void {
  const at = w.reserveLong();
  for (const key in t) {
    if (!Object.hasOwn(t, key)) continue;
    const value = t[key];
    if (value === undefined) continue;
    try {
      w.shortstr(key);
      encodeFieldValue(w, value, protocol, depth);
    } catch (e) {
      throw withPath(e, `.${key}`);
    }
  }
  w.patchLong(at, w.pos - at - 4);
}

function encodeNumber(w: FieldWriter, v: number, protocol: Protocol): void {
  if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) {
    w.octet(0x49);
    w.int32(v);
  } else if (protocol === '0-8') {
    throw new EncodeError(`AMQP 0-8 field tables hold only 32-bit integers, not ${v}`);
  } else if (Number.isSafeInteger(v)) {
    w.octet(0x6c);
    w.int64(v);
  } else {
    w.octet(0x64);
    w.double(v);
  }
}

function encodeDecimal(w: FieldWriter, d: Decimal): void {
  if ((d.scale & 0xff) !== d.scale || (d.value | 0) !== d.value) {
    throw new EncodeError(`decimal needs a scale 0..255 and a 32-bit signed value, got ${d.scale}/${d.value}`);
  }
  w.octet(0x44);
  w.octet(d.scale);
  w.int32(d.value);
}

function encodeTagged(w: FieldWriter, tag: string, value: unknown): void {
  const range = (min: number, max: number) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new EncodeError(`${String(value)} does not fit field type '${tag}' (${min}..${max})`);
    }
    return value;
  };
  switch (tag) {
    case 'b':
      w.octet(0x62);
      w.ensure(1);
      w.buf.writeInt8(range(-128, 127), w.pos++);
      return;
    case 'B':
      w.octet(0x42);
      w.octet(range(0, 255));
      return;
    case 's':
      w.octet(0x73);
      w.ensure(2);
      w.buf.writeInt16BE(range(-32768, 32767), w.pos);
      w.pos += 2;
      return;
    case 'u':
      w.octet(0x75);
      w.short(range(0, 0xffff));
      return;
    case 'I':
      w.octet(0x49);
      w.int32(range(-0x80000000, 0x7fffffff));
      return;
    case 'i':
      w.octet(0x69);
      w.long(range(0, 0xffffffff));
      return;
    case 'l': {
      const b = toBigInt(value, tag);
      if (b < INT64_MIN || b > INT64_MAX) throw new EncodeError(`${b} does not fit field type 'l' (int64)`);
      w.octet(0x6c);
      w.ensure(8);
      w.buf.writeBigInt64BE(b, w.pos);
      w.pos += 8;
      return;
    }
    case 'L': {
      const b = toBigInt(value, tag);
      if (b < 0n || b > UINT64_MAX) throw new EncodeError(`${b} does not fit field type 'L' (uint64)`);
      w.octet(0x4c);
      w.ensure(8);
      w.buf.writeBigUInt64BE(b, w.pos);
      w.pos += 8;
      return;
    }
    case 'f':
    case 'd':
      if (typeof value !== 'number') throw new EncodeError(`field type '${tag}' needs a number`);
      if (tag === 'f') {
        w.octet(0x66);
        w.ensure(4);
        w.buf.writeFloatBE(value, w.pos);
        w.pos += 4;
      } else {
        w.octet(0x64);
        w.double(value);
      }
      return;
    case 'S':
    case 'x':
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
        throw new EncodeError(`field type '${tag}' needs a string or Uint8Array`);
      }
      w.octet(tag === 'S' ? 0x53 : 0x78);
      w.longstr(value);
      return;
    case 'T':
      if (!(value instanceof Date)) throw new EncodeError(`field type 'T' needs a Date`);
      w.octet(0x54);
      w.timestamp(value);
      return;
    default:
      throw new EncodeError(`unknown field type '${tag}'`);
  }
}

function toBigInt(value: unknown, tag: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new EncodeError(`${String(value)} is not an exact integer for field type '${tag}'`);
}

function allow(protocol: Protocol, tag: string, what: string): void {
  if (protocol === '0-8' && !TAGS_0_8.includes(tag)) {
    throw new EncodeError(`AMQP 0-8 field tables cannot hold a ${what}: only S I D T F exist in 0-8`);
  }
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function describe(v: object): string {
  return v.constructor?.name ?? 'object';
}

function tooDeep(): EncodeError {
  return new EncodeError(`field tables nested deeper than ${MAX_TABLE_DEPTH} levels (or cyclic)`);
}

function withPath(e: unknown, step: string): unknown {
  if (!(e instanceof EncodeError)) return e;
  const m = /^at ([^:]*): ([\s\S]*)$/.exec(e.message);
  return new EncodeError(m ? `at ${step}${m[1]}: ${m[2]}` : `at ${step}: ${e.message}`);
}

import type { FieldWriter } from './cursor';
import { EncodeError } from './errors';
import { Decimal, type FieldTable, type FieldValue, TaggedValue } from './field-types';
import { FieldTag, MAX_TABLE_DEPTH } from './field-value';
import type { Protocol } from './protocol-version';

/** Field tags of AMQP 0-8 (the only ones it defines). */
const TAGS_0_8 = 'SIDTF';

/** Integer ranges of the field types (the 64-bit ones are bigints, below). */
const enum Limit {
  INT8_MIN = -0x80,
  INT8_MAX = 0x7f,
  UINT8_MAX = 0xff,
  INT16_MIN = -0x8000,
  INT16_MAX = 0x7fff,
  UINT16_MAX = 0xffff,
  INT32_MIN = -0x80000000,
  INT32_MAX = 0x7fffffff,
  UINT32_MAX = 0xffffffff,
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/*
 * The tags this encoder writes for every value (and the nesting bound), bound once from field-value.ts: a \`const enum\` of
 * another module is a property lookup at run time (isolatedModules keeps TypeScript from inlining
 * it; under tsx it is a getter call), and tables are encoded for every message that has headers.
 */
const TAG_LONG_STRING = FieldTag.LONG_STRING;
const TAG_BOOLEAN = FieldTag.BOOLEAN;
const TAG_VOID = FieldTag.VOID;
const TAG_BYTES = FieldTag.BYTES;
const TAG_TIMESTAMP = FieldTag.TIMESTAMP;
const TAG_ARRAY = FieldTag.ARRAY;
const TAG_TABLE = FieldTag.TABLE;
const TAG_INT32 = FieldTag.INT32;
const TAG_INT64 = FieldTag.INT64;
const TAG_FLOAT64 = FieldTag.FLOAT64;
const TAG_DECIMAL = FieldTag.DECIMAL;
const DEPTH_LIMIT = MAX_TABLE_DEPTH;

/** Writes one value with its tag, choosing the tag from the JS type (see field-types.ts). */
export function encodeFieldValue(w: FieldWriter, v: FieldValue, protocol: Protocol, depth: number): void {
  switch (typeof v) {
    case 'string':
      w.octet(TAG_LONG_STRING);
      w.longstr(v);
      return;
    case 'boolean':
      allow(protocol, 't', 'boolean');
      w.octet(TAG_BOOLEAN);
      w.octet(v ? 1 : 0);
      return;
    case 'number':
      encodeNumber(w, v, protocol);
      return;
    case 'bigint':
      if (protocol === '0-8') {
        if (v >= BigInt(Limit.INT32_MIN) && v <= BigInt(Limit.INT32_MAX)) return encodeTagged(w, 'I', Number(v));
        throw new EncodeError(`AMQP 0-8 field tables cannot hold the 64-bit integer ${v}`);
      }
      return encodeTagged(w, v >= 0n && v > INT64_MAX ? 'L' : 'l', v);
    case 'undefined':
      allow(protocol, 'V', 'null/undefined');
      w.octet(TAG_VOID);
      return;
    case 'object':
      break;
    default:
      throw new EncodeError(`a ${typeof v} cannot be put in a field table`);
  }
  if (v === null) {
    allow(protocol, 'V', 'null');
    w.octet(TAG_VOID);
  } else if (v instanceof Uint8Array) {
    allow(protocol, 'x', 'byte array');
    w.octet(TAG_BYTES);
    w.longstr(v);
  } else if (v instanceof Date) {
    w.octet(TAG_TIMESTAMP);
    w.timestamp(v);
  } else if (Array.isArray(v)) {
    allow(protocol, 'A', 'array');
    if (depth >= DEPTH_LIMIT) throw tooDeep();
    w.octet(TAG_ARRAY);
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
    if (depth >= DEPTH_LIMIT) throw tooDeep();
    w.octet(TAG_TABLE);
    encodeTableBody(w, v, protocol, depth + 1);
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
  if (Number.isInteger(v) && v >= Limit.INT32_MIN && v <= Limit.INT32_MAX) {
    w.octet(TAG_INT32);
    w.int32(v);
  } else if (protocol === '0-8') {
    throw new EncodeError(`AMQP 0-8 field tables hold only 32-bit integers, not ${v}`);
  } else if (Number.isSafeInteger(v)) {
    w.octet(TAG_INT64);
    w.int64(v);
  } else {
    w.octet(TAG_FLOAT64);
    w.double(v);
  }
}

function encodeDecimal(w: FieldWriter, d: Decimal): void {
  if ((d.scale & Limit.UINT8_MAX) !== d.scale || (d.value | 0) !== d.value) {
    throw new EncodeError(`decimal needs a scale 0..255 and a 32-bit signed value, got ${d.scale}/${d.value}`);
  }
  w.octet(TAG_DECIMAL);
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
      w.octet(FieldTag.INT8);
      w.ensure(1);
      w.buf.writeInt8(range(Limit.INT8_MIN, Limit.INT8_MAX), w.pos++);
      return;
    case 'B':
      w.octet(FieldTag.UINT8);
      w.octet(range(0, Limit.UINT8_MAX));
      return;
    case 's':
      w.octet(FieldTag.INT16);
      w.ensure(2);
      w.buf.writeInt16BE(range(Limit.INT16_MIN, Limit.INT16_MAX), w.pos);
      w.pos += 2;
      return;
    case 'u':
      w.octet(FieldTag.UINT16);
      w.short(range(0, Limit.UINT16_MAX));
      return;
    case 'I':
      w.octet(FieldTag.INT32);
      w.int32(range(Limit.INT32_MIN, Limit.INT32_MAX));
      return;
    case 'i':
      w.octet(FieldTag.UINT32);
      w.long(range(0, Limit.UINT32_MAX));
      return;
    case 'l': {
      const b = toBigInt(value, tag);
      if (b < INT64_MIN || b > INT64_MAX) throw new EncodeError(`${b} does not fit field type 'l' (int64)`);
      w.octet(FieldTag.INT64);
      w.ensure(8);
      w.buf.writeBigInt64BE(b, w.pos);
      w.pos += 8;
      return;
    }
    case 'L': {
      const b = toBigInt(value, tag);
      if (b < 0n || b > UINT64_MAX) throw new EncodeError(`${b} does not fit field type 'L' (uint64)`);
      w.octet(FieldTag.UINT64);
      w.ensure(8);
      w.buf.writeBigUInt64BE(b, w.pos);
      w.pos += 8;
      return;
    }
    case 'f':
    case 'd':
      if (typeof value !== 'number') throw new EncodeError(`field type '${tag}' needs a number`);
      if (tag === 'f') {
        w.octet(FieldTag.FLOAT32);
        w.ensure(4);
        w.buf.writeFloatBE(value, w.pos);
        w.pos += 4;
      } else {
        w.octet(FieldTag.FLOAT64);
        w.double(value);
      }
      return;
    case 'S':
    case 'x':
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
        throw new EncodeError(`field type '${tag}' needs a string or Uint8Array`);
      }
      w.octet(tag === 'S' ? FieldTag.LONG_STRING : FieldTag.BYTES);
      w.longstr(value);
      return;
    case 'T':
      if (!(value instanceof Date)) throw new EncodeError(`field type 'T' needs a Date`);
      w.octet(FieldTag.TIMESTAMP);
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

function isPlainObject(v: object): v is FieldTable {
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

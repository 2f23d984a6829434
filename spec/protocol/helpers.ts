/** Shared helpers of the codec specs (not a spec itself: jest only runs `*.spec.ts`). */
import { isUtf8 } from 'node:buffer';
import { AmqpError, Decimal, TaggedValue, type FieldTable, type FieldValue } from 'rx-amqp/protocol';

/** Bytes from hex; spaces, newlines and `|` separators are ignored. */
export function hex(s: string): Buffer {
  const clean = s.replace(/[\s|]/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex: ${s}`);
  return Buffer.from(clean, 'hex');
}

/** Hex of bytes, one space between octets (readable failure messages). */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}

/** Runs `fn` and returns what it threw; fails if it returned normally. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw, it returned normally');
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Expects `fn` to throw an instance of `cls` with AMQP reply code `code` (undefined for
 * EncodeError), and never a RangeError/TypeError from a raw Buffer access.
 */
export function expectCodecError<E extends Error>(
  fn: () => unknown,
  cls: ErrorClass,
  code: number | undefined,
  message?: RegExp,
): E {
  const e = thrownBy(fn);
  if (!(e instanceof cls)) {
    throw new Error(`expected ${cls.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  expect(e).toBeInstanceOf(AmqpError);
  expect(e).not.toBeInstanceOf(RangeError);
  expect((e as unknown as AmqpError).code).toBe(code);
  if (message) expect((e as Error).message).toMatch(message);
  return e as E;
}

/** One whole frame's bytes. */
export function frameBytes(type: number, channel: number, payload: Uint8Array, end = 0xce): Buffer {
  const out = Buffer.alloc(payload.length + 8);
  out[0] = type;
  out.writeUInt16BE(channel, 1);
  out.writeUInt32BE(payload.length, 3);
  out.set(payload, 7);
  out[out.length - 1] = end;
  return out;
}

const SAFE_MIN = -(2n ** 53n);
const SAFE_MAX = 2n ** 53n - 1n;

/** A 64-bit value as the decoder gives it back: a number when exact, otherwise a bigint. */
function int64Value(v: bigint): number | bigint {
  return v >= SAFE_MIN && v <= SAFE_MAX ? Number(v) : v;
}

/** A Date as AMQP carries it: whole seconds. */
export function toSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** Bytes as a long string value decodes: text when valid UTF-8, the raw bytes otherwise. */
function longStringValue(b: Uint8Array): string | Buffer {
  const buf = Buffer.from(b);
  return isUtf8(buf) ? buf.toString('utf8') : buf;
}

/**
 * What `decodeTable(encodeTable(v))` gives back for a value, where the mapping intentionally
 * changes it: TaggedValue becomes its plain value (f rounded to single precision), 64-bit
 * integers become numbers when exact, -0 as an int32 becomes 0, Uint8Array becomes Buffer,
 * Dates lose their milliseconds, undefined is null in arrays and dropped from tables.
 */
export function normalizeFieldValue(v: FieldValue): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff ? v + 0 : v;
    case 'bigint':
      return int64Value(v);
    case 'undefined':
      return null;
  }
  if (v === null) return null;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v instanceof Date) return toSeconds(v);
  if (v instanceof Decimal) return new Decimal(v.scale, v.value);
  if (Array.isArray(v)) return v.map(normalizeFieldValue);
  if (v instanceof TaggedValue) {
    const x = v.value;
    switch (v.tag) {
      case 'l':
      case 'L':
        return int64Value(BigInt(x as number | bigint));
      case 'f':
        return Math.fround(x as number);
      case 'd':
        return x;
      case 'S':
        return typeof x === 'string' ? x : longStringValue(x as Uint8Array);
      case 'x':
        return typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.from(x as Uint8Array);
      case 'T':
        return toSeconds(x as Date);
      default:
        return (x as number) + 0;
    }
  }
  return normalizeTable(v as FieldTable);
}

/** A table as it decodes (see {@link normalizeFieldValue}); `__proto__` keys stay own data. */
export function normalizeTable(t: FieldTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(t)) {
    const value = t[key];
    if (value === undefined) continue;
    Object.defineProperty(out, key, {
      value: normalizeFieldValue(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

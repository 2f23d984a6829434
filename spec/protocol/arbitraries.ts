/** fast-check arbitraries of the codec specs (not a spec itself). */
import fc from 'fast-check';
import { Decimal, field, type FieldTable, type FieldValue, type Protocol } from 'rx-amqp/protocol';

/** Latest instant a Date holds. */
const DATE_MAX = 8.64e15;

/** Any valid Date AMQP can carry (not before the epoch). */
export const dateArb = fc.date({ min: new Date(0), max: new Date(DATE_MAX), noInvalidDate: true });

/** A Date at whole seconds (what survives a round trip unchanged). */
export const secondsDateArb = fc.integer({ min: 0, max: DATE_MAX / 1000 }).map((s) => new Date(s * 1000));

/** A short string: any well-formed text of at most 255 UTF-8 bytes (ASCII up to 255 long). */
export const shortstrArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 63 }), // at most 4 bytes per code point: 252 bytes
  fc.string({ unit: 'grapheme-ascii', maxLength: 255 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= 255),
  fc.constantFrom('', 'é'.repeat(127), 'q'.repeat(255), 'amq.direct', '__proto__'),
);

/** A table key: a short string, with a bias towards names that are special in JS. */
const keyArb = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x-match', '') },
);

const decimalArb = fc
  .record({ scale: fc.integer({ min: 0, max: 255 }), value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) })
  .map(({ scale, value }) => new Decimal(scale, value));

const int64Arb = fc.oneof(fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
const uint64Arb = fc.oneof(fc.maxSafeNat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));

/** Values with an explicit tag, each within its type's range. */
const taggedArb: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.integer({ min: -128, max: 127 }).map(field.int8),
  fc.integer({ min: 0, max: 255 }).map(field.uint8),
  fc.integer({ min: -32768, max: 32767 }).map(field.int16),
  fc.integer({ min: 0, max: 65535 }).map(field.uint16),
  fc.integer().map(field.int32),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(field.uint32),
  int64Arb.map(field.int64),
  uint64Arb.map(field.uint64),
  fc.oneof(fc.float(), fc.double()).map(field.float32),
  fc.double().map(field.float64),
  fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.uint8Array({ maxLength: 20 })).map(field.longString),
  fc.uint8Array({ maxLength: 20 }).map(field.bytes),
  dateArb.map(field.timestamp),
);

/** Every kind of JS value a 0-9-1 table maps. */
const leaf091: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  dateArb,
  fc.uint8Array({ maxLength: 20 }),
  fc.constant(null),
  fc.constant(undefined),
  decimalArb,
  taggedArb,
);

/** What 0-8's S I D T F can carry. */
const leaf08: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 31n), max: 2n ** 31n - 1n }),
  dateArb,
  decimalArb,
  fc.constant(undefined),
  fc.oneof(fc.string({ maxLength: 10 }), fc.uint8Array({ maxLength: 10 })).map(field.longString),
  fc.integer().map(field.int32),
  dateArb.map(field.timestamp),
);

const tables091 = fc.letrec<{ value: FieldValue; array: FieldValue[]; table: FieldTable }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', depthIdentifier: 'table-091' }, leaf091, tie('array'), tie('table')),
  array: fc.array(tie('value'), { maxLength: 5, depthIdentifier: 'table-091' }),
  table: fc.dictionary(keyArb, tie('value'), { maxKeys: 6, depthIdentifier: 'table-091' }),
}));

const tables08 = fc.letrec<{ value: FieldValue; table: FieldTable }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', depthIdentifier: 'table-08' }, leaf08, tie('table')),
  table: fc.dictionary(keyArb, tie('value'), { maxKeys: 6, depthIdentifier: 'table-08' }),
}));

/** Arbitrary field tables (nested, arrays, every JS value kind) of a dialect. */
export function tableArb(protocol: Protocol): fc.Arbitrary<FieldTable> {
  return protocol === '0-8' ? tables08.table : tables091.table;
}

/**
 * The field-table mapping of DESIGN.md and lib/protocol/field-types.ts: which tag each JS value
 * gets, what each tag decodes to, explicit tags, and the lossless cases.
 */
import { decodeTable, Decimal, encodeTable, field, type FieldTable, type FieldValue } from 'rx-amqp/protocol';
import { hex, toHex } from './helpers';

/** Encodes `{v: value}` and returns its tag character and the decoded value. */
function roundTrip(value: FieldValue): { tag: string; decoded: FieldValue; bytes: Uint8Array } {
  const bytes = encodeTable({ v: value });
  // 4 size octets, key length 1, key "v", then the tag
  expect(bytes[4]).toBe(1);
  expect(bytes[5]).toBe(0x76);
  return { tag: String.fromCharCode(bytes[6]), decoded: decodeTable(bytes).v, bytes };
}

/** Decodes one hand-made tagged value: `{v: <tag><bytes>}`. */
function decodeValue(tag: string, valueHex: string): FieldValue {
  const value = hex(valueHex);
  const body = Buffer.concat([Buffer.from([1, 0x76, tag.charCodeAt(0)]), value]);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(body.length);
  return decodeTable(Buffer.concat([size, body])).v;
}

describe('tags chosen from the JS type', () => {
  it.each([
    ['a small integer', 7, 'I', 7],
    ['int32 max', 2 ** 31 - 1, 'I', 2 ** 31 - 1],
    ['int32 min', -(2 ** 31), 'I', -(2 ** 31)],
    ['2^31', 2 ** 31, 'l', 2 ** 31],
    ['-2^31 - 1', -(2 ** 31) - 1, 'l', -(2 ** 31) - 1],
    ['3e9 (not negative)', 3e9, 'l', 3e9],
    ['-3e9', -3e9, 'l', -3e9],
    ['2^53 - 1', Number.MAX_SAFE_INTEGER, 'l', Number.MAX_SAFE_INTEGER],
    ['-(2^53 - 1)', Number.MIN_SAFE_INTEGER, 'l', Number.MIN_SAFE_INTEGER],
    ['2^53 (not a safe integer)', 2 ** 53, 'd', 2 ** 53],
    ['0.1, not narrowed to 32 bits', 0.1, 'd', 0.1],
    ['1/3', 1 / 3, 'd', 1 / 3],
    ['1e300', 1e300, 'd', 1e300],
    ['Infinity', Infinity, 'd', Infinity],
    ['NaN', NaN, 'd', NaN],
    ['-0 (an integer, so I, and it comes back as 0)', -0, 'I', 0],
    ['true', true, 't', true],
    ['false', false, 't', false],
    ['a string', 'héllo', 'S', 'héllo'],
    ['the empty string', '', 'S', ''],
    ['null', null, 'V', null],
    ['a small bigint (comes back as a number)', 5n, 'l', 5],
    ['bigint 2^53 + 1', 2n ** 53n + 1n, 'l', 2n ** 53n + 1n],
    ['bigint -(2^53 + 1)', -(2n ** 53n) - 1n, 'l', -(2n ** 53n) - 1n],
    ['bigint int64 max', 2n ** 63n - 1n, 'l', 2n ** 63n - 1n],
    ['bigint int64 min', -(2n ** 63n), 'l', -(2n ** 63n)],
    ['bigint past int64 (unsigned)', 2n ** 63n, 'L', 2n ** 63n],
    ['bigint uint64 max', 2n ** 64n - 1n, 'L', 2n ** 64n - 1n],
    ['a Decimal', new Decimal(2, 1234), 'D', new Decimal(2, 1234)],
    ['a negative Decimal', new Decimal(3, -5), 'D', new Decimal(3, -5)],
  ] as [string, FieldValue, string, FieldValue][])('%s', (_name, value, tag, decoded) => {
    const r = roundTrip(value);
    expect(r.tag).toBe(tag);
    expect(r.decoded).toEqual(decoded);
    if (typeof decoded === 'bigint') expect(typeof r.decoded).toBe('bigint');
    if (typeof decoded === 'number') expect(typeof r.decoded).toBe('number');
  });

  it('3e9 is written as a signed 64-bit integer and reads back positive', () => {
    const r = roundTrip(3e9);
    expect(toHex(r.bytes.subarray(7))).toBe('00 00 00 00 b2 d0 5e 00');
    expect(r.decoded).toBe(3_000_000_000);
  });

  it('2^53 + 1 as a bigint is written exactly and decodes as a bigint', () => {
    const r = roundTrip(2n ** 53n + 1n);
    expect(toHex(r.bytes.subarray(7))).toBe('00 20 00 00 00 00 00 01');
    expect(r.decoded).toBe(9007199254740993n);
  });

  it('0.1 round-trips exactly as a 64-bit float', () => {
    const r = roundTrip(0.1);
    expect(toHex(r.bytes.subarray(7))).toBe('3f b9 99 99 99 99 99 9a');
    expect(r.decoded).toBe(0.1);
    expect(roundTrip(Math.PI).decoded).toBe(Math.PI);
    expect(roundTrip(-1e-310).decoded).toBe(-1e-310); // subnormal
  });

  it('Uint8Array <-> x', () => {
    const bytes = new Uint8Array([0, 1, 0xfe, 0xff]);
    const r = roundTrip(bytes);
    expect(r.tag).toBe('x');
    expect(toHex(r.bytes.subarray(7))).toBe('00 00 00 04 00 01 fe ff');
    expect(r.decoded).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(r.decoded as Uint8Array)).toEqual(Buffer.from(bytes));
    expect(roundTrip(Buffer.from('abc')).tag).toBe('x');
    expect(roundTrip(new Uint8Array(0)).decoded).toEqual(Buffer.alloc(0));
  });

  it('Date <-> T in whole seconds', () => {
    const r = roundTrip(new Date(1_234_567_890_999));
    expect(r.tag).toBe('T');
    expect(toHex(r.bytes.subarray(7))).toBe('00 00 00 00 49 96 02 d2');
    expect(r.decoded).toEqual(new Date(1_234_567_890_000));
    expect(roundTrip(new Date(0)).decoded).toEqual(new Date(0));
  });

  it('Decimal <-> D', () => {
    const r = roundTrip(new Decimal(2, 1234));
    expect(toHex(r.bytes.subarray(7))).toBe('02 00 00 04 d2');
    expect(r.decoded).toBeInstanceOf(Decimal);
    expect((r.decoded as Decimal).toString()).toBe('12.34');
    expect((r.decoded as Decimal).toNumber()).toBeCloseTo(12.34, 10);
    expect(new Decimal(3, -5).toString()).toBe('-0.005');
    expect(new Decimal(0, 42).toString()).toBe('42');
    expect(field.decimal(1, 5)).toEqual(new Decimal(1, 5));
  });

  it('arrays <-> A, with undefined elements as V', () => {
    const r = roundTrip([1, 'a', [true, null], { k: 2 }, undefined]);
    expect(r.tag).toBe('A');
    expect(r.decoded).toEqual([1, 'a', [true, null], { k: 2 }, null]);
    expect(roundTrip([]).decoded).toEqual([]);
  });

  it('objects <-> F; undefined entries are left out', () => {
    const r = roundTrip({ a: 1, b: undefined, c: { d: 'e' } });
    expect(r.tag).toBe('F');
    expect(r.decoded).toEqual({ a: 1, c: { d: 'e' } });
    expect(Object.keys(r.decoded as object)).toEqual(['a', 'c']);
    const bare = Object.create(null) as FieldTable;
    bare.x = 1;
    expect(roundTrip(bare).decoded).toEqual({ x: 1 });
  });

  it('a __proto__ key is an own entry both ways, and pollutes nothing', () => {
    const t = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as FieldTable;
    const decoded = decodeTable(encodeTable(t));
    expect(Object.keys(decoded)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).toEqual({ polluted: true });
    expect((decoded as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('explicit tags', () => {
  it.each([
    ['int8', field.int8(-2), 'b', 'fe', -2],
    ['uint8', field.uint8(254), 'B', 'fe', 254],
    ['int16', field.int16(-2), 's', 'ff fe', -2],
    ['uint16', field.uint16(65534), 'u', 'ff fe', 65534],
    ['int32', field.int32(-2), 'I', 'ff ff ff fe', -2],
    ['uint32', field.uint32(4294967294), 'i', 'ff ff ff fe', 4294967294],
    ['int64 (number)', field.int64(-2), 'l', 'ff ff ff ff ff ff ff fe', -2],
    ['int64 (small integer, normally I)', field.int64(7), 'l', '00 00 00 00 00 00 00 07', 7],
    ['int64 (bigint)', field.int64(-(2n ** 63n)), 'l', '80 00 00 00 00 00 00 00', -(2n ** 63n)],
    ['uint64 (number)', field.uint64(5), 'L', '00 00 00 00 00 00 00 05', 5],
    ['uint64 (bigint)', field.uint64(2n ** 64n - 2n), 'L', 'ff ff ff ff ff ff ff fe', 2n ** 64n - 2n],
    ['float32', field.float32(1.5), 'f', '3f c0 00 00', 1.5],
    ['float32 (rounds to single precision)', field.float32(0.1), 'f', '3d cc cc cd', Math.fround(0.1)],
    ['float64 (also for integral values)', field.float64(2), 'd', '40 00 00 00 00 00 00 00', 2],
    ['longString (text)', field.longString('hi'), 'S', '00 00 00 02 68 69', 'hi'],
    ['longString (bytes)', field.longString(Buffer.from('hi')), 'S', '00 00 00 02 68 69', 'hi'],
    ['bytes', field.bytes(Buffer.from('hi')), 'x', '00 00 00 02 68 69', Buffer.from('hi')],
    [
      'timestamp (seconds)',
      field.timestamp(1_234_567_890),
      'T',
      '00 00 00 00 49 96 02 d2',
      new Date(1_234_567_890_000),
    ],
    [
      'timestamp (Date)',
      field.timestamp(new Date(1_234_567_890_000)),
      'T',
      '00 00 00 00 49 96 02 d2',
      new Date(1_234_567_890_000),
    ],
  ] as [string, FieldValue, string, string, FieldValue][])('%s', (_name, value, tag, valueHex, decoded) => {
    const r = roundTrip(value);
    expect(r.tag).toBe(tag);
    expect(toHex(r.bytes.subarray(7))).toBe(toHex(hex(valueHex)));
    expect(r.decoded).toEqual(decoded);
    // the size of the table covers exactly what was written
    expect(Buffer.from(r.bytes).readUInt32BE(0)).toBe(r.bytes.length - 4);
  });
});

describe('every tag decodes from hand-made bytes', () => {
  it.each([
    ['t', '01', true],
    ['t', '00', false],
    ['b', '80', -128],
    ['B', 'ff', 255],
    ['s', '80 00', -32768],
    ['u', 'ff ff', 65535],
    ['I', '80 00 00 00', -(2 ** 31)],
    ['i', 'ff ff ff ff', 2 ** 32 - 1],
    ['l', 'ff ff ff ff ff ff ff ff', -1],
    ['l', '00 1f ff ff ff ff ff ff', 2 ** 53 - 1],
    ['l', 'ff e0 00 00 00 00 00 00', -(2 ** 53)],
    ['l', 'ff df ff ff ff ff ff ff', -(2n ** 53n) - 1n],
    ['l', '7f ff ff ff ff ff ff ff', 2n ** 63n - 1n],
    ['L', '00 1f ff ff ff ff ff ff', 2 ** 53 - 1],
    ['L', '00 20 00 00 00 00 00 00', 2n ** 53n],
    ['L', 'ff ff ff ff ff ff ff ff', 2n ** 64n - 1n],
    ['f', 'bf c0 00 00', -1.5],
    ['d', '3f b9 99 99 99 99 99 9a', 0.1],
    ['D', '02 00 00 04 d2', new Decimal(2, 1234)],
    ['D', '00 ff ff ff ff', new Decimal(0, -1)],
    ['S', '00 00 00 05 68 c3 a9 6c 6f', 'hélo'],
    ['S', '00 00 00 00', ''],
    ['x', '00 00 00 03 00 80 ff', Buffer.from([0, 0x80, 0xff])],
    ['A', '00 00 00 08 | 49 00 00 00 01 | 74 01 | 56', [1, true, null]],
    ['A', '00 00 00 00', []],
    ['T', '00 00 00 00 49 96 02 d2', new Date(1_234_567_890_000)],
    ['F', '00 00 00 07 | 01 61 49 00 00 00 07', { a: 7 }],
    ['F', '00 00 00 00', {}],
    ['V', '', null],
  ] as [string, string, FieldValue][])("'%s' %s", (tag, valueHex, expected) => {
    const v = decodeValue(tag, valueHex);
    expect(v).toEqual(expected);
    if (typeof expected === 'bigint') expect(typeof v).toBe('bigint');
  });

  it('all of them together in one table', () => {
    const parts: [string, string][] = [
      ['t', '01'],
      ['b', 'fe'],
      ['B', 'fe'],
      ['s', 'ff fe'],
      ['u', 'ff fe'],
      ['I', 'ff ff ff fe'],
      ['i', 'ff ff ff fe'],
      ['l', 'ff ff ff ff ff ff ff fe'],
      ['L', '00 00 00 00 00 00 00 fe'],
      ['f', '3f c0 00 00'],
      ['d', '3f b9 99 99 99 99 99 9a'],
      ['D', '01 00 00 00 0f'],
      ['S', '00 00 00 01 7a'],
      ['x', '00 00 00 01 7a'],
      ['A', '00 00 00 02 74 00'],
      ['T', '00 00 00 00 00 00 00 3c'],
      ['F', '00 00 00 00'],
      ['V', ''],
    ];
    const body = Buffer.concat(
      parts.map(([tag, v]) => Buffer.concat([Buffer.from([1, tag.charCodeAt(0), tag.charCodeAt(0)]), hex(v)])),
    );
    const size = Buffer.alloc(4);
    size.writeUInt32BE(body.length);
    expect(decodeTable(Buffer.concat([size, body]))).toEqual({
      t: true,
      b: -2,
      B: 254,
      s: -2,
      u: 65534,
      I: -2,
      i: 4294967294,
      l: -2,
      L: 254,
      f: 1.5,
      d: 0.1,
      D: new Decimal(1, 15),
      S: 'z',
      x: Buffer.from('z'),
      A: [false],
      T: new Date(60_000),
      F: {},
      V: null,
    });
  });
});

describe("'S' long strings", () => {
  it('an S value holding invalid UTF-8 decodes to a Buffer of the exact bytes (lossless)', () => {
    const v = decodeValue('S', '00 00 00 04 61 ff fe 62');
    expect(Buffer.isBuffer(v)).toBe(true);
    expect(v).toEqual(Buffer.from([0x61, 0xff, 0xfe, 0x62]));
    // a lone continuation byte, a truncated sequence, and a surrogate
    expect(decodeValue('S', '00 00 00 01 80')).toEqual(Buffer.from([0x80]));
    expect(decodeValue('S', '00 00 00 02 e2 82')).toEqual(Buffer.from([0xe2, 0x82]));
    expect(decodeValue('S', '00 00 00 03 ed a0 80')).toEqual(Buffer.from([0xed, 0xa0, 0x80]));
  });

  it('valid UTF-8 decodes to a string, short or long', () => {
    const long = `${'x'.repeat(70)}€${'y'.repeat(1000)}`;
    expect(roundTrip(long).decoded).toBe(long);
    expect(roundTrip('a'.repeat(100)).decoded).toBe('a'.repeat(100));
    expect(roundTrip('😀').decoded).toBe('😀');
  });

  it('a decoded S value is not a view of the frame', () => {
    const bytes = encodeTable({ v: field.bytes(Buffer.from('abc')), w: field.longString(Buffer.from([0xff])) });
    const t = decodeTable(bytes);
    (bytes as Buffer).fill(0);
    expect(t.v).toEqual(Buffer.from('abc'));
    expect(t.w).toEqual(Buffer.from([0xff]));
  });
});

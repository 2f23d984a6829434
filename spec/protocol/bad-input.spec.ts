/**
 * Bad input is a typed error, never a crash: every malformed frame, method, header or table
 * raises an AmqpError subclass with its reply code (501 FrameError, 502 FrameSyntaxError,
 * 505 UnexpectedFrameError, 540 UnknownMethodError), and never a RangeError, a stack overflow
 * or a hang. Values that cannot be put on the wire are EncodeErrors raised before any write.
 */
import {
  decodeContentHeader,
  decodeMethod,
  decodeTable,
  encodeContentHeader,
  encodeMethod,
  encodeTable,
  EncodeError,
  field,
  FrameError,
  FrameParser,
  FrameSyntaxError,
  MAX_TABLE_DEPTH,
  METHOD_TABLES,
  UnexpectedFrameError,
  UnknownMethodError,
  type FieldTable,
  type FieldValue,
  type Frame,
} from 'rx-amqp/protocol';
import { Writer } from '../../lib/protocol/writer';
import { writeBodyFrames, writeHeaderFrame, writeMethodFrame } from '../../lib/protocol/method-codec';
import { expectCodecError, frameBytes, hex } from './helpers';

function parseAll(chunks: Uint8Array[], frameMax?: number): Frame[] {
  const parser = new FrameParser({ frameMax });
  const frames: Frame[] = [];
  for (const c of chunks) parser.push(c, (f) => frames.push(f));
  return frames;
}

describe('frames', () => {
  it('a bad frame-end octet is a FrameError (501)', () => {
    const bad = frameBytes(1, 0, hex('00 0a 00 33'), 0x00);
    expectCodecError(() => parseAll([bad]), FrameError, 501, /frame-end/);
    // also when the frame arrives split over chunks (the copying path)
    expectCodecError(() => parseAll([bad.subarray(0, 5), bad.subarray(5)]), FrameError, 501);
    expectCodecError(() => parseAll([bad.subarray(0, 9), bad.subarray(9)]), FrameError, 501);
  });

  it('a frame of exactly frameMax bytes passes; one byte more is a FrameError (501)', () => {
    const frameMax = 4096;
    const fits = frameBytes(3, 1, Buffer.alloc(frameMax - 8, 0x61));
    expect(fits.length).toBe(frameMax);
    expect(parseAll([fits], frameMax)).toHaveLength(1);
    expect(parseAll([fits.subarray(0, 100), fits.subarray(100)], frameMax)).toHaveLength(1);

    const over = frameBytes(3, 1, Buffer.alloc(frameMax - 7, 0x61));
    expectCodecError(() => parseAll([over], frameMax), FrameError, 501, /frame_max 4096/);
    // the header alone is enough to refuse it
    expectCodecError(() => parseAll([over.subarray(0, 7)], frameMax), FrameError, 501);
    expectCodecError(() => parseAll([over.subarray(0, 3), over.subarray(3, 7)], frameMax), FrameError, 501);
  });

  it('a 4 GiB size field fails as soon as the 7-byte header is read, without allocating it', () => {
    const header = hex('03 00 01 ff ff ff ff');
    const spy = jest.spyOn(Buffer, 'allocUnsafe');
    try {
      for (const frameMax of [undefined, 0, 131072]) {
        expectCodecError(() => parseAll([header], frameMax), FrameError, 501);
        expectCodecError(() => parseAll([header.subarray(0, 2), header.subarray(2)], frameMax), FrameError, 501);
        expectCodecError(() => parseAll([header.subarray(0, 6), header.subarray(6)], frameMax), FrameError, 501);
      }
      for (const [size] of spy.mock.calls) expect(size).toBeLessThanOrEqual(7);
    } finally {
      spy.mockRestore();
    }
  });

  it('an unknown frame type is an UnexpectedFrameError (505)', () => {
    for (const type of [0, 4, 5, 9, 0xce, 0xff]) {
      expectCodecError(() => parseAll([frameBytes(type, 0, hex('00'))]), UnexpectedFrameError, 505, /frame type/);
    }
    // "AMQP" (a protocol header where frames are expected) is type 0x41
    expectCodecError(() => parseAll([Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')]), UnexpectedFrameError, 505);
  });

  it('after an error the parser stays failed and emits nothing more', () => {
    const parser = new FrameParser();
    const frames: Frame[] = [];
    const good = frameBytes(8, 0, new Uint8Array(0));
    const e1 = expectCodecError(
      () => parser.push(Buffer.concat([good, frameBytes(7, 0, hex('00')), good]), (f) => frames.push(f)),
      UnexpectedFrameError,
      505,
    );
    expect(frames).toHaveLength(1);
    const e2 = expectCodecError(() => parser.push(good, (f) => frames.push(f)), UnexpectedFrameError, 505);
    expect(e2).toBe(e1);
    expect(frames).toHaveLength(1);
  });
});

describe('methods', () => {
  it('truncated method arguments: a short string claiming 200 bytes with 3 left (502)', () => {
    // basic.deliver: consumer tag length 0xc8 = 200, then only "abc"
    expectCodecError(() => decodeMethod(hex('00 3c 00 3c c8 61 62 63')), FrameSyntaxError, 502, /short string.*200/);
  });

  it('every truncation of a valid method payload is a FrameSyntaxError (502)', () => {
    const payload = encodeMethod('queue.declare', {
      queue: 'q',
      durable: true,
      arguments: { 'x-max-length': 10, n: { s: 'v' } },
    });
    for (let n = 0; n < payload.length; n++) {
      expectCodecError(() => decodeMethod(payload.subarray(0, n)), FrameSyntaxError, 502);
    }
  });

  it('a table whose size runs past the bytes present (502)', () => {
    // queue.declare: ticket, "q", bits, then a table claiming 0x1000 bytes with 4 present
    expectCodecError(
      () => decodeMethod(hex('00 32 00 0a 00 00 01 71 00 | 00 00 10 00 | 01 61 74 01')),
      FrameSyntaxError,
      502,
      /table/,
    );
    expectCodecError(() => decodeTable(hex('ff ff ff ff 00')), FrameSyntaxError, 502);
  });

  it('a string inside a table whose size runs past the bytes present (502)', () => {
    // table of 10 bytes holding "k" S with a length of 100 and 2 bytes
    expectCodecError(
      () => decodeTable(hex('00 00 00 0a | 01 6b 53 00 00 00 64 61 62 63')),
      FrameSyntaxError,
      502,
      /long string/,
    );
    // the string's bytes are present after the table, but a value may not read past its table
    const spill = Buffer.concat([hex('00 00 00 07 | 01 6b 53 00 00 00 05'), Buffer.from('hello')]);
    expectCodecError(() => decodeTable(spill), FrameSyntaxError, 502, /truncated long string: claims 5 bytes, 0 left/);
    // a key (short string) running past the table's end
    expectCodecError(() => decodeTable(hex('00 00 00 02 | 05 61 62 63 64 65')), FrameSyntaxError, 502);
    // an array whose size runs past its table
    expectCodecError(
      () => decodeTable(hex('00 00 00 08 | 01 61 41 00 00 00 ff 49 00 00 00 01')),
      FrameSyntaxError,
      502,
    );
  });

  it('10,000 levels of nested tables in one frame payload are a typed error, not a stack overflow', () => {
    const levels = 10_000;
    // Each level: size (4) then key "a" (2) and tag 'F' (1); the innermost table is empty.
    const table = Buffer.alloc(4 + levels * 7);
    for (let i = 0; i < levels; i++) {
      const at = i * 7;
      table.writeUInt32BE(table.length - at - 4, at);
      table[at + 4] = 1;
      table[at + 5] = 0x61;
      table[at + 6] = 0x46;
    }
    table.writeUInt32BE(0, levels * 7);
    // connection.start carrying it as server properties, in one method frame
    const payload = Buffer.concat([
      hex('00 0a 00 0a 00 09'),
      table,
      hex('00 00 00 05'),
      Buffer.from('PLAIN'),
      hex('00 00 00 05'),
      Buffer.from('en_US'),
    ]);
    const frames = parseAll([frameBytes(1, 0, payload)], 0);
    expect(frames).toHaveLength(1);
    expectCodecError(
      () => decodeMethod(frames[0].payload),
      FrameSyntaxError,
      502,
      new RegExp(`deeper than ${MAX_TABLE_DEPTH}`),
    );
    expectCodecError(() => decodeTable(table), FrameSyntaxError, 502);
  });

  it('10,000 levels of nested arrays are a typed error too', () => {
    const levels = 10_000;
    // table { a: [[[...]]] }: size, key "a", then per level 'A' + size (5 bytes)
    const buf = Buffer.alloc(4 + 2 + levels * 5);
    buf.writeUInt32BE(buf.length - 4, 0);
    buf[4] = 1;
    buf[5] = 0x61;
    for (let i = 0; i < levels; i++) {
      const at = 6 + i * 5;
      buf[at] = 0x41;
      buf.writeUInt32BE(buf.length - at - 5, at + 1);
    }
    expectCodecError(() => decodeTable(buf), FrameSyntaxError, 502, /deeper/);
  });

  it('nesting up to MAX_TABLE_DEPTH decodes', () => {
    let t: FieldTable = {};
    for (let i = 0; i < MAX_TABLE_DEPTH; i++) t = { a: t };
    expect(decodeTable(encodeTable(t))).toEqual(t);
  });

  it('an unknown field tag (502)', () => {
    expectCodecError(() => decodeTable(hex('00 00 00 03 | 01 61 5a')), FrameSyntaxError, 502, /unknown field tag 0x5a/);
    // 0-9-1's own 's' short-string tag is not what brokers send; RabbitMQ's 's' is int16.
    // Tags nobody defines: 'c', 'U', 0x00
    for (const tag of [0x63, 0x55, 0x00]) {
      expectCodecError(() => decodeTable(Buffer.from([0, 0, 0, 7, 1, 0x61, tag, 0, 0, 0, 0])), FrameSyntaxError, 502);
    }
  });

  it('invalid UTF-8 in a short string is a FrameSyntaxError (502), the documented choice', () => {
    // basic.deliver consumer tag 0xff 0xfe
    expectCodecError(
      () => decodeMethod(hex('00 3c 00 3c 02 ff fe 00 00 00 00 00 00 00 01 00 00 00')),
      FrameSyntaxError,
      502,
      /UTF-8/,
    );
    // a long short string (past the ASCII fast path) ending in a lone lead byte
    const tag = Buffer.concat([Buffer.from('x'.repeat(40)), hex('c3')]);
    const payload = Buffer.concat([
      hex('00 3c 00 3c'),
      Buffer.from([tag.length]),
      tag,
      hex('00 00 00 00 00 00 00 01 00 00 00'),
    ]);
    expectCodecError(() => decodeMethod(payload), FrameSyntaxError, 502, /UTF-8/);
    // an overlong encoding of '/' (c0 af) and a UTF-16 surrogate (ed a0 80)
    expectCodecError(() => decodeTable(hex('00 00 00 07 | 02 c0 af | 49 00 00 00')), FrameSyntaxError, 502);
    expectCodecError(() => decodeTable(hex('00 00 00 08 | 03 ed a0 80 | 49 00 00 00')), FrameSyntaxError, 502);
    // valid multi-byte UTF-8 is fine
    expect(decodeTable(hex('00 00 00 08 | 02 c3 a9 | 49 00 00 00 01'))).toEqual({ é: 1 });
  });

  it('trailing bytes after a method\u2019s arguments (502)', () => {
    const ack = encodeMethod('basic.ack', { deliveryTag: 1 });
    expectCodecError(() => decodeMethod(Buffer.concat([ack, hex('00')])), FrameSyntaxError, 502, /1 bytes after/);
    expectCodecError(
      () => decodeMethod(Buffer.concat([encodeMethod('channel.open-ok'), hex('00 00 00 00 ff')])),
      FrameSyntaxError,
      502,
    );
  });

  it('trailing bytes after a table (502)', () => {
    expectCodecError(() => decodeTable(hex('00 00 00 00 00')), FrameSyntaxError, 502);
  });

  it('unknown class or method id is an UnknownMethodError (540)', () => {
    const e = expectCodecError<UnknownMethodError>(() => decodeMethod(hex('00 63 00 0a')), UnknownMethodError, 540);
    expect(e.classId).toBe(99);
    expect(e.methodId).toBe(10);
    expectCodecError(() => decodeMethod(hex('00 3c 00 63')), UnknownMethodError, 540, /60\/99/);
    expectCodecError(() => decodeMethod(hex('ff ff ff ff')), UnknownMethodError, 540);
    // 0-8's file class does not exist in 0-9-1; 0-9-1's basic.nack does not exist in 0-8
    expectCodecError(() => decodeMethod(encodeMethod('file.qos', {}, '0-8'), '0-9-1'), UnknownMethodError, 540);
    expectCodecError(
      () => decodeMethod(encodeMethod('basic.nack', { deliveryTag: 1 }), '0-8'),
      UnknownMethodError,
      540,
      /0-8/,
    );
  });

  it('a payload too short for the ids (502)', () => {
    expectCodecError(() => decodeMethod(hex('')), FrameSyntaxError, 502);
    expectCodecError(() => decodeMethod(hex('00 3c 00')), FrameSyntaxError, 502);
  });
});

describe('content headers', () => {
  const header = (s: string) => hex(`00 3c 00 00 00 00 00 00 00 00 00 0a ${s}`);

  it('truncated properties (502)', () => {
    expectCodecError(() => decodeContentHeader(header('80 00 09 61')), FrameSyntaxError, 502);
    expectCodecError(() => decodeContentHeader(header('80')), FrameSyntaxError, 502);
    expectCodecError(() => decodeContentHeader(hex('00 3c 00 00 00 00')), FrameSyntaxError, 502);
  });

  it('flags naming properties the class lacks, or a continuation flag word (502)', () => {
    expectCodecError(() => decodeContentHeader(header('00 02')), FrameSyntaxError, 502, /flags/);
    expectCodecError(() => decodeContentHeader(header('00 01 00 00')), FrameSyntaxError, 502);
  });

  it('a class without content, or unknown (502)', () => {
    expectCodecError(
      () => decodeContentHeader(hex('00 0a 00 00 00 00 00 00 00 00 00 00 00 00')),
      FrameSyntaxError,
      502,
      /class 10/,
    );
    expectCodecError(
      () => decodeContentHeader(hex('00 46 00 00 00 00 00 00 00 00 00 00 00 00'), '0-9-1'),
      FrameSyntaxError,
      502,
    );
  });

  it('a body size past 2^53 (502)', () => {
    expectCodecError(
      () => decodeContentHeader(hex('00 3c 00 00 ff ff ff ff ff ff ff ff 00 00')),
      FrameSyntaxError,
      502,
      /body size/,
    );
  });

  it('trailing bytes after the properties (502)', () => {
    expectCodecError(() => decodeContentHeader(header('00 00 00')), FrameSyntaxError, 502);
  });
});

describe('encode errors', () => {
  it('a short string over 255 UTF-8 bytes is an EncodeError; 255 and under pass', () => {
    const ok = 'é'.repeat(100); // 200 bytes
    expect(decodeMethod(encodeMethod('queue.declare', { queue: ok })).args).toMatchObject({ queue: ok });
    expect(decodeMethod(encodeMethod('queue.declare', { queue: 'q'.repeat(255) })).args).toMatchObject({
      queue: 'q'.repeat(255),
    });
    expect(decodeMethod(encodeMethod('queue.declare', { queue: `${'é'.repeat(127)}q` })).args).toMatchObject({
      queue: `${'é'.repeat(127)}q`,
    });
    expectCodecError(
      () => encodeMethod('queue.declare', { queue: 'é'.repeat(128) }),
      EncodeError,
      undefined,
      /queue.*256 bytes/,
    );
    expectCodecError(
      () => encodeMethod('queue.declare', { queue: 'q'.repeat(256) }),
      EncodeError,
      undefined,
      /256 bytes/,
    );
    expectCodecError(() => encodeMethod('queue.declare', { queue: '😀'.repeat(64) }), EncodeError, undefined);
    expectCodecError(() => encodeTable({ ['k'.repeat(256)]: 1 }), EncodeError, undefined);
  });

  it('nothing is written when an encode fails', () => {
    const w = new Writer(8);
    w.bytes(hex('de ad be ef'));
    expectCodecError(() => w.shortstr('é'.repeat(128)), EncodeError, undefined);
    expect(w.pos).toBe(4);
    const def = METHOD_TABLES['0-9-1'].named('queue.declare');
    expectCodecError(() => writeMethodFrame(w, 1, def, { queue: 'é'.repeat(128) }), EncodeError, undefined);
    expect(w.pos).toBe(4);
    expectCodecError(
      () => writeMethodFrame(w, 1, def, { queue: 'q', arguments: { a: [1, 2, () => 3] as unknown as FieldValue } }),
      EncodeError,
      undefined,
    );
    expect(w.pos).toBe(4);
    const props = METHOD_TABLES['0-9-1'].properties.get(60)!;
    expectCodecError(
      () => writeHeaderFrame(w, 1, props, 10, { contentType: 'x', priority: 256 }),
      EncodeError,
      undefined,
      /priority/,
    );
    expect(w.pos).toBe(4);
    expect(w.toBuffer()).toEqual(hex('de ad be ef'));
    // and the writer still works afterwards
    writeMethodFrame(w, 1, def, { queue: 'q' });
    expect(decodeMethod(w.toBuffer().subarray(11, w.pos - 1)).args).toMatchObject({ queue: 'q' });
  });

  it('out-of-range numbers: prefetchCount 70000, a negative delivery tag, and friends', () => {
    expectCodecError(
      () => encodeMethod('basic.qos', { prefetchCount: 70000 }),
      EncodeError,
      undefined,
      /prefetchCount.*70000/,
    );
    expectCodecError(() => encodeMethod('basic.ack', { deliveryTag: -1 }), EncodeError, undefined, /deliveryTag/);
    expectCodecError(() => encodeMethod('basic.ack', { deliveryTag: 2 ** 53 }), EncodeError, undefined);
    expectCodecError(() => encodeMethod('basic.ack', { deliveryTag: 2n ** 64n }), EncodeError, undefined);
    expectCodecError(() => encodeMethod('basic.ack', { deliveryTag: -1n }), EncodeError, undefined);
    expectCodecError(() => encodeMethod('basic.qos', { prefetchSize: 2 ** 32 }), EncodeError, undefined);
    expectCodecError(() => encodeMethod('basic.qos', { prefetchCount: 1.5 }), EncodeError, undefined);
    expectCodecError(() => encodeMethod('basic.qos', { prefetchCount: NaN }), EncodeError, undefined);
    expectCodecError(
      () => encodeMethod('basic.qos', { prefetchCount: '5' as unknown as number }),
      EncodeError,
      undefined,
    );
    expectCodecError(() => encodeMethod('connection.start', { versionMinor: 256 }), EncodeError, undefined);
    expectCodecError(
      () => encodeContentHeader({ bodySize: 1, properties: { deliveryMode: -1 } }),
      EncodeError,
      undefined,
    );
    expectCodecError(() => encodeContentHeader({ bodySize: -1 }), EncodeError, undefined, /body size/);
    expectCodecError(
      () => encodeContentHeader({ bodySize: 0, properties: { timestamp: new Date(-1000) } }),
      EncodeError,
      undefined,
    );
    expectCodecError(
      () => encodeContentHeader({ bodySize: 0, properties: { timestamp: new Date(NaN) } }),
      EncodeError,
      undefined,
    );
    expectCodecError(
      () => encodeMethod('queue.declare', { queue: 5 as unknown as string }),
      EncodeError,
      undefined,
      /expected a string/,
    );
  });

  it('explicit tags out of their range', () => {
    const cases: FieldValue[] = [
      field.int8(128),
      field.int8(-129),
      field.uint8(-1),
      field.uint8(256),
      field.int16(32768),
      field.uint16(65536),
      field.int32(2 ** 31),
      field.uint32(-1),
      field.uint32(2 ** 32),
      field.int64(2n ** 63n),
      field.uint64(-1),
      field.int64(2 ** 53),
      field.int8(1.5),
      field.decimal(256, 1),
      field.decimal(2, 2 ** 31),
      field.float32('1' as unknown as number),
    ];
    for (const v of cases) expectCodecError(() => encodeTable({ v }), EncodeError, undefined, /at \.v/);
  });

  it('in 0-8 only S I D T F exist: other values are EncodeErrors with a clear message', () => {
    const refused: Record<string, FieldValue> = {
      boolean: true,
      array: [1],
      null: null,
      bytes: new Uint8Array([1]),
      'large number': 2 ** 40,
      float: 1.5,
      bigint: 2n ** 40n,
      int8: field.int8(1),
      uint32: field.uint32(1),
      float64: field.float64(1),
      'bytes tag': field.bytes(new Uint8Array(0)),
    };
    for (const [what, v] of Object.entries(refused)) {
      const e = expectCodecError<EncodeError>(() => encodeTable({ k: v }, '0-8'), EncodeError, undefined);
      expect(e.message).toMatch(/0-8/);
      expect(e.message).toMatch(/at \.k/);
      if (!['large number', 'float', 'bigint'].includes(what)) expect(e.message).toMatch(/only S I D T F/);
    }
    // nested deep inside, the path is named
    expectCodecError(
      () => encodeTable({ a: { b: { c: true } } }, '0-8'),
      EncodeError,
      undefined,
      /at \.a\.b\.c: .*0-8/,
    );
    // through a method and a content header
    expectCodecError(
      () => encodeMethod('connection.start-ok', { clientProperties: { capabilities: { x: true } } }, '0-8'),
      EncodeError,
      undefined,
      /clientProperties/,
    );
    expectCodecError(
      () => encodeContentHeader({ bodySize: 0, properties: { headers: { n: null } } }, '0-8'),
      EncodeError,
      undefined,
      /headers/,
    );
    // what 0-8 has is fine
    const ok = {
      s: 'x',
      i: -5,
      big: 2n ** 20n,
      d: field.decimal(2, 1234),
      t: new Date(1_000_000_000_000),
      f: { s: field.longString('y'), i: field.int32(7) },
    };
    expect(decodeTable(encodeTable(ok, '0-8'), '0-8')).toEqual({
      s: 'x',
      i: -5,
      big: 2 ** 20,
      d: field.decimal(2, 1234),
      t: new Date(1_000_000_000_000),
      f: { s: 'y', i: 7 },
    });
    // and the same values are fine in 0-9-1
    for (const v of Object.values(refused)) expect(() => encodeTable({ k: v })).not.toThrow();
  });

  it('a cyclic object or array is an EncodeError, not a stack overflow', () => {
    const t: FieldTable = { a: 1 };
    t.self = t;
    expectCodecError(() => encodeTable(t), EncodeError, undefined, /cyclic/);
    const arr: FieldValue[] = [];
    arr.push(arr);
    expectCodecError(() => encodeTable({ arr }), EncodeError, undefined, /cyclic/);
    expectCodecError(() => encodeMethod('basic.consume', { arguments: t }), EncodeError, undefined);
    // too deep but not cyclic
    let deep: FieldTable = {};
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expectCodecError(() => encodeTable(deep), EncodeError, undefined, /deeper/);
  });

  it('values that cannot be encoded (function, symbol, Map, class instance) are EncodeErrors', () => {
    const cases: unknown[] = [
      () => 1,
      Symbol('s'),
      new Map(),
      new Set(),
      new (class Foo {})(),
      new Int16Array(2),
      Promise.resolve(),
    ];
    for (const v of cases)
      expectCodecError(
        () => encodeTable({ v: v as FieldValue }),
        EncodeError,
        undefined,
        /cannot be put in a field table/,
      );
    expectCodecError(() => encodeTable([] as unknown as FieldTable), EncodeError, undefined);
    expectCodecError(() => encodeTable('x' as unknown as FieldTable), EncodeError, undefined);
    expectCodecError(() => encodeTable({ s: 'a\ud800b' }), EncodeError, undefined, /surrogate/);
    expectCodecError(() => encodeMethod('queue.declare', { queue: 'a\udc00' }), EncodeError, undefined, /surrogate/);
  });

  it('writeBodyFrames never loops forever on a frameMax without room for payload', () => {
    const w = new Writer(64);
    const body = Buffer.alloc(100, 1);
    // frameMax 0 means "no limit" (as in connection.tune): one body frame
    writeBodyFrames(w, 1, body, 0);
    expect(w.pos).toBe(108);
    // a frameMax that leaves no payload room is refused, not an endless loop
    w.reset();
    expectCodecError(() => writeBodyFrames(w, 1, body, 8), EncodeError, undefined, /frame_max/);
    expect(w.pos).toBe(0);
  });
});

describe('no RangeError from any corrupted input', () => {
  // Every single-byte corruption and every truncation of some valid payloads: whatever fails,
  // fails with a typed codec error.
  const payloads: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
    [
      'queue.declare',
      encodeMethod('queue.declare', {
        queue: 'q',
        arguments: { a: [1, 'x', { b: 2n ** 60n }], d: new Date(0), f: field.float32(1) },
      }),
      (b) => decodeMethod(b),
    ],
    [
      'basic.deliver',
      encodeMethod('basic.deliver', { consumerTag: 'c', deliveryTag: 5, exchange: 'e', routingKey: 'é' }),
      (b) => decodeMethod(b),
    ],
    [
      'content header',
      encodeContentHeader({ bodySize: 9, properties: { headers: { a: 1 }, timestamp: new Date(0), messageId: 'm' } }),
      (b) => decodeContentHeader(b),
    ],
    [
      'table',
      encodeTable({ s: 'x', x: new Uint8Array(3), n: null, t: true, D: field.decimal(1, 1), u: field.uint16(1) }),
      (b) => decodeTable(b),
    ],
  ];
  for (const [name, payload, decode] of payloads) {
    it(name, () => {
      for (let i = 0; i < payload.length; i++) {
        for (const v of [0x00, 0x7f, 0x80, 0xff, payload[i] ^ 0x01]) {
          const b = Buffer.from(payload);
          b[i] = v;
          try {
            decode(b);
          } catch (e) {
            expect([FrameSyntaxError, UnknownMethodError].some((c) => e instanceof c)).toBe(true);
          }
        }
        expect(() => decode(payload.subarray(0, i))).toThrow(FrameSyntaxError);
      }
    });
  }
});

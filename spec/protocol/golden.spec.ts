/**
 * Golden bytes: hand-checked wire images of tables, methods, content headers and frames.
 * Each vector is asserted in both directions (encode gives exactly these bytes, decode gives
 * back the values).
 */
import {
  decodeContentHeader,
  decodeMethod,
  decodeTable,
  encodeContentHeader,
  encodeFrame,
  encodeMethod,
  encodeTable,
  FrameParser,
  METHOD_TABLES,
  type Frame,
} from 'rx-amqp/protocol';
import { Writer } from '../../lib/protocol/writer';
import { writeBodyFrames, writeHeaderFrame, writeMethodFrame } from '../../lib/protocol/method-codec';
import { hex, toHex } from './helpers';

describe('golden bytes: field tables', () => {
  it('{foo: 7} is 00 00 00 09 03 66 6f 6f 49 00 00 00 07', () => {
    const bytes = encodeTable({ foo: 7 });
    expect(toHex(bytes)).toBe('00 00 00 09 03 66 6f 6f 49 00 00 00 07');
    expect(decodeTable(hex('00 00 00 09 03 66 6f 6f 49 00 00 00 07'))).toEqual({ foo: 7 });
  });

  it('the empty table is four zero octets', () => {
    expect(toHex(encodeTable({}))).toBe('00 00 00 00');
    expect(decodeTable(hex('00000000'))).toEqual({});
  });

  it('strings, booleans and nested tables', () => {
    // size 0x1b = 27: "s" S "hi" (1+1+1+4+2 = 9) + "t" t 1 (1+1+1+1 = 4) + "n" F {} (1+1+1+4 = 7)
    //                 + "v" V (1+1+1 = 3) + "b" t 0 (4)
    const expected = hex(`00 00 00 1b
      01 73 | 53 | 00 00 00 02 68 69
      01 74 | 74 | 01
      01 6e | 46 | 00 00 00 00
      01 76 | 56
      01 62 | 74 | 00`);
    const table = { s: 'hi', t: true, n: {}, v: null, b: false };
    expect(toHex(encodeTable(table))).toBe(toHex(expected));
    expect(decodeTable(expected)).toEqual(table);
  });

  it('an array of an int and a string', () => {
    // "a" A [ I 1, S "x" ]: array size 5 + 6 = 11
    const expected = hex('00 00 00 12 | 01 61 | 41 | 00 00 00 0b | 49 00 00 00 01 | 53 00 00 00 01 78');
    expect(toHex(encodeTable({ a: [1, 'x'] }))).toBe(toHex(expected));
    expect(decodeTable(expected)).toEqual({ a: [1, 'x'] });
  });
});

describe('golden bytes: methods', () => {
  it('exchange.declare packs passive,durable,autoDelete,internal,nowait = 1,1,0,1,0 into 0x0b', () => {
    const payload = encodeMethod('exchange.declare', {
      exchange: 'x',
      type: 'topic',
      passive: true,
      durable: true,
      autoDelete: false,
      internal: true,
      nowait: false,
    });
    // class 40, method 10, ticket 0, "x", "topic", bits 0x0b, empty arguments table
    expect(toHex(payload)).toBe('00 28 00 0a 00 00 01 78 05 74 6f 70 69 63 0b 00 00 00 00');
    const m = decodeMethod(payload);
    expect(m).toEqual({
      classId: 40,
      methodId: 10,
      name: 'exchange.declare',
      args: {
        ticket: 0,
        exchange: 'x',
        type: 'topic',
        passive: true,
        durable: true,
        autoDelete: false,
        internal: true,
        nowait: false,
        arguments: {},
      },
    });
  });

  it('each exchange.declare bit has its own position, bit 0 first', () => {
    const bits = ['passive', 'durable', 'autoDelete', 'internal', 'nowait'] as const;
    bits.forEach((name, i) => {
      const payload = encodeMethod('exchange.declare', { [name]: true });
      // 4 id octets, 2 ticket, 1 "" exchange, 7 "direct" -> the bit octet is at 14
      expect(payload[14]).toBe(1 << i);
    });
  });

  it('basic.deliver', () => {
    const bytes = hex(`00 3c 00 3c
      04 63 74 61 67
      00 00 00 00 00 00 01 2c
      01
      02 65 78
      03 6b 65 79`);
    const args = { consumerTag: 'ctag', deliveryTag: 300, redelivered: true, exchange: 'ex', routingKey: 'key' };
    expect(toHex(encodeMethod('basic.deliver', args))).toBe(toHex(bytes));
    expect(decodeMethod(bytes)).toEqual({ classId: 60, methodId: 60, name: 'basic.deliver', args });
  });

  it('basic.deliver with a delivery tag past 2^53 decodes as a bigint', () => {
    const bytes = hex('00 3c 00 3c 00 | ff ff ff ff ff ff ff ff | 00 | 00 | 00');
    expect(decodeMethod(bytes).args).toEqual({
      consumerTag: '',
      deliveryTag: 2n ** 64n - 1n,
      redelivered: false,
      exchange: '',
      routingKey: '',
    });
    expect(toHex(encodeMethod('basic.deliver', { deliveryTag: 2n ** 64n - 1n }))).toBe(toHex(bytes));
  });

  it('basic.publish', () => {
    const bytes = hex('00 3c 00 28 | 00 00 | 02 65 78 | 02 72 6b | 01');
    const args = { ticket: 0, exchange: 'ex', routingKey: 'rk', mandatory: true, immediate: false };
    expect(toHex(encodeMethod('basic.publish', args))).toBe(toHex(bytes));
    expect(decodeMethod(bytes)).toEqual({ classId: 60, methodId: 40, name: 'basic.publish', args });
  });

  it('connection.tune-ok', () => {
    const bytes = hex('00 0a 00 1f | 07 ff | 00 02 00 00 | 00 3c');
    expect(toHex(encodeMethod('connection.tune-ok', { channelMax: 2047, frameMax: 131072, heartbeat: 60 }))).toBe(
      toHex(bytes),
    );
  });

  it('omitted arguments take the spec defaults', () => {
    // queue.declare: ticket 0, queue "", bits all false, arguments {}
    expect(toHex(encodeMethod('queue.declare'))).toBe('00 32 00 0a 00 00 00 00 00 00 00 00');
    // connection.start-ok: PLAIN and en_US are the spec's defaults
    expect(decodeMethod(encodeMethod('connection.start-ok')).args).toEqual({
      clientProperties: {},
      mechanism: 'PLAIN',
      response: Buffer.alloc(0),
      locale: 'en_US',
    });
  });

  it('0-8 access.request (the ticket dialect)', () => {
    // realm "/data", exclusive passive active write read = 0 1 1 1 1 -> 0x1e
    const bytes = hex('00 1e 00 0a | 05 2f 64 61 74 61 | 1e');
    const args = { realm: '/data', exclusive: false, passive: true, active: true, write: true, read: true };
    expect(toHex(encodeMethod('access.request', args, '0-8'))).toBe(toHex(bytes));
    expect(decodeMethod(bytes, '0-8')).toEqual({ classId: 30, methodId: 10, name: 'access.request', args });
  });
});

describe('golden bytes: content header', () => {
  it('several properties and the flag word', () => {
    // flags: contentType 0x8000 | headers 0x2000 | deliveryMode 0x1000 | messageId 0x0080
    //        | timestamp 0x0040 | appId 0x0008 = 0xb0c8
    const bytes = hex(`00 3c | 00 00 | 00 00 00 00 00 00 00 64 | b0 c8
      03 61 2f 62
      00 00 00 08 01 78 53 00 00 00 01 79
      02
      02 6d 31
      00 00 00 00 3b 9a ca 00
      03 61 70 70`);
    const properties = {
      contentType: 'a/b',
      headers: { x: 'y' },
      deliveryMode: 2,
      messageId: 'm1',
      timestamp: new Date(1_000_000_000 * 1000),
      appId: 'app',
    };
    expect(toHex(encodeContentHeader({ bodySize: 100, properties }))).toBe(toHex(bytes));
    expect(decodeContentHeader(bytes)).toEqual({ classId: 60, bodySize: 100, properties });
  });

  it('no properties is a zero flag word', () => {
    const bytes = hex('00 3c 00 00 00 00 00 00 00 00 00 05 00 00');
    expect(toHex(encodeContentHeader({ bodySize: 5 }))).toBe(toHex(bytes));
    expect(decodeContentHeader(bytes)).toEqual({ classId: 60, bodySize: 5, properties: {} });
  });

  it('the last basic property, clusterId, is flag bit 2 (0x0004)', () => {
    const bytes = hex('00 3c 00 00 00 00 00 00 00 00 00 00 00 04 01 63');
    expect(toHex(encodeContentHeader({ bodySize: 0, properties: { clusterId: 'c' } }))).toBe(toHex(bytes));
    expect(decodeContentHeader(bytes).properties).toEqual({ clusterId: 'c' });
  });
});

describe('golden bytes: frames', () => {
  it('a heartbeat is 08 00 00 00 00 00 00 ce', () => {
    expect(toHex(encodeFrame({ type: 8, channel: 0, payload: new Uint8Array(0) }))).toBe('08 00 00 00 00 00 00 ce');
    const frames: Frame[] = [];
    new FrameParser().push(hex('08 00 00 00 00 00 00 ce'), (f) => frames.push(f));
    expect(frames).toHaveLength(1);
    expect(frames[0].type).toBe(8);
    expect(frames[0].channel).toBe(0);
    expect(frames[0].payload.length).toBe(0);
  });

  it('a basic.publish method frame, header frame and body frames on channel 1 (the Writer path)', () => {
    const w = new Writer(16);
    const def = METHOD_TABLES['0-9-1'].named('basic.publish');
    writeMethodFrame(w, 1, def, { exchange: 'ex', routingKey: 'rk', mandatory: true });
    writeHeaderFrame(w, 1, METHOD_TABLES['0-9-1'].properties.get(60)!, 5, { deliveryMode: 1 });
    // frameMax 11 leaves 3 payload bytes per body frame: "hel" + "lo"
    writeBodyFrames(w, 1, Buffer.from('hello'), 11);
    expect(toHex(w.toBuffer())).toBe(
      toHex(
        hex(`01 00 01 00 00 00 0d | 00 3c 00 28 00 00 02 65 78 02 72 6b 01 | ce
             02 00 01 00 00 00 0f | 00 3c 00 00 00 00 00 00 00 00 00 05 10 00 01 | ce
             03 00 01 00 00 00 03 | 68 65 6c | ce
             03 00 01 00 00 00 02 | 6c 6f | ce`),
      ),
    );
  });

  it('encodeFrame puts type, channel, size, payload and frame-end', () => {
    expect(toHex(encodeFrame({ type: 3, channel: 0x1234, payload: hex('aa bb') }))).toBe(
      '03 12 34 00 00 00 02 aa bb ce',
    );
  });
});

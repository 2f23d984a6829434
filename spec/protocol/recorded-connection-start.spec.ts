/**
 * A recorded RabbitMQ 3.10 handshake: the connection.start frames a real broker sent in answer
 * to the 0-9-1 and the 0-8 protocol headers (recorded by scripts/record-handshake.ts), decoded
 * field by field.
 */
import { decodeMethod, encodeMethod, FrameParser, type Frame } from 'rx-amqp/protocol';
import { CONNECTION_START_0_8_HEX, CONNECTION_START_0_9_1_HEX } from './fixtures/rabbitmq-3.10-connection-start';
import { hex, toHex } from './helpers';

function onlyFrame(bytes: Buffer): Frame {
  const frames: Frame[] = [];
  const parser = new FrameParser();
  parser.push(bytes, (f) => frames.push(f));
  expect(parser.pending).toBe(false);
  expect(frames).toHaveLength(1);
  return frames[0];
}

describe('recorded RabbitMQ 3.10 connection.start, AMQP 0-9-1', () => {
  const bytes = hex(CONNECTION_START_0_9_1_HEX);
  const frame = onlyFrame(bytes);

  it('is one method frame on channel 0', () => {
    expect(frame.type).toBe(1);
    expect(frame.channel).toBe(0);
    expect(frame.payload.length).toBe(bytes.length - 8);
  });

  it('decodes field by field', () => {
    const m = decodeMethod(frame.payload, '0-9-1');
    expect(m.name).toBe('connection.start');
    expect(m.classId).toBe(10);
    expect(m.methodId).toBe(10);
    const args = m.args as {
      versionMajor: number;
      versionMinor: number;
      serverProperties: Record<string, unknown>;
      mechanisms: Buffer;
      locales: Buffer;
    };
    expect(args.versionMajor).toBe(0);
    expect(args.versionMinor).toBe(9);

    const props = args.serverProperties;
    expect(props.product).toBe('RabbitMQ');
    expect(props.version).toMatch(/^3\.10\.\d+$/);
    expect(props.platform).toMatch(/^Erlang\/OTP /);
    expect(props.copyright).toMatch(/^Copyright \(c\) 2007-\d{4} VMware/);
    expect(props.information).toMatch(/Mozilla Public License|MPL 2\.0/);
    expect(typeof props.cluster_name).toBe('string');
    expect(Object.keys(props).sort()).toEqual([
      'capabilities',
      'cluster_name',
      'copyright',
      'information',
      'platform',
      'product',
      'version',
    ]);
    expect(props.capabilities).toEqual({
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      consumer_priorities: true,
      authentication_failure_close: true,
      per_consumer_qos: true,
      direct_reply_to: true,
    });

    expect(Buffer.isBuffer(args.mechanisms)).toBe(true);
    const mechanisms = args.mechanisms.toString('utf8').split(' ');
    expect(mechanisms).toContain('PLAIN');
    expect(mechanisms).toContain('AMQPLAIN');
    expect(args.locales.toString('utf8').split(' ')).toEqual(['en_US']);
  });

  it('re-encodes to the very bytes the broker sent (same tags, same key order)', () => {
    const m = decodeMethod(frame.payload, '0-9-1');
    expect(toHex(encodeMethod('connection.start', m.args as Record<string, unknown>, '0-9-1'))).toBe(
      toHex(frame.payload),
    );
  });
});

describe('recorded RabbitMQ 3.10 connection.start, AMQP 0-8', () => {
  // RabbitMQ answers the 0-8 header `AMQP 1 1 8 0` with a 0-8 connection.start: version 8.0,
  // and server properties that use only two field tags: 'S' (long string) for every value and
  // 'F' for `capabilities`, which is an empty table (RabbitMQ announces no capabilities to 0-8
  // clients, so there is not a single 't' boolean in it, unlike the 0-9-1 answer).
  const bytes = hex(CONNECTION_START_0_8_HEX);
  const frame = onlyFrame(bytes);

  it('is one method frame on channel 0', () => {
    expect(frame.type).toBe(1);
    expect(frame.channel).toBe(0);
  });

  it('decodes with protocol 0-8, field by field', () => {
    const m = decodeMethod(frame.payload, '0-8');
    expect(m.name).toBe('connection.start');
    const args = m.args as {
      versionMajor: number;
      versionMinor: number;
      serverProperties: Record<string, unknown>;
      mechanisms: Buffer;
      locales: Buffer;
    };
    expect(args.versionMajor).toBe(8);
    expect(args.versionMinor).toBe(0);
    const props = args.serverProperties;
    expect(props.product).toBe('RabbitMQ');
    expect(props.version).toMatch(/^3\.10\.\d+$/);
    expect(props.capabilities).toEqual({});
    for (const [key, value] of Object.entries(props)) {
      if (key !== 'capabilities') expect(typeof value).toBe('string');
    }
    expect(args.mechanisms.toString().split(' ')).toEqual(expect.arrayContaining(['PLAIN', 'AMQPLAIN']));
    expect(args.locales.toString()).toBe('en_US');
  });

  it('the server properties hold nothing 0-8 lacks: re-encoding in 0-8 mode gives the same bytes', () => {
    const m = decodeMethod(frame.payload, '0-8');
    expect(toHex(encodeMethod('connection.start', m.args as Record<string, unknown>, '0-8'))).toBe(
      toHex(frame.payload),
    );
  });

  it('the server properties bytes carry only the tags S and F', () => {
    // Walk the raw table: key, tag, value; the only nested table is the empty capabilities.
    const p = Buffer.from(frame.payload);
    let pos = 6; // class, method, version major, version minor
    const end = pos + 4 + p.readUInt32BE(pos);
    pos += 4;
    const tags = new Set<string>();
    while (pos < end) {
      pos += 1 + p[pos];
      const tag = String.fromCharCode(p[pos++]);
      tags.add(tag);
      pos += 4 + p.readUInt32BE(pos); // both S and F are a 4-byte size and that many bytes
    }
    expect(pos).toBe(end);
    expect([...tags].sort()).toEqual(['F', 'S']);
  });
});

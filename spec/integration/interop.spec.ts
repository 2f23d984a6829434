/**
 * Interop with other clients through the real RabbitMQ: a message with every property and
 * headers of every field type published by rx-amqp is read by amqplib (Node) and py-amqp
 * (Python, `python3-amqp`) with the same values, and the reverse.
 *
 * py-amqp 5.1 has its own reading of some field tags, so the Python cases use the values
 * both sides agree on: it reads `s` as a short string (RabbitMQ and rx-amqp: int16), swaps
 * the signedness of `b`/`B` and of `l`/`L`, and writes every big integer as `L`. Those tags
 * are covered by the amqplib cases.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as amqplib from 'amqplib';
import {
  type Channel,
  type Connection,
  Decimal,
  field,
  type FieldTable,
  Message,
  type MessageProperties,
  open,
  type Protocol,
} from 'rx-amqp';
import { BROKER_URL, DIALECTS, eventually, once, opts, uniqueName } from './helpers';

const HOSTPORT = '127.0.0.1:5672';
const TIMESTAMP = new Date('2023-05-06T07:08:09Z');
const HEADER_TIME = new Date('2024-02-29T12:34:56Z');

/** Headers with one value of every field type rx-amqp can write (0-9-1). */
function everyTypeHeaders(): FieldTable {
  return {
    string: 'text ü 日本',
    int32: field.int32(-123456),
    plainInt: 77,
    int64: field.int64(2 ** 40),
    bigint: -(2n ** 40n),
    bool: true,
    false: false,
    double: 3.25,
    float: field.float32(1.5),
    decimal: new Decimal(2, 1234),
    timestamp: HEADER_TIME,
    bytes: Uint8Array.of(0, 1, 254, 255),
    array: [1, 'two', true, null, [3]],
    table: { nested: { deep: 'value' }, n: 1 },
    null: null,
    int8: field.int8(-5),
    uint8: field.uint8(250),
    int16: field.int16(-30000),
    uint16: field.uint16(60000),
    uint32: field.uint32(4000000000),
  };
}

/** The only field types of 0-8: S I D T F. */
function headers08(): FieldTable {
  return {
    string: 'text ü 日本',
    int32: -123456,
    decimal: new Decimal(2, 1234),
    timestamp: HEADER_TIME,
    table: { nested: { deep: 'value' }, n: 1 },
  };
}

function allProperties(headers: FieldTable): MessageProperties {
  return {
    contentType: 'application/x-test',
    contentEncoding: 'binary',
    headers,
    deliveryMode: 2,
    priority: 7,
    correlationId: 'corr-1',
    replyTo: 'reply.queue',
    expiration: '600000',
    messageId: 'msg-1',
    timestamp: TIMESTAMP,
    type: 'test.type',
    userId: 'guest', // RabbitMQ checks it against the connection's user
    appId: 'rx-amqp-tests',
    clusterId: 'cluster-9',
  };
}

const BODY = Buffer.from([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 0x41]);

let rx: Connection;
let ch: Channel;
beforeAll(async () => {
  rx = await open(opts('0-9-1'));
  ch = await rx.openChannel();
});
afterAll(() => rx.close());

/** A queue other connections can use (not exclusive); deleted after the test. */
async function withQueue(run: (queue: string) => Promise<void>): Promise<void> {
  const q = uniqueName('interop');
  await once(ch.queueDeclare(q));
  try {
    await run(q);
  } finally {
    await once(ch.queueDelete(q));
  }
}

async function rxPublish(protocol: Protocol, queue: string, message: Message): Promise<void> {
  const c = await open(opts(protocol));
  try {
    const pub = await c.openChannel();
    pub.basicPublish(message, '', queue);
  } finally {
    await c.close(); // flushes the publish
  }
}

async function rxGet(protocol: Protocol, queue: string) {
  const c = await open(opts(protocol));
  try {
    const sub = await c.openChannel();
    let got = null;
    await eventually(async () => {
      got = await once(sub.basicGet(queue, { noAck: true }));
      return got !== null;
    }, `a message in ${queue}`);
    return got!;
  } finally {
    await c.close();
  }
}

describe('amqplib', () => {
  let model: amqplib.ChannelModel;
  let ach: amqplib.Channel;
  beforeAll(async () => {
    model = await amqplib.connect(BROKER_URL);
    ach = await model.createChannel();
  });
  afterAll(() => model.close());

  async function amqplibGet(queue: string): Promise<amqplib.GetMessage> {
    let got: amqplib.GetMessage | false = false;
    await eventually(async () => {
      got = await ach.get(queue, { noAck: true });
      return got !== false;
    }, `amqplib gets from ${queue}`);
    return got as unknown as amqplib.GetMessage;
  }

  describe.each(DIALECTS)('rx-amqp (AMQP %s) publishes, amqplib reads', (protocol: Protocol) => {
    it('every property and every field type arrive with the same values', async () => {
      await withQueue(async (q) => {
        const headers = protocol === '0-8' ? headers08() : everyTypeHeaders();
        await rxPublish(protocol, q, new Message(BODY, allProperties(headers)));
        const m = await amqplibGet(q);
        expect(Buffer.compare(m.content, BODY)).toBe(0);
        const { headers: got, ...props } = m.properties;
        expect(props).toEqual({
          contentType: 'application/x-test',
          contentEncoding: 'binary',
          deliveryMode: 2,
          priority: 7,
          correlationId: 'corr-1',
          replyTo: 'reply.queue',
          expiration: '600000',
          messageId: 'msg-1',
          timestamp: TIMESTAMP.getTime() / 1000,
          type: 'test.type',
          userId: 'guest',
          appId: 'rx-amqp-tests',
          clusterId: 'cluster-9',
        });
        const common = {
          string: 'text ü 日本',
          int32: -123456,
          decimal: { '!': 'decimal', value: { places: 2, digits: 1234 } },
          timestamp: { '!': 'timestamp', value: HEADER_TIME.getTime() / 1000 },
          table: { nested: { deep: 'value' }, n: 1 },
        };
        if (protocol === '0-8') {
          expect(got).toEqual(common);
          return;
        }
        const { bytes, ...rest } = got as Record<string, unknown>;
        expect(Buffer.isBuffer(bytes)).toBe(true);
        expect([...(bytes as Buffer)]).toEqual([0, 1, 254, 255]);
        expect(rest).toEqual({
          ...common,
          plainInt: 77,
          int64: 2 ** 40,
          bigint: -(2 ** 40),
          bool: true,
          false: false,
          double: 3.25,
          float: 1.5,
          array: [1, 'two', true, null, [3]],
          null: null,
          int8: -5,
          uint8: 250,
          int16: -30000,
          uint16: 60000,
          uint32: 4000000000,
        });
      });
    });
  });

  describe.each(DIALECTS)('amqplib publishes, rx-amqp (AMQP %s) reads', (protocol: Protocol) => {
    it('every property and every field type arrive with the same values', async () => {
      await withQueue(async (q) => {
        ach.sendToQueue(q, BODY, {
          contentType: 'application/x-amqplib',
          contentEncoding: 'binary',
          headers: {
            string: 'text ü 日本',
            int8: { '!': 'int8', value: -5 },
            uint8: { '!': 'uint8', value: 250 },
            int16: { '!': 'int16', value: -30000 },
            uint16: { '!': 'uint16', value: 60000 },
            int32: { '!': 'int32', value: -123456 },
            uint32: { '!': 'uint32', value: 4000000000 },
            int64: { '!': 'int64', value: 2 ** 40 },
            negInt64: { '!': 'int64', value: -(2 ** 40) },
            small: 77, // amqplib picks 'b'
            float: { '!': 'float', value: 1.5 },
            double: { '!': 'double', value: 3.25 },
            fraction: 0.5,
            decimal: { '!': 'decimal', value: { places: 2, digits: 1234 } },
            timestamp: { '!': 'timestamp', value: HEADER_TIME.getTime() / 1000 },
            bytes: Buffer.from([0, 1, 254, 255]),
            bool: true,
            false: false,
            null: null,
            array: [1, 'two', true, null, [3]],
            table: { nested: { deep: 'value' }, n: 1 },
          },
          deliveryMode: 2,
          priority: 7,
          correlationId: 'corr-a',
          replyTo: 'reply.a',
          expiration: '600000',
          messageId: 'msg-a',
          timestamp: TIMESTAMP.getTime() / 1000,
          type: 'a.type',
          userId: 'guest',
          appId: 'amqplib',
        });
        await ach.checkQueue(q); // a round trip after the publish
        const d = await rxGet(protocol, q);
        expect(Buffer.compare(d.body, BODY)).toBe(0);
        const { headers, ...props } = d.properties;
        expect(props).toEqual({
          contentType: 'application/x-amqplib',
          contentEncoding: 'binary',
          deliveryMode: 2,
          priority: 7,
          correlationId: 'corr-a',
          replyTo: 'reply.a',
          expiration: '600000',
          messageId: 'msg-a',
          timestamp: TIMESTAMP,
          type: 'a.type',
          userId: 'guest',
          appId: 'amqplib',
        });
        const { bytes, decimal, ...rest } = headers as Record<string, unknown>;
        expect(Buffer.from(bytes as Uint8Array)).toEqual(Buffer.from([0, 1, 254, 255]));
        expect(decimal).toBeInstanceOf(Decimal);
        expect(decimal).toEqual(new Decimal(2, 1234));
        expect(String(decimal)).toBe('12.34');
        expect(rest).toEqual({
          string: 'text ü 日本',
          int8: -5,
          uint8: 250,
          int16: -30000,
          uint16: 60000,
          int32: -123456,
          uint32: 4000000000,
          int64: 2 ** 40,
          negInt64: -(2 ** 40),
          small: 77,
          float: 1.5,
          double: 3.25,
          fraction: 0.5,
          timestamp: HEADER_TIME,
          bool: true,
          false: false,
          null: null,
          array: [1, 'two', true, null, [3]],
          table: { nested: { deep: 'value' }, n: 1 },
        });
      });
    });
  });
});

// ---- Python (py-amqp) ------------------------------------------------------------------

const SCRIPT = path.join(__dirname, 'interop_client.py');

/** A Python interpreter that can `import amqp` (Debian's python3-amqp), or undefined. */
function findPython(): string | undefined {
  const candidates = [process.env.RX_AMQP_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import amqp'], { stdio: 'ignore', timeout: 10000 });
    if (r.status === 0) return py;
  }
  return undefined;
}

const python = findPython();

function runPython(...args: string[]): Promise<string> {
  if (!python) {
    throw new Error(
      'python3-amqp is not installed: no python3 can `import amqp`. Install it with `apt-get install -y python3-amqp` ' +
        '(.ci/run does this), or point RX_AMQP_PYTHON at an interpreter that has the `amqp` package.',
    );
  }
  return new Promise((resolve, reject) => {
    execFile(python, [SCRIPT, ...args], { timeout: 20000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

type Typed = { t: string; v?: unknown };

describe('py-amqp (python3-amqp)', () => {
  it('is installed', () => {
    // Fails with instructions rather than skipping the Python cases silently.
    expect(python ? 'found' : 'python3-amqp missing: apt-get install -y python3-amqp').toBe('found');
  });

  describe.each(DIALECTS)('rx-amqp (AMQP %s) publishes, py-amqp reads', (protocol: Protocol) => {
    it('every property and the field types py-amqp reads arrive with the same values', async () => {
      await withQueue(async (q) => {
        const headers: FieldTable =
          protocol === '0-8'
            ? headers08()
            : {
                ...headers08(),
                int64: field.int64(2 ** 40),
                bool: true,
                false: false,
                double: 3.25,
                float: field.float32(1.5),
                negDecimal: new Decimal(2, -1234),
                bytes: Uint8Array.of(0, 1, 254, 255),
                array: [1, 'two', true, null, [3]],
                null: null,
                int8: field.int8(100), // values where py-amqp's swapped b/B signedness does not matter
                uint8: field.uint8(100),
                uint16: field.uint16(60000),
                uint32: field.uint32(4000000000),
              };
        await rxPublish(protocol, q, new Message(BODY, allProperties(headers)));
        let out: { body: string; properties: Record<string, Typed> } | null = null;
        await eventually(
          async () => {
            out = JSON.parse(await runPython('get', HOSTPORT, q));
            return out !== null;
          },
          'py-amqp gets it',
          10000,
          100,
        );
        const got = out!;
        expect(Buffer.from(got.body, 'hex')).toEqual(BODY);
        const str = (v: string) => ({ t: 'str', v });
        const int = (v: number | bigint) => ({ t: 'int', v: String(v) });
        const { application_headers, ...props } = got.properties;
        expect(props).toEqual({
          content_type: str('application/x-test'),
          content_encoding: str('binary'),
          delivery_mode: int(2),
          priority: int(7),
          correlation_id: str('corr-1'),
          reply_to: str('reply.queue'),
          expiration: str('600000'),
          message_id: str('msg-1'),
          timestamp: int(TIMESTAMP.getTime() / 1000),
          type: str('test.type'),
          user_id: str('guest'),
          app_id: str('rx-amqp-tests'),
          cluster_id: str('cluster-9'),
        });
        const common = {
          string: str('text ü 日本'),
          int32: int(-123456),
          decimal: { t: 'decimal', v: '12.34' },
          timestamp: { t: 'datetime', v: '2024-02-29T12:34:56' },
          table: { t: 'dict', v: { nested: { t: 'dict', v: { deep: str('value') } }, n: int(1) } },
        };
        const expected =
          protocol === '0-8'
            ? common
            : {
                ...common,
                int64: int(2 ** 40),
                bool: { t: 'bool', v: true },
                false: { t: 'bool', v: false },
                double: { t: 'float', v: 3.25 },
                float: { t: 'float', v: 1.5 },
                negDecimal: { t: 'decimal', v: '-12.34' },
                bytes: { t: 'bytes', v: '0001feff' },
                array: {
                  t: 'list',
                  v: [int(1), str('two'), { t: 'bool', v: true }, { t: 'none' }, { t: 'list', v: [int(3)] }],
                },
                null: { t: 'none' },
                int8: int(100),
                uint8: int(100),
                uint16: int(60000),
                uint32: int(4000000000),
              };
        expect(application_headers).toEqual({ t: 'dict', v: expected });
      });
    });
  });

  describe.each(DIALECTS)('py-amqp publishes, rx-amqp (AMQP %s) reads', (protocol: Protocol) => {
    it('every property and every field type py-amqp writes arrive with the same values', async () => {
      await withQueue(async (q) => {
        await runPython('publish', HOSTPORT, q);
        const d = await rxGet(protocol, q);
        expect(Buffer.compare(d.body, Buffer.from('\x00from python\xff', 'latin1'))).toBe(0);
        const { headers, ...props } = d.properties;
        expect(props).toEqual({
          contentType: 'application/x-python',
          contentEncoding: 'binary',
          deliveryMode: 2,
          priority: 7,
          correlationId: 'corr-py',
          replyTo: 'reply.py',
          expiration: '600000',
          messageId: 'msg-py',
          timestamp: new Date(1709210096 * 1000),
          type: 'py.type',
          userId: 'guest',
          appId: 'py-amqp',
          clusterId: 'cluster-py',
        });
        const { bytes, decimal, ...rest } = headers as Record<string, unknown>;
        // py-amqp writes bytes as a long string 'S'; not being UTF-8, rx-amqp hands back the bytes.
        expect(Buffer.isBuffer(bytes)).toBe(true);
        expect([...(bytes as Buffer)]).toEqual([0, 1, 254, 255]);
        expect(decimal).toBeInstanceOf(Decimal);
        expect(String(decimal)).toBe('-12.34');
        expect(rest).toEqual({
          string: 'text ü 日本',
          int: -123456,
          big: 2 ** 40,
          bool: true,
          false: false,
          double: 3.25,
          timestamp: HEADER_TIME,
          array: [1, 'two', true, null, [3]],
          table: { nested: { deep: 'value' }, n: 1 },
          null: null,
        });
      });
    });
  });
});

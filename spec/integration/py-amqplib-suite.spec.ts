/**
 * The cases of the classic py-amqplib test suite, against the real RabbitMQ in both dialects:
 * large bodies crossing frames, unicode bodies and headers, all 14 properties, the default
 * exchanges, bind-publish-get on amq.direct, and disposal.
 */
import { randomBytes } from 'node:crypto';
import { firstValueFrom, take, toArray } from 'rxjs';
import { type Channel, type Connection, Decimal, type Delivery, Message, open, type Protocol } from 'rx-amqp';
import { DIALECTS, done, eventually, once, opts, quietFor, rabbitmqctl, tapTransport, uniqueName } from './helpers';

/**
 * The amq.* exchanges are shared by everything on a vhost: publishing to amq.fanout would
 * reach other tests' queues. The default-exchange cases run in a throwaway vhost of their own.
 */
const vhost = uniqueName('vhost');
beforeAll(async () => {
  await rabbitmqctl('add_vhost', vhost);
  await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
});
afterAll(() => rabbitmqctl('delete_vhost', vhost));

const FRAME_OVERHEAD = 8; // type, channel, size, frame-end

async function getEventually(ch: Channel, queue: string): Promise<Delivery> {
  let got: Delivery | null = null;
  await eventually(async () => {
    got = await once(ch.basicGet(queue, { noAck: true }));
    return got !== null;
  }, `a message is in ${queue}`);
  return got!;
}

describe.each(DIALECTS)('py-amqplib suite cases, AMQP %s', (protocol: Protocol) => {
  const is08 = protocol === '0-8';

  describe.each([4096, 131072])('bodies crossing frames with frameMax %d', (frameMax) => {
    let c: Connection;
    let ch: Channel;
    let tap: ReturnType<typeof tapTransport>;
    beforeAll(async () => {
      tap = tapTransport(protocol);
      c = await open(opts(protocol, { frameMax, transport: tap.transport }));
      ch = await c.openChannel();
    });
    afterAll(() => c.close());

    it('negotiates: the client never proposes below 8192, but splits its own frames at frameMax', () => {
      expect(c.tune.frameMax).toBe(Math.max(frameMax, 8192));
    });

    it.each([1600, 16 * 1024, 160 * 1024, 5 * 1024 * 1024])(
      'a %d-byte body round-trips exactly (get and consume)',
      async (size) => {
        const q = (await once(ch.queueDeclare('', { exclusive: true }))).queue;
        const body = randomBytes(size);
        const sentBefore = tap.frames.length;
        const receivedBefore = tap.received.length;
        ch.basicPublish(new Message(body, { messageId: `size-${size}` }), '', q);
        ch.basicPublish(body, '', q);

        const got = await getEventually(ch, q);
        expect(got.body.length).toBe(size);
        expect(Buffer.compare(got.body, body)).toBe(0);
        expect(got.properties.messageId).toBe(`size-${size}`);
        const consumed = await firstValueFrom(ch.basicConsume(q, { noAck: true }).pipe(take(1)));
        expect(Buffer.compare(consumed.body, body)).toBe(0);

        // What went out: body frames no larger than frameMax, as many as the size needs.
        const maxPayload = frameMax - FRAME_OVERHEAD;
        const outBodies = tap.frames.slice(sentBefore).filter((f) => f.type === 3 && f.channel === ch.id);
        expect(outBodies).toHaveLength(2 * Math.ceil(size / maxPayload));
        expect(Math.max(...outBodies.map((f) => f.size))).toBe(Math.min(size, maxPayload));
        expect(outBodies.reduce((n, f) => n + f.size, 0)).toBe(2 * size);
        // What came in: the broker splits at the negotiated frame_max.
        const inBodies = tap.received.slice(receivedBefore).filter((f) => f.type === 3 && f.channel === ch.id);
        expect(inBodies).toHaveLength(2 * Math.ceil(size / (c.tune.frameMax - FRAME_OVERHEAD)));
        expect(inBodies.reduce((n, f) => n + f.size, 0)).toBe(2 * size);
        await once(ch.queueDelete(q));
      },
    );
  });

  describe('messages', () => {
    let c: Connection;
    let ch: Channel;
    beforeAll(async () => {
      c = await open(opts(protocol));
      ch = await c.openChannel();
    });
    afterAll(() => c.close());

    it('bind to amq.direct, publish, get', async () => {
      const { queue } = await once(ch.queueDeclare('', { exclusive: true }));
      const key = uniqueName('key');
      await done(ch.queueBind(queue, 'amq.direct', key));
      ch.basicPublish(new Message('hello', { contentType: 'text/plain' }), 'amq.direct', key);
      const d = await getEventually(ch, queue);
      expect([d.text, d.exchange, d.routingKey]).toEqual(['hello', 'amq.direct', key]);
      expect(d.properties).toEqual({ contentType: 'text/plain', contentEncoding: 'UTF-8' });
    });

    it('unicode bodies and headers round-trip', async () => {
      const { queue } = await once(ch.queueDeclare('', { exclusive: true }));
      const text = 'Hello ünïcødé — 日本語 — Ελληνικά — 🎉🚀 — \u0000 nul and \uFFFD';
      const headers = {
        ключ: 'значение',
        emoji: '🎉',
        'mixed 日本': 'ascii and 中文',
        count: 42,
        nested: { 'inner ü': 'ß' },
      };
      ch.basicPublish(new Message(text, { headers }), '', queue);
      ch.basicPublish(new Message(Buffer.from(text, 'utf8'), { contentEncoding: 'utf-8' }), '', queue);
      const a = await getEventually(ch, queue);
      expect(a.text).toBe(text);
      expect(a.properties).toEqual({ headers, contentEncoding: 'UTF-8' });
      const b = await getEventually(ch, queue);
      expect(b.text).toBe(text);
      expect(b.body.equals(Buffer.from(text, 'utf8'))).toBe(true);
    });

    it('a message with all 14 properties set round-trips exactly', async () => {
      const { queue } = await once(ch.queueDeclare('', { exclusive: true }));
      const properties = {
        contentType: 'application/x-test',
        contentEncoding: 'binary',
        headers: is08
          ? // 0-8 tables only have S I D T F
            { s: 'text', i: -7, d: new Decimal(2, 1234), t: new Date('2024-02-29T12:34:56Z'), f: { deep: 'yes' } }
          : {
              s: 'text',
              i: -7,
              big: 2 ** 40,
              b: true,
              d: new Decimal(2, 1234),
              t: new Date('2024-02-29T12:34:56Z'),
              f: { deep: [1, 'two', null] },
            },
        deliveryMode: 2,
        priority: 7,
        correlationId: 'corr-1',
        replyTo: 'reply.queue',
        expiration: '600000',
        messageId: 'msg-1',
        timestamp: new Date('2023-05-06T07:08:09Z'),
        type: 'test.type',
        userId: 'guest', // RabbitMQ checks it against the connection's user
        appId: 'rx-amqp-tests',
        clusterId: 'cluster-9',
      };
      expect(Object.keys(properties)).toHaveLength(14);
      ch.basicPublish(new Message(Buffer.from([0, 1, 2, 255]), properties), '', queue);
      const d = await getEventually(ch, queue);
      expect(d.properties).toEqual(properties);
      expect([...d.body]).toEqual([0, 1, 2, 255]);
    });

    it('an empty body, and a message without properties', async () => {
      const { queue } = await once(ch.queueDeclare('', { exclusive: true }));
      ch.basicPublish(new Message(new Uint8Array(0)), '', queue);
      ch.basicPublish(new Message(''), '', queue);
      const a = await getEventually(ch, queue);
      expect(a.body.length).toBe(0);
      expect(a.properties).toEqual({});
      const b = await getEventually(ch, queue);
      expect(b.body.length).toBe(0);
      expect(b.properties).toEqual({ contentEncoding: 'UTF-8' });
    });
  });

  describe('the default exchanges', () => {
    let c: Connection;
    let ch: Channel;
    let queues: string[];
    beforeAll(async () => {
      c = await open(opts(protocol, { vhost }));
      ch = await c.openChannel();
    });
    afterAll(() => c.close());
    beforeEach(async () => {
      queues = [];
      for (let i = 0; i < 3; i++) queues.push((await once(ch.queueDeclare('', { exclusive: true }))).queue);
    });

    /** Bodies now in each queue (a marker through the default exchange ends each). */
    async function contents(): Promise<string[][]> {
      const out: string[][] = [];
      for (const q of queues) {
        const marker = uniqueName('end');
        ch.basicPublish(marker, '', q);
        const bodies: string[] = [];
        for (;;) {
          const d = await getEventually(ch, q);
          if (d.text === marker) break;
          bodies.push(d.text);
        }
        out.push(bodies);
      }
      return out;
    }

    it('amq.direct routes by exact key', async () => {
      const key = uniqueName('k');
      await done(ch.queueBind(queues[0], 'amq.direct', key));
      await done(ch.queueBind(queues[1], 'amq.direct', key));
      await done(ch.queueBind(queues[2], 'amq.direct', `${key}.other`));
      ch.basicPublish('direct', 'amq.direct', key);
      expect(await contents()).toEqual([['direct'], ['direct'], []]);
    });

    it('amq.fanout routes to every bound queue whatever the key', async () => {
      await done(ch.queueBind(queues[0], 'amq.fanout'));
      await done(ch.queueBind(queues[2], 'amq.fanout', 'ignored'));
      ch.basicPublish('fan', 'amq.fanout', 'any');
      expect(await contents()).toEqual([['fan'], [], ['fan']]);
      await done(ch.queueUnbind(queues[0], 'amq.fanout'));
      await done(ch.queueUnbind(queues[2], 'amq.fanout', 'ignored'));
    });

    it('amq.topic routes by pattern (* one word, # any)', async () => {
      const root = uniqueName('t').replace(/-/g, '_');
      await done(ch.queueBind(queues[0], 'amq.topic', `${root}.*.c`));
      await done(ch.queueBind(queues[1], 'amq.topic', `${root}.#`));
      await done(ch.queueBind(queues[2], 'amq.topic', `${root}.b.*`));
      ch.basicPublish('abc', 'amq.topic', `${root}.b.c`);
      ch.basicPublish('axc', 'amq.topic', `${root}.x.c`);
      ch.basicPublish('abcd', 'amq.topic', `${root}.b.c.d`);
      ch.basicPublish('other', 'amq.topic', `not${root}.b.c`);
      expect(await contents()).toEqual([['abc', 'axc'], ['abc', 'axc', 'abcd'], ['abc']]);
    });

    it('amq.headers routes by headers with x-match all / any', async () => {
      const id = uniqueName('h');
      await done(
        ch.queueBind(queues[0], 'amq.headers', '', {
          arguments: { 'x-match': 'all', id, format: 'pdf', type: 'report' },
        }),
      );
      await done(
        ch.queueBind(queues[1], 'amq.headers', '', {
          arguments: { 'x-match': 'any', id, format: 'doc', type: 'report' },
        }),
      );
      await done(ch.queueBind(queues[2], 'amq.headers', '', { arguments: { 'x-match': 'all', id, n: 5 } }));
      const send = (body: string, headers: Record<string, string | number>) =>
        ch.basicPublish(new Message(body, { headers: { ...headers } }), 'amq.headers', 'key-ignored');
      send('both', { id, format: 'pdf', type: 'report' });
      send('format only', { id: 'nobody', format: 'pdf' });
      send('wrong type', { id, format: 'pdf', type: 'log' });
      send('n=5', { id, n: 5 });
      send('n=6', { id, n: 6 });
      send('type only', { id: 'nobody', type: 'report' });
      // `all` needs every header of the binding; `any` one of them (`id`, or type=report).
      expect(await contents()).toEqual([['both'], ['both', 'wrong type', 'n=5', 'n=6', 'type only'], ['n=5']]);
    });
  });

  it('disposal: await using closes the channel and then the connection', async () => {
    let conn: Connection;
    let chan: Channel;
    let queue: string;
    {
      await using c = await open(opts(protocol));
      await using ch = await c.openChannel();
      conn = c;
      chan = ch;
      queue = (await once(ch.queueDeclare('', { exclusive: true }))).queue;
      ch.basicPublish('unread', '', queue);
    }
    expect(chan.isOpen).toBe(false);
    expect(await chan.closed).toBeUndefined();
    expect(conn.state).toBe('closed');
    expect(await conn.closed).toBeUndefined();
    // The exclusive queue went with its connection.
    await using other = await open(opts(protocol));
    const probe = await other.openChannel();
    await expect(once(probe.queueDeclare(queue, { passive: true }))).rejects.toMatchObject({ code: 404 });
  });

  it('several consumers on one channel each get their own messages', async () => {
    await using c = await open(opts(protocol));
    const ch = await c.openChannel();
    const q1 = (await once(ch.queueDeclare('', { exclusive: true }))).queue;
    const q2 = (await once(ch.queueDeclare('', { exclusive: true }))).queue;
    const both = Promise.all([
      firstValueFrom(ch.basicConsume(q1, { noAck: true }).pipe(take(2), toArray())),
      firstValueFrom(ch.basicConsume(q2, { noAck: true }).pipe(take(2), toArray())),
    ]);
    await eventually(() => ch.consumerTags.length === 2, 'both consumers registered');
    ch.basicPublish('1a', '', q1);
    ch.basicPublish('2a', '', q2);
    ch.basicPublish('1b', '', q1);
    ch.basicPublish('2b', '', q2);
    const [a, b] = await both;
    expect(a.map((d) => d.text)).toEqual(['1a', '1b']);
    expect(b.map((d) => d.text)).toEqual(['2a', '2b']);
    await quietFor(0);
    await eventually(() => ch.consumerTags.length === 0, 'both cancelled by take(2)');
  });
});

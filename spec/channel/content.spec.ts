/**
 * Content assembly in both directions against the fake server: bodies split over frames,
 * empty bodies, and publishes split at frame_max - 8.
 */
import { Message, type Delivery } from 'rx-amqp';
import { bodyFrame, concatBytes, headerFrame, methodFrame } from 'rx-amqp/testing';
import { fakeServer } from 'rx-amqp/testing';
import { openFake, record, trapUnhandledErrors } from '../support/fake';

trapUnhandledErrors();

async function consuming(tune = {}) {
  const server = fakeServer({ tune });
  server.answer('basic.consume', 'basic.consume-ok', (m) => ({ consumerTag: `ctag-${m.channel}` }));
  const { connection } = await openFake(server);
  const channel = await connection.openChannel();
  const deliveries = record(channel.basicConsume('q'));
  await server.idle();
  return { server, connection, channel, deliveries };
}

describe('receiving content', () => {
  it('assembles a body split over several frames, with its properties', async () => {
    const { server, connection, deliveries } = await consuming();
    const body = Buffer.from('the quick brown fox jumps over the lazy dog');
    server.send(
      concatBytes(
        methodFrame(1, 'basic.deliver', {
          consumerTag: 'ctag-1',
          deliveryTag: 42,
          redelivered: true,
          exchange: 'ex',
          routingKey: 'rk',
        }),
        headerFrame(1, body.length, {
          contentType: 'text/plain',
          headers: { 'x-n': 1 },
          deliveryMode: 2,
          timestamp: new Date(1_700_000_000_000),
        }),
        bodyFrame(1, body.subarray(0, 10)),
        bodyFrame(1, body.subarray(10, 11)),
        bodyFrame(1, body.subarray(11)),
      ),
    );
    await server.idle();
    expect(deliveries.values).toHaveLength(1);
    const d: Delivery = deliveries.values[0];
    expect(d.body).toEqual(body);
    expect(d.deliveryTag).toBe(42);
    expect(d.redelivered).toBe(true);
    expect(d.exchange).toBe('ex');
    expect(d.routingKey).toBe('rk');
    expect(d.consumerTag).toBe('ctag-1');
    expect(d.properties).toEqual({
      contentType: 'text/plain',
      headers: { 'x-n': 1 },
      deliveryMode: 2,
      timestamp: new Date(1_700_000_000_000),
    });
    await connection.close();
  });

  it('assembles a body whose frames arrive in separate chunks, byte by byte', async () => {
    const { server, connection, deliveries } = await consuming();
    const bytes = concatBytes(
      methodFrame(1, 'basic.deliver', { consumerTag: 'ctag-1', deliveryTag: 1 }),
      headerFrame(1, 5),
      bodyFrame(1, 'ab'),
      bodyFrame(1, 'cde'),
    );
    server.sendChunks([...bytes].map((b) => Uint8Array.of(b)));
    await server.idle();
    expect(deliveries.values.map((d) => d.text)).toEqual(['abcde']);
    await connection.close();
  });

  it('delivers an empty body announced with size 0 and no body frame', async () => {
    const { server, connection, deliveries } = await consuming();
    server.send(
      concatBytes(
        methodFrame(1, 'basic.deliver', { consumerTag: 'ctag-1', deliveryTag: 1 }),
        headerFrame(1, 0),
        methodFrame(1, 'basic.deliver', { consumerTag: 'ctag-1', deliveryTag: 2 }),
        headerFrame(1, 1),
        bodyFrame(1, 'x'),
      ),
    );
    await server.idle();
    expect(deliveries.values.map((d) => [d.deliveryTag, d.body.length])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    await connection.close();
  });

  it('keeps the content of interleaved channels apart, each in order', async () => {
    const server = fakeServer();
    server.answer('basic.consume', 'basic.consume-ok', (m) => ({ consumerTag: `ctag-${m.channel}` }));
    const { connection } = await openFake(server);
    const [a, b] = [await connection.openChannel(), await connection.openChannel()];
    const da = record(a.basicConsume('qa'));
    const db = record(b.basicConsume('qb'));
    await server.idle();
    const deliver = (ch: number, tag: number) =>
      methodFrame(ch, 'basic.deliver', { consumerTag: `ctag-${ch}`, deliveryTag: tag });
    server.send(
      concatBytes(
        deliver(1, 1),
        deliver(2, 1),
        headerFrame(2, 4),
        headerFrame(1, 6),
        bodyFrame(1, 'a1-'),
        bodyFrame(2, 'b1'),
        bodyFrame(1, 'end'),
        bodyFrame(2, '!!'),
        deliver(2, 2),
        headerFrame(2, 2),
        bodyFrame(2, 'b2'),
        deliver(1, 2),
        headerFrame(1, 0),
      ),
    );
    await server.idle();
    expect(da.values.map((d) => [d.deliveryTag, d.text])).toEqual([
      [1, 'a1-end'],
      [2, ''],
    ]);
    expect(db.values.map((d) => [d.deliveryTag, d.text])).toEqual([
      [1, 'b1!!'],
      [2, 'b2'],
    ]);
    await connection.close();
  });
});

describe('publishing content', () => {
  it('sends an empty body as method + header, with no body frame', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const before = server.frames.length;
    channel.basicPublish(new Message(new Uint8Array(0), { contentType: 'application/octet-stream' }), 'ex', 'rk');
    await server.idle();
    const [p] = server.methods('basic.publish');
    expect(p.args).toMatchObject({ exchange: 'ex', routingKey: 'rk', mandatory: false, immediate: false });
    expect(p.body!.length).toBe(0);
    expect(p.properties).toEqual({ contentType: 'application/octet-stream' });
    expect(server.frames.slice(before).map((f) => [f.channel, f.type])).toEqual([
      [1, 1],
      [1, 2],
    ]);
    await connection.close();
  });

  it('splits a body into frames of at most frame_max - 8 bytes of payload', async () => {
    const server = fakeServer({ tune: { frameMax: 8192 } });
    const { connection } = await openFake(server);
    expect(connection.tune.frameMax).toBe(8192);
    const channel = await connection.openChannel();
    const body = Buffer.alloc(20_000);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    channel.basicPublish(body, '', 'q');
    await server.idle();
    const bodies = server.frames.filter((f) => f.type === 3);
    expect(bodies.map((f) => f.payload.length)).toEqual([8184, 8184, 20_000 - 2 * 8184]);
    expect(server.methods('basic.publish')[0].body).toEqual(body);
    expect(server.errors).toEqual([]);
    await connection.close();
  });

  it('a body of exactly frame_max - 8 bytes is one body frame', async () => {
    const server = fakeServer({ tune: { frameMax: 8192 } });
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    channel.basicPublish(new Uint8Array(8184), '', 'q');
    await server.idle();
    expect(server.frames.filter((f) => f.type === 3).map((f) => f.payload.length)).toEqual([8184]);
    await connection.close();
  });

  it('a string body goes out as UTF-8 with contentEncoding UTF-8', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    channel.basicPublish('héllo', 'ex', 'k');
    await server.idle();
    const [p] = server.methods('basic.publish');
    expect(p.body!.toString('utf8')).toBe('héllo');
    expect(p.properties).toEqual({ contentEncoding: 'UTF-8' });
    await connection.close();
  });
});

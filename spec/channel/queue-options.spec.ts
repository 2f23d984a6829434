/**
 * The typed queue and consumer options of issue 13 as they go on the wire (the exact
 * x-arguments the fake server decodes), the stream filter's client-side post-filter, and the
 * one-time warning of the deprecated `queueMode`.
 */
import { field } from 'rx-amqp/protocol';
import { Message, STREAM_FILTER_VALUE_HEADER, streamFilterValue, withFilterValue } from 'rx-amqp';
import { concatBytes, contentFrames, fakeServer, type FakeServer } from 'rx-amqp/testing';
import { openFake, record, trapUnhandledErrors } from '../support/fake';

trapUnhandledErrors();

function declaringServer(): FakeServer {
  const server = fakeServer();
  server.answer('queue.declare', 'queue.declare-ok', (m) => ({
    queue: m.args.queue,
    messageCount: 0,
    consumerCount: 0,
  }));
  server.answer('basic.consume', 'basic.consume-ok', { consumerTag: 'ct-1' });
  server.answer('confirm.select', 'confirm.select-ok');
  return server;
}

describe('typed queue arguments on the wire', () => {
  it('consumerTimeout and leaderLocator become x-consumer-timeout and x-queue-leader-locator', async () => {
    const server = declaringServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    record(
      channel.queueDeclare('q', {
        durable: true,
        type: 'quorum',
        consumerTimeout: 3_600_000,
        leaderLocator: 'balanced',
      }),
    );
    await server.idle();
    expect(server.methods('queue.declare')[0].args.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-consumer-timeout': 3_600_000,
      'x-queue-leader-locator': 'balanced',
    });
    await connection.close();
  });

  it('consume: consumerTimeout, and filter / matchUnfiltered become x-consumer-timeout, x-stream-filter and x-stream-match-unfiltered', async () => {
    const server = declaringServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    record(
      channel.basicConsume('s', {
        offset: 'first',
        filter: ['emea', 'apac'],
        matchUnfiltered: true,
        consumerTimeout: 60_000,
      }),
    );
    await server.idle();
    expect(server.methods('basic.consume')[0].args.arguments).toEqual({
      'x-stream-offset': 'first',
      'x-stream-filter': ['emea', 'apac'],
      'x-stream-match-unfiltered': true,
      'x-consumer-timeout': 60_000,
    });
    await connection.close();
  });

  it('a single filter value is sent as a string; no filter sends no filter arguments', async () => {
    const server = declaringServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    record(channel.basicConsume('s', { filter: 'emea' }));
    await server.idle();
    expect(server.methods('basic.consume')[0].args.arguments).toEqual({ 'x-stream-filter': 'emea' });
    await connection.close();
  });

  it('a bad filter errors the consumer with a TypeError and sends nothing', async () => {
    const server = declaringServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const empty = record(channel.basicConsume('s', { filter: [] }));
    const lonely = record(channel.basicConsume('s', { matchUnfiltered: true }));
    await server.idle();
    expect(empty.error).toBeInstanceOf(TypeError);
    expect(lonely.error).toBeInstanceOf(TypeError);
    expect(server.methods('basic.consume')).toEqual([]);
    await connection.close();
  });

  it('publish filterValue and withFilterValue set the x-stream-filter-value header, keeping the other headers', async () => {
    const server = declaringServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    channel.basicPublish(new Message('a', { headers: { k: 1 } }), '', 's', { filterValue: 'emea' });
    record(channel.publish('b', '', 's', { filterValue: 'apac' }));
    channel.basicPublish(withFilterValue('c', 'amer'), '', 's');
    await server.idle();
    expect(server.methods('basic.publish').map((m) => m.properties?.headers)).toEqual([
      { k: 1, 'x-stream-filter-value': 'emea' },
      { 'x-stream-filter-value': 'apac' },
      { 'x-stream-filter-value': 'amer' },
    ]);
    expect(streamFilterValue(withFilterValue('c', 'amer'))).toBe('amer');
    expect(STREAM_FILTER_VALUE_HEADER).toBe('x-stream-filter-value');
    expect(() => withFilterValue('c', '')).toThrow(TypeError);
    await connection.close();
  });
});

describe('the stream filter post-filter', () => {
  const deliver = (tag: number, value?: string) =>
    contentFrames(1, 'basic.deliver', { consumerTag: 'ct-1', deliveryTag: tag }, `m${tag}`, {
      headers: {
        'x-stream-offset': field.int64(tag),
        ...(value === undefined ? {} : { 'x-stream-filter-value': value }),
      },
    });

  it('skips and acks deliveries whose filter value was not asked for (the Bloom filter lets some through)', async () => {
    const server = declaringServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const got = record(channel.basicConsume('s', { filter: ['emea'] }));
    await server.idle();
    server.send(concatBytes(deliver(1, 'emea'), deliver(2, 'apac'), deliver(3), deliver(4, 'emea')));
    await server.idle();
    expect(got.values.map((d) => d.text)).toEqual(['m1', 'm4']);
    // the skipped ones were acked by the client; the others are the application's to settle
    expect(server.methods('basic.ack').map((m) => Number(m.args.deliveryTag))).toEqual([2, 3]);
    await connection.close();
  });

  it('with matchUnfiltered, deliveries without a filter value pass too', async () => {
    const server = declaringServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const got = record(channel.basicConsume('s', { filter: 'emea', matchUnfiltered: true }));
    await server.idle();
    server.send(concatBytes(deliver(1, 'emea'), deliver(2, 'apac'), deliver(3)));
    await server.idle();
    expect(got.values.map((d) => d.text)).toEqual(['m1', 'm3']);
    expect(server.methods('basic.ack').map((m) => Number(m.args.deliveryTag))).toEqual([2]);
    await connection.close();
  });

  it('a noAck consumer skips without acking', async () => {
    const server = declaringServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const got = record(channel.basicConsume('s', { filter: 'emea', noAck: true }));
    await server.idle();
    server.send(concatBytes(deliver(1, 'apac'), deliver(2, 'emea')));
    await server.idle();
    expect(got.values.map((d) => d.text)).toEqual(['m2']);
    expect(server.methods('basic.ack')).toEqual([]);
    await connection.close();
  });
});

describe('queueMode (deprecated)', () => {
  it('still sends x-queue-mode, with one DeprecationWarning (code RX_AMQP_QUEUE_MODE) naming RabbitMQ 4.3', async () => {
    const warnings: Array<{ name: string; code?: string; message: string }> = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((
      message: string,
      options: { type: string; code: string },
    ) => {
      warnings.push({ name: options.type, code: options.code, message });
    }) as typeof process.emitWarning);
    try {
      const server = declaringServer();
      const { connection } = await openFake(server);
      const channel = await connection.openChannel();
      record(channel.queueDeclare('lazy-1', { queueMode: 'lazy' }));
      record(channel.queueDeclare('lazy-2', { queueMode: 'lazy' }));
      record(channel.queueDeclare('plain', {}));
      await server.idle();
      expect(server.methods('queue.declare').map((m) => m.args.arguments)).toEqual([
        { 'x-queue-mode': 'lazy' },
        { 'x-queue-mode': 'lazy' },
        {},
      ]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ name: 'DeprecationWarning', code: 'RX_AMQP_QUEUE_MODE' });
      expect(warnings[0].message).toContain('RabbitMQ 4.3 refuses');
      await connection.close();
    } finally {
      spy.mockRestore();
    }
  });
});

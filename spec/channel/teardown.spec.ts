/**
 * Errors and teardown of a channel against the fake server (issue 10): settling deliveries
 * after the channel began to close, bounded close, and nothing left behind after close.
 */
import { mergeMap, range, VirtualTimeScheduler } from 'rxjs';
import { contentFrames, fakeServer, type FakeServer } from 'rx-amqp/testing';
import { connect, NotOpenError, type Channel, type Connection, type Delivery } from 'rx-amqp';
import { openFake, record, trapUnhandledErrors } from '../support/fake';

trapUnhandledErrors();

/** A channel consuming 'q' on the fake server, with `count` deliveries received. */
async function consuming(
  server: FakeServer,
  count: number,
): Promise<{ connection: Connection; channel: Channel; deliveries: Delivery[] }> {
  server.answer('basic.consume', 'basic.consume-ok', { consumerTag: 'ct-1' });
  const { connection } = await openFake(server);
  const channel = await connection.openChannel();
  const consumer = record(channel.basicConsume('q'));
  await server.idle();
  for (let tag = 1; tag <= count; tag++)
    server.send(contentFrames(channel.id, 'basic.deliver', { consumerTag: 'ct-1', deliveryTag: tag }, `m${tag}`));
  await server.idle();
  expect(consumer.values).toHaveLength(count);
  return { connection, channel, deliveries: consumer.values };
}

/** Names of the methods the client sent on `channel` after its first `after`. */
function sentAfter(server: FakeServer, channel: number, after: string): string[] {
  const onChannel = server.received.filter((m) => m.channel === channel).map((m) => m.name);
  const i = onChannel.indexOf(after as never);
  return i < 0 ? [] : onChannel.slice(i + 1);
}

describe('settling after the channel began to close', () => {
  it.each([
    ['ack', (d: Delivery) => d.ack()],
    ['nack', (d: Delivery) => d.nack()],
    ['reject', (d: Delivery) => d.reject()],
    ['ackLater', (d: Delivery) => d.ackLater()],
  ])('%s after channel.close() began returns false and writes nothing', async (_name, settle) => {
    const server = fakeServer();
    server.handle('channel.close', () => undefined); // close-ok comes later, by hand
    const { channel, deliveries, connection } = await consuming(server, 2);
    const closing = channel.close();
    await server.waitFor('channel.close');
    expect(settle(deliveries[0])).toBe(false);
    channel.basicAck(2); // the raw API writes nothing either
    await server.idle();
    expect(sentAfter(server, channel.id, 'channel.close')).toEqual([]);
    expect(server.methods('basic.ack')).toEqual([]);
    server.sendMethod(channel.id, 'channel.close-ok');
    await closing;
    expect(settle(deliveries[1])).toBe(false);
    await connection.close();
    expect(server.errors).toEqual([]);
  });

  it('acks queued (ackLater) before close() still reach the broker, ahead of channel.close', async () => {
    const server = fakeServer();
    const { channel, deliveries, connection } = await consuming(server, 2);
    expect(deliveries[0].ackLater()).toBe(true);
    const closing = channel.close();
    expect(deliveries[1].ack()).toBe(false);
    await closing;
    const names = server.received.filter((m) => m.channel === channel.id).map((m) => m.name);
    expect(names.slice(-2)).toEqual(['basic.ack', 'channel.close']);
    expect(server.methods('basic.ack').map((m) => m.args.deliveryTag)).toEqual([1]);
    expect(names.indexOf('basic.ack')).toBeLessThan(names.indexOf('channel.close'));
    await connection.close();
  });

  it('after a server channel.close, settling returns false and writes nothing', async () => {
    const server = fakeServer();
    const { channel, deliveries, connection } = await consuming(server, 1);
    server.sendMethod(channel.id, 'channel.close', {
      replyCode: 406,
      replyText: 'PRECONDITION_FAILED',
      classId: 60,
      methodId: 80,
    });
    await channel.closed;
    expect(deliveries[0].ack()).toBe(false);
    await server.idle();
    expect(server.methods('basic.ack')).toEqual([]);
    await connection.close();
  });

  it('after connection.close() began, settling returns false and writes nothing; acks queued before it are written', async () => {
    const server = fakeServer();
    server.handle('connection.close', () => undefined); // close-ok comes later, by hand
    const { deliveries, connection } = await consuming(server, 3);
    expect(deliveries[0].ackLater()).toBe(true);
    const closing = connection.close();
    expect(deliveries[1].ack()).toBe(false);
    await server.waitFor('connection.close');
    expect(deliveries[2].nack()).toBe(false);
    await server.idle();
    expect(server.methods('basic.ack').map((m) => m.args.deliveryTag)).toEqual([1]);
    expect(server.methods('basic.nack')).toEqual([]);
    const names = server.received.map((m) => m.name);
    expect(names.indexOf('basic.ack')).toBeLessThan(names.indexOf('connection.close'));
    server.sendMethod(0, 'connection.close-ok');
    await closing;
  });
});

/** Timers and sockets of this process that keep it alive (`Timeout`, `TCPSocketWrap`, ...), counted by kind. */
function activeHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe('after close, nothing keeps the process alive', () => {
  it('a protocol error: connection.close is sent and, once the server hangs up, no grace timer is left (real timers)', async () => {
    const server = fakeServer({ tune: { heartbeat: 30 } });
    const before = activeHandles();
    const outcome = record(connect({ transport: server.transport, username: 'guest', password: 'guest' }));
    await server.idle();
    expect(outcome.values).toHaveLength(1);
    // A frame for a channel that is not open: a hard error (504) the client tells the server about.
    server.sendMethod(9, 'channel.open-ok');
    await server.idle();
    expect(outcome.error).toMatchObject({ code: 504 });
    expect(server.methods('connection.close')).toHaveLength(1);
    expect(server.closedBy).toBe('client-end');
    expect(activeHandles()).toEqual(before);
  });

  it('a protocol error leaves no action in the injected scheduler once the server hung up', async () => {
    const scheduler = new VirtualTimeScheduler();
    const server = fakeServer({ tune: { heartbeat: 30 } });
    const { outcome } = await openFake(server, { scheduler });
    expect(scheduler.actions.length).toBeGreaterThan(0); // heartbeats
    server.sendMethod(9, 'channel.open-ok');
    await server.idle();
    expect(outcome.errored).toBe(true);
    expect(scheduler.actions).toEqual([]);
  });

  it('a graceful close with heartbeats, a consumer and a channel leaves no timer or socket behind (real timers)', async () => {
    const server = fakeServer({ tune: { heartbeat: 30 } });
    server.answer('basic.consume', 'basic.consume-ok', { consumerTag: 'ct-1' });
    const before = activeHandles();
    const outcome = record(
      connect({ transport: server.transport, username: 'guest', password: 'guest', closeTimeout: 5000 }),
    );
    await server.idle();
    const connection = outcome.values[0];
    const channel = await connection.openChannel();
    record(channel.basicConsume('q'));
    await server.idle();
    await channel.close();
    await connection.close();
    await server.idle();
    expect(activeHandles()).toEqual(before);
  });
});

describe('publish() and socket backpressure', () => {
  it('waits for the socket to drain: mergeMap over publish() keeps the bytes handed to the socket bounded', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    let written = 0;
    server.frames$.subscribe((f) => (written += f.payload.length + 8));
    server.backpressure(true); // every write now reports a full socket
    const body = Buffer.alloc(1024, 1);
    const total = 2000;
    const results = record(range(0, total).pipe(mergeMap((i) => channel.publish(body, '', `q${i}`))));
    await server.idle();
    // Only about one flush (32 KiB) went out before the socket said it is full.
    expect(server.methods('basic.publish').length).toBeLessThan(100);
    expect(written).toBeLessThan(128 * 1024);
    expect(connection.core.out.pending).toBe(0);
    expect(results.values.length).toBeLessThan(100);

    server.backpressure(false); // drain: the rest goes, in order
    await server.idle();
    expect(results.completed).toBe(true);
    expect(results.values).toHaveLength(total);
    expect(server.methods('basic.publish').map((m) => m.args.routingKey)).toEqual(
      Array.from({ length: total }, (_, i) => `q${i}`),
    );
    await connection.close();
    expect(server.errors).toEqual([]);
  });

  it('waiting publishes go one drain at a time, not all at once', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    server.backpressure(true);
    const body = Buffer.alloc(1024, 1);
    const results = record(range(0, 1000).pipe(mergeMap(() => channel.publish(body, '', 'q'))));
    await server.idle();
    const first = server.methods('basic.publish').length;
    // A drain while the socket stays full lets out about one more flush, not the thousand.
    connection.core.writable$.next(true);
    await server.idle();
    const second = server.methods('basic.publish').length;
    expect(second).toBeGreaterThan(first);
    expect(second - first).toBeLessThan(100);
    results.subscription.unsubscribe();
    server.backpressure(false);
    await server.idle();
    // Unsubscribed while waiting: nothing more was published.
    expect(server.methods('basic.publish')).toHaveLength(second);
    await connection.close();
  });

  it('respects connection.blocked and channel.flow like publishTo, and fails waiting publishes when the channel ends', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    server.sendMethod(0, 'connection.blocked', { reason: 'low on memory' });
    await server.idle();
    const blocked = record(channel.publish('a', '', 'q'));
    await server.idle();
    expect(server.methods('basic.publish')).toEqual([]);
    server.sendMethod(0, 'connection.unblocked');
    await server.idle();
    expect(blocked.completed).toBe(true);
    expect(server.methods('basic.publish')).toHaveLength(1);

    server.sendMethod(channel.id, 'channel.flow', { active: false });
    await server.idle();
    const paused = record(channel.publish('b', '', 'q'));
    await server.idle();
    expect(server.methods('basic.publish')).toHaveLength(1);
    await channel.close();
    expect(paused.error).toBeInstanceOf(NotOpenError);
    expect(server.methods('basic.publish')).toHaveLength(1);
    await connection.close();
  });
});

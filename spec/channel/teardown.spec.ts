/**
 * Errors and teardown of a channel against the fake server (issue 10): settling deliveries
 * after the channel began to close, bounded close, and nothing left behind after close.
 */
import { contentFrames, fakeServer, type FakeServer } from 'rx-amqp/testing';
import type { Channel, Connection, Delivery } from 'rx-amqp';
import { openFake, record, trapUnhandledErrors } from '../support/fake';

trapUnhandledErrors();

/** A channel consuming 'q' on the fake server, with `count` deliveries received. */
async function consuming(server: FakeServer, count: number): Promise<{ connection: Connection; channel: Channel; deliveries: Delivery[] }> {
  server.answer('basic.consume', 'basic.consume-ok', { consumerTag: 'ct-1' });
  const { connection } = await openFake(server);
  const channel = await connection.openChannel();
  const consumer = record(channel.basicConsume('q'));
  await server.idle();
  for (let tag = 1; tag <= count; tag++) server.send(contentFrames(channel.id, 'basic.deliver', { consumerTag: 'ct-1', deliveryTag: tag }, `m${tag}`));
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
    server.sendMethod(channel.id, 'channel.close', { replyCode: 406, replyText: 'PRECONDITION_FAILED', classId: 60, methodId: 80 });
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

/**
 * Publishing against the fake server: publisher confirms (multiple acks, nacks), returns of
 * mandatory messages, channel.flow and connection.blocked.
 */
import { MessageReturnedError, PublishNackedError, type PublishResult } from 'rx-amqp';
import { concatBytes, contentFrames, fakeServer, methodFrame } from 'rx-amqp/testing';
import { openFake, record, trapUnhandledErrors } from '../support/fake';

trapUnhandledErrors();

async function confirming() {
  const server = fakeServer();
  server.answer('confirm.select', 'confirm.select-ok');
  const { connection } = await openFake(server);
  const channel = await connection.openChannel();
  const selected = record(channel.confirmSelect());
  await server.idle();
  expect(selected.completed).toBe(true);
  expect(channel.confirmMode).toBe(true);
  return { server, connection, channel };
}

describe('publisher confirms', () => {
  it('an ack with multiple settles every publish up to its tag; a nack fails with PublishNackedError', async () => {
    const { server, connection, channel } = await confirming();
    const results = [1, 2, 3, 4].map((i) => record(channel.publish(`m${i}`, 'ex', 'rk')));
    await server.idle();
    expect(server.methods('basic.publish').map((m) => m.body!.toString())).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(results.every((r) => !r.ended)).toBe(true);

    server.sendMethod(1, 'basic.ack', { deliveryTag: 2, multiple: true });
    await server.idle();
    expect(results.map((r) => r.completed)).toEqual([true, true, false, false]);
    expect(results[0].values).toEqual([
      { sequence: 1, confirmed: true, exchange: 'ex', routingKey: 'rk' } satisfies PublishResult,
    ]);
    expect(results[1].values[0].sequence).toBe(2);

    server.sendMethod(1, 'basic.nack', { deliveryTag: 3, multiple: false, requeue: false });
    await server.idle();
    expect(results[2].error).toBeInstanceOf(PublishNackedError);
    expect((results[2].error as PublishNackedError).sequence).toBe(3);
    expect(results[3].ended).toBe(false);

    server.sendMethod(1, 'basic.ack', { deliveryTag: 4, multiple: false });
    await server.idle();
    expect(results[3].completed).toBe(true);
    await connection.close();
  });

  it('a nack with multiple fails every publish up to its tag', async () => {
    const { server, connection, channel } = await confirming();
    const results = [1, 2, 3].map((i) => record(channel.publish(`m${i}`)));
    await server.idle();
    server.sendMethod(1, 'basic.nack', { deliveryTag: 2, multiple: true, requeue: false });
    await server.idle();
    expect(results[0].error).toBeInstanceOf(PublishNackedError);
    expect(results[1].error).toBeInstanceOf(PublishNackedError);
    expect(results[2].ended).toBe(false);
    server.sendMethod(1, 'basic.ack', { deliveryTag: 3, multiple: true });
    await server.idle();
    expect(results[2].completed).toBe(true);
    await connection.close();
  });

  it('a basic.return before the ack of a mandatory publish fails it with MessageReturnedError', async () => {
    const { server, connection, channel } = await confirming();
    const returns = record(channel.returns$);
    const returned = record(channel.publish('lost', 'ex', 'nowhere', { mandatory: true }));
    const routed = record(channel.publish('kept', 'ex', 'somewhere', { mandatory: true }));
    await server.idle();
    expect(server.methods('basic.publish')[0].args).toMatchObject({ mandatory: true, routingKey: 'nowhere' });
    server.send(
      concatBytes(
        contentFrames(
          1,
          'basic.return',
          { replyCode: 312, replyText: 'NO_ROUTE', exchange: 'ex', routingKey: 'nowhere' },
          'lost',
          { contentEncoding: 'UTF-8' },
        ),
        methodFrame(1, 'basic.ack', { deliveryTag: 2, multiple: true }),
      ),
    );
    await server.idle();
    const error = returned.error as MessageReturnedError;
    expect(error).toBeInstanceOf(MessageReturnedError);
    expect(error.code).toBe(312);
    expect(error.replyText).toBe('NO_ROUTE');
    expect(error.routingKey).toBe('nowhere');
    expect(routed.completed).toBe(true);
    expect(returns.values).toHaveLength(1);
    expect(returns.values[0].text).toBe('lost');
    expect(returns.values[0].replyCode).toBe(312);
    await connection.close();
  });

  it('close() waits for outstanding confirms before channel.close', async () => {
    const { server, connection, channel } = await confirming();
    const result = record(channel.publish('m'));
    await server.idle();
    const closing = channel.close();
    await server.idle();
    expect(server.methods('channel.close')).toEqual([]);
    server.sendMethod(1, 'basic.ack', { deliveryTag: 1 });
    await closing;
    expect(result.completed).toBe(true);
    expect(server.methods('channel.close').map((m) => m.args.replyCode)).toEqual([200]);
    await connection.close();
  });

  it('without confirm mode publish() emits once the message is on the wire', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const result = record(channel.publish('m', 'ex', 'k'));
    expect(result.ended).toBe(false);
    await server.idle();
    expect(result.values).toEqual([{ sequence: 0, confirmed: false, exchange: 'ex', routingKey: 'k' }]);
    expect(server.methods('basic.publish')).toHaveLength(1);
    await connection.close();
  });
});

describe('channel.flow from the server', () => {
  it('pauses publish(), shows on flow$, and is answered with flow-ok', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const flow = record(channel.flow$);
    server.sendMethod(1, 'channel.flow', { active: false });
    await server.idle();
    expect(flow.values).toEqual([true, false]);
    expect(server.methods('channel.flow-ok').map((m) => m.args.active)).toEqual([false]);

    const paused = record(channel.publish('waits'));
    await server.idle();
    expect(server.methods('basic.publish')).toEqual([]);
    expect(paused.ended).toBe(false);

    server.sendMethod(1, 'channel.flow', { active: true });
    await server.idle();
    expect(flow.values).toEqual([true, false, true]);
    expect(server.methods('channel.flow-ok').map((m) => m.args.active)).toEqual([false, true]);
    expect(server.methods('basic.publish').map((m) => m.body!.toString())).toEqual(['waits']);
    expect(paused.completed).toBe(true);
    await connection.close();
  });

  it('a publish waiting on flow errors when the channel is closed by the server', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    server.sendMethod(1, 'channel.flow', { active: false });
    await server.idle();
    const paused = record(channel.publish('waits'));
    server.sendMethod(1, 'channel.close', {
      replyCode: 406,
      replyText: 'PRECONDITION_FAILED',
      classId: 0,
      methodId: 0,
    });
    await server.idle();
    expect(paused.errored).toBe(true);
    expect((paused.error as { code?: number }).code).toBe(406);
    expect(server.methods('basic.publish')).toEqual([]);
    await connection.close();
  });
});

describe('connection.blocked', () => {
  it('shows on blocked$ with its reason, holds publish() back until unblocked', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const blocked = record(connection.blocked$);
    server.sendMethod(0, 'connection.blocked', { reason: 'low on memory' });
    await server.idle();
    expect(blocked.values).toEqual([false, true]);
    expect(connection.blockedReason).toBe('low on memory');

    const held = record(channel.publish('held'));
    await server.idle();
    expect(server.methods('basic.publish')).toEqual([]);

    server.sendMethod(0, 'connection.unblocked');
    await server.idle();
    expect(blocked.values).toEqual([false, true, false]);
    expect(connection.blockedReason).toBe('');
    expect(server.methods('basic.publish')).toHaveLength(1);
    expect(held.completed).toBe(true);
    await connection.close();
  });
});

/** basic.get and consumers against the fake server, including a server-side cancel. */
import { ConsumerCancelledError } from 'rx-amqp';
import { concatBytes, contentFrames, fakeServer, methodFrame } from 'rx-amqp/testing';
import { openFake, record, trapUnhandledErrors } from '../support/fake';

trapUnhandledErrors();

describe('basicGet', () => {
  it('emits null on basic.get-empty', async () => {
    const server = fakeServer();
    server.answer('basic.get', 'basic.get-empty');
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const got = record(channel.basicGet('q', { noAck: true }));
    await server.idle();
    expect(got.values).toEqual([null]);
    expect(got.completed).toBe(true);
    expect(server.methods('basic.get')[0].args).toMatchObject({ queue: 'q', noAck: true });
    await connection.close();
  });

  it('emits the Delivery of basic.get-ok with its message count', async () => {
    const server = fakeServer();
    server.handle('basic.get', (m, s) =>
      s.send(
        contentFrames(
          m.channel,
          'basic.get-ok',
          { deliveryTag: 9, redelivered: false, exchange: 'ex', routingKey: 'rk', messageCount: 4 },
          'payload',
          { messageId: 'm-1' },
        ),
      ),
    );
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const got = record(channel.basicGet('q'));
    await server.idle();
    expect(got.values).toHaveLength(1);
    const d = got.values[0]!;
    expect(d.text).toBe('payload');
    expect(d.messageCount).toBe(4);
    expect(d.deliveryTag).toBe(9);
    expect(d.properties.messageId).toBe('m-1');
    expect(d.ack()).toBe(true);
    await server.idle();
    expect(server.methods('basic.ack')[0].args).toMatchObject({ deliveryTag: 9, multiple: false });
    await connection.close();
  });
});

describe('consumers', () => {
  it('a server basic.cancel ends the consumer with ConsumerCancelledError; the channel lives on', async () => {
    const server = fakeServer();
    server.answer('basic.consume', 'basic.consume-ok', { consumerTag: 'ct-1' });
    server.answer('basic.qos', 'basic.qos-ok');
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const deliveries = record(channel.basicConsume('q'));
    await server.idle();
    expect(channel.consumerTags).toEqual(['ct-1']);
    // RabbitMQ cancels a consumer whose queue is deleted (consumer_cancel_notify).
    server.send(
      concatBytes(
        contentFrames(1, 'basic.deliver', { consumerTag: 'ct-1', deliveryTag: 1 }, 'before'),
        methodFrame(1, 'basic.cancel', { consumerTag: 'ct-1', nowait: false }),
      ),
    );
    await server.idle();
    expect(deliveries.values.map((d) => d.text)).toEqual(['before']);
    expect(deliveries.error).toBeInstanceOf(ConsumerCancelledError);
    expect((deliveries.error as ConsumerCancelledError).consumerTag).toBe('ct-1');
    expect(server.methods('basic.cancel-ok')[0].args).toMatchObject({ consumerTag: 'ct-1' });
    // The consumer is gone on the server: the client does not cancel it a second time.
    expect(server.methods('basic.cancel')).toEqual([]);
    expect(channel.consumerTags).toEqual([]);
    expect(channel.isOpen).toBe(true);
    const qos = record(channel.basicQos(10));
    await server.idle();
    expect(qos.completed).toBe(true);
    await connection.close();
  });

  it('a server basic.cancel with nowait gets no cancel-ok', async () => {
    const server = fakeServer();
    server.answer('basic.consume', 'basic.consume-ok', { consumerTag: 'ct-2' });
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const deliveries = record(channel.basicConsume('q'));
    await server.idle();
    server.sendMethod(1, 'basic.cancel', { consumerTag: 'ct-2', nowait: true });
    await server.idle();
    expect(deliveries.error).toBeInstanceOf(ConsumerCancelledError);
    expect(server.methods('basic.cancel-ok')).toEqual([]);
    await connection.close();
  });

  it('unsubscribing sends one basic.cancel; the channel stays open', async () => {
    const server = fakeServer();
    server.answer('basic.consume', 'basic.consume-ok', { consumerTag: 'ct-3' });
    server.answer('basic.cancel', 'basic.cancel-ok', (m) => ({ consumerTag: m.args.consumerTag }));
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const deliveries = record(channel.basicConsume('q'));
    await server.idle();
    deliveries.subscription.unsubscribe();
    await server.idle();
    expect(server.methods('basic.cancel')[0].args).toMatchObject({ consumerTag: 'ct-3' });
    expect(channel.consumerTags).toEqual([]);
    expect(channel.isOpen).toBe(true);
    await connection.close();
  });

  it('basicCancel() completes the consumer stream with a single basic.cancel on the wire', async () => {
    const server = fakeServer();
    server.answer('basic.consume', 'basic.consume-ok', { consumerTag: 'ct-4' });
    server.answer('basic.cancel', 'basic.cancel-ok', (m) => ({ consumerTag: m.args.consumerTag }));
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const deliveries = record(channel.basicConsume('q'));
    await server.idle();
    const cancelled = record(channel.basicCancel('ct-4'));
    await server.idle();
    expect(cancelled.completed).toBe(true);
    expect(deliveries.completed).toBe(true);
    expect(server.methods('basic.cancel')).toHaveLength(1);
    await connection.close();
  });
});

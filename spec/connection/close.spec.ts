/** Graceful close against the fake server: ordering, confirms, and its time limits. */
import { VirtualTimeScheduler } from 'rxjs';
import { connect, NotOpenError } from 'rx-amqp';
import { fakeServer } from 'rx-amqp/testing';
import { fakeOptions, openFake, record, trapUnhandledErrors } from '../support/fake';

trapUnhandledErrors();

describe('graceful close', () => {
  it('flushes what was written, then connection.close / close-ok; connect() completes', async () => {
    const server = fakeServer();
    const { connection, outcome } = await openFake(server);
    const channel = await connection.openChannel();
    channel.basicPublish('last words', '', 'q');
    const closing = connection.close();
    await closing;
    expect(server.received.slice(-2).map((m) => m.name)).toEqual(['basic.publish', 'connection.close']);
    expect(server.methods('connection.close')[0].args).toMatchObject({ replyCode: 200, classId: 0, methodId: 0 });
    expect(outcome.completed).toBe(true);
    expect(await connection.closed).toBeUndefined();
    await server.idle();
    expect(server.closedBy).toBe('client-end');
    expect(channel.isOpen).toBe(false);
    expect(() => channel.basicPublish('too late')).toThrow(NotOpenError);
  });

  it('unsubscribing from connect() closes the same way', async () => {
    const server = fakeServer();
    const { connection, outcome } = await openFake(server);
    outcome.subscription.unsubscribe();
    await connection.closed;
    await server.idle();
    expect(server.methods('connection.close')).toHaveLength(1);
    expect(server.closedBy).toBe('client-end');
  });

  it('waits for outstanding publisher confirms before connection.close', async () => {
    const server = fakeServer();
    server.answer('confirm.select', 'confirm.select-ok');
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    record(channel.confirmSelect());
    await server.idle();
    const published = record(channel.publish('m'));
    let closed = false;
    void connection.close().then(() => (closed = true));
    await server.idle();
    expect(server.methods('connection.close')).toEqual([]);
    server.sendMethod(1, 'basic.ack', { deliveryTag: 1 });
    await server.idle();
    expect(published.completed).toBe(true);
    expect(server.methods('connection.close')).toHaveLength(1);
    expect(closed).toBe(true);
  });

  it('ends pending calls with NotOpenError and completes consumers', async () => {
    const server = fakeServer();
    server.answer('basic.consume', 'basic.consume-ok', { consumerTag: 'ct' });
    const { connection } = await openFake(server);
    const channel = await connection.openChannel();
    const consumer = record(channel.basicConsume('q'));
    await server.idle();
    const pending = record(channel.queueDeclare('never'));
    await connection.close();
    expect(pending.error).toBeInstanceOf(NotOpenError);
    expect(consumer.completed).toBe(true);
  });

  it('is bounded by closeTimeout when the server never answers', async () => {
    const scheduler = new VirtualTimeScheduler();
    const server = fakeServer().handle('connection.close', () => undefined);
    const { connection } = await openFake(server, { scheduler, closeTimeout: 3000 });
    const closing = connection.close();
    await server.idle();
    expect(server.methods('connection.close')).toHaveLength(1);
    expect(connection.state).toBe('closing');
    scheduler.flush();
    await closing;
    await server.idle();
    expect(scheduler.now()).toBe(3000);
    expect(connection.state).toBe('closed');
    expect(server.closedBy).toBe('client-destroy');
  });

  it('waits at most one second while the server blocks the connection (it reads nothing then)', async () => {
    const scheduler = new VirtualTimeScheduler();
    const server = fakeServer().handle('connection.close', () => undefined);
    const { connection } = await openFake(server, { scheduler, closeTimeout: 10_000 });
    server.sendMethod(0, 'connection.blocked', { reason: 'disk' });
    await server.idle();
    const closing = connection.close();
    scheduler.flush();
    await closing;
    expect(scheduler.now()).toBe(1000);
    expect(connection.state).toBe('closed');
  });

  it('close() during the handshake drops the socket and completes connect()', async () => {
    const server = fakeServer().handle('connection.open', () => undefined);
    const outcome = record(connect(fakeOptions(server)));
    await server.idle();
    expect(outcome.ended).toBe(false);
    outcome.subscription.unsubscribe();
    await server.idle();
    expect(server.closedBy).toBe('client-destroy');
    expect(server.methods('connection.close')).toEqual([]);
  });
});

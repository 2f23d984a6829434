/**
 * Channel lifecycle against the fake server: server-side channel.close and connection.close,
 * channel numbers (lowest free, reused) and the channel_max limit, and `openChannel(id)` of a
 * channel already open (or opening).
 */
import { firstValueFrom } from 'rxjs';
import { AmqpError, type Channel, ChannelClosedError, ConnectionClosedError, NotOpenError } from 'rx-amqp';
import { fakeServer } from 'rx-amqp/testing';
import { openFake, record, trapUnhandledErrors } from '../support/fake';

trapUnhandledErrors();

describe('server channel.close', () => {
  it('errors only that channel, with a typed ChannelClosedError; another channel lives on', async () => {
    const server = fakeServer();
    server.answer('basic.consume', 'basic.consume-ok', (m) => ({ consumerTag: `ct-${m.channel}` }));
    server.answer('exchange.declare', 'exchange.declare-ok');
    const { connection, outcome } = await openFake(server);
    const one = record(connection.channel(1));
    const two = record(connection.channel(2));
    await server.idle();
    const [ch1, ch2] = [one.values[0], two.values[0]];
    const consumer1 = record(ch1.basicConsume('q'));
    await server.idle();
    const pending1 = record(ch1.queueDeclare('never-answered'));
    const queued1 = record(ch1.queueBind('q', 'ex'));
    const returns1 = record(ch1.returns$);
    await server.idle();

    server.sendMethod(1, 'channel.close', {
      replyCode: 404,
      replyText: "NOT_FOUND - no queue 'never-answered'",
      classId: 50,
      methodId: 10,
    });
    await server.idle();
    await ch1.closed;
    await server.idle();

    const error = one.error as ChannelClosedError;
    expect(error).toBeInstanceOf(ChannelClosedError);
    expect(error.code).toBe(404);
    expect(error.replyCode).toBe(404);
    expect(error.replyText).toBe("NOT_FOUND - no queue 'never-answered'");
    expect(error.classId).toBe(50);
    expect(error.methodId).toBe(10);
    expect(error.channel).toBe(1);
    expect(consumer1.error).toBe(error);
    expect(pending1.error).toBe(error);
    expect(queued1.error).toBe(error);
    expect(returns1.completed).toBe(true);
    expect(await ch1.closed).toBe(error);
    expect(server.methods('channel.close-ok').map((m) => m.channel)).toEqual([1]);
    // queue.bind was queued behind the unanswered declare: it never reached the wire.
    expect(server.methods('queue.bind')).toEqual([]);

    expect(two.ended).toBe(false);
    expect(outcome.ended).toBe(false);
    expect(connection.isOpen).toBe(true);
    const declared = record(ch2.exchangeDeclare('ex', 'topic'));
    await server.idle();
    expect(declared.completed).toBe(true);
    expect(server.methods('exchange.declare')[0].channel).toBe(2);

    // The number is free again.
    const again = record(connection.channel(1));
    await server.idle();
    expect(again.values[0].id).toBe(1);
    expect(again.values[0].isOpen).toBe(true);
    await connection.close();
    expect(server.errors).toEqual([]);
  });
  it("crossing the client's channel.close: the stray close-ok does not hit the channel that reuses the number", async () => {
    const server = fakeServer();
    server.handle('channel.close', () => undefined);
    const { connection, outcome } = await openFake(server);
    const first = await connection.openChannel();
    const closing = first.close();
    await server.waitFor('channel.close');
    // The server had sent its own channel.close before it read the client's ...
    server.sendMethod(1, 'channel.close', {
      replyCode: 406,
      replyText: 'PRECONDITION_FAILED',
      classId: 60,
      methodId: 40,
    });
    expect(await first.closed).toBeInstanceOf(ChannelClosedError);
    await closing;
    // ... and answers the client's with close-ok (as RabbitMQ does), which arrives only after
    // the client has opened a new channel on the freed number 1.
    server.handle('channel.open', (m, s) => {
      s.sendMethod(1, 'channel.close-ok');
      s.autoAnswer(m);
    });
    const second = await connection.openChannel();
    expect(second.id).toBe(1);
    expect(second.isOpen).toBe(true);
    expect(outcome.ended).toBe(false);
    expect(connection.isOpen).toBe(true);
    await connection.close();
  });
});

describe('server connection.close', () => {
  it('errors the connection, every channel, consumer and pending call with ConnectionClosedError', async () => {
    const server = fakeServer();
    server.answer('basic.consume', 'basic.consume-ok', (m) => ({ consumerTag: `ct-${m.channel}` }));
    const { connection, outcome } = await openFake(server);
    const streams = [record(connection.channel(1)), record(connection.channel(2))];
    await server.idle();
    const channels = streams.map((s) => s.values[0]);
    const consumers = channels.map((c) => record(c.basicConsume('q')));
    await server.idle();
    const pending = channels.map((c) => record(c.queueDeclare('x')));
    const blocked = record(connection.blocked$);
    await server.idle();

    server.sendMethod(0, 'connection.close', {
      replyCode: 320,
      replyText: 'CONNECTION_FORCED - broker forced connection closure with reason shutdown',
      classId: 0,
      methodId: 0,
    });
    await server.idle();
    await connection.closed;
    await server.idle();

    const error = outcome.error as ConnectionClosedError;
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error.code).toBe(320);
    expect(error.replyText).toMatch(/CONNECTION_FORCED/);
    for (const s of [...streams, ...consumers, ...pending]) expect(s.error).toBe(error);
    expect(blocked.completed).toBe(true);
    expect(server.methods('connection.close-ok')).toHaveLength(1);
    expect(server.closedBy).toMatch(/client-end|server-drop/);
    expect(connection.state).toBe('closed');
    // Nothing new can start on a closed connection.
    const late = record(connection.channel());
    expect(late.error).toBeInstanceOf(NotOpenError);
    expect(server.errors).toEqual([]);
  });
});

describe('channel numbers', () => {
  it('are the lowest free number, and reused once released', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const [a, b, c] = [await connection.openChannel(), await connection.openChannel(), await connection.openChannel()];
    expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
    await b.close();
    const d = await connection.openChannel();
    expect(d.id).toBe(2);
    const e = await connection.openChannel();
    expect(e.id).toBe(4);
    expect(server.methods('channel.open').map((m) => m.channel)).toEqual([1, 2, 3, 2, 4]);
    expect(server.methods('channel.close').map((m) => m.channel)).toEqual([2]);
    await connection.close();
  });

  it('past the negotiated channel_max is a local typed error; nothing is sent', async () => {
    const server = fakeServer({ tune: { channelMax: 2 } });
    const { connection } = await openFake(server);
    expect(connection.tune.channelMax).toBe(2);
    await connection.openChannel();
    await connection.openChannel();
    const third = record(connection.channel());
    expect(third.error).toBeInstanceOf(AmqpError);
    expect((third.error as AmqpError).code).toBe(506);
    expect((third.error as Error).message).toMatch(/all 2 channels are in use/);
    await expect(connection.openChannel(3)).rejects.toMatchObject({
      code: 504,
      message: expect.stringMatching(/outside 1\.\.2/),
    });
    await server.idle();
    expect(server.methods('channel.open')).toHaveLength(2);
    expect(connection.isOpen).toBe(true);
    await connection.close();
  });

  it('asking twice for the same id shares one open channel', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const first = record(connection.channel(7));
    const second = record(connection.channel(7));
    await server.idle();
    expect(first.values[0]).toBe(second.values[0]);
    expect(server.methods('channel.open').map((m) => m.channel)).toEqual([7]);
    first.subscription.unsubscribe();
    await server.idle();
    expect(server.methods('channel.close')).toEqual([]);
    second.subscription.unsubscribe();
    await server.idle();
    expect(server.methods('channel.close').map((m) => m.channel)).toEqual([7]);
    await connection.close();
  });

  it('a channel.open refused by the server errors that channel only', async () => {
    const server = fakeServer();
    server.handle('channel.open', (m, s) =>
      s.reply(m, 'channel.close', { replyCode: 406, replyText: 'PRECONDITION_FAILED', classId: 20, methodId: 10 }),
    );
    const { connection } = await openFake(server);
    await expect(connection.openChannel()).rejects.toBeInstanceOf(ChannelClosedError);
    await server.idle();
    expect(server.methods('channel.close-ok').map((m) => m.channel)).toEqual([1]);
    expect(connection.isOpen).toBe(true);
    await connection.close();
  });
});

describe('openChannel(id) of an open channel', () => {
  it('resolves to that same Channel, opened once on the wire', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const a = await connection.openChannel(1);
    const b = await connection.openChannel(1);
    expect(b).toBe(a);
    expect(server.methods('channel.open').map((m) => m.channel)).toEqual([1]);
    await a.close();
    expect(b.isOpen).toBe(false);
    // Closed: the number opens a fresh channel again.
    const c = await connection.openChannel(1);
    expect(c).not.toBe(a);
    expect(c.isOpen).toBe(true);
    await connection.close();
    expect(server.errors).toEqual([]);
  });

  it('asked for twice while opening, both get the one channel', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const [a, b] = await Promise.all([connection.openChannel(2), connection.openChannel(2)]);
    expect(b).toBe(a);
    expect(server.methods('channel.open')).toHaveLength(1);
    await connection.close();
  });

  it('finds a channel opened without an id on that number', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const a = await connection.openChannel();
    expect(a.id).toBe(1);
    expect(await connection.openChannel(1)).toBe(a);
    const shared = record(connection.channel(1));
    await server.idle();
    expect(shared.values).toEqual([a]);
    await connection.close();
  });

  it('shares a channel(id) subscription; the subscriber leaving then does not close it, close() ends it for all', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const sub = record(connection.channel(3));
    await server.idle();
    const [fromObservable] = sub.values;
    const held = await connection.openChannel(3);
    expect(held).toBe(fromObservable);
    sub.subscription.unsubscribe();
    await server.idle();
    expect(server.methods('channel.close')).toEqual([]);
    expect(held.isOpen).toBe(true);

    // Another subscriber shares it too, and completes when the await holder closes it.
    const later = record(connection.channel(3));
    await server.idle();
    expect(later.values).toEqual([held]);
    await held.close();
    expect(later.completed).toBe(true);
    expect(server.methods('channel.close').map((m) => m.channel)).toEqual([3]);
    await connection.close();
  });

  it('channel(id) after openChannel(id) shares it rather than failing with "already open"', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server);
    const held = await connection.openChannel(4);
    const ch: Channel = await firstValueFrom(connection.channel(4));
    expect(ch).toBe(held);
    await server.idle();
    // firstValueFrom left at once; the channel is held by openChannel and stays open.
    expect(held.isOpen).toBe(true);
    await connection.close();
  });

  it('when the channel fails to open, every caller gets the error', async () => {
    const server = fakeServer();
    server.handle('channel.open', (m) =>
      server.reply(m, 'channel.close', { replyCode: 403, replyText: 'ACCESS_REFUSED', classId: 20, methodId: 10 }),
    );
    const { connection } = await openFake(server);
    const both = Promise.allSettled([connection.openChannel(5), connection.openChannel(5)]);
    const [x, y] = await both;
    expect(x.status).toBe('rejected');
    expect(y.status).toBe('rejected');
    expect((x as PromiseRejectedResult).reason).toBeInstanceOf(ChannelClosedError);
    expect((y as PromiseRejectedResult).reason).toBe((x as PromiseRejectedResult).reason);
    await connection.close();
  });
});

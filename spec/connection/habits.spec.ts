/**
 * Users' habits from other clients (issue 10, item 7), over the scripted fake server: a URL
 * with a bare trailing slash means the vhost `/`, and `openChannel(id)` of an open channel
 * resolves to that same Channel.
 */
import { firstValueFrom } from 'rxjs';
import { ChannelClosedError, type Channel } from 'rx-amqp';
import { fakeServer } from 'rx-amqp/testing';
import { connectFake, openFake, record, trapUnhandledErrors } from '../support/fake';

trapUnhandledErrors();

describe('the vhost of a URL', () => {
  it.each([
    ['amqp://guest:guest@localhost:5672/', '/'],
    ['amqp://guest:guest@localhost:5672', '/'],
    ['amqp://guest:guest@localhost:5672/%2F', '/'],
    ['amqp://guest:guest@localhost:5672/v1', 'v1'],
  ])('%s opens the vhost %j', async (url, vhost) => {
    const server = fakeServer({ vhosts: ['/', 'v1'] });
    const { connection } = await openFake(server, { url });
    expect(server.methods('connection.open')[0].args.virtualHost).toBe(vhost);
    await connection.close();
    expect(server.errors).toEqual([]);
  });

  it("the empty vhost is still reachable with the vhost: '' option, which wins over the URL", async () => {
    const server = fakeServer({ vhosts: [''] });
    const outcome = await connectFake(server, { url: 'amqp://guest:guest@localhost:5672/', vhost: '' });
    expect(outcome.errored).toBe(false);
    expect(server.methods('connection.open')[0].args.virtualHost).toBe('');
    await outcome.values[0].close();
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

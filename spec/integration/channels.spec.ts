/**
 * Channels against the real RabbitMQ, in both dialects: shared `channel(id)`, lowest free
 * numbers, ids and references after close, `openChannel()`, and a server channel.close that
 * leaves the connection and the other channels alive.
 */
import { firstValueFrom, type Subscription } from 'rxjs';
import {
  AmqpError,
  type Channel,
  ChannelClosedError,
  type Connection,
  NotOpenError,
  open,
  type Protocol,
} from 'rx-amqp';
import { DIALECTS, eventually, once, opts, uniqueName } from './helpers';

describe.each(DIALECTS)('channels, AMQP %s', (protocol: Protocol) => {
  let c: Connection;
  beforeAll(async () => {
    c = await open(opts(protocol, { channelMax: 16 }));
  });
  afterAll(() => c.close());

  it('channel(id) subscribed twice shares one open channel until the last unsubscribe', async () => {
    const subs: Subscription[] = [];
    const take = (id: number) =>
      new Promise<Channel>((resolve, reject) => {
        subs.push(c.channel(id).subscribe({ next: resolve, error: reject }));
      });
    const a = await take(7);
    const b = await take(7);
    expect(b).toBe(a);
    expect(a.id).toBe(7);

    subs[0].unsubscribe();
    expect(a.isOpen).toBe(true);
    const q = await once(a.queueDeclare('', { exclusive: true })); // still usable
    expect(q.queue).toMatch(/^amq\.gen-/);

    subs[1].unsubscribe();
    expect(await a.closed).toBeUndefined();
    expect(a.isOpen).toBe(false);
    // The number is free again: a new subscriber gets a new channel on it.
    const again = await take(7);
    expect(again).not.toBe(a);
    expect(again.id).toBe(7);
    expect(again.isOpen).toBe(true);
    // openChannel(7) while it is open does not open a second one: it resolves to that same
    // channel (DESIGN: the seed's conn.channel(1)) and holds it, so the last subscriber
    // leaving does not close it; its close() does.
    expect(await c.openChannel(7)).toBe(again);
    subs[2].unsubscribe();
    expect(again.isOpen).toBe(true);
    expect((await once(again.queueDeclare('', { exclusive: true }))).queue).toMatch(/^amq\.gen-/);
    await again.close();
    expect(await again.closed).toBeUndefined();
  });

  it('channel(id) subscribed again right after the last unsubscribe waits for the old channel to close', async () => {
    // firstValueFrom leaves at once: channel 8 starts closing; asking again must not fail
    // with "already open" but get a fresh channel 8 once the old one is closed.
    const a = await firstValueFrom(c.channel(8));
    expect(a.isOpen).toBe(false); // closing
    const b = await firstValueFrom(c.channel(8));
    expect(b).not.toBe(a);
    expect(b.id).toBe(8);
    expect(await a.closed).toBeUndefined();
    // Several at once share the fresh one.
    const [x, y] = await Promise.all([firstValueFrom(c.channel(8)), firstValueFrom(c.channel(8))]);
    expect(x).toBe(y);
    expect(x).not.toBe(b);
    await x.closed;

    // openChannel(id) on a number whose channel is closing waits for it too.
    const ch = await c.openChannel(3);
    const closing = ch.close();
    const again = await c.openChannel(3);
    await closing;
    expect(again).not.toBe(ch);
    expect(again.isOpen).toBe(true);
    const q = await once(again.queueDeclare('', { exclusive: true }));
    expect(q.queue).toMatch(/^amq\.gen-/);
    await again.close();
    // A number held by an open channel gives that same channel.
    const held = await c.openChannel(3);
    expect(await c.openChannel(3)).toBe(held);
    await held.close();
  });

  it('channel() and openChannel() without an id take the lowest free numbers', async () => {
    const a = await c.openChannel();
    const b = await c.openChannel();
    const d = await c.openChannel();
    expect([a.id, b.id, d.id]).toEqual([1, 2, 3]);
    await b.close();
    const e = await firstValueFrom(c.channel()); // firstValueFrom leaves: it closes at once
    expect(e.id).toBe(2);
    await e.closed;
    const f = await c.openChannel();
    expect(f.id).toBe(2);
    await Promise.all([a.close(), d.close(), f.close()]);
  });

  it('many channels opened at once get distinct numbers and all work', async () => {
    const many = await open(opts(protocol));
    try {
      const channels = await Promise.all(Array.from({ length: 100 }, () => many.openChannel()));
      expect(channels.map((ch) => ch.id).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      const queues = await Promise.all(channels.map((ch) => once(ch.queueDeclare('', { exclusive: true }))));
      expect(new Set(queues.map((q) => q.queue)).size).toBe(100);
      await Promise.all(channels.filter((ch) => ch.id % 2 === 0).map((ch) => ch.close()));
      const again = await many.openChannel();
      expect(again.id).toBe(2);
    } finally {
      await many.close();
    }
  });

  it('after close the reference stays closed, its id can be reopened, and the new channel works', async () => {
    const ch = await c.openChannel(4);
    const q = (await once(ch.queueDeclare('', { exclusive: true }))).queue;
    await ch.close();
    expect(ch.isOpen).toBe(false);
    expect(ch.id).toBe(4);
    await expect(once(ch.queueDeclare(q, { passive: true }))).rejects.toBeInstanceOf(NotOpenError);
    expect(() => ch.basicPublish('x', '', q)).toThrow(NotOpenError);
    await ch.close(); // closing again is harmless

    const ch2 = await c.openChannel(4);
    expect(ch2).not.toBe(ch);
    expect(ch2.id).toBe(4);
    ch2.basicPublish('after reopen', '', q);
    const got = await once(ch2.basicGet(q, { noAck: true }));
    expect(got?.text).toBe('after reopen');
    expect(ch.isOpen).toBe(false); // the old reference did not come back to life
    await ch2.close();
  });

  it('rejects channel numbers outside 1..channelMax', async () => {
    expect(c.tune.channelMax).toBe(16);
    await expect(c.openChannel(0)).rejects.toBeInstanceOf(AmqpError);
    await expect(c.openChannel(17)).rejects.toThrow(/outside 1\.\.16/);
    await expect(firstValueFrom(c.channel(17))).rejects.toThrow(/outside 1\.\.16/);
    const top = await c.openChannel(16);
    expect(top.id).toBe(16);
    await top.close();
  });

  it('a server channel.close (404) ends only that channel; the connection and other channels live on', async () => {
    const ok = await c.openChannel();
    const bad = await c.openChannel();
    const streamErrors: unknown[] = [];
    const sub = c.channel(9).subscribe({ error: (e) => streamErrors.push(e) });
    const missing = uniqueName('missing');

    const error = await once(bad.queueDeclare(missing, { passive: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelClosedError);
    expect(error).toMatchObject({ code: 404, replyCode: 404, channel: bad.id, classId: 50, methodId: 10 });
    expect((error as ChannelClosedError).replyText).toContain(missing);
    expect(await bad.closed).toBe(error);
    expect(bad.isOpen).toBe(false);

    expect(c.isOpen).toBe(true);
    expect(ok.isOpen).toBe(true);
    const q = await once(ok.queueDeclare('', { exclusive: true }));
    expect(q.messageCount).toBe(0);
    expect(streamErrors).toEqual([]);
    await eventually(() => c.core.channels.get(9)?.state === 'open', 'channel 9 opens');
    sub.unsubscribe();
    await ok.close();
  });

  it('channel(id) errors with ChannelClosedError when the server closes it', async () => {
    const errors: unknown[] = [];
    let channel: Channel | undefined;
    const sub = c.channel(11).subscribe({ next: (ch) => (channel = ch), error: (e) => errors.push(e) });
    await eventually(() => channel !== undefined, 'channel(11) emits');
    await once(channel!.exchangeDeclare(uniqueName('missing-x'), 'direct', { passive: true })).catch(() => undefined);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ChannelClosedError);
    expect((errors[0] as ChannelClosedError).code).toBe(404);
    expect(sub.closed).toBe(true);
    // Number 11 is free again.
    const again = await c.openChannel(11);
    expect(again.isOpen).toBe(true);
    await again.close();
  });

  it('await using closes a channel at the end of the scope', async () => {
    let kept: Channel;
    {
      await using ch = await c.openChannel();
      kept = ch;
      expect(ch.isOpen).toBe(true);
    }
    expect(kept.isOpen).toBe(false);
    expect(await kept.closed).toBeUndefined();
    expect(c.isOpen).toBe(true);
  });
});

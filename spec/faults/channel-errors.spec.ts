/**
 * Soft errors stay on their channel, and channel numbers are a bounded, reused resource
 * (shared broker: test-owned queues only).
 */
import { firstValueFrom, from, lastValueFrom, mergeMap, toArray } from 'rxjs';
import { AmqpError, ChannelClosedError, Message, open, type Channel, type Connection } from 'rx-amqp';
import { done, figure, once, SHARED_BROKER_URL, uniqueName } from './helpers';

describe('soft channel errors (shared broker)', () => {
  let connection: Connection;
  let bystander: Channel;
  let bystanderQueue: string;

  beforeEach(async () => {
    connection = await open({ url: SHARED_BROKER_URL, connectionTimeout: 10000 });
    bystander = await connection.openChannel();
    ({ queue: bystanderQueue } = await once(bystander.queueDeclare('', { exclusive: true })));
  });

  afterEach(async () => {
    await connection.close();
  });

  /** The other channel of the connection still does a full round trip. */
  async function bystanderWorks(): Promise<void> {
    bystander.basicPublish(new Message('still here'), '', bystanderQueue);
    const got = await once(bystander.basicGet(bystanderQueue, { noAck: true }));
    expect(got?.text).toBe('still here');
    expect(bystander.isOpen).toBe(true);
  }

  it('404 from a passive declare of a missing queue closes only that channel', async () => {
    const victim = await connection.openChannel();
    const victimId = victim.id;
    const error = await firstValueFrom(victim.queueDeclare(uniqueName('missing'), { passive: true })).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ChannelClosedError);
    expect(error).toMatchObject({ replyCode: 404, code: 404, channel: victimId });
    expect((error as Error).message).toMatch(/NOT_FOUND/);
    await expect(victim.closed).resolves.toBe(error);
    expect(victim.isOpen).toBe(false);
    expect(connection.core.channels.has(victimId)).toBe(false);

    expect(connection.isOpen).toBe(true);
    await bystanderWorks();
    // The freed number is taken again by the next channel.
    const next = await connection.openChannel();
    expect(next.id).toBe(victimId);
    await next.close();
  });

  it('406 from redeclaring a queue with other arguments closes only that channel', async () => {
    const queue = uniqueName('redeclare');
    const owner = await connection.openChannel();
    await once(owner.queueDeclare(queue, { autoDelete: false, arguments: { 'x-max-length': 10 } }));
    try {
      const victim = await connection.openChannel();
      const error = await firstValueFrom(
        victim.queueDeclare(queue, { autoDelete: false, arguments: { 'x-max-length': 20 } }),
      ).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ChannelClosedError);
      expect(error).toMatchObject({ replyCode: 406, channel: victim.id });
      expect((error as Error).message).toMatch(/PRECONDITION_FAILED.*x-max-length/);
      expect(victim.isOpen).toBe(false);
      // Work queued behind the failed method on that channel fails with the same error.
      await expect(firstValueFrom(victim.queueDeclare(queue, { passive: true }))).rejects.toMatchObject({
        name: 'NotOpenError',
      });

      expect(connection.isOpen).toBe(true);
      expect(owner.isOpen).toBe(true);
      await bystanderWorks();
      await expect(once(owner.queueDeclare(queue, { passive: true }))).resolves.toMatchObject({
        queue,
        messageCount: 0,
      });
    } finally {
      await done(owner.queueDelete(queue));
    }
  });

  it('a soft error in a pipeline errors that pipeline only', async () => {
    const failing = firstValueFrom(
      connection.channel().pipe(mergeMap((ch) => ch.queueDeclare(uniqueName('missing'), { passive: true }))),
    ).catch((e: unknown) => e);
    const healthy = firstValueFrom(
      connection.channel().pipe(mergeMap((ch) => ch.queueDeclare('', { exclusive: true }))),
    );
    await expect(failing).resolves.toBeInstanceOf(ChannelClosedError);
    await expect(healthy).resolves.toMatchObject({ queue: expect.stringMatching(/^amq\.gen-/) });
    expect(connection.isOpen).toBe(true);
    await bystanderWorks();
  });
});

describe('channel numbers (shared broker)', () => {
  it('10k channel open/close cycles stay within channelMax, reuse numbers and leak nothing', async () => {
    const channelMax = 32;
    const connection = await open({ url: SHARED_BROKER_URL, channelMax, connectionTimeout: 10000 });
    try {
      expect(connection.tune.channelMax).toBe(channelMax);
      const started = performance.now();
      const ids = await lastValueFrom(
        from(Array.from({ length: 10000 }, (_, i) => i)).pipe(
          mergeMap(async () => {
            const ch = await connection.openChannel();
            const id = ch.id;
            await ch.close();
            return id;
          }, channelMax),
          toArray(),
        ),
      );
      figure('10k channel open/close cycles took', performance.now() - started, 'ms');

      expect(ids).toHaveLength(10000);
      const distinct = new Set(ids);
      expect(Math.min(...distinct)).toBe(1);
      expect(Math.max(...distinct)).toBeLessThanOrEqual(channelMax);
      expect(distinct.size).toBeLessThanOrEqual(channelMax);
      expect(connection.core.channels.size).toBe(0);
      expect(connection.isOpen).toBe(true);

      // While all numbers are taken, one more is a typed error, not a protocol violation.
      const all = await Promise.all(Array.from({ length: channelMax }, () => connection.openChannel()));
      expect(new Set(all.map((c) => c.id)).size).toBe(channelMax);
      await expect(connection.openChannel()).rejects.toBeInstanceOf(AmqpError);
      await expect(connection.openChannel()).rejects.toMatchObject({ code: 506 });
      await Promise.all(all.map((c) => c.close()));
      expect(connection.core.channels.size).toBe(0);
      const again = await connection.openChannel();
      expect(again.id).toBe(1);
      await again.close();
      expect(connection.isOpen).toBe(true);
    } finally {
      await connection.close();
    }
  }, 120000);
});

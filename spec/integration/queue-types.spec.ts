import { firstValueFrom, lastValueFrom, take, toArray, map, of, throwError } from 'rxjs';
import { open, ackAfter, UnsupportedError, type Channel, type Connection, type ConsumeOptions } from 'rx-amqp';

const unique = (p: string) => `${p}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;

describe('queue types and streams (integration)', () => {
  let connection: Connection;
  let channel: Channel;
  const created: string[] = [];
  beforeAll(async () => {
    connection = await open();
    channel = await connection.openChannel();
    await firstValueFrom(channel.confirmSelect());
  });
  afterAll(async () => {
    const ch = await connection.openChannel();
    for (const q of created) await firstValueFrom(ch.queueDelete(q));
    await connection.close();
  });

  async function publishAll(queue: string, bodies: string[]): Promise<void> {
    for (const b of bodies) await firstValueFrom(channel.publish(b, '', queue));
  }

  it('declares a quorum queue with typed arguments that RabbitMQ applies (delivery limit dead-letters)', async () => {
    const dlq = unique('dlq');
    const q = unique('quorum');
    created.push(q, dlq);
    await firstValueFrom(channel.queueDeclare(dlq, { durable: true }));
    await firstValueFrom(
      channel.queueDeclare(q, {
        durable: true,
        type: 'quorum',
        deliveryLimit: 1,
        deadLetterExchange: '',
        deadLetterRoutingKey: dlq,
      }),
    );
    // a redeclare with a different type is refused: the arguments really reached the broker
    const other = await connection.openChannel();
    await expect(firstValueFrom(other.queueDeclare(q, { durable: true, type: 'classic' }))).rejects.toMatchObject({
      name: 'ChannelClosedError',
      code: 406,
    });
    await publishAll(q, ['poison']);
    // delivered, requeued, delivered again (limit 1 exceeded) -> dead-lettered
    const ch = await connection.openChannel();
    await firstValueFrom(ch.basicQos(1));
    const rejected = await lastValueFrom(
      ch.basicConsume(q).pipe(
        take(2),
        map((d) => {
          d.nack(true);
          return d.redelivered;
        }),
        toArray(),
      ),
    );
    expect(rejected).toEqual([false, true]);
    let dead = null;
    for (let i = 0; i < 50 && !dead; i++) {
      dead = await firstValueFrom(ch.basicGet(dlq, { noAck: true }));
      if (!dead) await new Promise((r) => setTimeout(r, 50));
    }
    expect(dead?.text).toBe('poison');
    await ch.close();
  });

  it('replays a stream from first, from a numeric offset and from a Date, in order, with offsets on the deliveries', async () => {
    const q = unique('stream');
    created.push(q);
    await firstValueFrom(channel.queueDeclare(q, { durable: true, type: 'stream', maxAge: '1h' }));
    const before = new Date(Date.now() - 1000);
    await publishAll(
      q,
      Array.from({ length: 30 }, (_, i) => `m${i}`),
    );
    const ch = await connection.openChannel();
    await firstValueFrom(ch.basicQos(50));
    const read = (options: ConsumeOptions, n: number) =>
      lastValueFrom(
        ch.basicConsume(q, options).pipe(
          take(n),
          map((d) => `${d.text}@${String(d.streamOffset)}`),
          toArray(),
        ),
      );
    expect(await read({ offset: 'first' }, 30)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}@${i}`));
    expect(await read({ offset: 25 }, 5)).toEqual(['m25@25', 'm26@26', 'm27@27', 'm28@28', 'm29@29']);
    expect(await read({ offset: before }, 3)).toEqual(['m0@0', 'm1@1', 'm2@2']);
    await ch.close();
  });

  it('refuses to nack a stream delivery locally, and ackAfter passes failed stream messages over', async () => {
    const q = unique('stream');
    created.push(q);
    await firstValueFrom(channel.queueDeclare(q, { durable: true, type: 'stream' }));
    await publishAll(q, ['a', 'b', 'c']);
    const ch = await connection.openChannel();
    await firstValueFrom(ch.basicQos(10));
    const first = await firstValueFrom(ch.basicConsume(q, { offset: 'first' }));
    expect(() => first.nack()).toThrow(UnsupportedError);
    const processed = await lastValueFrom(
      ch.basicConsume(q, { offset: 'first' }).pipe(
        ackAfter((d) => (d.text === 'b' ? throwError(() => new Error('fails')) : of(d.text))),
        take(2),
        toArray(),
      ),
    );
    expect(processed).toEqual(['a', 'c']);
    expect(connection.isOpen).toBe(true);
    await ch.close();
  });
});

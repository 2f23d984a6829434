import { delay, lastValueFrom, of, take, throwError, toArray } from 'rxjs';
import { ackAfterBatch, connect, consume, openChannel } from 'rx-amqp';
import { brokerAdmin, BROKER_URL, eventually, queueCounts } from './helpers';

describe('ackAfterBatch against RabbitMQ', () => {
  const admin = brokerAdmin({ confirm: true });
  /** A fresh queue holding `n` messages 'm0' ... */
  const queueWith = (n: number) => admin.queueWith('batch', n);

  it('a failing batch does not stop the stream: it is requeued, comes again, and everything is acked', async () => {
    const q = await queueWith(30);
    const attempts: string[][] = [];
    const done = await lastValueFrom(
      connect(BROKER_URL).pipe(
        openChannel({ prefetch: 10 }),
        consume(q),
        ackAfterBatch(
          (batch) => {
            attempts.push(batch.map((d) => `${d.text}${d.redelivered ? '*' : ''}`));
            // A batch holding m7 fails on its first delivery: async error once, then it works.
            const failing = batch.some((d) => d.text === 'm7' && !d.redelivered);
            return failing
              ? throwError(() => new Error('database down'))
              : of(...batch.map((d) => d.text)).pipe(delay(5));
          },
          { size: 5, time: 200 },
        ),
        take(30),
        toArray(),
      ),
    );
    expect(new Set(done).size).toBe(30);
    expect(attempts.some((b) => b.includes('m7'))).toBe(true);
    expect(attempts.some((b) => b.includes('m7*'))).toBe(true);
    await eventually(async () => {
      const c = await queueCounts(q);
      return c.ready === 0 && c.unacked === 0;
    }, 'the queue is empty and nothing unacked');
  });

  it('a drain (the source completes) processes the last partial batch and acks it before the connection closes', async () => {
    const q = await queueWith(12);
    const batches = await lastValueFrom(
      connect(BROKER_URL).pipe(
        openChannel({ prefetch: 20 }),
        consume(q),
        take(12), // the drain: the source completes after the 12th delivery
        // A minute-long `time`: only the drain can flush the partial batch of 2 in this test.
        ackAfterBatch((batch) => of(batch.map((d) => d.text)), { size: 5, time: 60000 }),
        toArray(),
      ),
    );
    expect(batches.map((b) => b.length)).toEqual([5, 5, 2]);
    expect(batches.flat()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));
    await eventually(async () => {
      const c = await queueCounts(q);
      return c.ready === 0 && c.unacked === 0;
    }, 'all 12 acked');
  });

  it('an unsubscribe loses nothing: unfinished batches are not acked and come again to the next consumer', async () => {
    const q = await queueWith(20);
    const first = await lastValueFrom(
      connect(BROKER_URL).pipe(
        openChannel({ prefetch: 20 }),
        consume(q),
        ackAfterBatch((batch) => of(batch.map((d) => d.text)).pipe(delay(100)), { size: 5, time: 50, concurrency: 2 }),
        take(1), // then unsubscribe while a second batch is in flight and more wait
        toArray(),
      ),
    );
    expect(first.flat()).toHaveLength(5);
    await eventually(async () => {
      const c = await queueCounts(q);
      return c.ready === 15 && c.unacked === 0;
    }, 'the 15 not acked are back in the queue');
    const rest = await lastValueFrom(
      connect(BROKER_URL).pipe(
        openChannel({ prefetch: 20 }),
        consume(q),
        take(15),
        ackAfterBatch((batch) => of(...batch.map((d) => d.text)), { size: 5, time: 50 }),
        toArray(),
      ),
    );
    expect([...first.flat(), ...rest].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
    await eventually(async () => {
      const c = await queueCounts(q);
      return c.ready === 0 && c.unacked === 0;
    }, 'all 20 acked');
  });
});

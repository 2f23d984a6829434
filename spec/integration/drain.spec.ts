import { lastValueFrom, NEVER, of, Subject, timer, map, toArray } from 'rxjs';
import {
  ackAfter,
  ChannelClosedError,
  connect,
  consume,
  HandlerTimeoutError,
  NotOpenError,
  openChannel,
  type Connection,
} from 'rx-amqp';
import { brokerAdmin, BROKER_URL, eventually, queueCounts, uniqueName } from './helpers';

describe('graceful drain and handler deadlines against RabbitMQ', () => {
  const admin = brokerAdmin({ confirm: true });
  /** A fresh queue holding `n` messages 'm0' ... */
  const queueWith = (n: number) => admin.queueWith('drain', n);

  it('until: the pipeline completes by itself, every started handler finishes and is acked, the rest stays queued, nothing is handled twice', async () => {
    const total = 40;
    const q = await queueWith(total);
    const stop$ = new Subject<void>();
    const started: string[] = [];
    const finished: string[] = [];
    let connection: Connection | undefined;
    const handled = await lastValueFrom(
      connect(BROKER_URL).pipe(
        map((c) => (connection = c)),
        openChannel({ prefetch: 5 }),
        consume(q, { until: stop$ }),
        ackAfter(
          (d) => {
            started.push(d.text);
            if (started.length === 6) stop$.next(); // drain mid-way, with handlers in flight
            return timer(60).pipe(map(() => (finished.push(d.text), d.text)));
          },
          { concurrency: 3 },
        ),
        toArray(),
      ),
    );
    // every handler that started finished, and its results came out
    expect(started.length).toBeGreaterThanOrEqual(6);
    expect(finished.sort()).toEqual([...started].sort());
    expect(handled.sort()).toEqual([...started].sort());
    expect(new Set(started).size).toBe(started.length);
    // the pipeline closed its connection after acking: nothing unacked, the rest still queued
    await eventually(() => connection?.state === 'closed', 'the connection is closed');
    await eventually(
      async () => {
        const c = await queueCounts(q);
        return c.unacked === 0 && c.ready === total - started.length;
      },
      `the queue holds the ${total - started.length} messages not handled, none unacked`,
    );
    // what comes next is exactly the rest, none of it redelivered (so none was handed out and dropped)
    const rest = await lastValueFrom(
      connect(BROKER_URL).pipe(
        openChannel({ prefetch: 50 }),
        consume(q, { until: timer(1500) }),
        ackAfter((d) => of(d), { concurrency: 50 }),
        toArray(),
      ),
    );
    expect(rest.length).toBe(total - started.length);
    expect(rest.every((d) => !d.redelivered)).toBe(true);
    expect(new Set([...rest.map((d) => d.text), ...started]).size).toBe(total);
  });

  it('timeout: a handler past it sees its signal abort and its delivery is settled per onError', async () => {
    const q = await queueWith(2);
    const stop$ = new Subject<void>();
    const reasons: unknown[] = [];
    const out = await lastValueFrom(
      connect(BROKER_URL).pipe(
        openChannel({ prefetch: 2 }),
        consume(q, { until: stop$ }),
        ackAfter(
          (d, signal) => {
            if (d.text === 'm1') return of('quick');
            signal.addEventListener('abort', () => {
              reasons.push(signal.reason);
              stop$.next();
            });
            return NEVER; // stuck
          },
          { timeout: 300, concurrency: 2, onError: 'reject' },
        ),
        toArray(),
      ),
    );
    expect(out).toEqual(['quick']);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(HandlerTimeoutError);
    // m0 was rejected (dropped: no dead-letter exchange), m1 acked: had m0 stayed unsettled,
    // the connection's close would have requeued it
    await eventually(async () => {
      const c = await queueCounts(q);
      return c.ready === 0 && c.unacked === 0;
    }, 'the queue is empty: the stuck delivery was settled per onError');
  });

  it("a handler's signal aborts when its delivery's channel is lost", async () => {
    const q = await queueWith(1);
    let reason: unknown;
    const error = await lastValueFrom(
      connect(BROKER_URL).pipe(
        openChannel({ prefetch: 1 }),
        consume(q),
        ackAfter(
          (d, signal) =>
            new Promise<void>((resolve) => {
              signal.addEventListener('abort', () => {
                reason = signal.reason;
                resolve();
              });
              // a publish to an exchange that does not exist: the broker closes the channel (404)
              d.channel.basicPublish('x', uniqueName('no-such-exchange'), '');
            }),
        ),
      ),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChannelClosedError);
    expect(reason).toBeInstanceOf(NotOpenError);
    // nothing was settled: the broker requeued the message when the channel closed
    await eventually(async () => (await queueCounts(q)).ready === 1, 'the message is back in the queue');
  });
});

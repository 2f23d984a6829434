/**
 * "Nothing published before a graceful close is lost": publishes written just before
 * `close()` (or an unsubscribe of `connect()`) all reach the queue, and in confirm mode the
 * close waits for every outstanding confirm. Checked with a second connection.
 */
import { lastValueFrom, type Subscription } from 'rxjs';
import { type Channel, connect, type Connection, Message, open, type PublishResult, type Protocol } from 'rx-amqp';
import { DIALECTS, eventually, once, opts, uniqueName } from './helpers';

const N = 2000;

let checker: Connection;
let probe: Channel;
beforeAll(async () => {
  checker = await open(opts('0-9-1'));
  probe = await checker.openChannel();
});
afterAll(() => checker.close());

/** A durable-enough queue that outlives the publishing connection (deleted by the test). */
async function sharedQueue(): Promise<string> {
  const q = uniqueName('flush');
  await once(probe.queueDeclare(q, { autoDelete: false }));
  return q;
}

async function countIn(q: string): Promise<number> {
  return (await once(probe.queueDeclare(q, { passive: true }))).messageCount;
}

/**
 * Waits until `q` holds `n` messages and checks it does not hold more. (RabbitMQ answers a
 * passive queue.declare ahead of deliveries still in the queue's mailbox, so a count read
 * right after the publisher closed may be short for a moment; lost messages never arrive.)
 */
async function expectCount(q: string, n: number): Promise<void> {
  let last = -1;
  await eventually(
    async () => {
      last = await countIn(q);
      return last >= n;
    },
    `${q} holds ${n} messages (last count ${last})`,
    5000,
  );
  expect(last).toBe(n);
}

describe.each(DIALECTS)('graceful close flushes, AMQP %s', (protocol: Protocol) => {
  it(`basicPublish ×${N} then close() at once: all ${N} are in the queue`, async () => {
    const q = await sharedQueue();
    try {
      const c = await open(opts(protocol));
      const ch = await c.openChannel();
      const body = Buffer.alloc(512, 7);
      for (let i = 0; i < N; i++) ch.basicPublish(new Message(body, { messageId: String(i) }), '', q);
      await c.close();
      expect(c.state).toBe('closed');
      await expectCount(q, N);
      const first = (await once(probe.basicGet(q, { noAck: true })))!;
      expect(first.properties.messageId).toBe('0');
    } finally {
      await once(probe.queueDelete(q));
    }
  });

  it('unsubscribing from connect() right after publishing flushes too', async () => {
    const q = await sharedQueue();
    try {
      let conn: Connection | undefined;
      const sub: Subscription = connect(opts(protocol)).subscribe((c) => (conn = c));
      await eventually(() => conn !== undefined, 'connected');
      const ch = await conn!.openChannel();
      for (let i = 0; i < N; i++) ch.basicPublish(`m${i}`, '', q);
      sub.unsubscribe();
      expect(await conn!.closed).toBeUndefined();
      await expectCount(q, N);
    } finally {
      await once(probe.queueDelete(q));
    }
  });

  it('channel.close() right after publishing flushes the channel', async () => {
    const q = await sharedQueue();
    const c = await open(opts(protocol));
    try {
      const ch = await c.openChannel();
      for (let i = 0; i < N; i++) ch.basicPublish(`m${i}`, '', q);
      await ch.close();
      await expectCount(q, N);
    } finally {
      await c.close();
      await once(probe.queueDelete(q));
    }
  });
});

describe('graceful close in confirm mode (AMQP 0-9-1)', () => {
  it('connection.close() waits for every outstanding confirm', async () => {
    const q = await sharedQueue();
    try {
      const c = await open(opts('0-9-1'));
      const ch = await c.openChannel();
      await lastValueFrom(ch.confirmSelect(), { defaultValue: undefined });
      const results: PublishResult[] = [];
      const failures: unknown[] = [];
      for (let i = 0; i < N; i++) {
        ch.publish(`m${i}`, '', q).subscribe({ next: (r) => results.push(r), error: (e) => failures.push(e) });
      }
      // basicPublish in confirm mode is tracked too: close waits for its confirm as well.
      expect(ch.basicPublish('last', '', q)).toBe(N + 1);
      expect(results).toHaveLength(0); // nothing confirmed yet: it all just went out
      await c.close();
      expect(failures).toEqual([]);
      expect(results).toHaveLength(N);
      expect(results.every((r) => r.confirmed)).toBe(true);
      expect(results.map((r) => r.sequence)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
      expect(ch.core.confirms.outstanding).toBe(0);
      await expectCount(q, N + 1);
    } finally {
      await once(probe.queueDelete(q));
    }
  });

  it('channel.close() waits for its outstanding confirms', async () => {
    const q = await sharedQueue();
    const c = await open(opts('0-9-1'));
    try {
      const ch = await c.openChannel();
      await lastValueFrom(ch.confirmSelect(), { defaultValue: undefined });
      let confirmed = 0;
      for (let i = 0; i < N; i++) ch.publish(`m${i}`, '', q).subscribe(() => confirmed++);
      await ch.close();
      expect(confirmed).toBe(N);
      await expectCount(q, N);
    } finally {
      await c.close();
      await once(probe.queueDelete(q));
    }
  });
});

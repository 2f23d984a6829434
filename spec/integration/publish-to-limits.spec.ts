/**
 * publishTo's per-message timeout and buffer bound against RabbitMQ (issue 13). The confirms
 * are held back deterministically: a TCP proxy between client and broker drops everything the
 * broker sends once the channel is in confirm mode.
 */
import { firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import { open, publishTo, PublishOverflowError, PublishTimeoutError } from 'rx-amqp';
import { TcpProxy } from '../support/tcp-proxy';
import { brokerAdmin, BROKER_URL, eventually } from './helpers';

describe('publishTo timeout and maxBuffered against RabbitMQ', () => {
  const admin = brokerAdmin();
  const queue = () => admin.queue('publimit');
  const ready = (q: string) => admin.ready(q);

  it("a publish that is never confirmed gets 'failed' with a PublishTimeoutError; a confirmed one is unaffected", async () => {
    const q = await queue();
    const proxy = await TcpProxy.start({ port: Number(new URL(BROKER_URL).port || 5672) });
    const c = await open({ url: proxy.url(), closeTimeout: 300 });
    try {
      const ch = await c.openChannel();
      await firstValueFrom(ch.confirmSelect());
      // a first message is confirmed normally
      const first = await lastValueFrom(of('before').pipe(publishTo(ch, '', q, { timeout: 2000 }), toArray()));
      expect(first.map((r) => r.status)).toEqual(['confirmed']);
      // from now on nothing the broker sends reaches the client: no confirm will ever come
      proxy.tamper((chunk, direction) => (direction === 'toClient' ? Buffer.alloc(0) : chunk));
      const started = Date.now();
      const results = await lastValueFrom(
        of('lost 1', 'lost 2').pipe(publishTo(ch, '', q, { timeout: 400 }), toArray()),
      );
      expect(results.map((r) => r.status)).toEqual(['failed', 'failed']);
      for (const r of results) {
        expect(r.error).toBeInstanceOf(PublishTimeoutError);
        expect(r.attempts).toBe(1); // it was written: the broker has it, its confirm is lost
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      // the broker did receive them (only their confirms were lost)
      await eventually(async () => (await ready(q)) === 3, 'the broker holds all three messages');
    } finally {
      await c.close().catch(() => undefined);
      await proxy.close();
    }
  });

  it("maxBuffered with overflow 'fail': inputs beyond the bound fail at once, the others are confirmed", async () => {
    const q = await queue();
    const c = await open(BROKER_URL);
    try {
      const ch = await c.openChannel();
      const values = Array.from({ length: 50 }, (_, i) => `m${i}`);
      // A synchronous burst of 50 while confirm.select is under way: nothing can be published
      // before confirm-select-ok, so 10 wait and 40 overflow.
      const results = await lastValueFrom(
        of(...values).pipe(publishTo(ch, '', q, { confirm: true, maxBuffered: 10, overflow: 'fail' }), toArray()),
      );
      expect(results.map((r) => r.value)).toEqual(values);
      expect(results.slice(0, 10).every((r) => r.status === 'confirmed')).toBe(true);
      for (const r of results.slice(10)) {
        expect(r.status).toBe('failed');
        expect(r.error).toBeInstanceOf(PublishOverflowError);
      }
      await eventually(async () => (await ready(q)) === 10, 'the broker holds the 10 buffered messages');
      // once the channel is ready, a burst within the window is written at once: nothing waits,
      // so even the default overflow ('error') never triggers
      await expect(
        lastValueFrom(of(...values).pipe(publishTo(ch, '', q, { maxBuffered: 10 }), toArray())),
      ).resolves.toHaveLength(50);
    } finally {
      await c.close();
    }
  });
});

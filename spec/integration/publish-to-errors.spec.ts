/**
 * publishTo's errors and teardown against RabbitMQ (issue 10, items 2 and 3): what the broker
 * actually received when a user callback throws, the operator errors or its subscriber leaves.
 */
import { concat, firstValueFrom, from, lastValueFrom, of, take, throwError, toArray } from 'rxjs';
import { connect, openChannel, publishTo, Message, type Channel } from 'rx-amqp';
import { BROKER_URL, brokerAdmin, quietFor, uniqueName } from './helpers';

describe('publishTo errors and teardown against RabbitMQ', () => {
  const admin = brokerAdmin();
  const { queues } = admin;
  const queue = (options: Parameters<Channel['queueDeclare']>[1] = {}) => admin.queue('operr', options);
  /** Messages ready in `q` (a passive declare: quick, no rabbitmqctl). */
  const ready = (q: string) => admin.ready(q);

  describe('item 2: a throwing routing-key function or toMessage fails that input only', () => {
    interface Order {
      id: number;
      region?: string;
    }
    const orders: Order[] = [
      { id: 1, region: 'EU' },
      { id: 2, region: 'US' },
      { id: 3 },
      { id: 4, region: 'EU' },
      { id: 5, region: 'US' },
    ];

    it('from(orders).pipe(publishTo(ch, "", (o) => o.region.toLowerCase())) with one order lacking a region: one failed result in its place, the others reach the broker', async () => {
      const base = uniqueName('orders');
      const eu = `${base}-eu`;
      const us = `${base}-us`;
      queues.push(eu, us);
      await firstValueFrom(admin.channel.queueDeclare(eu));
      await firstValueFrom(admin.channel.queueDeclare(us));
      const channel$ = connect(BROKER_URL).pipe(openChannel({ confirm: true }));
      const results = await lastValueFrom(
        from(orders).pipe(
          publishTo(channel$, '', (o) => `${base}-${o.region!.toLowerCase()}`),
          toArray(),
        ),
      );
      expect(results.map((r) => [r.value.id, r.status])).toEqual([
        [1, 'confirmed'],
        [2, 'confirmed'],
        [3, 'failed'],
        [4, 'confirmed'],
        [5, 'confirmed'],
      ]);
      expect(results[2].error).toBeInstanceOf(TypeError);
      expect([await ready(eu), await ready(us)]).toEqual([2, 2]);
    });

    it('a throwing toMessage: the same', async () => {
      const q = await queue();
      const channel$ = connect(BROKER_URL).pipe(openChannel({ confirm: true }));
      const toMessage = (o: Order) => {
        if (!o.region) throw new RangeError(`order ${o.id} has no region`);
        return Message.json(o);
      };
      const results = await lastValueFrom(
        from(orders).pipe(publishTo(channel$, '', q, { toMessage, window: 2 }), toArray()),
      );
      expect(results.map((r) => r.status)).toEqual(['confirmed', 'confirmed', 'failed', 'confirmed', 'confirmed']);
      expect(results[2].error).toBeInstanceOf(RangeError);
      expect(await ready(q)).toBe(4);
    });

    it('once the operator errored (its source failed), nothing more is published', async () => {
      const q = await queue();
      const c = await admin.openChannel();
      try {
        await firstValueFrom(c.confirmSelect());
        const boom = new Error('source failed');
        const inputs = concat(
          of('1', '2', '3', '4', '5'),
          throwError(() => boom),
        );
        await expect(lastValueFrom(inputs.pipe(publishTo(c, '', q, { window: 1 })))).rejects.toBe(boom);
        await firstValueFrom(c.publish('sentinel', '', q));
        await quietFor(300);
        // only the one message in the window was written before the error; then the sentinel
        expect(await ready(q)).toBe(2);
      } finally {
        await c.close();
      }
    });
  });

  describe('item 3: nothing is published after the subscriber left', () => {
    for (const confirm of [true, false]) {
      it(`take(1) on the results with window 1 and five inputs publishes exactly one (${confirm ? 'confirm mode' : 'no confirms'})`, async () => {
        const q = await queue();
        const c = await admin.openChannel();
        try {
          if (confirm) await firstValueFrom(c.confirmSelect());
          const first = await firstValueFrom(
            of('1', '2', '3', '4', '5').pipe(publishTo(c, '', q, { window: 1 }), take(1)),
          );
          expect(first.status).toBe(confirm ? 'confirmed' : 'sent');
          await quietFor(300);
          expect(await ready(q)).toBe(1);
        } finally {
          await c.close();
        }
      });
    }

    it('unsubscribing with a backlog of 50 publishes no more than the window already written', async () => {
      const q = await queue();
      const c = await admin.openChannel();
      try {
        await firstValueFrom(c.confirmSelect());
        const inputs = Array.from({ length: 60 }, (_, i) => `m${i}`);
        let results = 0;
        const sub = from(inputs)
          .pipe(publishTo(c, '', q, { window: 10 }))
          .subscribe(() => results++);
        // the window (10) is written synchronously; the other 50 wait for confirms
        sub.unsubscribe();
        await quietFor(300);
        expect(results).toBe(0);
        expect(await ready(q)).toBe(10);
        // the channel is still usable: late confirms were dropped quietly, nothing broke
        expect((await firstValueFrom(c.publish('after', '', q))).confirmed).toBe(true);
      } finally {
        await c.close();
      }
    });
  });
});

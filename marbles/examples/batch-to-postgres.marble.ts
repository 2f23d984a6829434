/**
 * The consumer of examples/batch-to-postgres.ts on a fake channel, with a fake store in place
 * of PostgreSQL: which batches are acked (after their transaction), requeued (a failed
 * transaction) and when, in virtual time.
 */
import { map, of, Subject, throwError, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Message, type Delivery } from 'rx-amqp';
import { delivery, fakeChannel } from 'rx-amqp/testing';
import { storeBatches, type BatchReport } from '../../examples/batch-to-postgres';

const msg = (id: string, redelivered = false) =>
  delivery(new Message(`reading ${id}`, { messageId: id }), { redelivered });

describe('examples/batch-to-postgres: storeBatches (marbles)', () => {
  it('acks each batch after its transaction, requeues the batch whose transaction failed, and skips stored ids on redelivery', () => {
    const stored = new Set<string>();
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const ch = fakeChannel({
        queues: {
          // Message 3 comes again at frame 14, as if the ack of its batch had been lost.
          readings: cold('-ab-c---d-----e', { a: msg('1'), b: msg('2'), c: msg('3'), d: msg('4'), e: msg('3', true) }),
        },
      });
      // The database: a transaction takes 2 frames; the one holding message 4 fails.
      const store = (batch: Delivery[]) => {
        const ids = batch.map((d) => d.properties.messageId!);
        if (ids.includes('4')) return throwError(() => new Error('deadlock detected'));
        return timer(2).pipe(
          map((): BatchReport => {
            // COMMIT: ON CONFLICT DO NOTHING keeps the ids stored already.
            const fresh = ids.filter((id) => !stored.has(id));
            for (const id of fresh) stored.add(id);
            return {
              size: batch.length,
              inserted: fresh.length,
              redelivered: batch.filter((d) => d.redelivered).length,
            };
          }),
        );
      };
      const reports = storeBatches(of(ch), { queue: 'readings', store, size: 2, time: 3, until: new Subject() });
      // [1,2] is full at frame 2, committed at 4. [3] waits from 4 to 7 (time 3), committed at 9.
      // [4] waits from 8 to 11, and fails. [3 again] waits from 14 to 17: nothing new at 19.
      expectObservable(reports).toBe('4ms a 4ms b 9ms c', {
        a: { size: 2, inserted: 2, redelivered: 0 },
        b: { size: 1, inserted: 1, redelivered: 0 },
        c: { size: 1, inserted: 0, redelivered: 1 },
      });
      expectObservable(ch.acks$).toBe('4ms (ab) 1ms c 9ms d', { a: 1, b: 2, c: 3, d: 5 });
      expectObservable(ch.nacks$).toBe('11ms a', { a: { deliveryTag: 4, requeue: true } });
    });
    expect([...stored].sort()).toEqual(['1', '2', '3']);
  });
});

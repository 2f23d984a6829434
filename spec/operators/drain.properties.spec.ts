/**
 * Graceful drain as a property (fast-check over random schedules, virtual time): deliveries
 * arrive at random frames, each handler takes a random time (or fails), `until` emits at a
 * random frame, with random `concurrency`. Whatever the interleaving:
 * - the pipeline completes by itself;
 * - every delivery received before the cancel is settled exactly once — acked when its
 *   handler completed, nacked when it failed — and nothing delivered is left unsettled;
 * - nothing arrives after the cancel (the rest stays in the queue);
 * - the channel (the upstream subscription) is let go only after the last settle.
 */
import fc from 'fast-check';
import { concat, delay, finalize, mergeMap, NEVER, of, tap, throwError, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ackAfter, consume } from 'rx-amqp';
import { fakeChannel } from 'rx-amqp/testing';

interface Job {
  at: number; // frames after the previous delivery
  takes: number; // frames the handler runs
  fails: boolean;
}

describe('consume({ until }) + ackAfter drain (property)', () => {
  it('completes, settles every received delivery exactly once, and lets the channel go after the last settle', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 4 }),
            takes: fc.integer({ min: 0, max: 12 }),
            fails: fc.boolean(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 4 }),
        (jobs: Job[], stopAt: number, concurrency: number) => {
          const log: string[] = [];
          let completed = false;
          const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
          // deliveries at cumulative frames (the first one at least one frame after consume-ok)
          let t = 1;
          const arrivals = jobs.map((j, i) => {
            t += j.at;
            return { i, at: t };
          });
          ts.run(() => {
            const queue = of(...arrivals).pipe(mergeMap(({ i, at }) => timer(at).pipe(mergeMap(() => of(`${i}`)))));
            const ch = fakeChannel({ queues: { q: queue } });
            ch.methods$.subscribe((m) => {
              if (m.name === 'basic.ack' || m.name === 'basic.nack' || m.name === 'basic.reject')
                log.push(`${m.name} ${String(m.args.deliveryTag)}${m.args.multiple ? '+' : ''}`);
              if (m.name === 'basic.cancel') log.push('cancel');
            });
            const delivered: number[] = [];
            const deliveredJobs: number[] = [];
            const received: number[] = [];
            concat(of(ch), NEVER)
              .pipe(
                finalize(() => log.push('released')),
                consume('q', { until: timer(stopAt) }),
                tap((d) => {
                  delivered.push(d.deliveryTag);
                  deliveredJobs.push(Number(d.text));
                }),
                ackAfter(
                  (d) => {
                    received.push(d.deliveryTag);
                    const job = jobs[Number(d.text)];
                    return job.fails
                      ? timer(job.takes).pipe(mergeMap(() => throwError(() => new Error('no'))))
                      : of(d.text).pipe(delay(job.takes));
                  },
                  { concurrency, onError: 'requeue' },
                ),
              )
              .subscribe({ complete: () => (completed = true) });
            ts.flush();
            expect(completed).toBe(true);
            // every received delivery was settled once, nothing after the channel went
            const released = log.indexOf('released');
            expect(released).toBe(log.length - 1);
            const settledTags = new Set<number>();
            for (const line of log.slice(0, released)) {
              const m = /^basic\.(ack|nack|reject) (\d+)(\+?)$/.exec(line);
              if (!m) continue;
              const tag = Number(m[2]);
              if (m[3]) {
                // multiple: every tag up to this one not settled yet
                for (let k = 1; k <= tag; k++) settledTags.add(k);
              } else {
                expect(settledTags.has(tag)).toBe(false);
                settledTags.add(tag);
              }
            }
            const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);
            // every delivery that came was handled (none dropped) and settled exactly once
            expect(sorted(received)).toEqual(sorted(delivered));
            expect(sorted(settledTags)).toEqual(sorted(delivered));
            // what the broker sent before the stop came through; nothing sent after it did (a
            // delivery in the very frame of the stop may go either way)
            for (const { i, at } of arrivals) {
              if (at < stopAt) expect(deliveredJobs).toContain(i);
              if (at > stopAt) expect(deliveredJobs).not.toContain(i);
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

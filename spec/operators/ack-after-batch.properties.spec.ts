/**
 * ackAfterBatch's promises as properties, over random arrivals on two fake channels (as after
 * a reconnect), random batch outcomes (success after some frames, asynchronous error,
 * synchronous throw), sizes, times and concurrency, and a random end: a drain (the source
 * completes) or an unsubscribe. Time is virtual (TestScheduler), so each run is exact.
 */
import fc from 'fast-check';
import { concatMap, delay, map, merge, of, takeUntil, tap, throwError, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ackAfterBatch, consume, type Delivery } from 'rx-amqp';
import { fakeChannel, type FakeChannel } from 'rx-amqp/testing';

interface Arrival {
  gap: number;
  channel: 0 | 1;
}
interface Outcome {
  kind: 'ok' | 'error' | 'throw';
  frames: number;
}
interface Scenario {
  arrivals: Arrival[];
  outcomes: Outcome[];
  size: number;
  time: number;
  concurrency: number;
  end: { kind: 'drain' | 'unsubscribe'; at: number };
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  arrivals: fc.array(fc.record({ gap: fc.integer({ min: 0, max: 4 }), channel: fc.constantFrom<0 | 1>(0, 1) }), {
    maxLength: 40,
  }),
  outcomes: fc.array(
    fc.record({
      kind: fc.constantFrom<Outcome['kind']>('ok', 'ok', 'error', 'throw'),
      frames: fc.integer({ min: 0, max: 8 }),
    }),
    { minLength: 1, maxLength: 10 },
  ),
  size: fc.integer({ min: 1, max: 6 }),
  time: fc.integer({ min: 1, max: 10 }),
  concurrency: fc.integer({ min: 1, max: 3 }),
  end: fc.record({
    kind: fc.constantFrom<'drain' | 'unsubscribe'>('drain', 'unsubscribe'),
    at: fc.integer({ min: 0, max: 120 }),
  }),
});

/** Key of a delivery: its channel and tag (tags are per channel). */
const key = (channel: number, tag: number) => `${channel}:${tag}`;

interface Observed {
  /** Each batch handed to project, as delivery keys. */
  batches: string[][];
  /** Batches whose project completed (successfully), by index. */
  completed: Set<number>;
  /** Batches whose project failed, by index. */
  failed: Set<number>;
  /** Settled deliveries, in the order the broker saw them: key -> what settled it. */
  settled: Map<string, 'ack' | 'nack'>;
  /** Deliveries the fake broker handed out. */
  delivered: Set<string>;
  violations: string[];
}

function run(s: Scenario): Observed {
  const o: Observed = {
    batches: [],
    completed: new Set(),
    failed: new Set(),
    settled: new Map(),
    delivered: new Set(),
    violations: [],
  };
  const batchOf = new Map<string, number>();
  new TestScheduler(() => undefined).run(() => {
    const arrivalsOn = (c: 0 | 1) => {
      // Arrivals keep their global order: a channel's delivery waits for the sum of all gaps before it.
      let at = 0;
      const times: number[] = [];
      for (const a of s.arrivals) {
        at += a.gap;
        if (a.channel === c) times.push(at);
      }
      return of(...times.map((t, i) => ({ t, prev: i === 0 ? 0 : times[i - 1] }))).pipe(
        concatMap(({ t, prev }) => timer(t - prev)),
        map(() => `on ${c}`),
      );
    };
    const channels: FakeChannel[] = [0, 1].map((c) => fakeChannel({ queues: { q: arrivalsOn(c as 0 | 1) } }));
    // What the broker holds unacked, per channel.
    const outstanding = channels.map(() => new Set<number>());
    channels.forEach((ch, c) => {
      const settle = (tag: number, multiple: boolean, how: 'ack' | 'nack') => {
        const tags = multiple ? [...outstanding[c]].filter((t) => t <= tag) : [tag];
        if (!multiple && !outstanding[c].has(tag))
          o.violations.push(`settle of ${key(c, tag)}, not outstanding (twice?)`);
        for (const t of tags) {
          outstanding[c].delete(t);
          const k = key(c, t);
          const b = batchOf.get(k);
          if (how === 'ack' && (b === undefined || !o.completed.has(b)))
            o.violations.push(`ack of ${k}, whose batch ${b} did not complete`);
          if (o.settled.has(k)) o.violations.push(`${k} settled twice`);
          o.settled.set(k, how);
        }
      };
      ch.methods$.subscribe(({ name, args }) => {
        const tag = args.deliveryTag as number;
        if (name === 'basic.ack') settle(tag, args.multiple as boolean, 'ack');
        else if (name === 'basic.nack') settle(tag, args.multiple as boolean, 'nack');
        else if (name === 'basic.reject') settle(tag, false, 'nack');
      });
    });
    const source = merge(
      ...channels.map((ch, c) =>
        of(ch).pipe(
          consume('q'),
          tap((d) => {
            o.delivered.add(key(c, d.deliveryTag));
            outstanding[c].add(d.deliveryTag);
          }),
        ),
      ),
    );
    const channelOf = (d: Delivery) => channels.indexOf(d.channel as FakeChannel);
    const project = (batch: Delivery[]): Observable<number> => {
      const index = o.batches.length;
      const keys = batch.map((d) => key(channelOf(d), d.deliveryTag));
      o.batches.push(keys);
      for (const k of keys) {
        if (batchOf.has(k)) o.violations.push(`${k} in two batches`);
        batchOf.set(k, index);
      }
      const outcome = s.outcomes[index % s.outcomes.length];
      if (outcome.kind === 'throw') {
        o.failed.add(index);
        throw new Error(`batch ${index} throws`);
      }
      const result = outcome.kind === 'ok' ? of(index) : throwError(() => new Error(`batch ${index} fails`));
      return result.pipe(
        delay(outcome.frames),
        tap({ complete: () => o.completed.add(index), error: () => o.failed.add(index) }),
      );
    };
    const options = { size: s.size, time: s.time, concurrency: s.concurrency };
    if (s.end.kind === 'drain') {
      source.pipe(takeUntil(timer(s.end.at)), ackAfterBatch(project, options)).subscribe();
    } else {
      source.pipe(ackAfterBatch(project, options), takeUntil(timer(s.end.at))).subscribe();
    }
  });
  return o;
}

describe('ackAfterBatch (properties over fake channels)', () => {
  it('acks only deliveries whose batch completed, settles none twice, puts each delivery in exactly one batch; a drain settles everything', () => {
    const seen = { acked: 0, nacked: 0, abandoned: 0, multiChannelBatches: 0 };
    fc.assert(
      fc.property(scenario, (s) => {
        const o = run(s);
        for (const how of o.settled.values()) seen[how === 'ack' ? 'acked' : 'nacked']++;
        seen.abandoned += o.delivered.size - o.settled.size;
        seen.multiChannelBatches += o.batches.filter((b) => new Set(b.map((k) => k[0])).size > 1).length;
        expect(o.violations).toEqual([]);
        // Each delivery handed out is in exactly one batch (drain), or in at most one (unsubscribe).
        const batched = o.batches.flat();
        expect(new Set(batched).size).toBe(batched.length);
        for (const k of batched) expect(o.delivered.has(k)).toBe(true);
        // A completed batch is acked whole; a failed one nacked (default policy) whole.
        o.batches.forEach((keys, i) => {
          for (const k of keys) {
            if (o.completed.has(i)) expect(o.settled.get(k)).toBe('ack');
            else if (o.failed.has(i)) expect(o.settled.get(k)).toBe('nack');
            else expect(o.settled.has(k)).toBe(false); // abandoned by the unsubscribe
          }
        });
        if (s.end.kind === 'drain') {
          expect(batched.sort()).toEqual([...o.delivered].sort());
          expect([...o.settled.keys()].sort()).toEqual([...o.delivered].sort());
        }
      }),
      { numRuns: 300 },
    );
    // The runs did exercise every path.
    expect(seen.acked).toBeGreaterThan(0);
    expect(seen.nacked).toBeGreaterThan(0);
    expect(seen.abandoned).toBeGreaterThan(0);
    expect(seen.multiChannelBatches).toBeGreaterThan(0);
  });
});

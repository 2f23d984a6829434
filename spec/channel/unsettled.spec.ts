import fc from 'fast-check';
import { Unsettled } from '../../lib/channel/unsettled';
import type { DeliveryBase as Delivery } from '../../lib/delivery';

/** A stand-in delivery: Unsettled only reads the tag and marks it settled. */
function fakeDelivery(tag: number): Delivery {
  return { deliveryTag: tag, markSettled: () => undefined } as unknown as Delivery;
}

/** What the broker acks for a plan: `multiple` acks every outstanding tag up to it. */
function brokerAcks(outstanding: Set<number>, plan: { multipleUpTo: number; singles: number[] }): number[] {
  const acked: number[] = [];
  if (plan.multipleUpTo > 0) {
    for (const t of [...outstanding].sort((a, b) => a - b)) {
      if (t > plan.multipleUpTo) break;
      acked.push(t);
      outstanding.delete(t);
    }
  }
  for (const t of plan.singles) {
    if (!outstanding.delete(t)) throw new Error(`ack of unknown or settled tag ${t}`);
    acked.push(t);
  }
  return acked;
}

describe('Unsettled (ack batching)', () => {
  it('coalesces a batch of the oldest deliveries into one multiple ack', () => {
    const u = new Unsettled();
    for (let t = 1; t <= 5; t++) u.add(fakeDelivery(t));
    for (const t of [1, 2, 3]) u.queueAck(t);
    expect(u.takePlan()).toEqual({ multipleUpTo: 3, singles: [] });
    expect(u.size).toBe(2);
  });

  it('acks singly what a multiple ack would overreach', () => {
    const u = new Unsettled();
    for (let t = 1; t <= 5; t++) u.add(fakeDelivery(t));
    for (const t of [2, 4]) u.queueAck(t);
    expect(u.takePlan()).toEqual({ multipleUpTo: 0, singles: [2, 4] });
  });

  it('acks exactly the queued deliveries, never one the application still holds (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.func(fc.boolean()), fc.func(fc.integer()), (n, pick, order) => {
        const u = new Unsettled();
        const outstanding = new Set<number>();
        for (let t = 1; t <= n; t++) {
          u.add(fakeDelivery(t));
          outstanding.add(t);
        }
        const queued = Array.from({ length: n }, (_, i) => i + 1).filter((t) => pick(t));
        const shuffled = [...queued].sort((a, b) => order(a) - order(b) || a - b);
        for (const t of shuffled) u.queueAck(t);
        const plan = u.takePlan();
        if (queued.length === 0) return plan === null;
        const acked = brokerAcks(outstanding, plan!).sort((a, b) => a - b);
        return JSON.stringify(acked) === JSON.stringify(queued) && u.size === n - queued.length;
      }),
    );
  });
});

/** One step against both the Unsettled and a plain model of the outstanding tags. */
type Step =
  | { op: 'deliver'; back: number }
  | { op: 'settle'; pick: number; multiple: boolean }
  | { op: 'batch'; picks: number[] }
  | { op: 'clear' };

// Deliveries outnumber settles, so many stay held while later ones are settled: the slots fill
// with holes and get compacted. `clear` is rare (the channel ended).
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 45,
    arbitrary: fc.record({
      op: fc.constant('deliver' as const),
      back: fc.oneof(
        { weight: 19, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 }) },
      ),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('settle' as const),
      pick: fc.nat(),
      multiple: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({ op: fc.constant('batch' as const), picks: fc.array(fc.nat(), { maxLength: 4 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
);

describe('Unsettled against a model (property)', () => {
  it('tracks exactly the outstanding tags and plans acks of exactly the queued ones, over any interleaving', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 100, maxLength: 600 }), (steps) => {
        const u = new Unsettled();
        const outstanding = new Set<number>();
        const marked = new Set<number>();
        let next = 1;
        let ordered: number[] | null = null;
        const sorted = () => {
          ordered ??= [...outstanding].sort((a, b) => a - b);
          return ordered;
        };
        const tagAt = (pick: number) => {
          const all = sorted();
          // Mostly an outstanding tag; sometimes one that is not (already settled, or never sent).
          return all.length && pick % 8 !== 0 ? all[pick % all.length] : pick % (next + 2);
        };
        for (const s of steps) {
          ordered = null;
          if (s.op === 'deliver') {
            // back > 0: a tag out of order or repeated, as a faulty broker or a fuzzed stream sends
            const tag = Math.max(1, next - s.back);
            if (s.back === 0) next++;
            u.add({ deliveryTag: tag, markSettled: () => marked.add(tag) } as unknown as Delivery);
            outstanding.add(tag);
          } else if (s.op === 'settle') {
            const tag = tagAt(s.pick);
            marked.clear();
            u.settled(tag, s.multiple);
            const expected = s.multiple ? sorted().filter((t) => t <= tag) : [];
            const got = [...marked].sort((a, b) => a - b);
            if (s.multiple && String(got) !== String(expected)) throw new Error(`marked ${got}, expected ${expected}`);
            if (s.multiple) for (const t of expected) outstanding.delete(t);
            else outstanding.delete(tag);
          } else if (s.op === 'batch') {
            const queued = [...new Set(s.picks.map(tagAt))];
            for (const t of queued) u.queueAck(t);
            const plan = u.takePlan();
            if (queued.length === 0) {
              if (plan !== null) throw new Error('a plan without queued acks');
              continue;
            }
            const wanted = queued.filter((t) => outstanding.has(t)).sort((a, b) => a - b);
            const acked = brokerAcks(outstanding, plan!).sort((a, b) => a - b);
            if (String(acked) !== String(wanted)) throw new Error(`acked ${acked}, wanted ${wanted}`);
          } else {
            u.clear();
            outstanding.clear();
          }
          if (u.size !== outstanding.size) throw new Error(`size ${u.size}, outstanding ${outstanding.size}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});

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

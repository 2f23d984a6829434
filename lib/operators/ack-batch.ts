import type { SchedulerLike, Subscription } from 'rxjs';
import type { DeliverySettler } from '../delivery';
import type { Delivery } from '../facades';

/**
 * Collects acks of one pipeline and writes them once per scheduler tick (by default the
 * asap scheduler: the end of the current job), so a burst of deliveries costs one
 * `basic.ack multiple` rather than one frame each. `flush()` writes at once; pipelines call
 * it on teardown so acks always precede the channel's close.
 */
export class AckBatch {
  private readonly settlers = new Set<DeliverySettler>();
  private scheduled: Subscription | null = null;

  constructor(private readonly scheduler: SchedulerLike) {}

  /** Queues `delivery`'s ack; false if it was settled already or its channel is gone. */
  ack(delivery: Delivery): boolean {
    if (!delivery.ackLater()) return false;
    this.settlers.add(delivery.settler);
    this.scheduled ??= this.scheduler.schedule(() => {
      this.scheduled = null;
      this.flush();
    });
    return true;
  }

  /** Writes every queued ack now. */
  flush(): void {
    this.scheduled?.unsubscribe();
    this.scheduled = null;
    for (const s of this.settlers) s.flushAcks();
    this.settlers.clear();
  }
}

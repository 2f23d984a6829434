import { ChannelCore } from '../channel/channel-core';
import type { DeliverySettler } from '../delivery';
import { NotOpenError } from '../channel/errors';

/**
 * The AbortControllers of the handlers in flight in one `ackAfter`/`ackAfterBatch`, grouped
 * by channel, so that losing a channel aborts the signals of its deliveries (the broker has
 * requeued them: their work will be done again). One `closed` watch per channel, not per
 * delivery.
 */
export class HandlerSignals {
  private readonly byChannel = new Map<DeliverySettler, Set<AbortController>>();

  /**
   * A controller for a handler of a delivery of `channel` (its settler), aborted if that
   * channel is lost. Standalone deliveries (the testing kit's) have no channel to lose.
   */
  open(channel: DeliverySettler): AbortController {
    const controller = new AbortController();
    this.watch(channel, controller);
    return controller;
  }

  /** Aborts `controller` if `channel` is lost (until {@link close}). */
  watch(channel: DeliverySettler, controller: AbortController): void {
    let set = this.byChannel.get(channel);
    if (set === undefined) {
      const created = new Set<AbortController>();
      set = created;
      this.byChannel.set(channel, created);
      if (channel instanceof ChannelCore) {
        void channel.closed.then((error) => {
          if (this.byChannel.get(channel) !== created) return;
          this.byChannel.delete(channel);
          const reason = new NotOpenError(`channel ${channel.id} was lost while its delivery was being handled`, {
            cause: error,
          });
          for (const c of created) c.abort(reason);
        });
      }
    }
    set.add(controller);
  }

  /** The handler of `controller` ended: its channel's loss no longer concerns it. */
  close(channel: DeliverySettler, controller: AbortController): void {
    this.byChannel.get(channel)?.delete(controller);
  }

  /** Forgets every channel (teardown). */
  clear(): void {
    this.byChannel.clear();
  }
}

import type { ChannelInternals } from '../channel/internal';
import { NotOpenError } from '../channel/errors';

/**
 * The AbortControllers of the handlers in flight in one `ackAfter`/`ackAfterBatch`, grouped
 * by channel, so that losing a channel aborts the signals of its deliveries (the broker has
 * requeued them: their work will be done again). One `closed` watch per channel, not per
 * delivery. Channels are named by their internals (`internalsOf(delivery)`); a standalone
 * test delivery (undefined) has no channel to lose, and nothing is tracked for it.
 */
export class HandlerSignals {
  private readonly byChannel = new Map<ChannelInternals, Set<AbortController>>();

  /** A controller for a handler of a delivery of `channel`, aborted if that channel is lost. */
  open(channel: ChannelInternals | undefined): AbortController {
    const controller = new AbortController();
    this.watch(channel, controller);
    return controller;
  }

  /** Aborts `controller` if `channel` is lost (until {@link close}). */
  watch(channel: ChannelInternals | undefined, controller: AbortController): void {
    if (channel === undefined) return;
    let set = this.byChannel.get(channel);
    if (set === undefined) {
      const created = new Set<AbortController>();
      set = created;
      this.byChannel.set(channel, created);
      void channel.closed.then((error) => {
        if (this.byChannel.get(channel) !== created) return;
        this.byChannel.delete(channel);
        const reason = new NotOpenError(`channel ${channel.id} was lost while its delivery was being handled`, {
          cause: error,
        });
        for (const c of created) c.abort(reason);
      });
    }
    set.add(controller);
  }

  /** The handler of `controller` ended: its channel's loss no longer concerns it. */
  close(channel: ChannelInternals | undefined, controller: AbortController): void {
    if (channel !== undefined) this.byChannel.get(channel)?.delete(controller);
  }

  /** Forgets every channel (teardown). */
  clear(): void {
    this.byChannel.clear();
  }
}

import { merge, type Observable } from 'rxjs';
import type { Channel } from '../facades';
import type { ChannelCore } from '../channel/channel-core';
import type { ConfirmWaiter } from '../channel/confirm-tracker';
import type { Message } from '../message';

export type { ConfirmWaiter } from '../channel/confirm-tracker';

/**
 * What `publishTo` needs of a channel beyond its public API: the one place the operator
 * reaches into the channel's internals. Everything else it uses (`id`, `isOpen`,
 * `confirmMode`, `closed`, `confirmSelect()`) is public on {@link Channel}.
 */
export interface PublishPort {
  /**
   * Whether a publish may be written now: the channel is open, the socket's buffer has room
   * (`writable$`), the broker does not block the connection (`connection.blocked`) and the
   * channel's flow is on (`channel.flow`). Read once per burst of publishes.
   */
  readonly canPublish: boolean;
  /** Whether the socket's buffer still has room: a burst stops as soon as one publish fills it. */
  readonly writable: boolean;
  /**
   * Emits once on subscribe and again whenever {@link canPublish} may have changed (the socket
   * drained or filled, the connection was blocked or unblocked, the flow turned).
   */
  readonly changes$: Observable<unknown>;
  /**
   * Writes `basic.publish`, the content header and the body frames into the output buffer (not
   * immediate). Returns the publish's confirm sequence number in confirm mode, else 0. Throws
   * when the channel is not open or the message cannot be encoded; nothing is written then.
   */
  publish(message: Message, exchange: string, routingKey: string, mandatory: boolean): number;
  /** Reports the broker's answer for confirm sequence `sequence` (from {@link publish}) to `waiter`. */
  watch(sequence: number, waiter: ConfirmWaiter): void;
  /** Hands everything written so far to the socket now, not at the end of the tick. */
  flush(): void;
}

/** The {@link PublishPort} of `channel`. */
export function publishPort(channel: Channel): PublishPort {
  return new CorePublishPort(channel.core);
}

/** A {@link PublishPort} over the channel's protocol state machine. */
class CorePublishPort implements PublishPort {
  readonly changes$: Observable<unknown>;

  constructor(private readonly core: ChannelCore) {
    this.changes$ = merge(core.host.writable$, core.host.blocked$, core.flow$);
  }

  get canPublish(): boolean {
    const core = this.core;
    const host = core.host;
    return core.state === 'open' && host.writable$.value && !host.blocked$.value && core.flow$.value;
  }

  get writable(): boolean {
    return this.core.host.writable$.value;
  }

  publish(message: Message, exchange: string, routingKey: string, mandatory: boolean): number {
    return this.core.publish(message, exchange, routingKey, mandatory, false);
  }

  watch(sequence: number, waiter: ConfirmWaiter): void {
    this.core.confirms.watch(sequence, waiter);
  }

  flush(): void {
    this.core.host.out.flush();
  }
}

import type { Subscription } from 'rxjs';
import type { MethodDef } from '../protocol/definitions';
import type { ArgsOf } from '../protocol/dispatch';
import { UnexpectedFrameError } from '../protocol/errors';
import { Reply } from '../protocol/generated/constants';
import { writeMethodFrame } from '../protocol/method-codec';
import type { ChannelHost } from './channel-host';
import type { ChannelState } from './channel-state';
import type { ConfirmTracker } from './confirm-tracker';
import { ChannelClosedError } from './errors';

/** What the close handshakes need of their channel (implemented by `ChannelCore`). */
export interface ClosingChannel {
  readonly id: number;
  readonly host: ChannelHost;
  readonly state: ChannelState;
  /** True once the channel is finished (`closed`). */
  readonly isGone: boolean;
  readonly confirms: ConfirmTracker;
  /** Resolves with the reason the channel finished. */
  readonly closed: Promise<Error | undefined>;
  def(name: string): MethodDef;
  /** The final transition to `closed`. */
  finish(error: Error | undefined): void;
}

/**
 * The two ways a channel.close handshake runs: the client's (`close()`: wait for outstanding
 * confirms, channel.close, wait for close-ok, bounded by the connection's `closeTimeout`) and
 * the server's (channel.close received: answer close-ok, finish with its reason).
 */
export class CloseHandshake {
  /** What `close()` returned, once the client close began. */
  private promise: Promise<void> | null = null;
  /** channel.close went out. */
  private sent = false;
  /** Ends a close the server does not answer (closeTimeout). */
  private timer: Subscription | null = null;
  /** Set when the close timed out: the number is quarantined rather than released. */
  private expired = false;

  constructor(private readonly channel: ClosingChannel) {}

  /** The promise of the client close under way, if one began. */
  get pending(): Promise<void> | null {
    return this.promise;
  }

  /** Whether the client close timed out (the channel's number must then be quarantined). */
  get timedOut(): boolean {
    return this.expired;
  }

  /**
   * Begins the client close of a channel now `closing`: channel.close goes at once (in the same
   * tick as the `close()` call) when it was still opening or no confirm is outstanding, else
   * once the confirms are in. Resolves when the channel is finished, whoever finished it.
   *
   * Bounded by the connection's `closeTimeout`: when confirms or close-ok do not come in
   * time, the channel is finished as a client close (the Promise resolves, as
   * `connection.close()` does after its own timeout; consumers and side streams complete;
   * unconfirmed publishes fail with NotOpenError), channel.close is sent if it was not yet,
   * and the number is quarantined (see {@link ChannelHost.quarantine}): the server may still
   * consider the channel open, so a new channel on that number could receive its frames.
   */
  begin(wasOpening: boolean): Promise<void> {
    const ch = this.channel;
    this.timer = ch.host.scheduler.schedule(() => this.onTimeout(), ch.host.closeTimeout);
    if (wasOpening || ch.confirms.outstanding === 0) {
      this.send();
      this.promise = ch.closed.then(noop);
    } else {
      this.promise = (async () => {
        await ch.confirms.drained(ch.closed);
        this.send();
        await ch.closed;
      })();
    }
    return this.promise;
  }

  /** The server's channel.close: answers close-ok and finishes the channel with its reason. */
  serverClosed(reason: ArgsOf<'channel.close'>): void {
    const ch = this.channel;
    const error = new ChannelClosedError(ch.id, reason);
    writeMethodFrame(ch.host.out, ch.id, ch.def('channel.close-ok'), {});
    ch.host.out.commit();
    ch.finish(error);
  }

  /** channel.close-ok: the end of the client close. */
  closeOk(): void {
    const ch = this.channel;
    // While opening, it answers the channel.close of the previous channel with this number,
    // which crossed the server's own channel.close (that one already freed the number).
    if (ch.state === 'opening') return;
    if (ch.state !== 'closing')
      throw new UnexpectedFrameError(`channel.close-ok on channel ${ch.id}, which was not closing`);
    ch.finish(undefined);
  }

  /** The channel finished: no close timeout any more. */
  stopTimer(): void {
    this.timer?.unsubscribe();
    this.timer = null;
  }

  /** Writes channel.close once (it may go while a synchronous method is outstanding). */
  private send(): void {
    const ch = this.channel;
    if (this.sent || ch.isGone) return;
    this.sent = true;
    try {
      writeMethodFrame(ch.host.out, ch.id, ch.def('channel.close'), {
        replyCode: Reply.SUCCESS,
        replyText: 'Goodbye',
        classId: 0,
        methodId: 0,
      });
      ch.host.out.commit();
    } catch (e) {
      ch.finish(e as Error);
    }
  }

  private onTimeout(): void {
    this.timer = null;
    const ch = this.channel;
    if (ch.state !== 'closing') return;
    // Still waiting for confirms: tell the server anyway, so that it frees the channel.
    this.send();
    if (ch.isGone) return;
    this.expired = true;
    ch.finish(undefined);
  }
}

function noop(): void {
  return undefined;
}

import type { ChannelCore } from '../channel/channel-core';
import { AmqpError, ReplyCode } from '../protocol/errors';

/**
 * A connection's channel numbers: the open channels by number (the table every incoming
 * frame is routed by), and the quarantined numbers. A number is quarantined when its channel
 * finished without the server's close-ok (its close timed out): the server may still think it
 * open, so it is not reused until a late close-ok (or the server's own channel.close) arrives
 * for it (see `stray-frames.ts`), or the connection ends.
 */
export class ChannelNumbers {
  /** The open (or opening, or closing) channels by number. */
  readonly open = new Map<number, ChannelCore>();
  /** Numbers whose close the server has not confirmed. */
  readonly quarantined = new Set<number>();

  /**
   * The number for a new channel: `id` when it is free and within 1..`channelMax`, or the lowest
   * free number when `id` is undefined. Throws an {@link AmqpError} (504, or 506 when every
   * number is taken) otherwise.
   */
  take(id: number | undefined, channelMax: number): number {
    if (id === undefined) return this.lowestFree(channelMax);
    if (!Number.isInteger(id) || id < 1 || id > channelMax) {
      throw new AmqpError(
        `channel number ${id} is outside 1..${channelMax} (the negotiated channel_max)`,
        ReplyCode.CHANNEL_ERROR,
      );
    }
    if (this.open.has(id)) throw new AmqpError(`channel ${id} is already open`, ReplyCode.CHANNEL_ERROR);
    if (this.quarantined.has(id)) {
      throw new AmqpError(
        `channel ${id} cannot be reused yet: the server has not confirmed its close (close-ok) within closeTimeout`,
        ReplyCode.CHANNEL_ERROR,
      );
    }
    return id;
  }

  /** The channel numbered `id` finished: the number is free again. */
  release(id: number): void {
    this.open.delete(id);
  }

  /** The channel numbered `id` finished without the server's close-ok: see {@link quarantined}. */
  quarantine(id: number): void {
    this.open.delete(id);
    this.quarantined.add(id);
  }

  /** The server confirmed the close of quarantined number `id`: it may be reused. */
  confirmClosed(id: number): void {
    this.quarantined.delete(id);
  }

  /** The connection ended: no number is taken any more. */
  clear(): void {
    this.open.clear();
    this.quarantined.clear();
  }

  private lowestFree(channelMax: number): number {
    for (let id = 1; id <= channelMax; id++) if (!this.open.has(id) && !this.quarantined.has(id)) return id;
    throw new AmqpError(`all ${channelMax} channels are in use (the negotiated channel_max)`, ReplyCode.RESOURCE_ERROR);
  }
}

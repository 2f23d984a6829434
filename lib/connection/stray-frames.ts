import type { FrameOutput } from '../channel/channel-host';
import { AmqpError, FrameError, ReplyCode, UnexpectedFrameError } from '../protocol/errors';
import { FrameType } from '../protocol/frame';
import { writeMethodFrame } from '../protocol/method-codec';
import type { MethodTable } from '../protocol/method-table';
import type { ChannelNumbers } from './channel-numbers';

/** The ids of channel.close and channel.close-ok (the same in 0-8 and 0-9-1). */
const enum ChannelMethodId {
  CLASS = 20,
  CLOSE = 40,
  CLOSE_OK = 41,
}

/** What the handling of a stray frame needs from its connection. */
export interface StrayFrameContext {
  /** Where the close-ok answering a quarantined channel's channel.close goes. */
  readonly out: FrameOutput;
  readonly table: MethodTable;
  readonly numbers: ChannelNumbers;
}

/**
 * A frame, its payload being `buf[start..end)`, on channel `channel` (not 0) that no open
 * channel takes: during the handshake, or for a number that is not open. An error ends the
 * connection, except for what closing channels leave behind: a close-ok whose close handshake
 * crossed ours, and the frames of a quarantined number.
 */
export function onStrayFrame(
  ctx: StrayFrameContext,
  duringHandshake: boolean,
  type: number,
  channel: number,
  buf: Buffer,
  start: number,
  end: number,
): void {
  if (type === FrameType.HEARTBEAT) throw new FrameError(`heartbeat frame on channel ${channel}`);
  if (duringHandshake) throw new UnexpectedFrameError(`frame on channel ${channel} during the handshake`);
  if (ctx.numbers.quarantined.has(channel)) return onQuarantinedFrame(ctx, type, channel, buf.subarray(start, end));
  if (type === FrameType.METHOD && isChannelMethod(buf.subarray(start, end), ChannelMethodId.CLOSE_OK)) return;
  throw new AmqpError(`frame for channel ${channel}, which is not open`, ReplyCode.CHANNEL_ERROR);
}

/**
 * A frame for a channel whose close timed out. What the server sent before it read our
 * channel.close is dropped; its late close-ok frees the number, and so does its own
 * channel.close (answered with close-ok; a close-ok of ours crossing it is then tolerated
 * by whichever channel reuses the number, as for any crossed close).
 */
function onQuarantinedFrame(ctx: StrayFrameContext, type: number, channel: number, payload: Buffer): void {
  if (type !== FrameType.METHOD) return;
  if (isChannelMethod(payload, ChannelMethodId.CLOSE_OK)) {
    ctx.numbers.confirmClosed(channel);
  } else if (isChannelMethod(payload, ChannelMethodId.CLOSE)) {
    writeMethodFrame(ctx.out, channel, ctx.table.named('channel.close-ok'), {});
    ctx.out.commit();
    ctx.numbers.confirmClosed(channel);
  }
}

/** Whether a method frame's payload is channel method `methodId`. */
function isChannelMethod(payload: Buffer, methodId: ChannelMethodId): boolean {
  return (
    payload.length >= 4 && payload.readUInt16BE(0) === ChannelMethodId.CLASS && payload.readUInt16BE(2) === methodId
  );
}

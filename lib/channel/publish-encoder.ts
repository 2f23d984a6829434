import type { MethodDef, PropertiesDef } from '../protocol/definitions';
import { FrameConstant, FrameKind } from '../protocol/generated/constants';
import { writeBodyFrames, writeHeaderFrame, writeMethodFrame } from '../protocol/method-codec';
import type { Message, MessageProperties } from '../message';
import type { ChannelHost, FrameOutput } from './channel-host';
import { checkFrameSize } from './frame-size';

/** basic.publish frames up to this size are kept for the next publish (longer names are rare). */
const CACHED_FRAME_MAX = 600;

/**
 * Encodes the frames of one publish into the connection's output buffer: the basic.publish
 * method frame, the content header and the body frames, split to the negotiated frame size.
 * This is the publish hot path, so the method frame of the last publish is kept and copied
 * when the next one repeats its ticket, exchange, routing key and flags (a publisher usually
 * does), and a message without properties gets a fixed header written byte by byte.
 */
export class PublishEncoder {
  // the last basic.publish method frame written, with what it was made from
  private frame: Buffer | null = null;
  private exchange = '';
  private routingKey = '';
  private mandatory = false;
  private immediate = false;
  private ticket = 0;

  constructor(
    private readonly id: number,
    private readonly host: ChannelHost,
    private readonly publishDef: MethodDef,
    private readonly basicProps: PropertiesDef,
  ) {}

  /**
   * Writes basic.publish + header + body frames for one message, contiguously, and commits
   * them. Throws EncodeError (nothing written) for properties that cannot be encoded or do not
   * fit in one frame.
   */
  write(
    message: Message,
    exchange: string,
    routingKey: string,
    mandatory: boolean,
    immediate: boolean,
    ticket: number,
  ): void {
    const out = this.host.out;
    const start = out.pos;
    const body = message.body;
    try {
      this.writeMethod(out, exchange, routingKey, mandatory, immediate, ticket);
      const header = out.pos;
      if (hasNoProperties(message.properties)) writeBareHeaderFrame(out, this.id, body.length);
      else writeHeaderFrame(out, this.id, this.basicProps, body.length, message.properties);
      checkFrameSize(out, header, this.host.sendFrameMax, 'content header');
    } catch (e) {
      out.pos = start;
      throw e;
    }
    if (body.length > 0) writeBodyFrames(out, this.id, body, this.host.sendFrameMax);
    out.commit();
  }

  /**
   * The basic.publish method frame. Its bytes depend only on the ticket, exchange, routing key
   * and flags, and a publisher usually repeats them, so the last frame is kept and copied.
   */
  private writeMethod(
    out: FrameOutput,
    exchange: string,
    routingKey: string,
    mandatory: boolean,
    immediate: boolean,
    ticket: number,
  ): void {
    const cached = this.frame;
    if (
      cached !== null &&
      exchange === this.exchange &&
      routingKey === this.routingKey &&
      mandatory === this.mandatory &&
      immediate === this.immediate &&
      ticket === this.ticket
    ) {
      out.ensure(cached.length);
      cached.copy(out.buf, out.pos);
      out.pos += cached.length;
      return;
    }
    const start = out.pos;
    writeMethodFrame(out, this.id, this.publishDef, { ticket, exchange, routingKey, mandatory, immediate });
    if (out.pos - start <= CACHED_FRAME_MAX) {
      this.frame = Buffer.from(out.buf.subarray(start, out.pos));
      this.exchange = exchange;
      this.routingKey = routingKey;
      this.mandatory = mandatory;
      this.immediate = immediate;
      this.ticket = ticket;
    }
  }
}

/** Whether a message has no content properties to encode. */
function hasNoProperties(p: MessageProperties): boolean {
  for (const key in p) if ((p as Record<string, unknown>)[key] !== undefined) return false;
  return true;
}

/** A content header frame for class basic with no properties: 14 payload bytes, size the only variable. */
function writeBareHeaderFrame(out: FrameOutput, channel: number, bodySize: number): void {
  out.ensure(22);
  const b = out.buf;
  const p = out.pos;
  b[p] = FrameKind.HEADER;
  b[p + 1] = channel >>> 8;
  b[p + 2] = channel & 0xff;
  b.writeUInt32BE(14, p + 3);
  b.writeUInt32BE(0x003c0000, p + 7); // class 60, weight 0
  b.writeUInt32BE(Math.floor(bodySize / 0x100000000), p + 11);
  b.writeUInt32BE(bodySize >>> 0, p + 15);
  b[p + 19] = 0; // no property flags
  b[p + 20] = 0;
  b[p + 21] = FrameConstant.END;
  out.pos = p + 22;
}

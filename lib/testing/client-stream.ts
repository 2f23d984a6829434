/**
 * What one connection's client writes to the fake server, parsed: the 8-byte protocol header,
 * then frames, and content methods (`basic.publish`) reassembled from their header and body
 * frames into one {@link ReceivedMethod}.
 */
import { decodeContentHeader } from '../protocol/content-header';
import { FRAME_MAX_CEILING, FrameParser, FrameType, type Frame } from '../protocol/frame';
import { decodeMethod } from '../protocol/method-codec';
import { methodTable } from '../protocol/method-table';
import type { Protocol } from '../protocol/protocol-version';
import type { ReceivedMethod } from './fake-server-types';

/** Where a {@link ClientStream} reports what it parsed. */
export interface ClientStreamEvents {
  /** The client's 8-byte protocol header, once complete. */
  header(header: Buffer): void;
  /** Every frame, heartbeats included, its payload copied. */
  frame(frame: Frame): void;
  /** Every method, a content method once its body is complete. */
  method(method: ReceivedMethod): void;
  /** The bytes did not parse (or a reaction to them threw): the rest of the stream is ignored. */
  broken(error: Error): void;
}

/** A content method waiting for its header and body. */
interface PendingContent {
  method: ReceivedMethod;
  size: number;
  parts: Buffer[];
  received: number;
  headerSeen: boolean;
}

/** The parser of one connection's client bytes (see the file's documentation). */
export class ClientStream {
  private header = Buffer.alloc(0);
  // Until tune-ok agrees on a frame_max, any frame size is accepted from the client.
  private readonly parser = new FrameParser({ frameMax: FRAME_MAX_CEILING });
  /** Set once the client's bytes failed to parse: the rest is ignored. */
  private broken = false;
  private content: PendingContent | null = null;

  constructor(
    private readonly protocol: Protocol,
    private readonly events: ClientStreamEvents,
  ) {}

  /** The largest frame accepted from now on (the frame_max agreed in tune-ok; 0 means no limit). */
  set frameMax(frameMax: number) {
    this.parser.frameMax = frameMax === 0 ? FRAME_MAX_CEILING : frameMax;
  }

  /** Parses a chunk the client wrote; what it completes is reported synchronously. */
  push(chunk: Buffer): void {
    if (this.broken) return;
    try {
      if (this.header.length < 8) {
        const need = 8 - this.header.length;
        this.header = Buffer.concat([this.header, chunk.subarray(0, need)]);
        chunk = chunk.subarray(need);
        if (this.header.length < 8) return;
        this.events.header(this.header);
      }
      if (chunk.length > 0) this.parser.push(chunk, (frame) => this.onFrame(frame));
    } catch (e) {
      this.broken = true;
      this.events.broken(e as Error);
    }
  }

  private onFrame(raw: Frame): void {
    const frame: Frame = { type: raw.type, channel: raw.channel, payload: Buffer.from(raw.payload) };
    this.events.frame(frame);
    const payload = frame.payload as Buffer;
    if (frame.type === FrameType.HEARTBEAT) return;
    if (this.content && frame.channel === this.content.method.channel && frame.type !== FrameType.METHOD) {
      return this.onContentFrame(frame.type, payload);
    }
    if (frame.type !== FrameType.METHOD)
      throw new Error(`fake server: unexpected frame type ${frame.type} on channel ${frame.channel}`);
    if (this.content && frame.channel === this.content.method.channel)
      throw new Error(`fake server: method frame on channel ${frame.channel} in the middle of content`);
    const m = decodeMethod(payload, this.protocol);
    const method = {
      channel: frame.channel,
      classId: m.classId,
      methodId: m.methodId,
      name: m.name,
      args: m.args,
    } as ReceivedMethod;
    if (methodTable(this.protocol).lookup(m.classId, m.methodId).content) {
      this.content = { method, size: 0, parts: [], received: 0, headerSeen: false };
      return;
    }
    this.events.method(method);
  }

  private onContentFrame(type: number, payload: Buffer): void {
    const c = this.content!;
    if (type === FrameType.HEADER) {
      if (c.headerSeen) throw new Error('fake server: second content header');
      const h = decodeContentHeader(payload, this.protocol);
      c.headerSeen = true;
      c.size = h.bodySize;
      c.method.properties = h.properties;
    } else if (type === FrameType.BODY) {
      if (!c.headerSeen) throw new Error('fake server: body frame before the content header');
      c.parts.push(payload);
      c.received += payload.length;
      if (c.received > c.size) throw new Error(`fake server: ${c.received} body bytes, ${c.size} announced`);
    } else {
      throw new Error(`fake server: frame type ${type} in the middle of content`);
    }
    if (c.received === c.size) {
      this.content = null;
      c.method.body = Buffer.concat(c.parts, c.size);
      this.events.method(c.method);
    }
  }
}

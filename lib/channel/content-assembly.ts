import type { MethodDef, PropertiesDef } from '../protocol/definitions';
import { FrameError, FrameSyntaxError, UnexpectedFrameError } from '../protocol/errors';
import { decodeArgs } from '../protocol/method-codec';
import { Reader } from '../protocol/reader';
import type { MessageProperties } from '../message';
import type { ChannelHost } from './channel-host';
import { DeliverArgs } from './deliver-args';
import { MessageTooLargeError } from './errors';

/** Where the assembler hands what it received (the channel's method dispatch). */
export interface ContentSink {
  /** A method without content. */
  onMethod(def: MethodDef, args: Record<string, unknown>): void;
  /** A basic.deliver and its content; `args` is reused for the next delivery. */
  onDeliver(args: DeliverArgs, body: Buffer, properties: MessageProperties): void;
  /** A basic.get-ok and its content. */
  onGetOk(args: Record<string, unknown>, body: Buffer, properties: MessageProperties): void;
  /** A basic.return and its content. */
  onReturn(args: Record<string, unknown>, body: Buffer, properties: MessageProperties): void;
}

const EMPTY_BODY = Buffer.alloc(0);

/** The frame the channel expects next. */
const enum Expect {
  Method,
  Header,
  Body,
}

/** The content method whose content is being received. */
const enum ContentOf {
  Deliver,
  GetOk,
  Return,
}

/**
 * Content assembly of one channel: a content method (basic.deliver, basic.get-ok or
 * basic.return), then its content header (body size, properties), then body frames until the
 * body is complete, make one message; any other method frame is a method on its own. This is
 * the consume hot path: basic.deliver is decoded in place ({@link DeliverArgs}), a body that
 * comes in one frame is a view of the frame's bytes (no copy), and a body over `maxBodySize`
 * ends the connection with `MessageTooLargeError` before anything is buffered.
 */
export class ContentAssembler {
  private expect = Expect.Method;
  private contentOf = ContentOf.Deliver;
  /** The arguments of the basic.get-ok or basic.return being received. */
  private args: Record<string, unknown> | null = null;
  private readonly deliver = new DeliverArgs();
  private properties: MessageProperties = {};
  private bodySize = 0;
  private bodyReceived = 0;
  private bodyParts: Buffer[] = [];
  private readonly reader: Reader;
  private readonly basicProps: PropertiesDef;
  /** Property flag bits that name no property of class basic (bit 0 would announce more flags). */
  private readonly unknownFlags: number;

  constructor(
    private readonly id: number,
    private readonly host: ChannelHost,
    private readonly sink: ContentSink,
  ) {
    this.basicProps = host.table.properties.get(60)!;
    this.unknownFlags = ~(0xffff << (16 - this.basicProps.names.length)) & 0xffff;
    this.reader = new Reader(EMPTY_BODY, 0, 0, host.protocol);
  }

  /** A method frame whose payload is `buf[start..end)`. */
  onMethodFrame(buf: Buffer, start: number, end: number): void {
    if (this.expect !== Expect.Method) {
      throw new UnexpectedFrameError(`method frame on channel ${this.id} while content was being received`);
    }
    if (end - start < 4) throw new FrameSyntaxError('method frame shorter than its class and method ids');
    const classId = (buf[start] << 8) | buf[start + 1];
    const methodId = (buf[start + 2] << 8) | buf[start + 3];
    if (classId === 60 && methodId === 60) {
      this.deliver.read(this.reader.reset(buf, start + 4, end), end);
      this.contentOf = ContentOf.Deliver;
      this.expect = Expect.Header;
      return;
    }
    const def = this.host.table.lookup(classId, methodId);
    const args = decodeArgs(def, buf, start + 4, end, this.host.protocol) as Record<string, unknown>;
    if (!def.content) return this.sink.onMethod(def, args);
    if (def.name === 'basic.get-ok') this.contentOf = ContentOf.GetOk;
    else if (def.name === 'basic.return') this.contentOf = ContentOf.Return;
    else throw new UnexpectedFrameError(`${def.name} is not expected from a server`);
    this.args = args;
    this.expect = Expect.Header;
  }

  /**
   * A content header frame: class, weight, body size, property flags, properties. The format
   * and checks of `decodeContentHeader` (lib/protocol/content-header.ts), which the fake server
   * and the public codec use, specialised for the consume path: one Reader reused, class basic
   * only, the body size checked against `maxBodySize` before anything is buffered, no property
   * decoding when no flag is set, no result object. The unknown-flags mask is the same, computed
   * once here rather than per call.
   */
  onHeader(buf: Buffer, start: number, end: number): void {
    if (this.expect !== Expect.Header)
      throw new UnexpectedFrameError(`content header on channel ${this.id} without a content method`);
    const r = this.reader.reset(buf, start, end);
    const classId = r.short();
    if (classId !== 60) throw new FrameSyntaxError(`content header for class ${classId}, expected 60 (basic)`);
    r.short();
    const size = r.longlong();
    if (typeof size !== 'number' || size > this.host.maxBodySize) {
      throw new MessageTooLargeError(size, this.host.maxBodySize);
    }
    const flags = r.short();
    if ((flags & this.unknownFlags) !== 0)
      throw new FrameSyntaxError(`content header flags 0x${flags.toString(16)} name unknown properties`);
    this.properties = flags === 0 ? {} : (this.basicProps.decode(r, flags) as MessageProperties);
    if (r.pos !== end) throw new FrameSyntaxError('bytes after the content properties');
    this.bodySize = size;
    if (size === 0) return this.contentDone(EMPTY_BODY);
    this.bodyReceived = 0;
    this.expect = Expect.Body;
  }

  /** A body frame: the body in one frame is passed on as a view; parts are concatenated. */
  onBody(buf: Buffer, start: number, end: number): void {
    if (this.expect !== Expect.Body)
      throw new UnexpectedFrameError(`body frame on channel ${this.id} before a content header`);
    const received = this.bodyReceived + (end - start);
    if (received > this.bodySize) {
      throw new FrameError(`body of ${received}+ bytes on channel ${this.id} exceeds the ${this.bodySize} declared`);
    }
    if (received === this.bodySize && this.bodyReceived === 0) return this.contentDone(buf.subarray(start, end));
    this.bodyParts.push(buf.subarray(start, end));
    this.bodyReceived = received;
    if (received === this.bodySize) {
      const body = Buffer.concat(this.bodyParts, received);
      this.bodyParts = [];
      this.contentDone(body);
    }
  }

  /** Forgets a content half received (the channel finished). */
  reset(): void {
    this.expect = Expect.Method;
    this.bodyParts = [];
  }

  private contentDone(body: Buffer): void {
    this.expect = Expect.Method;
    const properties = this.properties;
    if (this.contentOf === ContentOf.Deliver) return this.sink.onDeliver(this.deliver, body, properties);
    const args = this.args!;
    this.args = null;
    if (this.contentOf === ContentOf.GetOk) this.sink.onGetOk(args, body, properties);
    else this.sink.onReturn(args, body, properties);
  }
}

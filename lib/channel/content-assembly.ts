import type { PropertiesDef } from '../protocol/definitions';
import { decodeMethodAt, type AnyMethod, type ArgsOf } from '../protocol/dispatch';
import { FrameError, FrameSyntaxError, UnexpectedFrameError } from '../protocol/errors';
import { Reader } from '../protocol/reader';
import type { MessageProperties } from '../message';
import type { ChannelHost } from './channel-host';
import { DeliverArgs } from './deliver-args';
import { MessageTooLargeError } from './errors';

/** Where the assembler hands what it received (the channel's method dispatch). */
export interface ContentSink {
  /** A method without content, discriminated by its name. */
  onMethod(method: AnyMethod): void;
  /** A basic.deliver and its content; `args` is reused for the next delivery. */
  onDeliver(args: DeliverArgs, body: Buffer, properties: MessageProperties): void;
  /** A basic.get-ok and its content. */
  onGetOk(args: ArgsOf<'basic.get-ok'>, body: Buffer, properties: MessageProperties): void;
  /** A basic.return and its content. */
  onReturn(args: ArgsOf<'basic.return'>, body: Buffer, properties: MessageProperties): void;
}

/** The content methods other than basic.deliver, with their decoded arguments. */
type GetOkOrReturn = Extract<AnyMethod, { name: 'basic.get-ok' | 'basic.return' }>;

const EMPTY_BODY = Buffer.alloc(0);

/** The id of class basic (the same in 0-8 and 0-9-1). */
const BASIC_CLASS_ID = 60;
/** The method id of basic.deliver in class basic. */
const BASIC_DELIVER_ID = 60;

/** The frame the channel expects next. */
const enum Expect {
  Method,
  Header,
  Body,
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
  /** The basic.get-ok or basic.return whose content is being received; null: a basic.deliver. */
  private method: GetOkOrReturn | null = null;
  /** The arguments of the basic.deliver whose content is being received. */
  private readonly deliver = new DeliverArgs();
  private properties: MessageProperties = {};
  private bodySize = 0;
  private bodyReceived = 0;
  private bodyParts: Buffer[] = [];
  private readonly reader: Reader;
  private readonly basicProps: PropertiesDef<MessageProperties>;
  /** Property flag bits that name no property of class basic (bit 0 would announce more flags). */
  private readonly unknownFlags: number;

  constructor(
    private readonly id: number,
    private readonly host: ChannelHost,
    private readonly sink: ContentSink,
  ) {
    this.basicProps = host.table.basicProperties;
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
    if (classId === BASIC_CLASS_ID && methodId === BASIC_DELIVER_ID) {
      this.deliver.read(this.reader.reset(buf, start + 4, end), end);
      this.method = null;
      this.expect = Expect.Header;
      return;
    }
    const def = this.host.table.lookup(classId, methodId);
    const m = decodeMethodAt(def, buf, start + 4, end, this.host.protocol);
    if (!def.content) return this.sink.onMethod(m);
    if (m.name !== 'basic.get-ok' && m.name !== 'basic.return') {
      throw new UnexpectedFrameError(`${m.name} is not expected from a server`);
    }
    this.method = m;
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
    if (classId !== BASIC_CLASS_ID)
      throw new FrameSyntaxError(`content header for class ${classId}, expected 60 (basic)`);
    r.short();
    const size = r.longlong();
    if (typeof size !== 'number' || size > this.host.maxBodySize) {
      throw new MessageTooLargeError(size, this.host.maxBodySize);
    }
    const flags = r.short();
    if ((flags & this.unknownFlags) !== 0)
      throw new FrameSyntaxError(`content header flags 0x${flags.toString(16)} name unknown properties`);
    this.properties = flags === 0 ? {} : this.basicProps.decode(r, flags);
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
    const m = this.method;
    if (m === null) return this.sink.onDeliver(this.deliver, body, properties);
    this.method = null;
    if (m.name === 'basic.get-ok') this.sink.onGetOk(m.args, body, properties);
    else this.sink.onReturn(m.args, body, properties);
  }
}

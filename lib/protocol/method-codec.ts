import type { MethodDef, PropertiesDef } from './definitions';
import { EncodeError, FrameSyntaxError } from './errors';
import { FRAME_HEADER_SIZE, FRAME_MAX_CEILING, FRAME_OVERHEAD, toBuffer } from './frame';
import { FrameConstant, FrameKind } from './generated/constants';
import type { MethodInputs as MethodInputs091, Methods as Methods091 } from './generated/methods-0-9-1';
import type { MethodInputs as MethodInputs08, Methods as Methods08 } from './generated/methods-0-8';
import { methodTable } from './method-table';
import type { Protocol } from './protocol-version';
import { Reader } from './reader';
import { Writer } from './writer';

/** Names of every method of either dialect. */
export type MethodName = keyof Methods091 | keyof Methods08;

/** Decoded arguments of a method by name (0-9-1 shape where both dialects have it). */
export type MethodArgs<N extends MethodName> = N extends keyof Methods091
  ? Methods091[N]
  : N extends keyof Methods08
    ? Methods08[N]
    : never;

/** Encoder input of a method by name; every argument is optional and defaults per spec. */
export type MethodInput<N extends MethodName> = N extends keyof MethodInputs091
  ? MethodInputs091[N]
  : N extends keyof MethodInputs08
    ? MethodInputs08[N]
    : never;

/** A decoded method frame payload of method `N`. */
export interface DecodedMethodOf<N extends MethodName> {
  classId: number;
  methodId: number;
  /** `class.method`, e.g. `basic.deliver`. */
  name: N;
  args: MethodArgs<N>;
}

/**
 * A decoded method frame payload. Without a type argument, a union discriminated by `name`:
 * `switch (m.name) { case 'basic.deliver': m.args.consumerTag ... }` needs no cast.
 */
export type DecodedMethod<N extends MethodName = MethodName> = N extends MethodName ? DecodedMethodOf<N> : never;

/**
 * Decodes a method frame's payload: class id, method id, then the arguments. Unknown ids are
 * an `UnknownMethodError` (540); truncated arguments or trailing bytes a `FrameSyntaxError`.
 */
export function decodeMethod(payload: Uint8Array, protocol: Protocol = '0-9-1'): DecodedMethod {
  const table = methodTable(protocol);
  const buf = toBuffer(payload);
  const r = new Reader(buf, 0, buf.length, protocol);
  const classId = r.short();
  const methodId = r.short();
  const def = table.lookup(classId, methodId);
  const args = def.decode(r);
  if (r.pos !== r.end) {
    throw new FrameSyntaxError(`${def.name}: ${r.end - r.pos} bytes after the last argument`);
  }
  return { classId, methodId, name: def.name, args } as DecodedMethod;
}

/**
 * Decodes the arguments of an already looked-up method (the connection's hot path), untyped.
 * Dispatchers use `decodeMethodAt` (dispatch.ts), which gives the same arguments as a union
 * discriminated by name.
 */
export function decodeArgs(def: MethodDef, buf: Buffer, offset: number, end: number, protocol: Protocol): object {
  const r = new Reader(buf, offset, end, protocol);
  const args = def.decode(r);
  if (r.pos !== r.end) {
    throw new FrameSyntaxError(`${def.name}: ${r.end - r.pos} bytes after the last argument`);
  }
  return args;
}

/** Sizes in the frames written here, beyond {@link FRAME_HEADER_SIZE} and {@link FRAME_OVERHEAD}. */
const enum Layout {
  /** Offset of a frame's 4-byte payload size. */
  SIZE_AT = 3,
  /** Class and method ids at the start of a method frame's payload. */
  METHOD_IDS = 4,
  /** Class id, weight, 64-bit body size and one property flag word of a content header. */
  CONTENT_HEADER = 14,
}

/*
 * Constants of other modules bound once: the writers run for every frame sent, and a `const
 * enum` member or constant of another module is a property lookup at run time (isolatedModules
 * keeps TypeScript from inlining it; under tsx it is a getter call).
 */
const METHOD = FrameKind.METHOD;
const HEADER = FrameKind.HEADER;
const BODY = FrameKind.BODY;
const END = FrameConstant.END;
const HEADER_SIZE = FRAME_HEADER_SIZE;
const OVERHEAD = FRAME_OVERHEAD;

const scratch = new Writer(1024);

/**
 * Encodes a method as a method frame's payload (class id, method id, arguments, bits packed).
 * Omitted arguments take the spec's defaults. A value that cannot be encoded is an
 * `EncodeError` naming the argument.
 */
export function encodeMethod<N extends MethodName>(
  name: N,
  args: MethodInput<N> | Record<string, unknown> = {},
  protocol: Protocol = '0-9-1',
): Uint8Array {
  const def = methodTable(protocol).named(name);
  scratch.reset();
  scratch.short(def.classId);
  scratch.short(def.methodId);
  def.encode(scratch, args);
  return scratch.toBuffer();
}

/**
 * Appends a whole method frame to `w`. On an encoding error nothing is left in `w`.
 */
export function writeMethodFrame(w: Writer, channel: number, def: MethodDef, args: object): void {
  const start = w.pos;
  try {
    w.ensure(OVERHEAD + Layout.METHOD_IDS);
    w.buf[w.pos] = METHOD;
    w.buf.writeUInt16BE(channel, w.pos + 1);
    w.pos += HEADER_SIZE;
    w.buf.writeUInt16BE(def.classId, w.pos);
    w.buf.writeUInt16BE(def.methodId, w.pos + 2);
    w.pos += Layout.METHOD_IDS;
    def.encode(w, args);
    w.buf.writeUInt32BE(w.pos - start - HEADER_SIZE, start + Layout.SIZE_AT);
    w.octet(END);
  } catch (e) {
    w.pos = start;
    throw e;
  }
}

/** Appends a content header frame (class id, weight 0, 64-bit body size, properties). */
export function writeHeaderFrame(
  w: Writer,
  channel: number,
  props: PropertiesDef,
  bodySize: number,
  properties: object,
): void {
  const start = w.pos;
  try {
    w.ensure(OVERHEAD + Layout.CONTENT_HEADER);
    w.buf[w.pos] = HEADER;
    w.buf.writeUInt16BE(channel, w.pos + 1);
    w.pos += HEADER_SIZE;
    w.short(props.classId);
    w.short(0);
    w.longlong(bodySize);
    props.encode(w, properties);
    w.buf.writeUInt32BE(w.pos - start - HEADER_SIZE, start + Layout.SIZE_AT);
    w.octet(END);
  } catch (e) {
    w.pos = start;
    throw e;
  }
}

/**
 * Appends body frames carrying `body`, each payload at most `frameMax - 8` bytes. A frameMax
 * of 0 is the spec's "no limit" (as `FrameParser` reads it); one that leaves no room for
 * payload is an `EncodeError` (it would otherwise never finish).
 */
export function writeBodyFrames(w: Writer, channel: number, body: Uint8Array, frameMax: number): void {
  const limit = frameMax === 0 ? FRAME_MAX_CEILING : frameMax;
  if (!(limit > OVERHEAD)) throw new EncodeError(`frame_max ${frameMax} leaves no room for a body frame's payload`);
  const max = limit - OVERHEAD;
  for (let off = 0; off < body.length; off += max) {
    const n = Math.min(max, body.length - off);
    w.ensure(n + OVERHEAD);
    const b = w.buf;
    const p = w.pos;
    b[p] = BODY;
    b.writeUInt16BE(channel, p + 1);
    b.writeUInt32BE(n, p + Layout.SIZE_AT);
    if (Buffer.isBuffer(body)) body.copy(b, p + HEADER_SIZE, off, off + n);
    else b.set(body.subarray(off, off + n), p + HEADER_SIZE);
    b[p + HEADER_SIZE + n] = END;
    w.pos = p + OVERHEAD + n;
  }
}

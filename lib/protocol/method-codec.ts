import type { MethodDef, PropertiesDef } from './definitions';
import { EncodeError, FrameSyntaxError } from './errors';
import { FRAME_MAX_CEILING, FRAME_OVERHEAD, toBuffer } from './frame';
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

/**
 * A decoded method frame payload. Without a type argument, a union discriminated by `name`:
 * `switch (m.name) { case 'basic.deliver': m.args.consumerTag ... }` needs no cast.
 */
export type DecodedMethod<N extends MethodName = MethodName> = N extends MethodName
  ? {
      classId: number;
      methodId: number;
      /** `class.method`, e.g. `basic.deliver`. */
      name: N;
      args: MethodArgs<N>;
    }
  : never;

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

/** Decodes the arguments of an already looked-up method (the connection's hot path). */
export function decodeArgs(def: MethodDef, buf: Buffer, offset: number, end: number, protocol: Protocol): object {
  const r = new Reader(buf, offset, end, protocol);
  const args = def.decode(r);
  if (r.pos !== r.end) {
    throw new FrameSyntaxError(`${def.name}: ${r.end - r.pos} bytes after the last argument`);
  }
  return args;
}

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
  def.encode(scratch, args as Record<string, unknown>);
  return scratch.toBuffer();
}

/**
 * Appends a whole method frame to `w`. On an encoding error nothing is left in `w`.
 */
export function writeMethodFrame(w: Writer, channel: number, def: MethodDef, args: object): void {
  const start = w.pos;
  try {
    w.ensure(12);
    w.buf[w.pos] = FrameKind.METHOD;
    w.buf.writeUInt16BE(channel, w.pos + 1);
    w.pos += 7;
    w.buf.writeUInt16BE(def.classId, w.pos);
    w.buf.writeUInt16BE(def.methodId, w.pos + 2);
    w.pos += 4;
    def.encode(w, args as Record<string, unknown>);
    w.buf.writeUInt32BE(w.pos - start - 7, start + 3);
    w.octet(FrameConstant.END);
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
    w.ensure(22);
    w.buf[w.pos] = FrameKind.HEADER;
    w.buf.writeUInt16BE(channel, w.pos + 1);
    w.pos += 7;
    w.short(props.classId);
    w.short(0);
    w.longlong(bodySize);
    props.encode(w, properties as Record<string, unknown>);
    w.buf.writeUInt32BE(w.pos - start - 7, start + 3);
    w.octet(FrameConstant.END);
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
  if (!(limit > FRAME_OVERHEAD))
    throw new EncodeError(`frame_max ${frameMax} leaves no room for a body frame's payload`);
  const max = limit - FRAME_OVERHEAD;
  for (let off = 0; off < body.length; off += max) {
    const n = Math.min(max, body.length - off);
    w.ensure(n + 8);
    const b = w.buf;
    const p = w.pos;
    b[p] = FrameKind.BODY;
    b.writeUInt16BE(channel, p + 1);
    b.writeUInt32BE(n, p + 3);
    if (Buffer.isBuffer(body)) body.copy(b, p + 7, off, off + n);
    else b.set(body.subarray(off, off + n), p + 7);
    b[p + 7 + n] = FrameConstant.END;
    w.pos = p + 8 + n;
  }
}

import { FrameSyntaxError } from './errors';
import { toBuffer } from './frame';
import { methodTable } from './method-table';
import type { Protocol } from './protocol-version';
import { Reader } from './reader';
import { Writer } from './writer';
import type { BasicProperties } from './generated/methods-0-9-1';

/** A decoded content header frame. */
export interface ContentHeader {
  classId: number;
  /** Total body size announced; a number (bodies past 2^53 bytes do not exist in practice). */
  bodySize: number;
  properties: BasicProperties & Record<string, unknown>;
}

/** A content header's property flag word: one bit per property, the first in the top bit. */
const enum FlagWord {
  BITS = 16,
  ALL = 0xffff,
}

/**
 * Decodes a content header payload: class id, weight (ignored), 64-bit body size, property
 * flags (bit 15 = first property; bit 0 = another flag word follows) and the properties set.
 * Flags naming properties the class lacks are a `FrameSyntaxError` (502).
 */
export function decodeContentHeader(payload: Uint8Array, protocol: Protocol = '0-9-1'): ContentHeader {
  const buf = toBuffer(payload);
  const r = new Reader(buf, 0, buf.length, protocol);
  const classId = r.short();
  r.short(); // weight, unused
  const size = r.longlong();
  if (typeof size !== 'number') throw new FrameSyntaxError(`body size ${size} is too large`);
  const def = methodTable(protocol).properties.get(classId);
  if (!def) throw new FrameSyntaxError(`content header for class ${classId}, which has no content`);
  const flags = r.short();
  const known = (FlagWord.ALL << (FlagWord.BITS - def.names.length)) & FlagWord.ALL;
  if ((flags & ~known & FlagWord.ALL) !== 0) {
    throw new FrameSyntaxError(`content header flags 0x${flags.toString(16)} name properties class ${classId} lacks`);
  }
  const properties = def.decode(r, flags) as ContentHeader['properties'];
  if (r.pos !== r.end) throw new FrameSyntaxError(`${r.end - r.pos} bytes after the content properties`);
  return { classId, bodySize: size, properties };
}

/** Encodes a content header payload (the inverse of {@link decodeContentHeader}). */
export function encodeContentHeader(
  header: { classId?: number; bodySize: number; properties?: object },
  protocol: Protocol = '0-9-1',
): Uint8Array {
  const classId = header.classId ?? methodTable(protocol).basicProperties.classId;
  const def = methodTable(protocol).properties.get(classId);
  if (!def) throw new TypeError(`class ${classId} has no content properties in AMQP ${protocol}`);
  const w = new Writer(256);
  w.short(classId);
  w.short(0);
  w.longlong(header.bodySize, 'body size');
  def.encode(w, header.properties ?? {});
  return w.toBuffer();
}

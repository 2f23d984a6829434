import { FrameSyntaxError } from './errors';
import type { FieldTable } from './field-types';
import { toBuffer } from './frame';
import type { Protocol } from './protocol-version';
import { Reader } from './reader';
import { Writer } from './writer';

/**
 * Encodes a field table as it stands on the wire: 4-byte size, then name/value pairs.
 * Throws `EncodeError` for a value the dialect cannot carry (0-8 has only `S I D T F`).
 */
export function encodeTable(table: FieldTable, protocol: Protocol = '0-9-1'): Uint8Array {
  const w = new Writer(256);
  w.table(table, protocol);
  return w.toBuffer();
}

/**
 * Decodes a field table from its wire form (4-byte size first), the inverse of
 * {@link encodeTable}. Truncated or malformed input, unknown tags and nesting past
 * `MAX_TABLE_DEPTH` throw `FrameSyntaxError` (502). Bytes after the table are an error too.
 */
export function decodeTable(bytes: Uint8Array, protocol: Protocol = '0-9-1'): FieldTable {
  const buf = toBuffer(bytes);
  const r = new Reader(buf, 0, buf.length, protocol);
  const table = r.table();
  if (r.pos !== r.end) throw new FrameSyntaxError(`${r.end - r.pos} bytes after the table`);
  return table;
}

/**
 * Hand-made bytes the hostile specs share (not a spec itself): pieces of field tables that a
 * well-behaved encoder would never write.
 */

/** A 32-bit unsigned integer, big-endian (a table's or a long string's size). */
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** A field table nested `depth` levels deep: {a: {a: {a: ... {}}}}, consistent sizes throughout. */
export function deepTable(depth: number): Buffer {
  const out = Buffer.alloc(7 * depth + 4);
  for (let k = 0; k < depth; k++) {
    out.writeUInt32BE(7 * (depth - k), 7 * k);
    out.set([1, 0x61, 0x46], 7 * k + 4); // key "a", tag 'F'
  }
  out.writeUInt32BE(0, 7 * depth);
  return out;
}

/**
 * `Reader.shortstrAgain` (the consume path's short strings, compared with the last ones read
 * at the same place) reads exactly what `shortstr` reads: the same strings, the same position
 * after, and the same typed error for truncated or invalid bytes, whatever came before.
 */
import fc from 'fast-check';
import { FrameSyntaxError } from '../../lib/protocol/errors';
import { Reader, ShortStringMemo } from '../../lib/protocol/reader';

/** A short string field as on the wire, sometimes claiming more bytes than follow. */
const field = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('amq.ctag-1', 'amq.ctag-2', '', 'orders', 'é') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
);

/** The field's bytes; truncated: the reader's end is one byte short (the byte is there, past it). */
function wire(v: string | Uint8Array, truncate: boolean): { buf: Buffer; end: number } {
  const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
  const len = Buffer.from([Math.min(bytes.length, 255)]);
  const buf = Buffer.concat([len, bytes.subarray(0, 255), Buffer.from([0x21])]);
  return { buf, end: truncate ? buf.length - 2 : buf.length - 1 };
}

/** What a read gives: the value and position, or the error's class and message. */
function outcome(read: () => string, r: Reader): string {
  try {
    return JSON.stringify([read(), r.pos]);
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

describe('Reader.shortstrAgain', () => {
  it('reads what shortstr reads, over any sequence of repeated and new strings (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(field, fc.integer({ min: 0, max: 9 })), { maxLength: 30 }), (fields) => {
        const memo = new ShortStringMemo();
        for (const [v, t] of fields) {
          const { buf, end } = wire(v, t === 0);
          const plain = new Reader(buf, 0, end);
          const again = new Reader(buf, 0, end);
          const expected = outcome(() => plain.shortstr(), plain);
          const got = outcome(() => again.shortstrAgain(memo), again);
          if (got !== expected) throw new Error(`shortstrAgain gave ${got}, shortstr ${expected}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a repeat of bytes that were invalid UTF-8 is still an error', () => {
    const memo = new ShortStringMemo();
    const bad = Buffer.from([2, 0xc3, 0x28]);
    for (let i = 0; i < 2; i++) {
      expect(() => new Reader(bad, 0, bad.length).shortstrAgain(memo)).toThrow(FrameSyntaxError);
    }
    const ok = Buffer.from([2, 0x6f, 0x6b]);
    expect(new Reader(ok, 0, ok.length).shortstrAgain(memo)).toBe('ok');
    expect(() => new Reader(bad, 0, bad.length).shortstrAgain(memo)).toThrow(FrameSyntaxError);
  });

  it('keeps a copy of the bytes, not a view that pins or follows the frame buffer', () => {
    const memo = new ShortStringMemo();
    const buf = Buffer.from([3, 0x61, 0x62, 0x63]);
    expect(new Reader(buf, 0, buf.length).shortstrAgain(memo)).toBe('abc');
    buf[1] = 0x7a; // the socket buffer is reused for later bytes
    expect(new Reader(buf, 0, buf.length).shortstrAgain(memo)).toBe('zbc');
  });
});

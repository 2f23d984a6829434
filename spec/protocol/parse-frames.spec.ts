/**
 * Frame splitting: any chunking of a frame stream gives the same frames through FrameParser and
 * the parseFrames() operator, frames inside one chunk are zero-copy views, and the operator's
 * error behaviour.
 */
import fc from 'fast-check';
import { from, Subject, toArray, type Observable } from 'rxjs';
import {
  decodeMethod,
  encodeFrame,
  encodeMethod,
  FrameError,
  FrameParser,
  FrameSyntaxError,
  parseFrames,
  UnexpectedFrameError,
  type Frame,
} from 'rx-amqp/protocol';
import { expectCodecError, frameBytes, hex } from './helpers';

interface PlainFrame {
  type: number;
  channel: number;
  payload: Buffer;
}

const plain = (f: Frame): PlainFrame => ({ type: f.type, channel: f.channel, payload: Buffer.from(f.payload) });

const frameArb: fc.Arbitrary<PlainFrame> = fc.record({
  type: fc.constantFrom(1, 2, 3, 8),
  channel: fc.integer({ min: 0, max: 65535 }),
  payload: fc
    .oneof(
      { weight: 3, arbitrary: fc.uint8Array({ maxLength: 64 }) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 2000 }) },
    )
    .map((b) => Buffer.from(b)),
});

/** The stream, cut at the given offsets; each chunk a copy with an ArrayBuffer of its own. */
function cut(stream: Buffer, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, stream.length]) {
    chunks.push(new Uint8Array(stream.subarray(prev, p)));
    prev = p;
  }
  return chunks;
}

/** A stream of frames with random cut points (sometimes every byte a chunk of its own). */
const splitStreamArb = fc.array(frameArb, { minLength: 1, maxLength: 12 }).chain((frames) => {
  const stream = Buffer.concat(frames.map((f) => encodeFrame(f)));
  const cutsArb = fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constant(Array.from({ length: stream.length }, (_, i) => i)) },
  );
  return cutsArb.map((cuts) => ({ frames, stream, chunks: cut(stream, cuts) }));
});

function parseWithParser(chunks: Uint8Array[], frameMax = 0): Frame[] {
  const parser = new FrameParser({ frameMax });
  const out: Frame[] = [];
  for (const c of chunks) parser.push(c, (f) => out.push(f));
  expect(parser.pending).toBe(false);
  return out;
}

/** Subscribes synchronously and returns what the observable did. */
function run<T>(obs: Observable<T>): { values: T[]; error?: unknown; completed: boolean } {
  const result: { values: T[]; error?: unknown; completed: boolean } = { values: [], completed: false };
  obs.subscribe({
    next: (v) => result.values.push(v),
    error: (e) => (result.error = e),
    complete: () => (result.completed = true),
  });
  return result;
}

describe('any split of a frame stream parses to the same frames', () => {
  it('through FrameParser', () => {
    fc.assert(
      fc.property(splitStreamArb, ({ frames, chunks }) => {
        expect(parseWithParser(chunks).map(plain)).toEqual(frames);
      }),
      { numRuns: 500 },
    );
  });

  it('through the parseFrames() operator', () => {
    fc.assert(
      fc.property(splitStreamArb, ({ frames, chunks }) => {
        const r = run(from(chunks).pipe(parseFrames({ frameMax: 0 })));
        expect(r.error).toBeUndefined();
        expect(r.completed).toBe(true);
        expect(r.values.map(plain)).toEqual(frames);
      }),
      { numRuns: 500 },
    );
  });

  it('1-byte chunks', () => {
    const frames: PlainFrame[] = [
      {
        type: 1,
        channel: 1,
        payload: Buffer.from(encodeMethod('basic.deliver', { consumerTag: 'c', deliveryTag: 1 })),
      },
      { type: 2, channel: 1, payload: hex('00 3c 00 00 00 00 00 00 00 00 00 03 00 00') },
      { type: 3, channel: 1, payload: Buffer.from('abc') },
      { type: 3, channel: 1, payload: Buffer.alloc(0) },
      { type: 8, channel: 0, payload: Buffer.alloc(0) },
    ];
    const stream = Buffer.concat(frames.map((f) => encodeFrame(f)));
    const bytes = [...stream].map((b) => Uint8Array.of(b));
    expect(parseWithParser(bytes).map(plain)).toEqual(frames);
    expect(run(from(bytes).pipe(parseFrames())).values.map(plain)).toEqual(frames);
  });

  it('empty chunks change nothing', () => {
    const f = frameBytes(3, 7, Buffer.from('hello'));
    const chunks = [
      new Uint8Array(0),
      f.subarray(0, 3),
      new Uint8Array(0),
      f.subarray(3, 9),
      new Uint8Array(0),
      f.subarray(9),
      new Uint8Array(0),
    ];
    expect(parseWithParser(chunks).map(plain)).toEqual([{ type: 3, channel: 7, payload: Buffer.from('hello') }]);
  });
});

describe('zero-copy', () => {
  it("a frame wholly inside a chunk is a view: its payload's .buffer is the chunk's ArrayBuffer", () => {
    fc.assert(
      fc.property(splitStreamArb, ({ frames, chunks }) => {
        // where each chunk and each frame lies in the stream
        const chunkAt: { start: number; end: number; chunk: Uint8Array }[] = [];
        let pos = 0;
        for (const chunk of chunks) {
          chunkAt.push({ start: pos, end: pos + chunk.length, chunk });
          pos += chunk.length;
        }
        const chunkBuffers = new Set<ArrayBufferLike>(chunks.map((c) => c.buffer));
        const parsed = parseWithParser(chunks);
        pos = 0;
        frames.forEach((f, i) => {
          const start = pos;
          const end = pos + f.payload.length + 8;
          pos = end;
          const home = chunkAt.find((c) => c.start <= start && end <= c.end);
          const payload = parsed[i].payload;
          if (home) {
            expect(payload.buffer).toBe(home.chunk.buffer);
            expect(payload.byteOffset).toBe(home.chunk.byteOffset + start - home.start + 7);
          } else {
            // spread over chunks: copied once, into a buffer of its own
            expect(chunkBuffers.has(payload.buffer)).toBe(false);
          }
          expect(payload.byteLength).toBe(f.payload.length);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('holds for Buffer chunks and for frames emitted by parseFrames', () => {
    const a = frameBytes(1, 1, Buffer.from(encodeMethod('basic.ack', { deliveryTag: 9 })));
    const b = frameBytes(3, 1, Buffer.from('body'));
    const chunk = Buffer.concat([a, b]);
    const frames = run(from([chunk]).pipe(parseFrames())).values;
    expect(frames).toHaveLength(2);
    for (const f of frames) expect(f.payload.buffer).toBe(chunk.buffer);
    expect(frames[0].payload.byteOffset).toBe(chunk.byteOffset + 7);
    expect(decodeMethod(frames[0].payload).args).toEqual({ deliveryTag: 9, multiple: false });
  });
});

describe('parseFrames() errors', () => {
  const good = frameBytes(3, 1, Buffer.from('ok'));

  it('a source that completes mid-frame errors with FrameError', () => {
    for (const n of [1, 3, 7, 9]) {
      const r = run(from([good, good.subarray(0, n)]).pipe(parseFrames()));
      expect(r.values).toHaveLength(1);
      expect(r.completed).toBe(false);
      expectCodecError(
        () => {
          throw r.error;
        },
        FrameError,
        501,
        /middle of a frame/,
      );
    }
  });

  it('a source that completes between frames completes', () => {
    const r = run(from([good, good]).pipe(parseFrames()));
    expect(r.values).toHaveLength(2);
    expect(r.completed).toBe(true);
    expect(r.error).toBeUndefined();
    expect(run(from([] as Uint8Array[]).pipe(parseFrames())).completed).toBe(true);
  });

  it('a source error passes through unchanged', () => {
    const boom = new Error('socket reset');
    const source = new Subject<Uint8Array>();
    const r = run(source.pipe(parseFrames()));
    source.next(good);
    source.error(boom);
    expect(r.values).toHaveLength(1);
    expect(r.error).toBe(boom);
  });

  it('after an error no more frames are emitted and the source is unsubscribed', () => {
    const source = new Subject<Uint8Array>();
    const r = run(source.pipe(parseFrames()));
    // one good frame, then a bad frame end, then a good frame, all in one chunk
    source.next(Buffer.concat([good, frameBytes(3, 1, Buffer.from('x'), 0x00), good]));
    expect(r.values).toHaveLength(1);
    expectCodecError(
      () => {
        throw r.error;
      },
      FrameError,
      501,
    );
    expect(source.observed).toBe(false);
    source.next(good);
    source.complete();
    expect(r.values).toHaveLength(1);
    expect(r.completed).toBe(false);
  });

  it('a synchronous source: frames after the error are not emitted either', () => {
    const chunks = [good, frameBytes(9, 0, Buffer.alloc(0)), good, good];
    const r = run(from(chunks).pipe(parseFrames()));
    expect(r.values).toHaveLength(1);
    expectCodecError(
      () => {
        throw r.error;
      },
      UnexpectedFrameError,
      505,
    );
  });

  it('frameMax: a frame of exactly frameMax passes, one byte more errors the stream', () => {
    const max = 4096;
    const fits = frameBytes(3, 1, Buffer.alloc(max - 8));
    const over = frameBytes(3, 1, Buffer.alloc(max - 7));
    expect(run(from([fits]).pipe(parseFrames({ frameMax: max }))).completed).toBe(true);
    const r = run(from([fits, over.subarray(0, 7)]).pipe(parseFrames({ frameMax: max })));
    expect(r.values).toHaveLength(1);
    expect(r.error).toBeInstanceOf(FrameError);
    // the default is 128 KiB
    const big = frameBytes(3, 1, Buffer.alloc(131072 - 7));
    expect(run(from([big]).pipe(parseFrames())).error).toBeInstanceOf(FrameError);
  });

  it('each subscription parses on its own', () => {
    const source = from([good.subarray(0, 5), good.subarray(5)]);
    const framed = source.pipe(parseFrames());
    expect(run(framed).values).toHaveLength(1);
    expect(run(framed).values).toHaveLength(1);
    let count = 0;
    framed.pipe(toArray()).subscribe((all) => (count = all.length));
    expect(count).toBe(1);
  });

  it('does not decode methods: a malformed method payload still comes through as a frame', () => {
    const r = run(from([frameBytes(1, 0, hex('00 3c'))]).pipe(parseFrames()));
    expect(r.values).toHaveLength(1);
    expect(() => decodeMethod(r.values[0].payload)).toThrow(FrameSyntaxError);
  });
});

/**
 * Mutations of a recorded server stream: frames dropped, duplicated, swapped, moved to another
 * point of the conversation, spliced in from another recording, re-addressed to another
 * channel or frame type; bytes flipped, overwritten with boundary values, inserted, deleted,
 * duplicated; the stream truncated; chunks split differently. Several are stacked per run
 * ("havoc"), all drawn from the run's PRNG, so a seed names one mutated stream exactly.
 */
import type { Prng } from './prng';
import type { Recording } from './recording';

/** One point of the conversation: bytes the server sends once the client wrote `after` frames. */
export interface MutatedSegment {
  after: number;
  /** The data events it is delivered as (usually one). */
  chunks: Buffer[];
}

/** A segment as frames while mutating (a frame may stop being one once its bytes are mutated). */
interface WorkSegment {
  after: number;
  frames: Buffer[];
}

/** Splits a recording into frames per segment (a frame split across chunks goes with the chunk it starts in). */
export function framesOf(recording: Recording): WorkSegment[] {
  const all = Buffer.concat(recording.segments.map((s) => s.bytes));
  const starts: number[] = [];
  let offset = 0;
  for (const s of recording.segments) {
    starts.push(offset);
    offset += s.bytes.length;
  }
  const out: WorkSegment[] = recording.segments.map((s) => ({ after: s.after, frames: [] }));
  let pos = 0;
  let seg = 0;
  while (pos < all.length) {
    while (seg + 1 < starts.length && starts[seg + 1] <= pos) seg++;
    const size = all.length - pos >= 7 ? all.readUInt32BE(pos + 3) + 8 : all.length - pos;
    const end = Math.min(all.length, pos + size);
    out[seg].frames.push(Buffer.from(all.subarray(pos, end)));
    pos = end;
  }
  return out.filter((s) => s.frames.length > 0);
}

/** Byte values that make parsers take their edge paths. */
const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x7f, 0x80, 0xce, 0xfe, 0xff, 0x41];
const INTERESTING_U16 = [0, 1, 0x3c, 0x0a, 0x14, 0x28, 0x32, 0x55, 0x5a, 0x7fff, 0x8000, 0xffff];
const INTERESTING_U32 = [0, 1, 7, 8, 0xff, 0x1000, 0x20000, 0x7fffffff, 0x80000000, 0xfffffff7, 0xffffffff];

/** The names of the mutation operators, for the report. */
export const OPERATORS = [
  'drop-frame',
  'duplicate-frame',
  'swap-frames',
  'move-frame',
  'splice-foreign',
  'splice-dictionary',
  'rechannel',
  'retype',
  'flip-bit',
  'set-byte',
  'set-u16',
  'set-u32',
  'insert-bytes',
  'delete-bytes',
  'duplicate-bytes',
  'truncate',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** What a run's mutation did, for the report and for reading a failing seed. */
export interface MutationLog {
  operators: Operator[];
}

interface Pos {
  seg: number;
  frame: number;
}

function frameCount(s: WorkSegment[]): number {
  return s.reduce((n, x) => n + x.frames.length, 0);
}

function pickFrame(s: WorkSegment[], rng: Prng): Pos | null {
  let k = rng.int(frameCount(s));
  for (let seg = 0; seg < s.length; seg++) {
    if (k < s[seg].frames.length) return { seg, frame: k };
    k -= s[seg].frames.length;
  }
  return null;
}

/** An offset in a frame: half the time in its first 16 bytes (frame header, method ids, first fields). */
function pickOffset(frame: Buffer, rng: Prng): number {
  if (frame.length === 0) return 0;
  return rng.chance(0.5) ? rng.int(Math.min(16, frame.length)) : rng.int(frame.length);
}

/**
 * Whether a length-changing edit keeps the frame well framed (edits inside the payload, then
 * the size field is rewritten): more often than not, so that the edit reaches the method and
 * content decoders instead of always tripping the frame parser.
 */
function keepFraming(frame: Buffer, rng: Prng): boolean {
  return frame.length >= 8 && frame[frame.length - 1] === 0xce && rng.chance(0.65);
}

/** Rewrites the size field of an edited frame whose framing is to be kept. */
function refit(frame: Buffer, fix: boolean): Buffer {
  if (fix) frame.writeUInt32BE(frame.length - 8, 3);
  return frame;
}

/** Applies one operator; false when it did not apply (nothing to work on). */
function apply(op: Operator, s: WorkSegment[], rng: Prng, foreign: Buffer[], dictionary: Buffer[]): boolean {
  const at = pickFrame(s, rng);
  if (!at) return false;
  const frames = s[at.seg].frames;
  const frame = frames[at.frame];
  switch (op) {
    case 'drop-frame':
      frames.splice(at.frame, 1);
      return true;
    case 'duplicate-frame': {
      const to = rng.chance(0.5) ? at : (pickFrame(s, rng) ?? at);
      s[to.seg].frames.splice(to.frame + 1, 0, Buffer.from(frame));
      return true;
    }
    case 'swap-frames': {
      const other =
        rng.chance(0.5) && at.frame + 1 < frames.length ? { seg: at.seg, frame: at.frame + 1 } : pickFrame(s, rng)!;
      const b = s[other.seg].frames[other.frame];
      s[other.seg].frames[other.frame] = frame;
      frames[at.frame] = b;
      return true;
    }
    case 'move-frame': {
      frames.splice(at.frame, 1);
      const seg = rng.int(s.length);
      s[seg].frames.splice(rng.int(s[seg].frames.length + 1), 0, frame);
      return true;
    }
    case 'splice-foreign': {
      if (foreign.length === 0) return false;
      frames.splice(rng.int(frames.length + 1), 0, Buffer.from(rng.pick(foreign)));
      return true;
    }
    case 'splice-dictionary': {
      if (dictionary.length === 0) return false;
      // Mostly after the handshake (its first three answers), at the end of a segment (between two answers) more often.
      const first = rng.chance(0.85) ? Math.min(3, s.length - 1) : 0;
      const seg = s[rng.range(first, s.length - 1)];
      seg.frames.splice(
        rng.chance(0.5) ? seg.frames.length : rng.int(seg.frames.length + 1),
        0,
        Buffer.from(rng.pick(dictionary)),
      );
      return true;
    }
    case 'rechannel': {
      if (frame.length < 3) return false;
      frame.writeUInt16BE(rng.pick([0, 0, 1, 1, 2, 3, 0xffff, rng.int(0x10000)]), 1);
      return true;
    }
    case 'retype': {
      frame[0] = rng.pick([1, 2, 3, 8, 0, 4, 0x41, rng.int(256)]);
      return true;
    }
    case 'flip-bit': {
      if (frame.length === 0) return false;
      const i = pickOffset(frame, rng);
      frame[i] ^= 1 << rng.int(8);
      return true;
    }
    case 'set-byte': {
      if (frame.length === 0) return false;
      frame[pickOffset(frame, rng)] = rng.chance(0.7) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
      return true;
    }
    case 'set-u16': {
      if (frame.length < 2) return false;
      frame.writeUInt16BE(
        rng.pick(INTERESTING_U16),
        rng.int(Math.min(frame.length - 1, rng.chance(0.5) ? 15 : frame.length - 1)),
      );
      return true;
    }
    case 'set-u32': {
      if (frame.length < 4) return false;
      const offset = rng.chance(0.3) && frame.length >= 7 ? 3 : rng.int(frame.length - 3);
      const v = rng.chance(0.2) ? (frame.length - 8 + rng.range(-2, 2)) >>> 0 : rng.pick(INTERESTING_U32);
      frame.writeUInt32BE(v, offset);
      return true;
    }
    case 'insert-bytes': {
      const n = rng.range(1, rng.chance(0.8) ? 4 : 64);
      const bytes = Buffer.alloc(n);
      for (let i = 0; i < n; i++) bytes[i] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
      const fix = keepFraming(frame, rng);
      const i = fix ? rng.range(7, frame.length - 1) : pickOffset(frame, rng);
      frames[at.frame] = refit(Buffer.concat([frame.subarray(0, i), bytes, frame.subarray(i)]), fix);
      return true;
    }
    case 'delete-bytes': {
      const fix = keepFraming(frame, rng) && frame.length > 8;
      const i = fix ? rng.range(7, frame.length - 2) : pickOffset(frame, rng);
      const room = (fix ? frame.length - 1 : frame.length) - i;
      if (room <= 0) return false;
      const n = rng.range(1, Math.min(room, rng.chance(0.8) ? 4 : 64));
      frames[at.frame] = refit(Buffer.concat([frame.subarray(0, i), frame.subarray(i + n)]), fix);
      return true;
    }
    case 'duplicate-bytes': {
      const fix = keepFraming(frame, rng) && frame.length > 8;
      const i = fix ? rng.range(7, frame.length - 2) : rng.int(frame.length);
      const room = (fix ? frame.length - 1 : frame.length) - i;
      if (room <= 0) return false;
      const n = rng.range(1, Math.min(room, 32));
      frames[at.frame] = refit(
        Buffer.concat([frame.subarray(0, i + n), frame.subarray(i, i + n), frame.subarray(i + n)]),
        fix,
      );
      return true;
    }
    case 'truncate': {
      frames.length = at.frame + 1;
      frames[at.frame] = frame.subarray(0, rng.int(frame.length + 1));
      s.length = at.seg + 1;
      return true;
    }
  }
}

/** Operator weights: structure-level edits and byte edits about equally, truncation rarer. */
const WEIGHTED: Operator[] = [
  ...Array<Operator>(3).fill('drop-frame'),
  ...Array<Operator>(3).fill('duplicate-frame'),
  ...Array<Operator>(2).fill('swap-frames'),
  ...Array<Operator>(2).fill('move-frame'),
  ...Array<Operator>(2).fill('splice-foreign'),
  ...Array<Operator>(6).fill('splice-dictionary'),
  ...Array<Operator>(2).fill('rechannel'),
  ...Array<Operator>(1).fill('retype'),
  ...Array<Operator>(5).fill('flip-bit'),
  ...Array<Operator>(4).fill('set-byte'),
  ...Array<Operator>(2).fill('set-u16'),
  ...Array<Operator>(3).fill('set-u32'),
  ...Array<Operator>(3).fill('insert-bytes'),
  ...Array<Operator>(3).fill('delete-bytes'),
  ...Array<Operator>(2).fill('duplicate-bytes'),
  ...Array<Operator>(2).fill('truncate'),
];

/**
 * Mutates a recording: one operator half the time, else 2 to 6 (fewer more often), then each segment is cut into
 * 1..4 chunks a third of the time. `foreign` are frames of every recording, `dictionary` well-formed
 * frames of the recording's dialect (dictionary.ts), both for splicing.
 * With `count` 0 the recording is returned as recorded (the baseline).
 */
export function mutate(
  recording: Recording,
  rng: Prng,
  foreign: Buffer[],
  dictionary: Buffer[],
  count = rng.chance(0.5) ? 1 : 2 + Math.min(rng.int(5), rng.int(5)),
): { segments: MutatedSegment[]; log: MutationLog } {
  const work = framesOf(recording);
  const log: MutationLog = { operators: [] };
  for (let i = 0; i < count; i++) {
    const op = rng.pick(WEIGHTED);
    if (apply(op, work, rng, foreign, dictionary)) log.operators.push(op);
  }
  const segments = work.map((w) => {
    const bytes = Buffer.concat(w.frames);
    const chunks: Buffer[] = [];
    if (count > 0 && bytes.length > 1 && rng.chance(0.33)) {
      let rest = bytes;
      for (let n = rng.range(1, 3); n > 0 && rest.length > 1; n--) {
        const cut = rng.range(1, rest.length - 1);
        chunks.push(rest.subarray(0, cut));
        rest = rest.subarray(cut);
      }
      chunks.push(rest);
    } else {
      chunks.push(bytes);
    }
    return { after: w.after, chunks };
  });
  return { segments, log };
}

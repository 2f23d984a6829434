/**
 * The fuzzer's recordings: what a real broker sent to the client in one scripted session, as
 * the chunks it arrived in, each tagged with how many frames the client had written before it
 * (so a replay can hand each chunk over at the same point of the conversation).
 *
 * File format (`scripts/fuzz/recordings/<scenario>.hex`), line based:
 *
 *     # comment
 *     @name value        a session parameter (queue names the session used)
 *     > after hex        one chunk from the server, sent after `after` client frames
 *                        (the 8-byte protocol header counts as one; heartbeats do not count)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One chunk the server sent. */
export interface Segment {
  /** Client frames (protocol header included, heartbeats excluded) written before it. */
  after: number;
  bytes: Buffer;
}

/** A recorded session. */
export interface Recording {
  scenario: string;
  params: Record<string, string>;
  segments: Segment[];
}

/** Where the recordings live. */
export const RECORDINGS_DIR = join(__dirname, 'recordings');

/** Parses a recording file's text. */
export function parseRecording(scenario: string, text: string): Recording {
  const params: Record<string, string> = {};
  const segments: Segment[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('@')) {
      const [name, ...value] = line.slice(1).split(' ');
      params[name] = value.join(' ');
    } else if (line.startsWith('>')) {
      const [, after, hex] = line.split(/\s+/);
      segments.push({ after: Number(after), bytes: Buffer.from(hex, 'hex') });
    } else {
      throw new Error(`recording ${scenario}: bad line ${line.slice(0, 40)}`);
    }
  }
  return { scenario, params, segments };
}

/** Reads `recordings/<scenario>.hex`. */
export function loadRecording(scenario: string): Recording {
  return parseRecording(scenario, readFileSync(join(RECORDINGS_DIR, `${scenario}.hex`), 'utf8'));
}

/** Formats a recording as file text, with a header comment. */
export function formatRecording(recording: Recording, comment: string[]): string {
  const lines = comment.map((c) => `# ${c}`);
  for (const [name, value] of Object.entries(recording.params)) lines.push(`@${name} ${value}`);
  for (const s of recording.segments) lines.push(`> ${s.after} ${s.bytes.toString('hex')}`);
  return lines.join('\n') + '\n';
}

/**
 * Counts the frames a client writes (protocol header first, heartbeats not counted), chunk by
 * chunk, without decoding anything but the frame sizes.
 */
export class ClientFrameCounter {
  /** Frames seen so far. */
  count = 0;
  private header = 0;
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds bytes the client wrote. */
  push(bytes: Uint8Array): void {
    let chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.header < 8) {
      const take = Math.min(8 - this.header, chunk.length);
      this.header += take;
      chunk = chunk.subarray(take);
      if (this.header === 8) this.count++;
    }
    if (chunk.length === 0) return;
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= 7) {
      const total = buf.readUInt32BE(3) + 8;
      if (buf.length < total) break;
      if (buf[0] !== 8) this.count++;
      buf = buf.subarray(total);
    }
    this.pending = Buffer.from(buf);
  }
}

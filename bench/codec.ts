/**
 * Codec benchmark: pure codec, no broker, no sockets.
 *
 *   npx tsx bench/codec.ts        (or npm run bench:codec)
 *
 * (a) parse + decode: a stream of basic.deliver + content header + 100-byte body frames, fed to
 *     FrameParser in 64 KiB chunks; every method frame goes through decodeMethod and every
 *     header frame through decodeContentHeader.
 * (b) parse only: the same stream through FrameParser, frames counted and nothing decoded.
 * (c) encode: basic.publish + content header + 100-byte body written into a Writer with
 *     writeMethodFrame / writeHeaderFrame / writeBodyFrames (the writer is reset every 1 MiB, as
 *     a flush to the socket would).
 * Each case is warmed up for 0.5 s, then run for about 2 s. MB = 10^6 bytes of frames.
 */
import { cpus } from 'node:os';
import {
  decodeContentHeader,
  decodeMethod,
  encodeContentHeader,
  encodeFrame,
  encodeMethod,
  FrameParser,
  FrameType,
  METHOD_TABLES,
  type Frame,
} from '../lib/protocol';
import { Writer } from '../lib/protocol/writer';
import { writeBodyFrames, writeHeaderFrame, writeMethodFrame } from '../lib/protocol/method-codec';

const BODY_SIZE = 100;
const CHUNK_SIZE = 64 * 1024;
const MESSAGES_IN_STREAM = 20_000;
const WARMUP_MS = 500;
const RUN_MS = 2000;

const properties = { contentType: 'application/octet-stream', deliveryMode: 2, timestamp: new Date(1_700_000_000_000) };
const body = Buffer.alloc(BODY_SIZE, 0x61);

/** A stream of whole deliveries, split into 64 KiB chunks. */
function deliveryStream(): { chunks: Buffer[]; bytes: number } {
  const parts: Uint8Array[] = [];
  const header = encodeFrame({
    type: FrameType.HEADER,
    channel: 1,
    payload: encodeContentHeader({ bodySize: BODY_SIZE, properties }),
  });
  const bodyFrame = encodeFrame({ type: FrameType.BODY, channel: 1, payload: body });
  for (let i = 1; i <= MESSAGES_IN_STREAM; i++) {
    const method = encodeMethod('basic.deliver', {
      consumerTag: 'amq.ctag-3mHnA7CqvnWtQYd5Lk0x8w',
      deliveryTag: i,
      redelivered: false,
      exchange: 'bench',
      routingKey: 'bench.key',
    });
    parts.push(encodeFrame({ type: FrameType.METHOD, channel: 1, payload: method }), header, bodyFrame);
  }
  const stream = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let off = 0; off < stream.length; off += CHUNK_SIZE) {
    // each chunk a buffer of its own, as socket reads are
    chunks.push(Buffer.from(stream.subarray(off, Math.min(off + CHUNK_SIZE, stream.length))));
  }
  return { chunks, bytes: stream.length };
}

interface Counts {
  frames: number;
  messages: number;
  bytes: number;
}

/** Runs `round` (one pass, returning what it did) for warm-up, then for about RUN_MS. */
function measure(round: () => Counts): Counts & { seconds: number } {
  const until = (ms: number) => {
    const total: Counts = { frames: 0, messages: 0, bytes: 0 };
    const start = process.hrtime.bigint();
    const stop = start + BigInt(ms) * 1_000_000n;
    let now = start;
    do {
      const c = round();
      total.frames += c.frames;
      total.messages += c.messages;
      total.bytes += c.bytes;
      now = process.hrtime.bigint();
    } while (now < stop);
    return { ...total, seconds: Number(now - start) / 1e9 };
  };
  until(WARMUP_MS);
  return until(RUN_MS);
}

let sink = 0; // keeps decoded results alive so nothing is optimised away

function parseAndDecode(chunks: Buffer[], bytes: number): Counts {
  const parser = new FrameParser();
  let frames = 0;
  let messages = 0;
  const emit = (f: Frame) => {
    frames++;
    if (f.type === FrameType.METHOD) {
      const m = decodeMethod(f.payload);
      if (m.name === 'basic.deliver') messages++;
      sink += m.classId;
    } else if (f.type === FrameType.HEADER) {
      sink += decodeContentHeader(f.payload).bodySize;
    } else {
      sink += f.payload.length;
    }
  };
  for (const c of chunks) parser.push(c, emit);
  return { frames, messages, bytes };
}

function parseOnly(chunks: Buffer[], bytes: number): Counts {
  const parser = new FrameParser();
  let frames = 0;
  const emit = (f: Frame) => {
    frames++;
    sink += f.payload.length;
  };
  for (const c of chunks) parser.push(c, emit);
  return { frames, messages: frames / 3, bytes };
}

const publish = METHOD_TABLES['0-9-1'].named('basic.publish');
const basicProps = METHOD_TABLES['0-9-1'].properties.get(60)!;
const writer = new Writer(2 * 1024 * 1024);
const FLUSH_AT = 1024 * 1024;

function encodeRound(): Counts {
  const batch = 10_000;
  let bytes = 0;
  for (let i = 0; i < batch; i++) {
    writeMethodFrame(writer, 1, publish, { exchange: 'bench', routingKey: 'bench.key', mandatory: false });
    writeHeaderFrame(writer, 1, basicProps, BODY_SIZE, properties);
    writeBodyFrames(writer, 1, body, 131072);
    if (writer.pos >= FLUSH_AT) {
      bytes += writer.pos;
      sink += writer.buf[writer.pos - 1];
      writer.reset();
    }
  }
  bytes += writer.pos;
  writer.reset();
  return { frames: batch * 3, messages: batch, bytes };
}

function main(): void {
  const { chunks, bytes } = deliveryStream();
  const frameBytes = bytes / MESSAGES_IN_STREAM;
  console.log(
    `rx-amqp codec benchmark — node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} logical CPUs)`,
  );
  console.log(
    `stream: ${MESSAGES_IN_STREAM} deliveries, ${frameBytes} bytes of frames each (${BODY_SIZE}-byte body), ${(bytes / 1e6).toFixed(2)} MB in ${chunks.length} chunks of 64 KiB`,
  );
  console.log('');

  const rows: [string, Counts & { seconds: number }][] = [
    ['(a) parse + decode (64 KiB chunks)', measure(() => parseAndDecode(chunks, bytes))],
    ['(b) parse only (64 KiB chunks)', measure(() => parseOnly(chunks, bytes))],
    ['(c) encode publish+header+body', measure(encodeRound)],
  ];

  const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);
  const header = ['case', 'frames/s', 'messages/s', 'MB/s'];
  const lines = rows.map(([name, r]) => [
    name,
    fmt(r.frames / r.seconds),
    fmt(r.messages / r.seconds),
    (r.bytes / 1e6 / r.seconds).toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(row(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const l of lines) console.log(row(l));
  if (sink === -1) console.log(sink);
}

main();

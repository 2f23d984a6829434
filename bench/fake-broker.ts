/**
 * A fake AMQP 0-9-1 broker for the end-to-end benchmarks, written with rx-amqp's own codec.
 * It does as little as it can so that the CLIENT is what gets measured; run it in a process of
 * its own (`bench/index.ts` does):
 *
 *   node fake-broker.js [port]      prints {"port": N} on stdout once it listens (default: random)
 *
 * What it speaks:
 * - handshake: connection.start (mechanisms PLAIN AMQPLAIN; whatever start-ok says is
 *   accepted), tune (channel_max 2047, frame_max 131072, heartbeat 0), open-ok; close / close-ok.
 * - channel.open / close, basic.qos, exchange.declare, queue.bind, confirm.select: answered with
 *   their -ok, nothing else happens.
 * - queue.declare: declare-ok whose messageCount is the number of basic.publish received on
 *   that channel so far (a publisher ends its run with one: the reply proves the broker has read
 *   every publish before it).
 * - basic.publish: counted and dropped (method frames are recognised by their class and method
 *   ids; content frames are skipped undecoded). In confirm mode, after each chunk read from the
 *   socket, one `basic.ack multiple` for everything published on the channel so far.
 * - basic.consume on a queue named `fake.deliver.<count>.<bodySize>`: consume-ok, then `count`
 *   deliveries of `bodySize` bytes, as fast as the socket takes them: a block of deliver +
 *   header + body frames is encoded once (for the negotiated frame_max) into 16 buffers, and
 *   sending is patching the delivery tags (1, 2, 3, ... per channel) into a buffer the socket
 *   is done with and writing it: at most 16 blocks (~4 MiB) are queued in the broker, the rest
 *   waits until the socket has flushed them (backpressure). basic.qos prefetch is NOT
 *   honoured: the benchmark consumers either use noAck or ack every delivery at once.
 *   basic.ack / nack / reject are counted and dropped; basic.cancel stops the stream.
 */
import * as net from 'node:net';
import { FrameParser, FrameType, METHOD_TABLES, decodeMethod, type Frame } from '../lib/protocol';
import { Writer } from '../lib/protocol/writer';
import { writeBodyFrames, writeHeaderFrame, writeMethodFrame } from '../lib/protocol/method-codec';

const table = METHOD_TABLES['0-9-1'];
const basicProps = table.properties.get(60)!;
const deliverDef = table.named('basic.deliver');
const FRAME_MAX = 131072;
/** Bytes per write while streaming deliveries. */
const BLOCK_BYTES = 256 * 1024;
/** Blocks in flight per consumer. */
const BLOCKS = 16;
/** Properties every delivery carries (as a publisher commonly sets them). */
const DELIVERY_PROPERTIES = { contentType: 'application/octet-stream', deliveryMode: 1 };
const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');

interface ChannelState {
  published: number;
  acked: number;
  confirm: boolean;
  streams: Set<Stream>;
}

interface Stream {
  stopped: boolean;
  consumerTag: string;
}

/** Serves one client connection. */
function serve(socket: net.Socket): void {
  socket.setNoDelay(true);
  const parser = new FrameParser({ frameMax: FRAME_MAX });
  const channels = new Map<number, ChannelState>();
  const out = new Writer(4096);
  let header: Buffer | null = Buffer.alloc(0);
  let frameMax = FRAME_MAX;
  let tagSeq = 0;
  const dirty = new Set<number>();

  const send = (channel: number, name: string, args: object = {}) => {
    out.reset();
    writeMethodFrame(out, channel, table.named(name), args);
    socket.write(out.toBuffer());
  };

  const stopStreams = (ch: ChannelState | undefined) => {
    for (const s of ch?.streams ?? []) s.stopped = true;
    ch?.streams.clear();
  };

  const onFrame = (frame: Frame) => {
    if (frame.type !== FrameType.METHOD) return; // heartbeats, and publish content: skipped
    const p = frame.payload;
    const classId = (p[0] << 8) | p[1];
    const methodId = (p[2] << 8) | p[3];
    if (classId === 60 && methodId === 40) {
      // basic.publish: the hot path, not decoded
      const ch = channels.get(frame.channel)!;
      ch.published++;
      if (ch.confirm) dirty.add(frame.channel);
      return;
    }
    if (classId === 60 && (methodId === 80 || methodId === 90 || methodId === 120)) return; // ack, reject, nack
    const m = decodeMethod(p);
    const args = m.args as unknown as Record<string, unknown>;
    const id = frame.channel;
    switch (m.name) {
      case 'connection.start-ok':
        return send(0, 'connection.tune', { channelMax: 2047, frameMax: FRAME_MAX, heartbeat: 0 });
      case 'connection.tune-ok':
        frameMax = (args.frameMax as number) || FRAME_MAX;
        parser.frameMax = frameMax;
        return;
      case 'connection.open':
        return send(0, 'connection.open-ok');
      case 'connection.close':
        for (const ch of channels.values()) stopStreams(ch);
        send(0, 'connection.close-ok');
        socket.end();
        return;
      case 'channel.open':
        channels.set(id, { published: 0, acked: 0, confirm: false, streams: new Set() });
        return send(id, 'channel.open-ok');
      case 'channel.close':
        stopStreams(channels.get(id));
        channels.delete(id);
        return send(id, 'channel.close-ok');
      case 'channel.close-ok':
        return;
      case 'basic.qos':
        return send(id, 'basic.qos-ok');
      case 'exchange.declare':
        if (!args.nowait) send(id, 'exchange.declare-ok');
        return;
      case 'queue.bind':
        if (!args.nowait) send(id, 'queue.bind-ok');
        return;
      case 'queue.declare':
        if (!args.nowait)
          send(id, 'queue.declare-ok', {
            queue: args.queue || 'fake.q',
            messageCount: channels.get(id)!.published,
            consumerCount: 0,
          });
        return;
      case 'confirm.select':
        channels.get(id)!.confirm = true;
        if (!args.nowait) send(id, 'confirm.select-ok');
        return;
      case 'basic.consume': {
        const consumerTag = (args.consumerTag as string) || `amq.ctag-fake-${String(++tagSeq).padStart(13, '0')}`;
        if (!args.nowait) send(id, 'basic.consume-ok', { consumerTag });
        const ch = channels.get(id)!;
        const stream: Stream = { stopped: false, consumerTag };
        ch.streams.add(stream);
        const [, count, size] = /^fake\.deliver\.(\d+)\.(\d+)$/.exec(args.queue as string) ?? [];
        deliver(socket, id, stream, args.queue as string, Number(count ?? 0), Number(size ?? 0), frameMax);
        return;
      }
      case 'basic.cancel': {
        const ch = channels.get(id);
        for (const s of ch?.streams ?? []) if (s.consumerTag === args.consumerTag) s.stopped = true;
        if (!args.nowait) send(id, 'basic.cancel-ok', { consumerTag: args.consumerTag });
        return;
      }
      case 'channel.flow':
        return send(id, 'channel.flow-ok', { active: args.active });
      default:
        console.error(`fake broker: ${m.name} not handled`);
    }
  };

  socket.on('data', (chunk: Buffer) => {
    try {
      if (header) {
        header = Buffer.concat([header, chunk]);
        if (header.length < 8) return;
        if (!header.subarray(0, 8).equals(PROTOCOL_HEADER)) {
          socket.end(PROTOCOL_HEADER);
          return;
        }
        chunk = header.subarray(8);
        header = null;
        send(0, 'connection.start', {
          versionMajor: 0,
          versionMinor: 9,
          serverProperties: {
            product: 'rx-amqp fake broker',
            version: '0',
            capabilities: {
              publisher_confirms: true,
              consumer_cancel_notify: true,
              'basic.nack': true,
              'connection.blocked': true,
              exchange_exchange_bindings: true,
              authentication_failure_close: true,
              per_consumer_qos: true,
            },
          },
          mechanisms: 'PLAIN AMQPLAIN',
          locales: 'en_US',
        });
      }
      parser.push(chunk, onFrame);
      // One multiple-ack per confirm channel for all the publishes of this chunk.
      for (const id of dirty) {
        const ch = channels.get(id);
        if (ch && ch.published > ch.acked) {
          ch.acked = ch.published;
          send(id, 'basic.ack', { deliveryTag: ch.published, multiple: true });
        }
      }
      dirty.clear();
    } catch (e) {
      console.error('fake broker:', e);
      socket.destroy();
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    for (const ch of channels.values()) stopStreams(ch);
  });
}

/**
 * Streams `count` deliveries of `size` bytes on `channel`. A block of deliveries is encoded
 * once into each of BLOCKS buffers; sending a block is patching its delivery tags and writing
 * it, and a buffer is reused once the socket has handed it to the kernel (its write callback),
 * so the broker neither allocates nor copies per delivery and at most BLOCKS × ~256 KiB wait
 * in user space.
 */
function deliver(
  socket: net.Socket,
  channel: number,
  stream: Stream,
  queue: string,
  count: number,
  size: number,
  frameMax: number,
): void {
  // Encode one block of deliveries; remember where each message starts and where its tag is.
  const body = Buffer.alloc(size, 0x61);
  const w = new Writer(BLOCK_BYTES + 2 * (size + 256));
  const starts: number[] = [];
  const tagAt: number[] = [];
  const tagOffset = 7 + 4 + 1 + Buffer.byteLength(stream.consumerTag); // frame header, ids, tag length
  do {
    starts.push(w.pos);
    tagAt.push(w.pos + tagOffset);
    writeMethodFrame(w, channel, deliverDef, {
      consumerTag: stream.consumerTag,
      deliveryTag: 0,
      redelivered: false,
      exchange: '',
      routingKey: queue,
    });
    writeHeaderFrame(w, channel, basicProps, size, DELIVERY_PROPERTIES);
    writeBodyFrames(w, channel, body, frameMax);
  } while (w.pos < BLOCK_BYTES);
  starts.push(w.pos);
  const perBlock = tagAt.length;
  const free = Array.from({ length: BLOCKS }, () => Buffer.from(w.buf.subarray(0, w.pos)));

  let tag = 0;
  const pump = () => {
    while (free.length > 0 && !stream.stopped && tag < count && !socket.destroyed) {
      const block = free.pop()!;
      const n = Math.min(perBlock, count - tag);
      for (let i = 0; i < n; i++) block.writeUInt32BE(++tag, tagAt[i] + 4); // low half of the 64-bit tag
      socket.write(block.subarray(0, starts[n]), () => {
        free.push(block);
        pump();
      });
    }
  };
  pump();
}

/** Starts a fake broker on `port` (0: a random one); resolves with the server once it listens. */
export function startFakeBroker(port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer(serve);
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

if (require.main === module) {
  void startFakeBroker(Number(process.argv[2] ?? 0)).then((server) => {
    const { port } = server.address() as net.AddressInfo;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
}

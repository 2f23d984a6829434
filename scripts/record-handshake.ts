/**
 * One-off recorder of a broker's `connection.start` frame, for the codec's golden tests.
 *
 *   npx tsx scripts/record-handshake.ts [host] [port]
 *
 * Opens a raw TCP socket per dialect, sends the protocol header (0-9-1: `AMQP\x00\x00\x09\x01`,
 * 0-8: `AMQP\x01\x01\x08\x00`), reads exactly one frame (the server's connection.start), closes
 * the socket and writes both frames as hex to spec/protocol/fixtures/rabbitmq-3.10-connection-start.ts.
 * No rx-amqp code is involved, so the fixture is what the broker sent, byte for byte.
 */
import { createConnection } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 5672);

const HEADERS = {
  '0-9-1': Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'),
  '0-8': Buffer.from('AMQP\x01\x01\x08\x00', 'latin1'),
} as const;

/** Sends `header` and resolves with the first whole frame the server answers. */
function recordFirstFrame(header: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete frame after 5 s (${got.length} bytes: ${got.toString('hex')})`));
    }, 5000);
    socket.on('connect', () => socket.write(header));
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 8 && got.subarray(0, 4).toString('latin1') === 'AMQP') {
        // The server refused the header and answered with the one it supports.
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`server rejected the header, answered ${got.toString('hex')}`));
        return;
      }
      if (got.length < 7) return;
      const total = got.readUInt32BE(3) + 8;
      if (got.length < total) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(got.subarray(0, total));
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Hex in lines of 32 bytes, as a TS string concatenation. */
function hexLines(b: Buffer): string {
  const hex = b.toString('hex');
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 64) lines.push(`  '${hex.slice(i, i + 64)}'`);
  return lines.join(' +\n');
}

async function main(): Promise<void> {
  const v091 = await recordFirstFrame(HEADERS['0-9-1']);
  const v08 = await recordFirstFrame(HEADERS['0-8']);
  const recorded = new Date().toISOString();
  const text = `// RECORDED by scripts/record-handshake.ts from a RabbitMQ broker at ${host}:${port} on ${recorded}.
// Each constant is one whole frame (type, channel, size, payload, frame-end) exactly as the
// broker sent it in answer to the protocol header. Re-record with \`npx tsx scripts/record-handshake.ts\`.

/** connection.start in answer to \`AMQP\\x00\\x00\\x09\\x01\` (AMQP 0-9-1), ${v091.length} bytes. */
export const CONNECTION_START_0_9_1_HEX =
${hexLines(v091)};

/** connection.start in answer to \`AMQP\\x01\\x01\\x08\\x00\` (AMQP 0-8), ${v08.length} bytes. */
export const CONNECTION_START_0_8_HEX =
${hexLines(v08)};
`;
  const target = join(__dirname, '..', 'spec', 'protocol', 'fixtures', 'rabbitmq-3.10-connection-start.ts');
  writeFileSync(target, text);
  console.log(`wrote ${target}: 0-9-1 frame ${v091.length} bytes, 0-8 frame ${v08.length} bytes`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

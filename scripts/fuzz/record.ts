/**
 * Records the fuzzer's server byte streams from a real broker:
 *
 *   npx tsx scripts/fuzz/record.ts [amqp-host] [port]     (default 127.0.0.1 5672)
 *
 * For each scenario of sessions.ts it starts a recording TCP proxy (spec/support/tcp-proxy.ts)
 * in front of the broker, runs the session through it with rx-amqp, and writes every chunk the
 * broker sent, tagged with the number of frames the client had written before it, to
 * scripts/fuzz/recordings/<scenario>.hex (format in recording.ts). Heartbeats are turned off
 * so that the streams hold only the session. Queues are exclusive and auto-deleted, with a
 * random suffix, so the shared broker keeps nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { open } from '../../lib/connection/connect';
import { TcpProxy } from '../../spec/support/tcp-proxy';
import { ClientFrameCounter, formatRecording, RECORDINGS_DIR, type Recording, type Segment } from './recording';
import { SCENARIOS, type Scenario } from './sessions';
import { CONNECTION_START_0_9_1_HEX } from '../../spec/protocol/fixtures/rabbitmq-3.10-connection-start';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 5672);

async function record(scenario: Scenario): Promise<Recording> {
  const proxy = await TcpProxy.start({ host, port });
  const counter = new ClientFrameCounter();
  const segments: Segment[] = [];
  proxy.tamper((chunk, direction) => {
    if (direction === 'toServer') counter.push(chunk);
    else segments.push({ after: counter.count, bytes: Buffer.from(chunk) });
    return chunk;
  });
  const params = scenario.params(randomBytes(4).toString('hex'));
  try {
    const connection = await open({
      ...scenario.options,
      url: proxy.url(),
      heartbeat: 0,
      connectionName: `rx-amqp fuzz recorder ${scenario.name}`,
    });
    await scenario.run(connection, params);
    await connection.close();
    const error = await connection.closed;
    if (error) throw error;
  } finally {
    await proxy.close();
  }
  return { scenario: scenario.name, params, segments };
}

async function main(): Promise<void> {
  for (const scenario of Object.values(SCENARIOS)) {
    const recording = await record(scenario);
    const product = recording.segments[0]?.bytes.toString('latin1').match(/versionS....([0-9.]+)/s)?.[1] ?? 'unknown';
    if (scenario.name === 'handshake' && scenario.options.protocol === undefined) {
      // The first frame is the broker's connection.start: the same bytes as the codec's golden fixture.
      const start = Buffer.from(CONNECTION_START_0_9_1_HEX, 'hex');
      const same = recording.segments[0].bytes.subarray(0, start.length).equals(start);
      console.log(
        `${scenario.name}: connection.start ${same ? 'matches' : 'differs from'} spec/protocol/fixtures/rabbitmq-3.10-connection-start.ts`,
      );
    }
    const bytes = recording.segments.reduce((n, s) => n + s.bytes.length, 0);
    const text = formatRecording(recording, [
      `RECORDED by scripts/fuzz/record.ts (npx tsx scripts/fuzz/record.ts) from RabbitMQ ${product} at ${host}:${port}`,
      `on ${new Date().toISOString()}: the bytes the broker sent in scenario '${scenario.name}' (scripts/fuzz/sessions.ts),`,
      `${recording.segments.length} chunks, ${bytes} bytes. Format: scripts/fuzz/recording.ts.`,
    ]);
    writeFileSync(join(RECORDINGS_DIR, `${scenario.name}.hex`), text);
    console.log(`${scenario.name}: ${recording.segments.length} chunks, ${bytes} bytes`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

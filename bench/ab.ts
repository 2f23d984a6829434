/**
 * A/B of two builds of the client on this noisy machine: alternates their bundled clients run
 * by run against one fake broker and reports paired CPU ratios, which cancel the drift of the
 * host better than two whole `npm run bench` runs back to back.
 *
 *   npx tsx bench/bundle.ts <old checkout> /tmp/old   # each build's library, this bench's clients
 *   npx tsx bench/bundle.ts . /tmp/new
 *   npx tsx bench/ab.ts /tmp/old /tmp/new [case text] [rounds] [scale] [clients]
 *
 * Each round runs every client of both builds (old/new order alternating by round) and the old
 * build's amqplib once. Reported per case and client: the median CPU µs/msg of each build, the
 * median and quartiles of new/old over the rounds, and both builds' CPU ratio to amqplib.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { median, runBundled } from './bundled-run';
import { CASES } from './cases';

const [oldDir, newDir, caseText = '', roundsArg = '10', scaleArg = '1', clientsArg = 'rx-amqp,rx-amqp ops'] =
  process.argv.slice(2);
if (!oldDir || !newDir) {
  console.error('usage: npx tsx bench/ab.ts <old bundle dir> <new bundle dir> [case] [rounds] [scale] [clients]');
  process.exit(2);
}
const rounds = Number(roundsArg);
const scale = Number(scaleArg);
const clients = clientsArg.split(',');

async function main(): Promise<void> {
  const broker = spawn(process.execPath, [join(oldDir, 'fake-broker.js'), '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((r) => broker.stdout.once('data', (d) => r(JSON.parse(String(d)).port)));
  const url = `amqp://guest:guest@127.0.0.1:${port}/`;
  try {
    for (const base of CASES.filter((c) => c.name.includes(caseText) && c.broker === 'fake')) {
      const c = { ...base, count: Math.round(base.count * scale) };
      const cpu: Record<string, { old: number[]; new: number[] }> = {};
      for (const client of clients) cpu[client] = { old: [], new: [] };
      const amqplib: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const order = i % 2 ? (['new', 'old'] as const) : (['old', 'new'] as const);
        for (const client of clients) {
          for (const side of order) {
            const r = await runBundled(side === 'old' ? oldDir : newDir, client, c, url);
            cpu[client][side].push(r.cpuMicros / r.messages);
          }
        }
        const a = await runBundled(oldDir, 'amqplib', c, url);
        amqplib.push(a.cpuMicros / a.messages);
      }
      const a = median(amqplib);
      for (const client of clients) {
        const { old: o, new: n } = cpu[client];
        const ratios = o.map((x, i) => n[i] / x).sort((p, q) => p - q);
        const q = (f: number) => ratios[Math.floor(f * ratios.length)].toFixed(3);
        console.log(
          `${c.name} / ${client}: old ${median(o).toFixed(3)}, new ${median(n).toFixed(3)} µs CPU/msg; ` +
            `new/old ${median(ratios).toFixed(3)} [q1 ${q(0.25)}, q3 ${q(0.75)}]; ` +
            `CPU vs amqplib (${a.toFixed(3)}): old ${(a / median(o)).toFixed(2)}×, new ${(a / median(n)).toFixed(2)}×`,
        );
      }
    }
  } finally {
    broker.kill();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

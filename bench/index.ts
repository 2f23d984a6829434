/**
 * End-to-end benchmark: rx-amqp beside amqplib and @cloudamqp/amqp-client, same run.
 *
 *   npm run bench                       (= tsx bench/index.ts)
 *   npm run bench -- --runs 1 --case publish --client rx-amqp
 *   npm run bench -- --profile          one run per case and client under node --cpu-prof,
 *                                       then the top self-time functions of each
 *
 * Options: --runs N (default 3; the median is reported), --case TEXT / --client TEXT (run only
 * those whose name contains TEXT; a comma-separated list of whole names selects exactly those),
 * --scale X (multiply every message count), --profile.
 * Environment: AMQP_URL for the real broker (default amqp://guest:guest@127.0.0.1:5672).
 *
 * How: each client's driver (bench/clients/*.ts) is bundled with bench/client.ts by esbuild
 * (bench/bundle.ts) into a plain-JS file of its own (so a run loads only its own library and
 * no TypeScript loader), and every run of every case is a fresh `node` child process. The fake broker
 * (bench/fake-broker.ts) runs in one more child process for the whole benchmark, so the CPU
 * and memory a run reports are the client's alone. Runs of a case alternate between clients,
 * and each waits (up to 5 s) for other work on the machine to leave the CPUs mostly idle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { open } from 'rx-amqp';
import { CASES, type Case } from './cases';
import { topSelfTime } from './profile';
import { median, runBundled, type RunResult } from './bundled-run';
import { bundleClients, CLIENTS } from './bundle';

const BASELINE = 'amqplib';
/** A run starts once the machine is at most this busy (share of all CPUs), or after QUIET_WAIT_MS. */
const QUIET_BUSY = 0.15;
const QUIET_WAIT_MS = 5_000;

const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const profile = argv.includes('--profile');
const runs = profile ? 1 : Number(option('runs') ?? 3);
const scale = Number(option('scale') ?? 1);
const caseFilter = option('case');
const clientFilter = option('client');
const realUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Starts the fake broker process; resolves with it and its port. */
function startBroker(dir: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'fake-broker.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout!.once('data', (line: Buffer) => resolve({ child, port: JSON.parse(line.toString()).port }));
  });
}

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = createConnection({ host: u.hostname, port: Number(u.port || 5672) });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** One run: a fresh node process for `client` on case `c` (under --cpu-prof with `profileDir`). */
function runOnce(dir: string, client: string, c: Case, url: string, profileDir?: string): Promise<RunResult> {
  return runBundled(dir, client, c, url, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
}

/** Share of all CPUs busy over 300 ms (Linux /proc/stat; 0 elsewhere). */
async function machineBusy(): Promise<number> {
  if (!existsSync('/proc/stat')) return 0;
  const sample = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + f[4], total: f.reduce((a, b) => a + b, 0) };
  };
  const a = sample();
  await new Promise((r) => setTimeout(r, 300));
  const b = sample();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/** Waits (up to QUIET_WAIT_MS) until other work leaves the CPUs mostly idle; false if it never did. */
async function waitForQuiet(): Promise<boolean> {
  const until = Date.now() + QUIET_WAIT_MS;
  do {
    if ((await machineBusy()) < QUIET_BUSY) return true;
  } while (Date.now() < until);
  return false;
}

const rate = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-'));
  await bundleClients(dir);
  const broker = await startBroker(dir);
  try {
    await benchmark(dir, broker.port);
  } finally {
    broker.child.kill();
    if (profile) console.log(`\nprofiles and bundles kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

async function benchmark(dir: string, port: number): Promise<void> {
  const fakeUrl = `amqp://guest:guest@127.0.0.1:${port}`;

  let rabbit = 'not reachable: real-broker cases skipped';
  if (await reachable(realUrl)) {
    try {
      const conn = await open(realUrl);
      rabbit = `${String(conn.serverProperties.product)} ${String(conn.serverProperties.version)}`;
      await conn.close();
    } catch (e) {
      rabbit = `not usable (${(e as Error).message}): real-broker cases skipped`;
    }
  }
  // --client takes a comma-separated list; an item that is a client's whole name selects that
  // client only ("rx-amqp,amqplib"), any other item every client whose name contains it.
  const filters = clientFilter?.split(',').map((f) => f.trim());
  const selects = (name: string, f: string) => (CLIENTS.some((c) => c.name === f) ? name === f : name.includes(f));
  const clients = CLIENTS.filter((c) => !filters || filters.some((f) => selects(c.name, f)));
  const cases = CASES.filter(
    (c) => (!caseFilter || c.name.includes(caseFilter)) && (c.broker === 'fake' || !rabbit.endsWith('skipped')),
  );

  console.log(
    `rx-amqp end-to-end benchmark — node ${process.version}, ${cpus()[0]?.model ?? '?'} (${cpus().length} logical CPUs), broker: ${rabbit}`,
  );
  console.log(
    `${runs} run(s) per case and client, median reported; fake broker on port ${port}; load average ${loadavg()[0].toFixed(2)}\n`,
  );

  const rows: string[][] = [];
  let busyStarts = 0;
  for (const c0 of cases) {
    const c = { ...c0, count: Math.round(c0.count * scale) };
    const url = c.broker === 'fake' ? fakeUrl : realUrl;
    const results = new Map<string, RunResult[]>(clients.map((cl) => [cl.name, []]));
    for (let r = 0; r < runs; r++) {
      for (const cl of clients) {
        const profileDir = profile ? mkdtempSync(join(dir, 'prof-')) : undefined;
        if (!(await waitForQuiet())) busyStarts++;
        const res = await runOnce(dir, cl.name, c, url, profileDir);
        results.get(cl.name)!.push(res);
        process.stderr.write(
          `  ${c.name} / ${cl.name}: ${rate(res.messages / res.seconds)} msg/s, ${(res.cpuMicros / res.messages).toFixed(2)} µs CPU/msg\n`,
        );
        if (profileDir) {
          const file = join(profileDir, readdirSync(profileDir)[0]);
          console.log(`\n${c.name} / ${cl.name}: top self time (${file})`);
          console.log(topSelfTime(file, join(dir, `client-${cl.name}.js`), 12));
        }
      }
    }
    const summary = clients.map((cl) => {
      const rs = results.get(cl.name)!;
      return {
        client: cl.name,
        rate: median(rs.map((x) => x.messages / x.seconds)),
        cpu: median(rs.map((x) => x.cpuMicros / x.messages)),
        rss: median(rs.map((x) => x.peakRssMB)),
      };
    });
    const base = summary.find((s) => s.client === BASELINE)?.rate;
    for (const [i, s] of summary.entries()) {
      rows.push([
        i === 0 ? `${c.name} (${rate(c.count).replace(' ', '')} msgs)` : '',
        s.client,
        rate(s.rate),
        base ? `${(s.rate / base).toFixed(2)}×` : '–',
        s.cpu.toFixed(2),
        s.rss.toFixed(0),
      ]);
    }
  }
  console.log(
    `\nload average at the end: ${loadavg()[0].toFixed(2)}; ${busyStarts} run(s) started while other work kept the CPUs over ${QUIET_BUSY * 100}% busy`,
  );
  console.log('(other work on the machine lowers msg/s; CPU µs/msg is steadier)\n');
  console.log(table(['case', 'client', 'msg/s', `vs ${BASELINE}`, 'CPU µs/msg', 'peak RSS MB'], rows));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * One run of a bundled benchmark client (see bench/client.ts): a fresh node process for one
 * client and one case, killed after a minute. Shared by bench/index.ts and bench/ab.ts.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Case } from './cases';

const RUN_TIMEOUT_MS = 60_000;

/** What a client prints after its measured run. */
export interface RunResult {
  messages: number;
  seconds: number;
  cpuMicros: number;
  peakRssMB: number;
  rssAfterConnectMB: number;
}

/** Runs `client-<client>.js` of the bundle directory `dir` on case `c` against `url`. */
export function runBundled(
  dir: string,
  client: string,
  c: Case,
  url: string,
  nodeFlags: string[] = [],
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...nodeFlags, join(dir, `client-${client}.js`), JSON.stringify({ case: c, url })],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!));
      else reject(new Error(`${client} / ${c.name}: exit ${code ?? signal}`));
    });
  });
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

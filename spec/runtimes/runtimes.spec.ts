/**
 * The built package under the runtimes the README says are supported: spec/runtimes/smoke.mjs
 * (publishTo with confirms, basicGet, consume + ackAfter, close against the test broker) run by
 * Node, by Bun and by Deno, the latter two installed from npm as devDependencies.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BROKER_URL } from '../integration/helpers';
import { ensureBuilt } from '../support/built-package';

const root = resolve(__dirname, '../..');
const smoke = join(__dirname, 'smoke.mjs');

/** Whether `path --version` runs. */
function runs(path: string): boolean {
  return existsSync(path) && spawnSync(path, ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Bun's binary. `npm ci` links it as node_modules/.bin/bun when bun's postinstall runs (allowed in
 * package.json's allowScripts); when install scripts were skipped, the platform package
 * (@oven/bun-<os>-<arch>...) still holds it.
 */
function bunBinary(): string {
  const linked = join(root, 'node_modules/.bin/bun');
  if (runs(linked)) return linked;
  const oven = join(root, 'node_modules/@oven');
  const candidates = existsSync(oven) ? readdirSync(oven).map((p) => join(oven, p, 'bin/bun')) : [];
  const found = candidates.find(runs);
  if (!found) throw new Error('no working Bun binary under node_modules (npm ci installs the devDependency `bun`)');
  return found;
}

/** Deno's binary, from the devDependency @deno/linux-x64-glibc (it has no install script). */
function denoBinary(): string {
  const path = join(root, 'node_modules/@deno/linux-x64-glibc/deno');
  if (!runs(path))
    throw new Error(`no working Deno binary at ${path} (npm ci installs the devDependency @deno/linux-x64-glibc)`);
  return path;
}

const { host } = new URL(BROKER_URL);
const runtimes: Array<[string, () => string[]]> = [
  ['Node', () => [process.execPath, smoke, BROKER_URL]],
  ['Bun', () => [bunBinary(), smoke, BROKER_URL]],
  ['Deno', () => [denoBinary(), 'run', '--no-lock', `--allow-net=${host}`, `--allow-read=${root}`, smoke, BROKER_URL]],
];

describe('the built package under Node, Bun and Deno (against the test broker)', () => {
  beforeAll(() => {
    ensureBuilt();
  }, 120_000);

  it.each(runtimes)(
    '%s: publishTo with confirms, basicGet, consume + ackAfter, close',
    (name, command) => {
      const [bin, ...args] = command();
      const result = spawnSync(bin, args, {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, NO_COLOR: '1' },
      });
      if (result.status !== 0)
        throw new Error(`${name} exited with ${result.status ?? result.signal}:\n${result.stdout}${result.stderr}`);
      const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
      expect(report.runtime).toMatch(new RegExp(`^${name.toLowerCase()} `));
      expect(report).toMatchObject({
        statuses: ['confirmed'],
        published: 21,
        got: 'message 0',
        consumed: Array.from({ length: 20 }, (_, i) => `message ${i + 1}`),
        left: 0,
      });
    },
    90_000,
  );
});

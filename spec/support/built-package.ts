/**
 * The built package (dist/) for the specs that load it as users do. `npm test` builds it first
 * (pretest); when jest runs on its own, the first spec that needs it builds it, and the others
 * wait for that build instead of starting their own (the build empties dist/ first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's root, where package.json and dist/ are. */
export const PACKAGE_ROOT = resolve(__dirname, '../..');

const outputs = [
  'dist/cjs/index.cjs',
  'dist/esm/testing.mjs',
  'dist/index.d.ts',
  'dist/protocol.d.ts',
  'dist/testing.d.ts',
];
const built = (): boolean => outputs.every((f) => existsSync(join(PACKAGE_ROOT, f)));

/** Builds dist/ unless it is there, one build at a time across jest workers. */
export function ensureBuilt(): void {
  if (built()) return;
  const lock = join(PACKAGE_ROOT, '.tmp', 'build.lock');
  mkdirSync(join(PACKAGE_ROOT, '.tmp'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another worker builds; a lock older than five minutes is left over from a killed run.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 300_000)
        rmSync(lock, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    if (!built()) execFileSync('npx', ['rollup', '-c'], { cwd: PACKAGE_ROOT, stdio: 'ignore' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

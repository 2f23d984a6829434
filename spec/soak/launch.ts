/**
 * `npm run soak`: bundles spec/soak/soak.ts with esbuild (tsx's compiler) and runs the
 * bundle in a plain `node` process, so that the RSS the soak measures is the client's and not
 * that of a TypeScript loader (tsx alone adds about 40 MB to a process). Passes its exit code on.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const root = path.resolve(__dirname, '../..');
const outfile = path.join(root, '.tmp', 'soak', 'soak.js');
fs.mkdirSync(path.dirname(outfile), { recursive: true });
buildSync({
  entryPoints: [path.join(__dirname, 'soak.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile,
  external: ['rxjs'],
  tsconfig: path.join(root, 'tsconfig.json'),
  logLevel: 'warning',
});
const run = spawnSync(
  process.execPath,
  [...(process.env.SOAK_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []), outfile],
  { stdio: 'inherit', cwd: root },
);
process.exit(run.status ?? 1);

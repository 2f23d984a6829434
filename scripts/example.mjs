#!/usr/bin/env node
// Runs one of the examples: `npm run example -- NAME [args...]` runs `examples/NAME.ts` with
// tsx, which resolves 'rx-amqp' to lib/ through tsconfig.json's `paths`. NAME may be a unique
// prefix (`tutorial-6`). Without a NAME, or with an unknown one, lists the examples.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const examplesDir = join(root, 'examples');
const names = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

/** The first line of an example's doc comment. */
function summary(name) {
  const text = readFileSync(join(examplesDir, `${name}.ts`), 'utf8');
  const m = /\/\*\*\s*\n\s*\*\s*(.+)/.exec(text);
  return m ? m[1] : '';
}

function list(stream) {
  const width = Math.max(...names.map((n) => n.length));
  stream.write('usage: npm run example -- NAME [args...]\n\nexamples:\n');
  for (const n of names) stream.write(`  ${n.padEnd(width)}  ${summary(n)}\n`);
  stream.write('\nThey use the broker at AMQP_URL (default amqp://guest:guest@localhost:5672).\n');
}

const [wanted, ...args] = process.argv.slice(2);
if (!wanted || wanted === '--help' || wanted === '-h') {
  list(process.stdout);
  process.exit(wanted ? 0 : 1);
}
const base = wanted.replace(/^examples\//, '').replace(/\.ts$/, '');
const matches = names.includes(base) ? [base] : names.filter((n) => n.startsWith(base));
if (matches.length !== 1) {
  process.stderr.write(
    matches.length ? `'${wanted}' is ambiguous: ${matches.join(', ')}\n\n` : `no example '${wanted}'\n\n`,
  );
  list(process.stderr);
  process.exit(1);
}

const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const child = spawn(
  process.execPath,
  [tsxCli, '--tsconfig', join(root, 'tsconfig.json'), join(examplesDir, `${matches[0]}.ts`), ...args],
  {
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 1 : 1)));

/**
 * Bundles the benchmark's clients and fake broker, each into one plain-JS file of its own.
 *
 *   npx tsx bench/bundle.ts <checkout> <out dir>
 *
 * bundles the rx-amqp of another checkout (its lib/, through its tsconfig's `rx-amqp` path)
 * with the clients of this bench/, so that `bench/ab.ts` compares two builds of the library
 * and nothing else: an older checkout's own bench/ may bundle differently.
 *
 * rxjs is bundled from its ES-module build. Why: bundled from its CommonJS build (what the
 * `node` export condition selects), esbuild gives every file that imports rxjs a copy of its
 * export namespace (`__toESM`), a startup cost that grows with the number of files importing
 * rxjs and that users never pay (the built package requires rxjs once). That early garbage
 * surviving the first scavenges was enough to make V8 grow the young generation for the whole
 * run and cost some cases 10-20 % (measured in bench/RESULTS.md, "One rxjs").
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild'; // esbuild comes with tsx

/** A benchmark client: `driver` is the export of `module` that implements cases.ts's Driver. */
export interface BenchClient {
  name: string;
  module: string;
  driver: string;
}

/** The clients compared; the rx-amqp ones beside the baseline and the other client. */
export const CLIENTS: BenchClient[] = [
  { name: 'rx-amqp', module: './clients/rx-amqp', driver: 'rxAmqp' },
  { name: 'rx-amqp ops', module: './clients/rx-amqp', driver: 'rxAmqpOperators' },
  // observability costs (bench/clients/rx-amqp-observed.ts); run them with --client rx-amqp
  { name: 'rx-amqp diag', module: './clients/rx-amqp-observed', driver: 'rxAmqpDiag' },
  { name: 'rx-amqp otel', module: './clients/rx-amqp-observed', driver: 'rxAmqpOtel' },
  { name: 'rx-amqp ackAfter', module: './clients/rx-amqp-observed', driver: 'rxAmqpAckAfter' },
  { name: 'rx-amqp ackAfter diag', module: './clients/rx-amqp-observed', driver: 'rxAmqpAckAfterDiag' },
  { name: 'rx-amqp ackAfter otel', module: './clients/rx-amqp-observed', driver: 'rxAmqpAckAfterOtel' },
  { name: 'amqplib', module: './clients/amqplib', driver: 'amqplibDriver' },
  { name: 'amqp-client', module: './clients/amqp-client', driver: 'amqpClientDriver' },
];

/** rxjs's ES-module entry (dist/esm beside the dist/cjs that `require` resolves to). */
function rxjsModuleBuild(): string {
  const entry = join(dirname(require.resolve('rxjs')), '..', 'esm', 'index.js');
  if (!existsSync(entry)) throw new Error(`rxjs has no ES-module build at ${entry}; bench/bundle.ts expects rxjs 7`);
  return entry;
}

/**
 * Writes `fake-broker.js` and `client-<name>.js` for each of `clients` into `dir`, with the
 * rx-amqp of the checkout at `root` (default: this one).
 */
export async function bundleClients(
  dir: string,
  clients: BenchClient[] = CLIENTS,
  root = join(__dirname, '..'),
): Promise<void> {
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    tsconfig: join(root, 'tsconfig.json'),
    alias: { rxjs: rxjsModuleBuild() },
    logLevel: 'warning',
  } as const;
  await build({ ...common, entryPoints: [join(__dirname, 'fake-broker.ts')], outfile: join(dir, 'fake-broker.js') });
  for (const c of clients) {
    await build({
      ...common,
      stdin: {
        contents: `import { main } from './client';\nimport { ${c.driver} } from '${c.module}';\nmain(${c.driver});\n`,
        resolveDir: __dirname,
        loader: 'ts',
      },
      outfile: join(dir, `client-${c.name}.js`),
    });
  }
}

if (require.main === module) {
  const [checkout, out] = process.argv.slice(2);
  if (!checkout || !out) {
    console.error('usage: npx tsx bench/bundle.ts <checkout> <out dir>');
    process.exit(2);
  }
  // The observability clients need exports an older checkout may lack: only the main three.
  const main = CLIENTS.filter((c) => ['rx-amqp', 'rx-amqp ops', 'amqplib'].includes(c.name));
  bundleClients(resolve(out), main, resolve(checkout)).then(
    () => console.log(`bundled ${resolve(checkout)} into ${resolve(out)}`),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

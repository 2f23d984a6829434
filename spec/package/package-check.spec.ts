/**
 * The package as users install it: `npm pack`, the tarball installed into scratch projects
 * (cached under .tmp/package-check, so a repeated run only reinstalls the tarball), the README's
 * snippets (spec/package/consumer) type-checked strictly with TypeScript 5.9 + @types/node 20 and
 * with the newest TypeScript + the newest @types/node, under node16 and bundler resolution;
 * @arethetypeswrong/cli, publint and TypeDoc clean; one copy of every class for `require` and
 * `import`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureBuilt } from '../support/built-package';

const root = resolve(__dirname, '../..');
const consumer = join(__dirname, 'consumer');
const scratch = join(root, '.tmp', 'package-check');
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);

/**
 * The scratch projects. Versions are pinned so that the check is reproducible and works offline
 * from the npm cache; "newest" means the newest published when this was last bumped
 * (`npm view typescript dist-tags`, `npm view @types/node dist-tags`).
 */
const projects = [
  { name: 'ts5.9', typescript: '5.9.3', typesNode: '20.19.43' },
  { name: 'newest', typescript: '7.0.2', typesNode: '26.6.7' },
] as const;
const installedVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
const rxjsVersion = installedVersion('rxjs');
/** What the README's OpenTelemetry snippet installs beside rx-amqp (the versions of the devDependencies). */
const otelPackages = ['@opentelemetry/api', '@opentelemetry/sdk-trace-node', '@opentelemetry/sdk-trace-base'].map(
  (name) => `${name}@${installedVersion(name)}`,
);

interface Run {
  status: number | null;
  output: string;
}

/** Runs a command to its end and returns its exit status and combined output (never throws). */
function run(command: string, args: string[], cwd: string): Run {
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Expects a command to succeed, showing its output when it did not. */
function expectSuccess(result: Run): void {
  if (result.status !== 0) throw new Error(`exit status ${result.status}:\n${result.output}`);
}

interface PackedFile {
  path: string;
  size: number;
}

/** Packs the package into .tmp/package-check as rx-amqp-<content hash>.tgz; returns its path and files. */
function pack(): { tarball: string; files: PackedFile[] } {
  mkdirSync(scratch, { recursive: true });
  for (const f of readdirSync(scratch)) if (f.endsWith('.tgz')) rmSync(join(scratch, f));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [info] = JSON.parse(out) as Array<{ filename: string; files: PackedFile[] }>;
  const packed = join(scratch, info.filename);
  // A name per content, so that npm installs a changed tarball instead of keeping the old one.
  const hash = createHash('sha256').update(readFileSync(packed)).digest('hex').slice(0, 12);
  const tarball = join(scratch, `rx-amqp-${hash}.tgz`);
  renameSync(packed, tarball);
  return { tarball, files: info.files };
}

/** Installs the tarball and the pinned tools into a scratch project and copies the consumer files in. */
function install(project: (typeof projects)[number], tarball: string): string {
  const dir = join(scratch, project.name);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json')))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }, null, 2));
  const deps = [
    tarball,
    `typescript@${project.typescript}`,
    `@types/node@${project.typesNode}`,
    `rxjs@${rxjsVersion}`,
    ...otelPackages,
  ];
  expectSuccess(run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-exact', ...deps], dir));
  for (const f of readdirSync(consumer)) copyFileSync(join(consumer, f), join(dir, f));
  return dir;
}

describe('the package as users install it (npm pack, then a scratch project)', () => {
  let tarball: string;
  let files: PackedFile[];

  beforeAll(() => {
    ensureBuilt();
    ({ tarball, files } = pack());
  }, 120_000);

  it('ships the license, the README, the builds and the declarations, and no sources', () => {
    const paths = files.map((f) => f.path);
    for (const f of ['LICENSE', 'README.md', 'package.json']) expect(paths).toContain(f);
    for (const entry of ['index', 'protocol', 'testing']) {
      for (const f of [`dist/cjs/${entry}.cjs`, `dist/esm/${entry}.mjs`, `dist/${entry}.d.ts`, `dist/${entry}.d.mts`])
        expect(paths).toContain(f);
    }
    expect(
      paths.filter((p) => p.startsWith('lib/') || (p.endsWith('.ts') && !p.endsWith('.d.ts') && !p.endsWith('.d.mts'))),
    ).toEqual([]);
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 rx-amqp contributors\n/,
    );
  });

  it('ships sourcemaps that carry their sources (the TypeScript files are not in the package)', () => {
    const maps = files.filter((f) => f.path.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const { path } of maps) {
      const map = JSON.parse(readFileSync(join(root, path), 'utf8')) as {
        sources: string[];
        sourcesContent?: Array<string | null>;
      };
      expect(map.sourcesContent).toHaveLength(map.sources.length);
      expect(map.sourcesContent?.filter((s) => typeof s !== 'string')).toEqual([]);
    }
  });

  it('mirrors every TypeScript snippet of the README in spec/package/consumer', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const snippets = [...readme.matchAll(/^( *)```ts\n([\s\S]*?)^ *```/gm)].map(([, indent, code]) =>
      code
        .split('\n')
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
        .join('\n')
        .trim(),
    );
    expect(snippets.length).toBeGreaterThan(0);
    const sources = readdirSync(consumer)
      .filter((f) => /\.c?ts$/.test(f))
      .map((f) => readFileSync(join(consumer, f), 'utf8'));
    const missing = snippets.filter((s) => !sources.some((src) => src.includes(s)));
    // A README snippet changed or was added: copy it into a file of spec/package/consumer.
    expect(missing).toEqual([]);
  });

  describe.each(projects)('installed with TypeScript $typescript and @types/node $typesNode', (project) => {
    let dir: string;
    beforeAll(() => {
      dir = install(project, tarball);
    }, 240_000);

    it.each(['node16', 'bundler'])(
      'the README snippets type-check strictly (no skipLibCheck) under %s resolution',
      (resolution) => {
        expectSuccess(run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', `tsconfig.${resolution}.json`], dir));
      },
      120_000,
    );

    it('require() and import give the same class objects for every entry point', () => {
      const names: Record<string, string[]> = {
        'rx-amqp': [
          'AmqpError',
          'Channel',
          'Connection',
          'Message',
          'Delivery',
          'ChannelClosedError',
          'ConnectionClosedError',
          'connect',
        ],
        'rx-amqp/protocol': ['AmqpError', 'FrameParser', 'Decimal', 'encodeFrame'],
        'rx-amqp/testing': ['FakeChannel', 'FakeServer', 'fakeChannel', 'delivery'],
      };
      const script = `
        import { createRequire } from 'node:module';
        const require = createRequire(import.meta.url);
        const names = ${JSON.stringify(names)};
        const result = {};
        for (const [entry, list] of Object.entries(names)) {
          const cjs = require(entry), esm = await import(entry);
          result[entry] = list.filter((n) => typeof cjs[n] !== 'function' || cjs[n] !== esm[n]);
          const cjsNames = Object.keys(cjs).filter((n) => n !== '__esModule');
          result[entry + ' names'] = cjsNames.length > 0 && JSON.stringify(cjsNames.sort()) === JSON.stringify(Object.keys(esm).sort());
        }
        const { Channel, AmqpError } = await import('rx-amqp');
        const { fakeChannel } = require('rx-amqp/testing');
        const { AmqpError: ProtocolAmqpError } = require('rx-amqp/protocol');
        result.fakeChannelIsChannel = fakeChannel() instanceof Channel;
        result.oneAmqpError = ProtocolAmqpError === AmqpError;
        console.log(JSON.stringify(result));`;
      const out = run(process.execPath, ['--input-type=module', '-e', script], dir);
      expectSuccess(out);
      expect(JSON.parse(out.output)).toEqual({
        'rx-amqp': [],
        'rx-amqp/protocol': [],
        'rx-amqp/testing': [],
        // import and require export the same names.
        'rx-amqp names': true,
        'rx-amqp/protocol names': true,
        'rx-amqp/testing names': true,
        fakeChannelIsChannel: true,
        oneAmqpError: true,
      });
    }, 60_000);
  });

  it('@arethetypeswrong/cli finds no problems', () => {
    expectSuccess(run(bin('attw'), [tarball], root));
  }, 120_000);

  it('publint finds nothing, not even a suggestion', () => {
    const result = run(bin('publint'), ['run', tarball, '--strict'], root);
    expectSuccess(result);
    expect(result.output).toMatch(/All good!/);
  }, 120_000);

  it('TypeDoc documents the three entry points with no warning (`npm run docs`)', () => {
    expectSuccess(run('npm', ['run', 'docs', '--', '--out', join(scratch, 'docs')], root));
  }, 180_000);
});

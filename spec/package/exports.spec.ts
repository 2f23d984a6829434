import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { VERSION } from 'rx-amqp';
import { ensureBuilt } from '../support/built-package';

const root = resolve(__dirname, '../..');

/** Runs node in a scratch project where `rx-amqp` resolves to this package (as after npm install). */
function nodeIn(dir: string, args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
}

describe('package entry points (built by `npm run build`, which `npm test` runs first)', () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'rx-amqp-exports-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'rx-amqp'), 'dir');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const entries: Array<[string, string[]]> = [
    [
      'rx-amqp',
      [
        'connect',
        'open',
        'Message',
        'openChannel',
        'consume',
        'ackEach',
        'ackAfter',
        'ackAfterBatch',
        'publishTo',
        'declareExchange',
        'declareQueue',
        'bindQueue',
        'accessRequest',
      ],
    ],
    ['rx-amqp/protocol', ['parseFrames', 'encodeFrame', 'decodeMethod', 'encodeMethod', 'encodeTable', 'decodeTable']],
    ['rx-amqp/testing', ['fakeChannel', 'delivery']],
  ];

  it.each(entries)('%s loads with require() and exports the contract names', (entry, names) => {
    const out = nodeIn(dir, [
      '-e',
      `const m = require(${JSON.stringify(entry)}); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])))`,
    ]);
    expect(JSON.parse(out)).toEqual(names.map(() => 'function'));
  });

  it.each(entries)('%s loads with import and exports the contract names', (entry, names) => {
    const out = nodeIn(dir, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(entry)}); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])))`,
    ]);
    expect(JSON.parse(out)).toEqual(names.map(() => 'function'));
  });

  it('ESM and CJS builds encode the same bytes', () => {
    const cjs = nodeIn(dir, [
      '-e',
      `const m = require('rx-amqp/protocol'); console.log(Buffer.from(m.encodeTable({ foo: 7 })).toString('hex'))`,
    ]);
    const esm = nodeIn(dir, [
      '--input-type=module',
      '-e',
      `const m = await import('rx-amqp/protocol'); console.log(Buffer.from(m.encodeTable({ foo: 7 })).toString('hex'))`,
    ]);
    expect(cjs.trim()).toBe('0000000903666f6f4900000007');
    expect(esm.trim()).toBe(cjs.trim());
  });

  it('ships bundled type declarations for every entry point', () => {
    for (const f of ['index', 'protocol', 'testing']) {
      expect(existsSync(join(root, 'dist', `${f}.d.ts`))).toBe(true);
      expect(existsSync(join(root, 'dist', `${f}.d.mts`))).toBe(true);
    }
  });

  it('rx-amqp/otel loads with require() and import and exports instrument; only it imports @opentelemetry/api', () => {
    const cjs = nodeIn(dir, ['-e', `console.log(typeof require('rx-amqp/otel').instrument)`]);
    const esm = nodeIn(dir, [
      '--input-type=module',
      '-e',
      `const m = await import('rx-amqp/otel'); console.log(typeof m.instrument)`,
    ]);
    expect([cjs.trim(), esm.trim()]).toEqual(['function', 'function']);
    expect(existsSync(join(root, 'dist', 'otel.d.ts'))).toBe(true);
    expect(existsSync(join(root, 'dist', 'otel.d.mts'))).toBe(true);
    // Loading the main entry must not load @opentelemetry/api (an optional peer dependency).
    const loaded = nodeIn(dir, [
      '-e',
      `require('rx-amqp'); console.log(Object.keys(require.cache).some((f) => f.includes('@opentelemetry')))`,
    ]);
    expect(loaded.trim()).toBe('false');
  });

  it('advertises the package version', () => {
    expect(VERSION).toBe(require(join(root, 'package.json')).version);
  });
});

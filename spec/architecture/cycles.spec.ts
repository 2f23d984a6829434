import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const script = join(root, 'scripts', 'check-cycles.mjs');

/** Runs scripts/check-cycles.mjs on dir; its exit code and what it printed. */
function check(dir?: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, dir ? [script, dir] : [script], { cwd: root, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('architecture of lib/ (scripts/check-cycles.mjs, see ARCHITECTURE.md)', () => {
  it('has no import cycle (type-only imports included) and keeps the layer rules', () => {
    const { status, output } = check();
    // The output lists every cycle and every forbidden import: show it when this fails.
    expect(output).toMatch(/no import cycle, layer rules kept/);
    expect(status).toBe(0);
  });

  describe('the check itself', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'rx-amqp-cycles-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const write = (file: string, text: string) => {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
    };

    it('fails on a cycle of type-only imports and lists it', () => {
      write('protocol/a.ts', "import type { B } from './b';\nexport interface A { b: B }\n");
      write('protocol/b.ts', "export type { A } from './a';\nexport interface B { n: number }\n");
      const { status, output } = check(dir);
      expect(status).toBe(1);
      expect(output).toContain('import cycle (2 files): protocol/a.ts -> protocol/b.ts -> protocol/a.ts');
    });

    it('fails when the channel layer imports the connection layer', () => {
      write('connection/connection.ts', "import { Channel } from '../channel/channel';\nexport const c = Channel;\n");
      write(
        'channel/channel.ts',
        "import type { Connection } from '../connection/types';\nexport class Channel { c?: Connection }\n",
      );
      write('connection/types.ts', 'export interface Connection { id: number }\n');
      const { status, output } = check(dir);
      expect(status).toBe(1);
      expect(output).toContain(
        'layer rule broken: channel/channel.ts (channel) imports connection/types.ts (connection)',
      );
      expect(output).not.toContain('import cycle');
    });

    it('fails when the protocol layer imports a layer above it', () => {
      write('protocol/frame.ts', "import { x } from '../frames/parse';\nexport const y = x;\n");
      write('frames/parse.ts', 'export const x = 1;\n');
      const { status, output } = check(dir);
      expect(status).toBe(1);
      expect(output).toContain('layer rule broken: protocol/frame.ts (protocol) imports frames/parse.ts (frames)');
    });

    it('passes a graph that only points down', () => {
      write('protocol/frame.ts', 'export const x = 1;\n');
      write('channel/channel.ts', "import { x } from '../protocol/frame';\nexport const y = x;\n");
      write('connection/connection.ts', "import { y } from '../channel/channel';\nexport const z = y;\n");
      expect(check(dir)).toEqual({
        status: 0,
        output: expect.stringContaining('3 files, no import cycle, layer rules kept'),
      });
    });
  });
});

describe('public classes that name each other (facades.ts; no back-reference allowed)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rx-amqp-knot-'));
    mkdirSync(join(dir, 'channel'));
    mkdirSync(join(dir, 'connection'));
    writeFileSync(join(dir, 'channel', 'channel.ts'), 'export class ChannelBase<D> { d?: D }\n');
    writeFileSync(
      join(dir, 'connection', 'connection.ts'),
      "import type { ChannelBase } from '../channel/channel';\nexport class ConnectionBase<C> { c?: C; b?: ChannelBase<C> }\n",
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('passes the knot: one file above both layers ties the classes that name each other', () => {
    writeFileSync(
      join(dir, 'facades.ts'),
      [
        "import { ChannelBase } from './channel/channel';",
        "import { ConnectionBase } from './connection/connection';",
        'export class Channel extends ChannelBase<number> { connection?: Connection }',
        'export class Connection extends ConnectionBase<Channel> {}',
        '',
      ].join('\n'),
    );
    expect(check(dir)).toEqual({ status: 0, output: expect.stringContaining('3 files, no import cycle') });
  });

  it('refuses a type-only back-reference from the channel layer to the Connection', () => {
    writeFileSync(
      join(dir, 'channel', 'channel.ts'),
      "import type { ConnectionBase } from '../connection/connection';\nexport class ChannelBase<D> { d?: D; c?: ConnectionBase<D> }\n",
    );
    const { status, output } = check(dir);
    expect(status).toBe(1);
    expect(output).toContain('import cycle (2 files)');
    expect(output).toContain(
      'layer rule broken: channel/channel.ts (channel) imports connection/connection.ts (connection)',
    );
  });

  it('refuses the channel layer naming the public classes', () => {
    writeFileSync(join(dir, 'facades.ts'), 'export class Channel {}\n');
    writeFileSync(
      join(dir, 'channel', 'channel-core.ts'),
      "import type { Channel } from '../facades';\nexport class ChannelCore { api?: Channel }\n",
    );
    const { status, output } = check(dir);
    expect(status).toBe(1);
    expect(output).toContain('layer rule broken: channel/channel-core.ts (channel) imports facades.ts (facades)');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const committed = join(root, 'lib', 'protocol', 'generated');

describe('generated protocol code (scripts/generate-methods.mjs)', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'rx-amqp-generate-'));
    execFileSync(process.execPath, [join(root, 'scripts', 'generate-methods.mjs'), '--out-dir', out], {
      encoding: 'utf8',
    });
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('generates the same set of files as lib/protocol/generated holds', () => {
    expect(readdirSync(out).sort()).toEqual(readdirSync(committed).sort());
  });

  it.each(readdirSync(committed).sort())(
    '%s is what `npm run generate` writes (run it and commit the result)',
    (file) => {
      expect(readFileSync(join(out, file), 'utf8')).toBe(readFileSync(join(committed, file), 'utf8'));
    },
  );
});

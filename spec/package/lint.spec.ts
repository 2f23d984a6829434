/** `npm run lint` (Biome: lint rules and formatting, see biome.jsonc) is clean. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../..');

describe('npm run lint', () => {
  it('finds no lint or formatting problem (run `npm run format` to format)', () => {
    const result = spawnSync('npm', ['run', 'lint', '--', '--max-diagnostics=50'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    if (result.status !== 0)
      throw new Error(`npm run lint exited with ${result.status}:\n${result.stdout}${result.stderr}`);
    // Biome reports on stderr.
    expect(`${result.stdout}${result.stderr}`).toMatch(/Checked \d+ files/);
  }, 120_000);
});

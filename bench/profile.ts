/**
 * Summary of a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time,
 * each located in its source file through the bundle's source map.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The `top` functions by self time, as lines "percent  ms  name  file:line". */
export function topSelfTime(profileFile: string, bundleFile: string, top = 10): string {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as Profile;
  const map = new SourceMap(JSON.parse(readFileSync(`${bundleFile}.map`, 'utf8')));
  const bundleName = bundleFile.split('/').pop()!;
  const where = (url: string, line: number, column: number) => {
    if (!url.endsWith(bundleName)) return url; // node internals, or '' for native code
    const e = map.findEntry(line, column) as { originalSource?: string; originalLine?: number };
    if (!e.originalSource) return '?';
    const src = e.originalSource;
    const file = src.includes('node_modules/')
      ? src.replace(/^.*node_modules\//, '')
      : src.replace(/^(?:.*?\/)?(?=(?:lib|bench)\/)/, '');
    return `${file}:${(e.originalLine ?? 0) + 1}`;
  };

  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!;
    if (f.functionName === '(idle)') return;
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const key = `${f.functionName || '(anonymous)'}  ${where(f.url, f.lineNumber, f.columnNumber)}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([key, us]) =>
        `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
    )
    .join('\n');
}

#!/usr/bin/env node
/**
 * Architecture check of lib/: no import cycle (type-only imports and re-exports included) and
 * the layer rules of DESIGN.md ("Layer rules", see ARCHITECTURE.md):
 *   - protocol imports nothing outside protocol; frames imports only protocol and frames;
 *   - channel never imports connection, and neither channel, delivery.ts nor message.ts imports
 *     the public classes (facades.ts), which are built on them;
 *   - nothing but testing (and the `testing` entry point) imports lib/testing;
 *   - no file imports an entry point (index.ts, protocol.ts, testing.ts, otel.ts).
 * There is no exception: the public classes whose types name each other (Connection, Channel,
 * Delivery) are tied in one file, facades.ts, instead of pointing back at each other.
 *
 * Usage: node scripts/check-cycles.mjs [dir]   (dir defaults to lib/). Exits 1 and lists every
 * cycle and every forbidden import when there is one.
 *
 * Why a script and not madge / dependency-cruiser: the TypeScript compiler (already a
 * devDependency) lists every import of a file, `import type` and `export ... from` included,
 * without a new dependency tree; the graph of lib/ is small enough to walk in a few ms.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Every .ts file under dir (recursively). */
function listFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The file a relative specifier names (`./x` -> x.ts or x/index.ts); undefined for packages. */
function resolveSpecifier(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Whether an import or export declaration brings in types only (`import type`, `export type`). */
function isTypeOnly(node) {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (!clause) return false; // `import './x'` runs the module
    if (clause.isTypeOnly) return true;
    const named = clause.namedBindings;
    return (
      !clause.name &&
      !!named &&
      ts.isNamedImports(named) &&
      named.elements.length > 0 &&
      named.elements.every((e) => e.isTypeOnly)
    );
  }
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return (
    !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly)
  );
}

/**
 * The import graph: file -> (imported file -> whether every import of it is type-only). Every
 * kind of import counts: `import`, `import type`, `export ... from`, `export type ... from`.
 */
export function importGraph(dir) {
  const graph = new Map();
  for (const file of listFiles(dir)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    const targets = new Map();
    for (const node of source.statements) {
      if (!(ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) || !node.moduleSpecifier) continue;
      if (!ts.isStringLiteral(node.moduleSpecifier)) continue;
      const target = resolveSpecifier(file, node.moduleSpecifier.text);
      if (target) targets.set(target, (targets.get(target) ?? true) && isTypeOnly(node));
    }
    graph.set(file, new Map([...targets].sort(([a], [b]) => (a < b ? -1 : 1))));
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself). */
function stronglyConnected(graph) {
  let index = 0;
  const indices = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const visit = (v) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indices.get(w)));
    }
    if (low.get(v) === indices.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v);
  return components;
}

/** One concrete cycle through the first file of a component (breadth-first, shortest). */
function oneCycle(graph, component) {
  const inside = new Set(component);
  const start = component[0];
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0]));
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

/** The package's entry points: they only re-export, and no file of lib/ imports them. */
const ENTRY_POINTS = new Set(['index.ts', 'protocol.ts', 'testing.ts', 'otel.ts']);

/** The layer: the first folder under lib/, `entry` for an entry point, else the file's name. */
function layerOf(dir, file) {
  const parts = relative(dir, file).split(sep);
  if (parts.length > 1) return parts[0];
  return ENTRY_POINTS.has(parts[0]) ? 'entry' : parts[0].replace(/\.ts$/, '');
}

/** Layer rules: which layers a layer may import (a layer missing here may import anything). */
const ALLOWED = {
  protocol: new Set(['protocol']),
  frames: new Set(['protocol', 'frames']),
};
/** Layers a layer must never import. */
const FORBIDDEN = {
  channel: new Set(['connection', 'facades', 'operators', 'rpc', 'testing', 'entry']),
  connection: new Set(['operators', 'rpc', 'testing', 'entry']),
  operators: new Set(['testing', 'entry']),
  rpc: new Set(['testing', 'entry']),
  delivery: new Set(['connection', 'facades', 'operators', 'rpc', 'testing', 'entry']),
  message: new Set(['connection', 'channel', 'facades', 'operators', 'rpc', 'testing', 'entry']),
};

/** Runs the check on dir; returns the cycles (as file paths) and the forbidden imports. */
export function checkArchitecture(dir) {
  const graph = importGraph(dir);
  const violations = [];
  const cycles = stronglyConnected(graph).map((component) => ({
    files: component.map((f) => relative(dir, f)),
    example: oneCycle(graph, component).map((f) => relative(dir, f)),
  }));
  for (const [file, targets] of graph) {
    const from = layerOf(dir, file);
    for (const target of targets.keys()) {
      const to = layerOf(dir, target);
      if (from === to) continue;
      const allowed = ALLOWED[from];
      if ((allowed && !allowed.has(to)) || FORBIDDEN[from]?.has(to) || to === 'entry') {
        violations.push(`${relative(dir, file)} (${from}) imports ${relative(dir, target)} (${to})`);
      }
    }
  }
  return { files: graph.size, cycles, violations };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const dir = resolve(process.argv[2] ?? join(root, 'lib'));
  const { files, cycles, violations } = checkArchitecture(dir);
  for (const c of cycles) {
    console.error(`import cycle (${c.files.length} files): ${c.example.join(' -> ')}`);
    console.error(`  files in the cycle: ${c.files.join(', ')}`);
  }
  for (const v of violations) console.error(`layer rule broken: ${v}`);
  if (cycles.length > 0 || violations.length > 0) process.exit(1);
  console.log(`${files} files, no import cycle, layer rules kept`);
}

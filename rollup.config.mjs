// Builds the four entry points (rx-amqp, rx-amqp/protocol, rx-amqp/testing, rx-amqp/otel):
// - dist/cjs/*.cjs: the one runtime copy of the code (CommonJS, shared chunks, sourcemaps with
//   sourcesContent);
// - dist/esm/*.mjs: thin ES module entries that re-export the CommonJS build, so `import` and
//   `require` load the same module and every class exists once (no dual-package hazard);
// - dist/*.d.ts: one declaration graph (shared chunks under dist/chunks) for the three entries,
//   so their types are the same types; internals (`@internal`) stripped; dist/*.d.mts re-export
//   it for `import`.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

// Nothing stale from an earlier build (or an earlier layout) may end up in the package.
rmSync('dist', { recursive: true, force: true });

const input = { index: 'lib/index.ts', protocol: 'lib/protocol.ts', testing: 'lib/testing.ts', otel: 'lib/otel.ts' };
const builtins = ['net', 'tls', 'util', 'os', 'crypto', 'events', 'buffer'];
const external = (id) =>
  id === 'rxjs' ||
  id === '@opentelemetry/api' ||
  id.startsWith('rxjs/') ||
  id.startsWith('node:') ||
  builtins.includes(id);

/** Writes dist/esm/<entry>.mjs and dist/<entry>.d.mts next to each CommonJS entry chunk. */
function esmEntries() {
  return {
    name: 'esm-entries',
    writeBundle(_options, bundle) {
      mkdirSync('dist/esm', { recursive: true });
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || !chunk.isEntry) continue;
        const names = chunk.exports.filter((n) => n !== 'default' && n !== '__esModule');
        writeFileSync(
          `dist/esm/${chunk.name}.mjs`,
          [
            `// ES module entry of rx-amqp${chunk.name === 'index' ? '' : `/${chunk.name}`}: re-exports the CommonJS build, so that`,
            '// `import` and `require` share one copy of every class.',
            `import cjs from '../cjs/${chunk.fileName}';`,
            '',
            `export const { ${names.join(', ')} } = cjs;`,
            '',
          ].join('\n'),
        );
        writeFileSync(`dist/${chunk.name}.d.mts`, `export * from './${chunk.name}.js';\n`);
      }
    },
  };
}

export default [
  {
    input,
    external,
    plugins: [
      typescript({
        tsconfig: './tsconfig.json',
        include: ['lib/**/*.ts'],
        compilerOptions: {
          module: 'esnext',
          declaration: false,
          sourceMap: true,
          inlineSources: true,
          outDir: undefined,
          paths: undefined,
          baseUrl: undefined,
        },
      }),
      esmEntries(),
    ],
    output: {
      dir: 'dist/cjs',
      format: 'cjs',
      entryFileNames: '[name].cjs',
      chunkFileNames: 'chunks/[name]-[hash].cjs',
      sourcemap: true,
      exports: 'named',
      generatedCode: 'es2015',
    },
  },
  {
    input,
    external,
    plugins: [dts({ tsconfig: './tsconfig.json', compilerOptions: { stripInternal: true } })],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'chunks/[name]-[hash].d.ts' },
  },
];

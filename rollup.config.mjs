// Builds ESM (.mjs), CJS (.cjs) and bundled declarations (.d.ts/.d.mts) for the three entry
// points: rx-amqp, rx-amqp/protocol, rx-amqp/testing, rx-amqp/otel.
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

const input = { index: 'lib/index.ts', protocol: 'lib/protocol.ts', testing: 'lib/testing.ts', otel: 'lib/otel.ts' };
const external = (id) => id === 'rxjs' || id === '@opentelemetry/api' || id.startsWith('rxjs/') || id.startsWith('node:') || ['net', 'tls', 'util', 'os', 'crypto', 'events', 'buffer'].includes(id);
const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    include: ['lib/**/*.ts'],
    compilerOptions: { module: 'esnext', declaration: false, sourceMap: true, outDir: undefined, paths: undefined, baseUrl: undefined },
  });

export default [
  {
    input,
    external,
    plugins: [ts()],
    output: [
      { dir: 'dist/esm', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs', sourcemap: true },
      { dir: 'dist/cjs', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', sourcemap: true, exports: 'named' },
    ],
  },
  ...Object.entries(input).flatMap(([name, file]) => [
    { input: file, external, plugins: [dts({ tsconfig: './tsconfig.json' })], output: { file: `dist/${name}.d.ts`, format: 'es' } },
    { input: file, external, plugins: [dts({ tsconfig: './tsconfig.json' })], output: { file: `dist/${name}.d.mts`, format: 'es' } },
  ]),
];

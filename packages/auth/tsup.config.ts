import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/node/index.ts'],
  format: ['esm', 'cjs'],
  // Node's types only matter for the `/node` subpath; `tsc -p tsconfig.json` keeps the main
  // entry free of them.
  dts: { compilerOptions: { customConditions: [], types: ['node'] } },
  clean: true,
  sourcemap: true,
  target: 'node20',
});

import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/conformance/index.ts', 'src/node/index.ts'],
  format: ['esm', 'cjs'],
  // Node's types only matter for the `/node` subpath; the other entries compile without them.
  dts: { compilerOptions: { customConditions: [], types: ['node'] } },
  clean: true,
  sourcemap: true,
  target: 'node20',
});

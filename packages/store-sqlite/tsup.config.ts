import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { customConditions: [], stripInternal: true } },
  clean: true,
  sourcemap: true,
  target: 'node20',
});

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

it('docs/compliance.md gathers every package page’s Compliance section (run node scripts/compliance.mjs)', async () => {
  const { build } = (await import('../../scripts/compliance.mjs')) as { build: () => string };
  const current = readFileSync(resolve(import.meta.dirname, '../../docs/compliance.md'), 'utf8');
  expect(current).toBe(build());
});

/**
 * Runs every TypeScript example of docs/core.md that imports from '@mailwire/core', so the
 * documentation stays correct. Examples are written to run as plain JavaScript once their
 * import lines are replaced; each one checks its own results with node:assert.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import * as core from '../index.js';

const markdown = readFileSync(new URL('../../../../docs/core.md', import.meta.url), 'utf8');
const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .filter((code) => code.includes("from '@mailwire/core'"));

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<void>;

function toScript(code: string): string {
  return code
    .replace("import assert from 'node:assert/strict';", '')
    .replace(/import \{([^}]*)\} from '@mailwire\/core';/, 'const {$1} = core;');
}

describe('docs/core.md examples', () => {
  it('has examples', () => {
    assert.ok(blocks.length >= 8, `found ${blocks.length} examples`);
  });

  it.each(
    blocks.map((code, i) => [
      i + 1,
      code.split('\n').find((l) => l.startsWith('const') || l.startsWith('//')) ?? '',
      code,
    ]),
  )('example %i (%s) runs', async (_n, _first, code) => {
    await new AsyncFunction('core', 'assert', toScript(code as string))(core, assert);
  });
});

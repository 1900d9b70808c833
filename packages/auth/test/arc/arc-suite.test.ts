/** The chain-validation cases of the ValiMail ARC test suite, against `verifyArc`. */

import { readFileSync } from 'node:fs';
import { utf8 } from '@mailwire/core';
import { createFakeResolver } from '@mailwire/dns';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { verifyArc } from '../../src/arc/arc.js';
import { createNodeDkimCrypto } from '../../src/node/index.js';

interface Suite {
  tests: Record<string, { message: string; cv: string }>;
  'txt-records': Record<string, string>;
}

const suite = parse(
  readFileSync(new URL('./arc-draft-validation-tests.yml', import.meta.url), 'utf8'),
) as Suite;
const zone = Object.fromEntries(
  // The folded key record keeps spaces inside p=; key records allow whitespace there (RFC 6376 §3.6.1).
  Object.entries(suite['txt-records']).map(([name, text]) => [name, { txt: [text] }]),
);

describe('ARC validation suite', () => {
  const resolver = createFakeResolver(zone);
  const crypto = createNodeDkimCrypto();
  for (const [name, test] of Object.entries(suite.tests)) {
    it(name, async () => {
      const result = await verifyArc(utf8(test.message), { resolver, crypto });
      expect(result.result, result.reason).toBe(test.cv.toLowerCase());
    });
  }
});

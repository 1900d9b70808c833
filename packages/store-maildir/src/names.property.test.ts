import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeModifiedUtf7, encodeModifiedUtf7, folderDirName, folderNameOf } from './names.js';

const level = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
  .filter((s) => !s.includes('/') && !s.includes('%') && !s.includes('*'))
  .map((s) => s.normalize('NFC'));

describe('folder names (property)', () => {
  it('round-trips every level through modified UTF-7', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const encoded = encodeModifiedUtf7(text);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeModifiedUtf7(encoded)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips hierarchical names through directory names', () => {
    fc.assert(
      fc.property(fc.array(level, { minLength: 1, maxLength: 4 }), (levels) => {
        const name = levels.join('/');
        const dir = folderDirName(name);
        expect(dir.split('.').length).toBe(levels.length + 1);
        expect(folderNameOf(dir)).toBe(name);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random directory names', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        folderNameOf(text);
        decodeModifiedUtf7(text);
      }),
      { numRuns: 300 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { baseOf, lettersOf, sizeOf, uniqueName, withLetters } from './filename.js';

describe('Maildir file names', () => {
  it('splits base and flag letters, and reads S=', () => {
    expect(baseOf('1.M2P3.host,S=42:2,FS')).toBe('1.M2P3.host,S=42');
    expect(lettersOf('1.M2P3.host,S=42:2,FS')).toBe('FS');
    expect(lettersOf('1.M2P3.host')).toBe('');
    expect(sizeOf('1.M2P3.host,S=42:2,FS')).toBe(42);
    expect(sizeOf('1.M2P3.host,S=42,W=44:2,')).toBe(42);
    expect(sizeOf('1.M2P3.host')).toBeUndefined();
  });

  it('writes letters sorted and de-duplicated, as the maildir spec asks', () => {
    expect(withLetters('x', ['S', 'a', 'F', 'S', 'D'])).toBe('x:2,DFSa');
    expect(withLetters('x', [])).toBe('x:2,');
  });

  it('makes unique names without / or :', () => {
    const names = new Set(Array.from({ length: 1000 }, () => uniqueName(1_700_000_000_123)));
    expect(uniqueName(1_700_000_000_001)).toMatch(/^1700000000\.M001000P/);
    expect(names.size).toBe(1000);
    for (const name of names) expect(name).toMatch(/^1700000000\.M123000P\d+Q\d+R[0-9a-f]{8}\.[^/:]+$/);
  });
});

import { describe, expect, it } from 'vitest';
import { StreamMatcher } from './search.js';

describe('StreamMatcher', () => {
  it('finds strings that straddle pieces, keeping a bounded tail', () => {
    const m = new StreamMatcher(['hello world', 'straße']);
    for (const piece of ['xx HEL', 'LO Wo', 'rld yy', ' STRA', 'ẞE']) m.write(piece);
    expect([...m.found].sort()).toEqual(['hello world', 'straße']);
    expect(m.done).toBe(true);
  });

  it('does not find what is not there', () => {
    const m = new StreamMatcher(['abc']);
    for (const piece of ['a', 'b', 'x', 'c']) m.write(piece);
    expect(m.found.size).toBe(0);
  });
});

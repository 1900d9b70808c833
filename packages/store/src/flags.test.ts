import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import { applyFlags, hasFlag, isSystemFlag, normalizeFlag, normalizeFlags } from './flags.js';

describe('normalizeFlag', () => {
  it('spells system flags canonically', () => {
    expect(normalizeFlag('\\SEEN')).toBe('\\Seen');
    expect(normalizeFlag('\\draft')).toBe('\\Draft');
    expect(isSystemFlag('\\deleted')).toBe(true);
    expect(isSystemFlag('$Junk')).toBe(false);
  });

  it('keeps keyword case', () => {
    expect(normalizeFlag('$MDNSent')).toBe('$MDNSent');
    expect(normalizeFlag('Work-Item_1.2')).toBe('Work-Item_1.2');
  });

  it.each([
    '',
    '\\Recent',
    '\\*',
    '\\Foo',
    'a b',
    'a(',
    'a)',
    'a{',
    'a%',
    'a*',
    'a"',
    'a\\b',
    'a]',
    'é',
    'x'.repeat(101),
  ])('refuses %j', (flag) => {
    expect(() => normalizeFlag(flag)).toThrow(InvalidError);
  });

  it('de-duplicates case-insensitively, first spelling first', () => {
    expect(normalizeFlags(['$A', '\\seen', '$a', '\\Seen', 'b'])).toEqual(['$A', '\\Seen', 'b']);
  });
});

describe('applyFlags (RFC 9051 §6.4.6)', () => {
  it('adds only what is missing', () => {
    expect(applyFlags(['\\Seen'], 'add', ['\\Seen', '$X'])).toEqual(['\\Seen', '$X']);
    expect(applyFlags(['$Work'], 'add', ['$WORK'])).toBeUndefined();
  });

  it('removes case-insensitively', () => {
    expect(applyFlags(['\\Seen', '$Work'], 'remove', ['$work'])).toEqual(['\\Seen']);
    expect(applyFlags(['\\Seen'], 'remove', ['\\Deleted'])).toBeUndefined();
  });

  it('replaces, and a replace with the same set is a no-op', () => {
    expect(applyFlags(['\\Seen'], 'replace', ['$A'])).toEqual(['$A']);
    expect(applyFlags(['\\Seen', '$A'], 'replace', ['$a', '\\Seen'])).toBeUndefined();
    expect(applyFlags([], 'replace', [])).toBeUndefined();
    expect(applyFlags(['\\Seen'], 'replace', [])).toEqual([]);
  });

  it('hasFlag matches case-insensitively', () => {
    expect(hasFlag(['$Work'], '$WORK')).toBe(true);
    expect(hasFlag([], '\\Seen')).toBe(false);
  });
});

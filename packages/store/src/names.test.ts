import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import { isInbox, isInferior, normalizeMailboxName, superiorNames } from './names.js';

describe('normalizeMailboxName', () => {
  it('spells INBOX one way, as the first level of a name too (RFC 9051 §5.1)', () => {
    expect(normalizeMailboxName('inbox')).toBe('INBOX');
    expect(normalizeMailboxName('InBox/Sub')).toBe('INBOX/Sub');
    expect(normalizeMailboxName('Sub/inbox')).toBe('Sub/inbox');
    expect(normalizeMailboxName('inboxes')).toBe('inboxes');
  });

  it('drops one trailing delimiter and normalises to NFC', () => {
    expect(normalizeMailboxName('Drafts/')).toBe('Drafts');
    expect(normalizeMailboxName('Entwu\u0308rfe')).toBe('Entw\u00fcrfe');
    expect(normalizeMailboxName('😀/日本')).toBe('😀/日本');
  });

  it.each([
    '',
    '/',
    '//',
    '/a',
    'a//b',
    'a//',
    'a*',
    '%',
    'tab\there',
    'nul\u0000',
    'del\u007f',
    'c1\u0085',
    'lone\ud800',
    'lone\udc00x',
    'x'.repeat(1001),
  ])('refuses %j', (name) => {
    expect(() => normalizeMailboxName(name)).toThrow(InvalidError);
  });
});

describe('hierarchy helpers', () => {
  it('lists superiors outermost first', () => {
    expect(superiorNames('a/b/c')).toEqual(['a', 'a/b']);
    expect(superiorNames('a')).toEqual([]);
  });

  it('knows inferiors by delimiter, not by prefix', () => {
    expect(isInferior('a/b', 'a')).toBe(true);
    expect(isInferior('a/b/c', 'a')).toBe(true);
    expect(isInferior('ab', 'a')).toBe(false);
    expect(isInferior('a', 'a')).toBe(false);
    expect(isInbox('iNbOx')).toBe(true);
    expect(isInbox('INBOX/x')).toBe(false);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMailboxUtf7, encodeMailboxUtf7 } from './utf7.js';

describe('modified UTF-7 mailbox names', () => {
  it('encodes and decodes the RFC 3501 examples', () => {
    expect(encodeMailboxUtf7('~peter/mail/台北/日本語')).toBe('~peter/mail/&U,BTFw-/&ZeVnLIqe-');
    expect(decodeMailboxUtf7('~peter/mail/&U,BTFw-/&ZeVnLIqe-')).toBe('~peter/mail/台北/日本語');
    expect(encodeMailboxUtf7('Tom & Jerry')).toBe('Tom &- Jerry');
    expect(decodeMailboxUtf7('&Jjo-!')).toBe('☺!');
  });

  it('rejects malformed names', () => {
    expect(decodeMailboxUtf7('&U,BTFw')).toBeUndefined();
    expect(decodeMailboxUtf7('&!!-')).toBeUndefined();
    expect(decodeMailboxUtf7('caf\u00e9')).toBeUndefined();
  });

  it('round-trips any name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (name) => {
        const encoded = encodeMailboxUtf7(name);
        expect(/^[\x20-\x7e]*$/.test(encoded)).toBe(true);
        expect(decodeMailboxUtf7(encoded)).toBe(name);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        decodeMailboxUtf7(text);
      }),
      { numRuns: 300 },
    );
  });
});

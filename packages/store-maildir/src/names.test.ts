import { describe, expect, it } from 'vitest';
import { decodeModifiedUtf7, encodeModifiedUtf7, folderDirName, folderNameOf } from './names.js';

describe('folder names on disk', () => {
  it('encodes levels in modified UTF-7 (RFC 3501 §5.1.3) with . between them', () => {
    expect(encodeModifiedUtf7('Entwürfe')).toBe('Entw&APw-rfe');
    expect(encodeModifiedUtf7('R&D')).toBe('R&-D');
    // The RFC 3501 §5.1.3 example: ~peter/mail/台北/日本語
    expect(encodeModifiedUtf7('台北')).toBe('&U,BTFw-');
    expect(encodeModifiedUtf7('日本語')).toBe('&ZeVnLIqe-');
    expect(folderDirName('Entwürfe/2026')).toBe('.Entw&APw-rfe.2026');
    expect(folderDirName('INBOX/Receipts')).toBe('.INBOX.Receipts');
  });

  it('escapes a dot inside a level, which Maildir++ cannot express', () => {
    expect(folderDirName('v1.2/notes')).toBe('.v1%2E2.notes');
    expect(folderNameOf('.v1%2E2.notes')).toBe('v1.2/notes');
  });

  it('decodes what Dovecot and mutt write, and refuses what is no folder', () => {
    expect(folderNameOf('.Sent')).toBe('Sent');
    expect(folderNameOf('.Entw&APw-rfe.2026')).toBe('Entwürfe/2026');
    expect(folderNameOf('cur')).toBeUndefined();
    expect(folderNameOf('.')).toBeUndefined();
    expect(folderNameOf('..')).toBeUndefined();
    expect(folderNameOf('.a..b')).toBeUndefined();
    expect(decodeModifiedUtf7('&bad')).toBeUndefined();
    expect(decodeModifiedUtf7('&A-')).toBeUndefined();
  });
});

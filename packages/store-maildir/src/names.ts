/**
 * Folder names on disk (Maildir++). The interface names mailboxes in UTF-8 with `/` between levels;
 * Maildir++ keeps every folder as a directory `.<level>.<level>` beside the INBOX's `cur/new/tmp`,
 * with `.` between levels. Each level is written in modified UTF-7 (RFC 3501 §5.1.3, the encoding
 * Dovecot, Courier and mutt use for Maildir++ folders by default), and a `.` inside a level (which
 * Maildir++ cannot express) becomes `%2E` (`%` cannot occur in a name: it is a LIST wildcard the
 * store refuses). INBOX's children are `.INBOX.<child>`, as Dovecot writes them.
 *
 * @example folderDirName('Entwürfe/2026') === '.Entw&APw-rfe.2026'
 */

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';

/** Modified UTF-7 (RFC 3501 §5.1.3) of one hierarchy level. */
export function encodeModifiedUtf7(text: string): string {
  let out = '';
  let pending: number[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const bytes: number[] = [];
    for (const unit of pending) bytes.push(unit >> 8, unit & 0xff);
    let bits = 0;
    let value = 0;
    out += '&';
    for (const byte of bytes) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += BASE64[(value >> bits) & 0x3f];
      }
    }
    if (bits > 0) out += BASE64[(value << (6 - bits)) & 0x3f];
    out += '-';
    pending = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += c === 0x26 ? '&-' : text[i];
    } else {
      pending.push(c);
    }
  }
  flush();
  return out;
}

/** The inverse of `encodeModifiedUtf7`; `undefined` for text that is not modified UTF-7. */
export function decodeModifiedUtf7(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== '&') {
      out += ch;
      continue;
    }
    const end = text.indexOf('-', i + 1);
    if (end === -1) return undefined;
    if (end === i + 1) {
      out += '&';
      i = end;
      continue;
    }
    let bits = 0;
    let value = 0;
    const bytes: number[] = [];
    for (let j = i + 1; j < end; j++) {
      const v = BASE64.indexOf(text[j]!);
      if (v === -1) return undefined;
      value = ((value << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes.push((value >> bits) & 0xff);
      }
    }
    // Whole UTF-16 units, and no stray bits left over (RFC 2152 padding is zero bits).
    if (bytes.length === 0 || bytes.length % 2 !== 0 || bits >= 6 || (value & ((1 << bits) - 1)) !== 0)
      return undefined;
    for (let k = 0; k < bytes.length; k += 2) out += String.fromCharCode((bytes[k]! << 8) | bytes[k + 1]!);
    i = end;
  }
  return out;
}

/** The directory name (below the account root) of a canonical mailbox name other than INBOX. */
export function folderDirName(name: string): string {
  return `.${name
    .split('/')
    .map((level) => encodeModifiedUtf7(level).replaceAll('.', '%2E'))
    .join('.')}`;
}

/** The mailbox name of a Maildir++ folder directory (`.a.b`), or `undefined` if it is not one. */
export function folderNameOf(dirName: string): string | undefined {
  if (!dirName.startsWith('.') || dirName === '.' || dirName === '..') return undefined;
  const levels: string[] = [];
  for (const raw of dirName.slice(1).split('.')) {
    if (raw.length === 0) return undefined;
    const decoded = decodeModifiedUtf7(raw.replaceAll('%2E', '.').replaceAll('%2e', '.'));
    if (decoded === undefined) return undefined;
    levels.push(decoded);
  }
  return levels.join('/').normalize('NFC');
}

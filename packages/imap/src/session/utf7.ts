/**
 * Modified UTF-7 mailbox names (RFC 3501 §5.1.3), for IMAP4rev1 clients that did not ENABLE
 * UTF8=ACCEPT (RFC 6855) or IMAP4rev2 (which uses UTF-8, RFC 9051 §5.1).
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';

export function encodeMailboxUtf7(name: string): string {
  let out = '';
  let units: number[] = [];
  const flush = () => {
    if (units.length === 0) return;
    const bytes: number[] = [];
    for (const u of units) bytes.push(u >> 8, u & 0xff);
    let bits = 0;
    let acc = 0;
    out += '&';
    for (const b of bytes) {
      acc = (acc << 8) | b;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += B64[(acc >> bits) & 63];
      }
    }
    if (bits > 0) out += B64[(acc << (6 - bits)) & 63];
    out += '-';
    units = [];
  };
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += c === 0x26 ? '&-' : name[i];
    } else {
      units.push(c);
    }
  }
  flush();
  return out;
}

/** Decodes a modified UTF-7 name; `undefined` when it is not valid modified UTF-7. */
export function decodeMailboxUtf7(name: string): string | undefined {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c > 0x7e) return undefined;
    if (ch !== '&') {
      out += ch;
      continue;
    }
    const end = name.indexOf('-', i + 1);
    if (end === -1) return undefined;
    if (end === i + 1) {
      out += '&';
      i = end;
      continue;
    }
    let bits = 0;
    let acc = 0;
    const bytes: number[] = [];
    for (let j = i + 1; j < end; j++) {
      const v = B64.indexOf(name[j]!);
      if (v === -1) return undefined;
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes.push((acc >> bits) & 0xff);
      }
    }
    if (bytes.length % 2 !== 0 || (acc & ((1 << bits) - 1)) !== 0) return undefined;
    for (let k = 0; k < bytes.length; k += 2) out += String.fromCharCode((bytes[k]! << 8) | bytes[k + 1]!);
    i = end;
  }
  return out;
}

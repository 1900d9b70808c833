/**
 * xtext (RFC 3461 §4): the encoding of ENVID, ORCPT and the AUTH= parameter (RFC 4954 §5).
 *
 *     xtext   = *( xchar / hexchar )
 *     xchar   = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except "+" and "="
 *     hexchar = ASCII "+" immediately followed by two upper case hexadecimal digits
 *
 * Decoding yields the octets, read as UTF-8 (RFC 6533 uses UTF-8 inside xtext for utf-8 ORCPT).
 */

import { decodeUtf8, utf8 } from '@mailwire/core';

const HEX = '0123456789ABCDEF';

/** Encodes a string (its UTF-8 octets) as xtext. */
export function encodeXtext(value: string): string {
  let out = '';
  for (const byte of utf8(value)) {
    if (byte >= 33 && byte <= 126 && byte !== 0x2b && byte !== 0x3d) out += String.fromCharCode(byte);
    else out += `+${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** Decodes xtext; `undefined` when it is malformed or does not decode to valid UTF-8. */
export function decodeXtext(value: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2b) {
      const hi = HEX.indexOf(value[i + 1] ?? '');
      const lo = HEX.indexOf(value[i + 2] ?? '');
      if (hi < 0 || lo < 0) return undefined;
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (c >= 33 && c <= 126 && c !== 0x3d) {
      bytes.push(c);
    } else {
      return undefined;
    }
  }
  return decodeUtf8(Uint8Array.from(bytes));
}

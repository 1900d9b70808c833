/** The header data a DKIM signature covers (RFC 6376 §3.7, §5.4.2). */

import { fromLatin1 } from '@mailwire/core';
import { type Canonicalization, canonicalHeader, type RawHeaderField } from '../header.js';

/**
 * The canonicalised fields named by `signedHeaders`, each instance taken from the bottom up
 * (RFC 6376 §5.4.2; a name listed more times than it occurs contributes nothing — that is
 * over-signing), then `signatureField` canonicalised without its final CRLF.
 */
export function signedHeaderData(
  fields: readonly RawHeaderField[],
  signedHeaders: readonly string[],
  canon: Canonicalization,
  signatureField: RawHeaderField,
  exclude?: RawHeaderField,
): Uint8Array {
  const used = new Set<number>();
  let text = '';
  for (const wanted of signedHeaders) {
    const lower = wanted.toLowerCase();
    for (let i = fields.length - 1; i >= 0; i--) {
      const field = fields[i]!;
      if (used.has(i) || field === exclude || field.name.toLowerCase() !== lower) continue;
      used.add(i);
      text += canonicalHeader(field, canon);
      break;
    }
  }
  text += canonicalHeader(signatureField, canon).slice(0, -2);
  return fromLatin1(text);
}

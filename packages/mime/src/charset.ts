/**
 * Charset to text (for SEARCH over headers and bodies). Any label the runtime's
 * `TextDecoder` knows is used (WHATWG: utf-8, iso-8859-*, windows-125x, koi8, gb18030,
 * shift_jis, euc-kr…; us-ascii and iso-8859-1 map to windows-1252, a superset). An unknown or
 * missing label decodes as UTF-8, invalid bytes becoming U+FFFD. Never throws.
 */

import { type TextDecoderLike, textDecoderFor } from './bytes.js';

export interface TextStreamDecoder {
  write(bytes: Uint8Array): string;
  end(): string;
}

function normalizeLabel(charset: string | undefined | null): string {
  let label = (charset ?? '').trim().toLowerCase();
  if (label.startsWith('"') && label.endsWith('"') && label.length >= 2) label = label.slice(1, -1);
  // RFC 2231 §5 language suffix, e.g. `utf-8*en`.
  const star = label.indexOf('*');
  if (star >= 0) label = label.slice(0, star);
  return label;
}

/** True when the runtime can decode this charset. */
export function isKnownCharset(charset: string): boolean {
  const label = normalizeLabel(charset);
  return label !== '' && textDecoderFor(label) !== undefined;
}

function decoderFor(charset: string | undefined | null): TextDecoderLike {
  const label = normalizeLabel(charset);
  // Undeclared or us-ascii text with 8-bit bytes is far more often UTF-8 than anything else.
  if (label === '' || label === 'us-ascii' || label === 'ascii') return textDecoderFor('utf-8')!;
  return textDecoderFor(label) ?? textDecoderFor('utf-8')!;
}

/** Decodes bytes in a charset to a string. */
export function decodeText(bytes: Uint8Array, charset?: string | null): string {
  return decoderFor(charset).decode(bytes);
}

/** An incremental charset decoder: multibyte sequences may be split across chunks. */
export function createTextDecoder(charset?: string | null): TextStreamDecoder {
  const decoder = decoderFor(charset);
  return {
    write: (bytes) => decoder.decode(bytes, { stream: true }),
    end: () => decoder.decode(),
  };
}

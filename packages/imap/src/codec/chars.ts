/**
 * Byte classes of the IMAP grammar (RFC 9051 §9) as one lookup table, so the tokenizer tests a
 * byte with one load and a mask instead of a chain of comparisons, and keyword interning: a
 * keyword's bytes are matched case-insensitively against the known keywords without building a
 * string first.
 */

/** ATOM-CHAR: any CHAR except atom-specials. */
export const ATOM = 1;
/** ASTRING-CHAR: ATOM-CHAR or `]`. */
export const ASTRING = 2;
/** `tag`: ASTRING-CHAR except `+`. */
export const TAG = 4;
export const DIGIT = 8;
/** list-char: ASTRING-CHAR or the wildcards `%` `*`. */
export const LIST = 16;
/** Letters, digits and `.`: fetch attribute and section names. */
export const NAME = 32;
/** base64 alphabet (RFC 4648 §4). */
export const BASE64 = 64;
export const ALPHA = 128;

export const CLASS: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let c = 0x21; c < 0x7f; c++) {
    // atom-specials: ( ) { SP CTL % * " \ ]
    const special =
      c === 0x28 ||
      c === 0x29 ||
      c === 0x7b ||
      c === 0x25 ||
      c === 0x2a ||
      c === 0x22 ||
      c === 0x5c ||
      c === 0x5d;
    let bits = 0;
    if (!special) bits |= ATOM | ASTRING | LIST;
    if (c === 0x5d) bits |= ASTRING | LIST;
    if (c === 0x25 || c === 0x2a) bits |= LIST;
    if ((bits & ASTRING) !== 0 && c !== 0x2b) bits |= TAG;
    const alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    const digit = c >= 0x30 && c <= 0x39;
    if (digit) bits |= DIGIT;
    if (alpha) bits |= ALPHA;
    if (alpha || digit || c === 0x2e) bits |= NAME;
    if (alpha || digit || c === 0x2b || c === 0x2f || c === 0x3d) bits |= BASE64;
    table[c] = bits;
  }
  return table;
})();

/** ASCII upper case of each byte; other bytes unchanged. */
export const UPPER: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let c = 0; c < 256; c++) table[c] = c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
  return table;
})();

/** Decodes `bytes[start, end)` known to be ASCII. */
export function ascii(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

/**
 * Upper-case keywords the grammars know, interned by a hash of their upper-cased bytes: a
 * keyword read from the wire comes back as the same constant string, no allocation.
 */
export class KeywordTable {
  private readonly buckets = new Map<number, string[]>();

  constructor(words: Iterable<string>) {
    for (const word of words) {
      const key = KeywordTable.hashString(word);
      const bucket = this.buckets.get(key);
      if (bucket === undefined) this.buckets.set(key, [word]);
      else if (!bucket.includes(word)) bucket.push(word);
    }
  }

  private static hashString(word: string): number {
    let h = word.length;
    for (let i = 0; i < word.length; i++) h = (Math.imul(h, 31) + word.charCodeAt(i)) | 0;
    return h;
  }

  /** The known keyword equal (ASCII case-insensitively) to `bytes[start, end)`, or `undefined`. */
  lookup(bytes: Uint8Array, start: number, end: number): string | undefined {
    let h = end - start;
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + UPPER[bytes[i]!]!) | 0;
    const bucket = this.buckets.get(h);
    if (bucket === undefined) return undefined;
    outer: for (const word of bucket) {
      if (word.length !== end - start) continue;
      for (let i = 0; i < word.length; i++) {
        if (word.charCodeAt(i) !== UPPER[bytes[start + i]!]) continue outer;
      }
      return word;
    }
    return undefined;
  }
}

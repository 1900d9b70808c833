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
 * Upper-case keywords the grammars know, interned: a keyword read from the wire comes back as the
 * same constant string, no allocation.
 *
 * A word's key is its last 8 upper-cased bytes packed into two int32s (`lo` the last 4, `hi`
 * the 4 before), which a tokenizer accumulates while it scans the word (`hi = (hi << 8) |
 * (lo >>> 24); lo = (lo << 8) | upper`), so the bytes are walked once. For a word of at most 8
 * bytes the key and the length are the word itself: a match needs no byte comparison. A longer
 * word also has its first `length - 8` bytes compared. The table is open-addressed in flat
 * arrays (no Map, no buckets).
 */
export class KeywordTable {
  private readonly mask: number;
  private readonly los: Int32Array;
  private readonly his: Int32Array;
  /** `''` marks an empty slot (no keyword is empty). */
  private readonly words: string[];
  /** The keywords' bytes end to end, and where each slot's word starts in them. */
  private readonly bytes: Uint8Array;
  private readonly offsets: Int32Array;

  constructor(words: Iterable<string>) {
    // Property keys are internalized strings: the table hands out the engine's canonical copy of
    // each word, so the grammar's `switch`/`===` against literals compares pointers.
    const unique = Object.keys(Object.fromEntries([...words].map((w) => [w, true]))).filter(
      (w) => w.length > 0,
    );
    let size = 16;
    while (size < unique.length * 4) size *= 2;
    this.mask = size - 1;
    this.los = new Int32Array(size);
    this.his = new Int32Array(size);
    this.words = new Array<string>(size).fill('');
    this.offsets = new Int32Array(size);
    this.bytes = new Uint8Array(unique.reduce((n, w) => n + w.length, 0));
    let offset = 0;
    for (const word of unique) {
      // The key packs one byte per character.
      if (!/^[\x21-\x7e]+$/.test(word)) throw new RangeError(`keyword not printable ASCII: ${word}`);
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < word.length; i++) {
        hi = (hi << 8) | (lo >>> 24);
        lo = (lo << 8) | word.charCodeAt(i);
      }
      let slot = KeywordTable.slot(lo, hi, word.length) & this.mask;
      while (this.words[slot] !== '') slot = (slot + 1) & this.mask;
      this.words[slot] = word;
      this.los[slot] = lo;
      this.his[slot] = hi;
      this.offsets[slot] = offset;
      for (let i = 0; i < word.length; i++) this.bytes[offset++] = word.charCodeAt(i);
    }
  }

  private static slot(lo: number, hi: number, n: number): number {
    let h = lo ^ Math.imul(hi, 0x9e3779b1) ^ n;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    return h ^ (h >>> 13);
  }

  /**
   * The known keyword equal (ASCII case-insensitively) to `bytes[start, end)`, given its key
   * (`lo`, `hi`: see the class comment); or `undefined`.
   */
  find(lo: number, hi: number, bytes: Uint8Array, start: number, end: number): string | undefined {
    const n = end - start;
    const words = this.words;
    const mask = this.mask;
    let slot = KeywordTable.slot(lo, hi, n) & mask;
    for (;;) {
      const word = words[slot]!;
      if (word === '') return undefined;
      if (this.los[slot] === lo && this.his[slot] === hi && word.length === n) {
        if (n <= 8) return word;
        // The last 8 bytes matched through the key: compare the ones before.
        const known = this.bytes;
        const delta = this.offsets[slot]! - start;
        const stop = end - 8;
        let i = start;
        while (i < stop && known[i + delta] === UPPER[bytes[i]!]) i += 1;
        if (i === stop) return word;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** The known keyword equal (ASCII case-insensitively) to `bytes[start, end)`, or `undefined`. */
  lookup(bytes: Uint8Array, start: number, end: number): string | undefined {
    let lo = 0;
    let hi = 0;
    for (let i = start; i < end; i++) {
      hi = (hi << 8) | (lo >>> 24);
      lo = (lo << 8) | UPPER[bytes[i]!]!;
    }
    return this.find(lo, hi, bytes, start, end);
  }
}

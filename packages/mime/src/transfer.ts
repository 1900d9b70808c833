/**
 * Content-Transfer-Encoding decoders (RFC 2045 §6), incremental: chunks in, decoded chunks out,
 * any split. They serve BINARY[] / BINARY.SIZE (RFC 3516) and SEARCH over body text. Bad input
 * is decoded leniently (RFC 2045 §6.7 note 1, §6.8: ignore what is not in the alphabet); only
 * an unknown encoding name is refused, with `undefined`, so IMAP can answer `[UNKNOWN-CTE]`.
 */

export interface TransferDecoder {
  /** Decodes the next chunk. The result may be empty; for identity encodings it is the chunk. */
  write(chunk: Uint8Array): Uint8Array;
  /** Flushes what is held back (at most a few bytes). */
  end(): Uint8Array;
}

const EMPTY = new Uint8Array(0);
const SP = 32;
const HT = 9;
const CR = 13;
const LF = 10;
const EQ = 61;

/** Whitespace runs longer than this before a line end are passed through, to bound memory. */
const MAX_HELD_WHITESPACE = 4096;

const B64 = new Uint8Array(256).fill(255);
const B64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < 64; i++) B64[B64_CHARS.charCodeAt(i)] = i;
B64[EQ] = 64;

const HEX = new Uint8Array(256).fill(255);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

/** Streaming base64 (RFC 2045 §6.8): characters outside the alphabet are ignored. */
export class Base64Decoder implements TransferDecoder {
  private acc = 0;
  private n = 0;

  write(chunk: Uint8Array): Uint8Array {
    const out = new Uint8Array(Math.floor(((chunk.length + this.n) * 3) / 4) + 3);
    let o = 0;
    let acc = this.acc;
    let n = this.n;
    const len = chunk.length;
    for (let i = 0; i < len; i++) {
      // Fast path: four alphabet characters at a group boundary.
      if (n === 0 && i + 3 < len) {
        const a = B64[chunk[i]!]!;
        const b = B64[chunk[i + 1]!]!;
        const c = B64[chunk[i + 2]!]!;
        const d = B64[chunk[i + 3]!]!;
        if ((a | b | c | d) < 64) {
          out[o++] = (a << 2) | (b >> 4);
          out[o++] = ((b & 15) << 4) | (c >> 2);
          out[o++] = ((c & 3) << 6) | d;
          i += 3;
          continue;
        }
      }
      const v = B64[chunk[i]!]!;
      if (v < 64) {
        acc = (acc << 6) | v;
        if (++n === 4) {
          out[o++] = (acc >>> 16) & 0xff;
          out[o++] = (acc >>> 8) & 0xff;
          out[o++] = acc & 0xff;
          acc = 0;
          n = 0;
        }
      } else if (v === 64 && n > 0) {
        // Padding ends a group early; decoding resumes after it (concatenated base64 happens).
        if (n === 2) out[o++] = (acc >>> 4) & 0xff;
        else if (n === 3) {
          out[o++] = (acc >>> 10) & 0xff;
          out[o++] = (acc >>> 2) & 0xff;
        }
        acc = 0;
        n = 0;
      }
    }
    this.acc = acc;
    this.n = n;
    return out.subarray(0, o);
  }

  end(): Uint8Array {
    const acc = this.acc;
    const n = this.n;
    this.acc = 0;
    this.n = 0;
    if (n === 2) return Uint8Array.of((acc >>> 4) & 0xff);
    if (n === 3) return Uint8Array.of((acc >>> 10) & 0xff, (acc >>> 2) & 0xff);
    return EMPTY;
  }
}

/**
 * Streaming quoted-printable (RFC 2045 §6.7): `=XX` (either hex case), soft line breaks `=`
 * CRLF (or bare LF, and with transport padding before it), trailing whitespace on a line
 * removed; a malformed `=` is kept literally. Hard line breaks are passed through as written.
 */
export class QuotedPrintableDecoder implements TransferDecoder {
  private carry: Uint8Array = EMPTY;

  write(chunk: Uint8Array): Uint8Array {
    let data = chunk;
    if (this.carry.length > 0) {
      data = new Uint8Array(this.carry.length + chunk.length);
      data.set(this.carry);
      data.set(chunk, this.carry.length);
    }
    return this.run(data, false);
  }

  end(): Uint8Array {
    const data = this.carry;
    this.carry = EMPTY;
    return data.length > 0 ? this.run(data, true) : EMPTY;
  }

  private run(data: Uint8Array, final: boolean): Uint8Array {
    const n = data.length;
    const out = new Uint8Array(n);
    let o = 0;
    let i = 0;
    while (i < n) {
      const c = data[i]!;
      if (c === EQ) {
        let j = i + 1;
        while (j < n && (data[j] === SP || data[j] === HT)) j++;
        if (j >= n) {
          if (final) {
            i = n; // a soft break at the very end
            continue;
          }
          if (j - i <= MAX_HELD_WHITESPACE) break;
          out[o++] = EQ;
          i++;
          continue;
        }
        const d = data[j]!;
        if (d === LF) {
          i = j + 1;
          continue;
        }
        if (d === CR) {
          if (j + 1 >= n && !final) break;
          i = data[j + 1] === LF ? j + 2 : j + 1;
          continue;
        }
        if (j === i + 1) {
          if (i + 2 >= n && !final) break;
          const h1 = HEX[d]!;
          const h2 = i + 2 < n ? HEX[data[i + 2]!]! : 255;
          if (h1 < 16 && h2 < 16) {
            out[o++] = (h1 << 4) | h2;
            i += 3;
            continue;
          }
        }
        out[o++] = EQ;
        i++;
      } else if (c === SP || c === HT) {
        let j = i + 1;
        while (j < n && (data[j] === SP || data[j] === HT)) j++;
        if (j >= n) {
          if (final) {
            i = n;
            break;
          }
          if (j - i <= MAX_HELD_WHITESPACE) break;
        } else {
          const d = data[j]!;
          if (d === LF || (d === CR && data[j + 1] === LF)) {
            i = j; // RFC 2045 §6.7 rule 3: trailing whitespace is transport padding
            continue;
          }
          if (d === CR && j + 1 >= n && !final) break;
        }
        while (i < j) out[o++] = data[i++]!;
      } else {
        out[o++] = c;
        i++;
        for (; i < n; i++) {
          const e = data[i]!;
          if (e === EQ || e === SP || e === HT) break;
          out[o++] = e;
        }
      }
    }
    this.carry = i < n ? data.slice(i) : EMPTY;
    return out.subarray(0, o);
  }
}

class IdentityDecoder implements TransferDecoder {
  write(chunk: Uint8Array): Uint8Array {
    return chunk;
  }
  end(): Uint8Array {
    return EMPTY;
  }
}

/** The lowercased encoding name, `7bit` when absent. */
export function normalizeEncoding(encoding: string | undefined | null): string {
  const name = (encoding ?? '').trim().toLowerCase();
  return name === '' ? '7bit' : name;
}

/**
 * An incremental decoder for a Content-Transfer-Encoding (`undefined`/empty means 7bit), or
 * `undefined` for an encoding this package does not know (RFC 3516 `[UNKNOWN-CTE]`).
 *
 * @example
 * const dec = createDecoder(part.encoding)!;
 * for (const chunk of chunks) sink(dec.write(chunk));
 * sink(dec.end());
 */
export function createDecoder(encoding: string | undefined | null): TransferDecoder | undefined {
  switch (normalizeEncoding(encoding)) {
    case 'base64':
      return new Base64Decoder();
    case 'quoted-printable':
      return new QuotedPrintableDecoder();
    case '7bit':
    case '8bit':
    case 'binary':
      return new IdentityDecoder();
    default:
      return undefined;
  }
}

/** Decodes a whole body at once; `undefined` for an unknown encoding. */
export function decodeTransfer(
  bytes: Uint8Array,
  encoding: string | undefined | null,
): Uint8Array | undefined {
  const dec = createDecoder(encoding);
  if (dec === undefined) return undefined;
  const head = dec.write(bytes);
  const tail = dec.end();
  if (tail.length === 0) return head;
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

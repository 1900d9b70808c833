/**
 * Byte helpers local to this package (it depends on nothing, not even @mailwire/core).
 * Header text is kept as "binary strings": one char per byte (latin1), so 8-bit header bytes
 * survive unchanged and `fromLatin1` gives the exact bytes back.
 */

/** The WHATWG `TextDecoder`, declared here because the package compiles without DOM/Node types. */
export interface TextDecoderLike {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
declare const TextDecoder: {
  new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoderLike;
};
declare const TextEncoder: { new (): { encode(input: string): Uint8Array } };

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

// windows-1252 bytes 0x80-0x9f (0 = undefined, kept as the C1 control of the same value).
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,
  0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
  0x0153, 0, 0x017e, 0x0178,
];

/**
 * windows-1252, done here because some runtimes (Node) decode it, and the labels WHATWG maps to
 * it (latin1, iso-8859-1, us-ascii), as plain ISO-8859-1.
 */
const cp1252: TextDecoderLike = {
  decode(input?: Uint8Array): string {
    if (input === undefined) return '';
    let out = '';
    for (let i = 0; i < input.length; i += 4096) {
      const end = Math.min(input.length, i + 4096);
      const codes: number[] = new Array(end - i);
      for (let j = i; j < end; j++) {
        const b = input[j]!;
        codes[j - i] = b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] || b : b;
      }
      out += String.fromCharCode(...codes);
    }
    return out;
  },
};

const CP1252_LABELS = new Set([
  'windows-1252',
  'cp1252',
  'x-cp1252',
  'cp819',
  'ibm819',
  'iso-8859-1',
  'iso-ir-100',
  'iso8859-1',
  'iso88591',
  'iso_8859-1',
  'iso_8859-1:1987',
  'l1',
  'latin1',
  'us-ascii',
  'ascii',
  'ansi_x3.4-1968',
]);

/** A decoder for a charset label, or `undefined` when the runtime does not know it. Never throws. */
export function textDecoderFor(label: string, fatal = false): TextDecoderLike | undefined {
  const key = label.trim().toLowerCase();
  if (!fatal && CP1252_LABELS.has(key)) return cp1252;
  try {
    return new TextDecoder(key, { fatal, ignoreBOM: true });
  } catch {
    return undefined;
  }
}

const strictUtf8 = textDecoderFor('utf-8', true)!;

/** Decodes UTF-8, or returns `undefined` for invalid UTF-8 (never throws). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Bytes one-to-one as a binary (latin1) string. */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  if (end - start <= 64) {
    for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]!);
    return out;
  }
  for (let i = start; i < end; i += 4096) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return out;
}

/** A binary (latin1) string back to its bytes. */
export function fromLatin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** True when every char of a binary string is 7-bit. */
export function isAsciiString(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

const NO_BYTES = new Uint8Array(0);

/** A growable byte buffer with a hard cap, for header bytes and carried partial lines. */
export class ByteBuffer {
  bytes: Uint8Array;
  length = 0;

  constructor(initial = 0) {
    this.bytes = initial > 0 ? new Uint8Array(initial) : NO_BYTES;
  }

  push(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.length + n > this.bytes.length) {
      let size = Math.max(256, this.bytes.length * 2);
      while (size < this.length + n) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    if (n < 32) {
      const bytes = this.bytes;
      let o = this.length;
      for (let i = start; i < end; i++) bytes[o++] = src[i]!;
    } else {
      this.bytes.set(src.subarray(start, end), this.length);
    }
    this.length += n;
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}

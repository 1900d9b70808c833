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

/** A decoder for a charset label, or `undefined` when the runtime does not know it. Never throws. */
export function textDecoderFor(label: string, fatal = false): TextDecoderLike | undefined {
  try {
    return new TextDecoder(label, { fatal, ignoreBOM: true });
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

/** A growable byte buffer with a hard cap, for header bytes and carried partial lines. */
export class ByteBuffer {
  bytes: Uint8Array;
  length = 0;

  constructor(initial = 256) {
    this.bytes = new Uint8Array(initial);
  }

  push(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.length + n > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < this.length + n) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(src.subarray(start, end), this.length);
    this.length += n;
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}

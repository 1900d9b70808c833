/**
 * Content decoding for BINARY (RFC 3516) and SEARCH (RFC 9051 §6.4.4: BODY and TEXT match the
 * decoded text): transfer encodings, charsets and RFC 2047 encoded words. Lenient: bad input
 * decodes to something, never throws.
 */

declare const TextDecoder: {
  new (label: string, options?: { fatal?: boolean }): { decode(input: Uint8Array): string };
};

export function decodeBase64Lenient(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.floor((bytes.length * 3) / 4) + 3);
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    const v = value64(b);
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

function value64(b: number): number {
  if (b >= 0x41 && b <= 0x5a) return b - 0x41;
  if (b >= 0x61 && b <= 0x7a) return b - 0x61 + 26;
  if (b >= 0x30 && b <= 0x39) return b - 0x30 + 52;
  if (b === 0x2b || b === 0x2d) return 62;
  if (b === 0x2f || b === 0x5f) return 63;
  return -1;
}

function hex(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

export function decodeQuotedPrintable(bytes: Uint8Array, underscoreIsSpace = false): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x3d) {
      const h = hex(bytes[i + 1] ?? -1);
      const l = hex(bytes[i + 2] ?? -1);
      if (h >= 0 && l >= 0) {
        out[n++] = (h << 4) | l;
        i += 2;
        continue;
      }
      // Soft line break: "=" then optional whitespace then CRLF or LF.
      let j = i + 1;
      while (bytes[j] === 0x20 || bytes[j] === 0x09) j++;
      if (bytes[j] === 0x0d && bytes[j + 1] === 0x0a) {
        i = j + 1;
        continue;
      }
      if (bytes[j] === 0x0a) {
        i = j;
        continue;
      }
      out[n++] = b;
    } else if (b === 0x5f && underscoreIsSpace) out[n++] = 0x20;
    else out[n++] = b;
  }
  return out.subarray(0, n);
}

/** Undoes a Content-Transfer-Encoding; `undefined` for an unknown one (RFC 3516 §4.3: UNKNOWN-CTE). */
export function decodeTransfer(body: Uint8Array, encoding: string | undefined): Uint8Array | undefined {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return decodeBase64Lenient(body);
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case '7bit':
    case '8bit':
    case 'binary':
      return body;
    default:
      return undefined;
  }
}

export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder((charset ?? 'utf-8').toLowerCase()).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Decodes RFC 2047 encoded words in a header value given as a binary string. */
const PLAIN = /^(?:[\x00-\x3c\x3e-\x7f]|=(?!\?))*$/;

export function decodeWords(value: string): string {
  // Plain ASCII without encoded words (most headers) decodes to itself.
  if (PLAIN.test(value)) return value;
  const raw = Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff);
  const text = decodeCharset(raw, 'utf-8');
  return text.replace(
    /=\?([^?*]+)(?:\*[^?]*)?\?([bBqQ])\?([^?]*)\?=(\s+(?==\?))?/g,
    (_m, charset: string, enc: string, data: string) => {
      const bytes = Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff);
      const decoded =
        enc.toUpperCase() === 'B' ? decodeBase64Lenient(bytes) : decodeQuotedPrintable(bytes, true);
      return decodeCharset(decoded, charset);
    },
  );
}

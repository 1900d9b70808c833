/**
 * Base64 (RFC 4648 §4) with a strict decoder: SASL (RFC 4422 §3) and the protocols carrying it
 * (RFC 4954 §4, RFC 9051 §6.2.2, RFC 5034 §4) send canonical base64, and anything else is the
 * peer's error to report, not an exception.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
const PAD = 0x3d;

/**
 * Encodes bytes as padded base64.
 *
 * @example
 * encodeBase64(utf8('user')); // 'dXNlcg=='
 */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${ALPHABET[n >>> 18]!}${ALPHABET[(n >>> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${ALPHABET[n >>> 18]!}${ALPHABET[(n >>> 12) & 63]!}${ALPHABET[(n >>> 6) & 63]!}=`;
  }
  return out;
}

/**
 * Decodes canonical padded base64 (a string, or its ASCII bytes as read off the wire).
 * Returns `undefined`, never throws, for anything else: a length that is not a multiple of 4,
 * characters outside the alphabet (whitespace included), misplaced padding, or non-zero bits
 * in the last character before the padding (RFC 4648 §3.5).
 *
 * @example
 * decodeBase64('dXNlcg=='); // Uint8Array [117, 115, 101, 114]
 * decodeBase64('dXNlcg');   // undefined
 */
export function decodeBase64(input: string | Uint8Array): Uint8Array | undefined {
  const length = input.length;
  if (length % 4 !== 0) return undefined;
  const at =
    typeof input === 'string'
      ? (i: number) => {
          const c = input.charCodeAt(i);
          return c > 0xff ? 0 : c;
        }
      : (i: number) => input[i]!;
  let pad = 0;
  if (length > 0 && at(length - 1) === PAD) pad = at(length - 2) === PAD ? 2 : 1;
  const out = new Uint8Array((length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < length; i += 4) {
    const last = i + 4 === length;
    const a = DECODE[at(i)]!;
    const b = DECODE[at(i + 1)]!;
    const c = last && pad === 2 ? 0 : DECODE[at(i + 2)]!;
    const d = last && pad >= 1 ? 0 : DECODE[at(i + 3)]!;
    if ((a | b | c | d) < 0) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    if (last && pad === 2) {
      if ((n & 0xffff) !== 0) return undefined;
      break;
    }
    out[o++] = n >>> 8;
    if (last && pad === 1) {
      if ((n & 0xff) !== 0) return undefined;
      break;
    }
    out[o++] = n;
  }
  return out;
}

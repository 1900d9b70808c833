/**
 * The slice of `@mailwire/core`'s SASL server API (`sasl/types.ts`) the POP3 session uses, typed
 * structurally so any object of that shape (core's `createSaslServer()`, or a test double) fits.
 */

export interface Pop3ScramKeys {
  readonly salt: Uint8Array;
  readonly iterations: number;
  readonly storedKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

/** What a SASL mechanism asks the application to check (core's `SaslCredentials`). */
export type Pop3SaslCredentials =
  | {
      readonly mechanism: 'PLAIN' | 'LOGIN';
      readonly authzid: string;
      readonly username: string;
      readonly password: string;
    }
  | {
      readonly mechanism: 'CRAM-MD5';
      readonly authzid: '';
      readonly username: string;
      verify(secret: string): boolean;
    }
  | { readonly mechanism: 'SCRAM-SHA-256'; readonly authzid: string; readonly username: string }
  | {
      readonly mechanism: 'XOAUTH2' | 'OAUTHBEARER';
      readonly authzid: string;
      readonly username: string;
      readonly token: string;
    };

export type Pop3SaslVerifyResult =
  | { readonly ok: true; readonly scramKeys?: Pop3ScramKeys }
  | { readonly ok: false };

export type Pop3SaslStep =
  | { readonly type: 'challenge'; readonly challenge: Uint8Array }
  | { readonly type: 'verify'; readonly credentials: Pop3SaslCredentials }
  | {
      readonly type: 'success';
      readonly username: string;
      readonly authzid: string;
      readonly serverData?: Uint8Array;
    }
  | { readonly type: 'failure'; readonly reason: 'malformed' | 'invalid' | 'aborted' };

export interface Pop3SaslServer {
  readonly mechanism: string;
  start(initialResponse: Uint8Array | undefined): Pop3SaslStep;
  respond(response: Uint8Array): Pop3SaslStep;
  verified(result: Pop3SaslVerifyResult): Pop3SaslStep;
}

/** Mechanisms that send the password (or a bearer token) in the clear: TLS only (RFC 2595 §2.2). */
export const PLAINTEXT_MECHANISMS: ReadonlySet<string> = new Set([
  'PLAIN',
  'LOGIN',
  'XOAUTH2',
  'OAUTHBEARER',
]);

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Padded base64 (RFC 4648 §4). */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
    out += b === undefined ? '=' : ALPHABET[(n >>> 6) & 63]!;
    out += c === undefined ? '=' : ALPHABET[n & 63]!;
  }
  return out;
}

/** Strict padded base64; `undefined` for anything else (RFC 4422 §3: the peer's error). */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const ch = text[i + j]!;
      n = (n << 6) | (ch === '=' ? 0 : ALPHABET.indexOf(ch));
    }
    if (o < out.length) out[o++] = n >>> 16;
    if (o < out.length) out[o++] = (n >>> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  // Canonical form only: the bits the padding drops must be zero.
  return encodeBase64(out) === text ? out : undefined;
}

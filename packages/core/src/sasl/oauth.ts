/**
 * Bearer-token mechanisms: XOAUTH2 (Google's format, https://developers.google.com/gmail/imap/xoauth2-protocol)
 * and OAUTHBEARER (RFC 7628).
 *
 *     XOAUTH2:      user=alice@example.com ^A auth=Bearer <token> ^A ^A
 *     OAUTHBEARER:  n,a=alice@example.com, ^A host=… ^A port=… ^A auth=Bearer <token> ^A ^A
 *
 * On a rejected token the server does not fail at once: it sends a JSON error as a challenge
 * (RFC 7628 §3.2.2), the client answers (`^A` for OAUTHBEARER, RFC 7628 §3.2.3; an empty
 * response for XOAUTH2), and only then does the exchange fail.
 *
 * For OAUTHBEARER, the gs2 `a=` value is reported as `username` (clients put the account there;
 * the token decides who the client really is) and `authzid` is ''. Channel binding is not
 * defined for OAUTHBEARER: the gs2 flag `p=` is malformed (RFC 7628 §3.1).
 */

import { decodeUtf8, utf8 } from '../bytes.js';
import { challenge, decodeSaslname, EMPTY, failure, Mechanism, splitBytes } from './mechanism.js';
import type { SaslStep, SaslVerifyResult } from './types.js';

/** Longest client message accepted, in octets (bearer tokens such as JWTs run to a few KiB). */
export const OAUTH_MAX_MESSAGE = 16384;

const KVSEP = 0x01;
const XOAUTH2_ERROR = utf8('{"status":"401","schemes":"bearer"}');
const OAUTHBEARER_ERROR = utf8('{"status":"invalid_token"}');
// RFC 7628 §3.1: auth-value = "Bearer" 1*SP b64token (RFC 6750 §2.1); the scheme is case-insensitive.
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const KEY = /^[A-Za-z]+$/;
// RFC 7628 §3.1: value = *(VCHAR / SP / HTAB / CR / LF)
const VALUE = /^[\x20-\x7e\t\r\n]*$/;

interface Parsed {
  readonly username: string;
  readonly token: string;
}

/** Parses `kvpair* kvsep` after the first kvsep: returns key → value, or undefined. */
function kvpairs(parts: Uint8Array[]): Map<string, string> | undefined {
  // parts: the pieces between ^A separators; the message ends with ^A^A, so the last two are empty.
  if (parts.length < 2 || parts[parts.length - 1]!.length !== 0 || parts[parts.length - 2]!.length !== 0) {
    return undefined;
  }
  const pairs = new Map<string, string>();
  for (const part of parts.slice(0, -2)) {
    const pair = decodeUtf8(part);
    const eq = pair?.indexOf('=') ?? -1;
    if (pair === undefined || eq < 1) return undefined;
    const key = pair.slice(0, eq).toLowerCase();
    if (!KEY.test(key) || pairs.has(key)) return undefined;
    pairs.set(key, pair.slice(eq + 1));
  }
  return pairs;
}

function bearer(value: string | undefined): string | undefined {
  return value === undefined ? undefined : BEARER.exec(value)?.[1];
}

abstract class BearerServer extends Mechanism {
  abstract override readonly mechanism: 'XOAUTH2' | 'OAUTHBEARER';
  private username = '';
  private errorSent = false;
  protected abstract readonly errorChallenge: Uint8Array;
  protected abstract parse(message: Uint8Array): Parsed | undefined;

  protected onStart(initialResponse: Uint8Array | undefined): SaslStep {
    return initialResponse === undefined ? challenge(EMPTY) : this.onResponse(initialResponse);
  }

  protected onResponse(response: Uint8Array): SaslStep {
    // RFC 7628 §3.2.3: after the error challenge, whatever the client answers, the exchange fails.
    if (this.errorSent) return failure('invalid');
    if (response.length > OAUTH_MAX_MESSAGE) return failure('malformed');
    const parsed = this.parse(response);
    if (parsed === undefined) return failure('malformed');
    this.username = parsed.username;
    return {
      type: 'verify',
      credentials: { mechanism: this.mechanism, authzid: '', username: parsed.username, token: parsed.token },
    };
  }

  protected onVerified(result: SaslVerifyResult): SaslStep {
    if (result.ok) return { type: 'success', username: this.username, authzid: '' };
    this.errorSent = true;
    return challenge(this.errorChallenge);
  }
}

export class XOAuth2Server extends BearerServer {
  readonly mechanism = 'XOAUTH2' as const;
  protected readonly errorChallenge = XOAUTH2_ERROR;

  protected parse(message: Uint8Array): Parsed | undefined {
    const pairs = kvpairs(splitBytes(message, KVSEP));
    const user = pairs?.get('user');
    const token = bearer(pairs?.get('auth'));
    if (pairs === undefined || user === undefined || user === '' || token === undefined) {
      return undefined;
    }
    if (/[\u0000-\u001f\u007f]/.test(user)) return undefined;
    return { username: user, token };
  }
}

export class OAuthBearerServer extends BearerServer {
  readonly mechanism = 'OAUTHBEARER' as const;
  protected readonly errorChallenge = OAUTHBEARER_ERROR;

  protected parse(message: Uint8Array): Parsed | undefined {
    const parts = splitBytes(message, KVSEP);
    // RFC 7628 §3.1: client-resp = (gs2-header kvsep *kvpair kvsep) / kvsep
    const header = decodeUtf8(parts[0]!);
    const match = header === undefined ? null : /^([ny]),(?:a=([^,]*))?,$/.exec(header);
    if (match === null) return undefined;
    const username = match[2] === undefined ? '' : decodeSaslname(match[2]);
    if (username === undefined || (match[2] !== undefined && username === '')) return undefined;
    const pairs = kvpairs(parts.slice(1));
    if (pairs === undefined) return undefined;
    for (const value of pairs.values()) if (!VALUE.test(value)) return undefined;
    const token = bearer(pairs.get('auth'));
    if (token === undefined) return undefined;
    return { username, token };
  }
}

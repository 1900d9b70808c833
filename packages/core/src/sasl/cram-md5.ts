/**
 * CRAM-MD5 (RFC 2195). The server sends a unique challenge in msg-id form,
 * `<random.digits@hostname>`; the client answers `username SP hex(HMAC-MD5(secret, challenge))`.
 * The application holds the secret (the plaintext password, or whatever both sides agreed to key
 * HMAC-MD5 with) and calls `credentials.verify(secret)`, which compares in constant time.
 */

import { utf8 } from '../bytes.js';
import { constantTimeEqual } from '../crypto/compare.js';
import { hmacMd5 } from '../crypto/hmac.js';
import { UsageError } from '../errors.js';
import { challenge, failure, Mechanism, text } from './mechanism.js';
import { defaultRandomBytes } from './random.js';
import type { SaslServerOptions, SaslStep, SaslVerifyResult } from './types.js';

export const CRAM_MD5_MAX_RESPONSE = 1024;

export class CramMd5Server extends Mechanism {
  readonly mechanism = 'CRAM-MD5' as const;
  private readonly message: Uint8Array;
  private username = '';

  constructor(options: SaslServerOptions = {}) {
    super();
    const hostname = options.hostname ?? 'localhost';
    // The challenge is a msg-id (RFC 2195 §2, RFC 822): the host name must not break it.
    if (!/^[\x21-\x3b\x3d\x3f-\x7e]+$/.test(hostname)) {
      throw new UsageError('ERR_INVALID_ARGUMENT', `CRAM-MD5: invalid hostname ${JSON.stringify(hostname)}`);
    }
    const random = (options.randomBytes ?? defaultRandomBytes)(8);
    const view = new DataView(random.buffer, random.byteOffset, 8);
    this.message = utf8(`<${view.getUint32(0)}.${view.getUint32(4)}@${hostname}>`);
  }

  protected onStart(initialResponse: Uint8Array | undefined): SaslStep {
    // CRAM-MD5 is server-first: an initial response has nothing to answer yet.
    if (initialResponse !== undefined && initialResponse.length > 0) return failure('malformed');
    return challenge(this.message);
  }

  protected onResponse(response: Uint8Array): SaslStep {
    const value = text(response, CRAM_MD5_MAX_RESPONSE);
    const space = value?.lastIndexOf(' ') ?? -1;
    if (value === undefined || space < 1) return failure('malformed');
    const digest = value.slice(space + 1).toLowerCase();
    // RFC 2195 §2: the digest is 16 octets as 32 lowercase hex digits (case is tolerated).
    if (!/^[0-9a-f]{32}$/.test(digest)) return failure('malformed');
    const username = value.slice(0, space);
    if (/[\u0000-\u001f\u007f]/.test(username)) return failure('malformed');
    this.username = username;
    const expected = utf8(digest);
    const message = this.message;
    return {
      type: 'verify',
      credentials: {
        mechanism: 'CRAM-MD5',
        authzid: '',
        username,
        verify(secret: string): boolean {
          const mac = hmacMd5(utf8(secret), message);
          let hex = '';
          for (const b of mac) hex += b.toString(16).padStart(2, '0');
          return constantTimeEqual(utf8(hex), expected);
        },
      },
    };
  }

  protected onVerified(result: SaslVerifyResult): SaslStep {
    if (!result.ok) return failure('invalid');
    return { type: 'success', username: this.username, authzid: '' };
  }
}

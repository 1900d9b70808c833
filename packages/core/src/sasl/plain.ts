/**
 * PLAIN (RFC 4616): one message, `[authzid] NUL authcid NUL passwd`, in UTF-8.
 *
 * A server-first exchange (no initial response) starts with an empty challenge. Each field is
 * limited to `PLAIN_MAX_FIELD` octets: RFC 4616 §2 requires accepting at least 255; we accept
 * more for long generated passwords and still bound memory.
 */

import { utf8 } from '../bytes.js';
import { challenge, EMPTY, failure, Mechanism, splitBytes, text } from './mechanism.js';
import type { SaslStep, SaslVerifyResult } from './types.js';

export const PLAIN_MAX_FIELD = 1024;

export class PlainServer extends Mechanism {
  readonly mechanism = 'PLAIN' as const;
  private authzid = '';
  private username = '';

  protected onStart(initialResponse: Uint8Array | undefined): SaslStep {
    return initialResponse === undefined ? challenge(EMPTY) : this.onResponse(initialResponse);
  }

  protected onResponse(message: Uint8Array): SaslStep {
    const parts = splitBytes(message, 0);
    // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd; no NUL inside a field.
    if (parts.length !== 3) return failure('malformed');
    const [authzid, authcid, passwd] = parts.map((p) => text(p, PLAIN_MAX_FIELD));
    if (authzid === undefined || authcid === undefined || passwd === undefined) return failure('malformed');
    // RFC 4616 §2: authcid = 1*SAFE, passwd = 1*SAFE.
    if (authcid === '' || passwd === '') return failure('malformed');
    this.authzid = authzid;
    this.username = authcid;
    return {
      type: 'verify',
      credentials: { mechanism: 'PLAIN', authzid, username: authcid, password: passwd },
    };
  }

  protected onVerified(result: SaslVerifyResult): SaslStep {
    if (!result.ok) return failure('invalid');
    return { type: 'success', username: this.username, authzid: this.authzid };
  }
}

/** Builds a PLAIN message (for clients and tests). */
export function plainMessage(username: string, password: string, authzid = ''): Uint8Array {
  return utf8(`${authzid}\u0000${username}\u0000${password}`);
}

/**
 * LOGIN (draft-murchison-sasl-login-00): the obsolete but ubiquitous two-prompt mechanism. The
 * server asks `Username:` then `Password:`; an initial response is the user name (RFC 4954
 * clients such as Outlook send `AUTH LOGIN <base64 user>`). Both answers are UTF-8, non-empty
 * user names, at most `LOGIN_MAX_FIELD` octets each.
 */

import { utf8 } from '../bytes.js';
import { challenge, failure, Mechanism, text } from './mechanism.js';
import type { SaslStep, SaslVerifyResult } from './types.js';

export const LOGIN_MAX_FIELD = 1024;
const USERNAME = utf8('Username:');
const PASSWORD = utf8('Password:');

export class LoginServer extends Mechanism {
  readonly mechanism = 'LOGIN' as const;
  private username: string | undefined;

  protected onStart(initialResponse: Uint8Array | undefined): SaslStep {
    // An empty initial response (`AUTH LOGIN =`) carries no user name: ask for it.
    if (initialResponse === undefined || initialResponse.length === 0) return challenge(USERNAME);
    return this.onResponse(initialResponse);
  }

  protected onResponse(response: Uint8Array): SaslStep {
    const value = text(response, LOGIN_MAX_FIELD);
    if (value === undefined || value.includes('\u0000')) return failure('malformed');
    if (this.username === undefined) {
      if (value === '') return failure('malformed');
      this.username = value;
      return challenge(PASSWORD);
    }
    return {
      type: 'verify',
      credentials: { mechanism: 'LOGIN', authzid: '', username: this.username, password: value },
    };
  }

  protected onVerified(result: SaslVerifyResult): SaslStep {
    if (!result.ok) return failure('invalid');
    return { type: 'success', username: this.username!, authzid: '' };
  }
}

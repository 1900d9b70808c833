/**
 * SASL server mechanisms as small sans-I/O state machines, shared by SMTP AUTH (RFC 4954),
 * IMAP AUTHENTICATE (RFC 9051 §6.2.2) and POP3 AUTH (RFC 5034).
 *
 * The protocol session owns the framing: it base64-decodes what the client sent (the initial
 * response, or each line after a challenge), handles the `*` cancel line itself, and base64-encodes
 * each challenge it is given. The mechanism only sees and returns raw bytes.
 *
 * A mechanism never checks a credential itself against a user database: when it has what the
 * application must check, it returns a `verify` step, and the session turns that into an event
 * with a decision. The session then calls `verified()` with the outcome and goes on with the step
 * that returns (a challenge, a success or a failure).
 *
 * Flow, for every mechanism:
 *
 *     const server = createSaslServer('PLAIN');
 *     let step = server.start(initialResponseOrUndefined);
 *     while (step.type === 'challenge') step = server.respond(await nextClientLine());
 *     if (step.type === 'verify') step = server.verified(await app.check(step.credentials));
 *     // … and again while 'challenge' (SCRAM has one more round trip after verify)
 *     // finally: step.type === 'success' or 'failure'
 */

export type SaslMechanismName = 'PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'SCRAM-SHA-256' | 'XOAUTH2' | 'OAUTHBEARER';

/** What the application must check. `authzid` is '' when the client did not ask to act as someone else. */
export type SaslCredentials =
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
      /** True when HMAC-MD5(secret, challenge) equals the client's digest (RFC 2195). */
      verify(secret: string): boolean;
    }
  | {
      /** Answer with `{ ok: true, scramKeys }` for the user; the mechanism checks the proof itself. */
      readonly mechanism: 'SCRAM-SHA-256';
      readonly authzid: string;
      readonly username: string;
    }
  | {
      readonly mechanism: 'XOAUTH2' | 'OAUTHBEARER';
      readonly authzid: string;
      readonly username: string;
      readonly token: string;
    };

/** SCRAM-SHA-256 stored keys (RFC 5802 §3, RFC 7677): what a store keeps instead of the password. */
export interface ScramStoredKeys {
  readonly salt: Uint8Array;
  readonly iterations: number;
  readonly storedKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

export type SaslVerifyResult =
  | {
      readonly ok: true;
      /** Required for SCRAM-SHA-256. */
      readonly scramKeys?: ScramStoredKeys;
    }
  | { readonly ok: false };

export type SaslStep =
  /** Send these bytes to the client (base64-encoded by the protocol) and pass its answer to `respond()`. */
  | { readonly type: 'challenge'; readonly challenge: Uint8Array }
  /** Ask the application; pass the outcome to `verified()`. */
  | { readonly type: 'verify'; readonly credentials: SaslCredentials }
  /**
   * Authenticated. `serverData` (SCRAM's server-final-message) must reach the client: where the
   * protocol cannot carry data with its success reply (SMTP), send it as one more challenge and
   * expect an empty response before the success reply (RFC 4954 §4).
   */
  | {
      readonly type: 'success';
      readonly username: string;
      readonly authzid: string;
      readonly serverData?: Uint8Array;
    }
  /** Authentication failed; `malformed` means the client broke the mechanism's syntax. */
  | { readonly type: 'failure'; readonly reason: 'malformed' | 'invalid' | 'aborted' };

export interface SaslServer {
  readonly mechanism: SaslMechanismName;
  /** Begins the exchange; `initialResponse` is `undefined` when the client sent none, empty for `=`. */
  start(initialResponse: Uint8Array | undefined): SaslStep;
  /** The client's (decoded) answer to the last challenge. */
  respond(response: Uint8Array): SaslStep;
  /** The application's answer to the last `verify` step. */
  verified(result: SaslVerifyResult): SaslStep;
}

export interface SaslServerOptions {
  /** Host name used in CRAM-MD5 challenges. */
  readonly hostname?: string;
  /** Source of random bytes for nonces; defaults to `globalThis.crypto.getRandomValues`. */
  readonly randomBytes?: (length: number) => Uint8Array;
}

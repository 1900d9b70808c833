/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), server side, from stored keys only: the server never sees
 * or keeps the password.
 *
 *     C: n,,n=user,r=<client nonce>                      client-first-message
 *        → verify step: the application looks the user up and answers with its ScramStoredKeys
 *     S: r=<client nonce><server nonce>,s=<salt>,i=4096   server-first-message (a challenge)
 *     C: c=biws,r=<both nonces>,p=<ClientProof>          client-final-message
 *     S: v=<ServerSignature>                              server-final-message (success serverData)
 *
 * Channel binding is not offered (we never advertise SCRAM-SHA-256-PLUS): the gs2 flags `n`
 * and `y` are accepted; `p=` fails the exchange (RFC 5802 §6 "channel-binding-not-supported").
 * User names go through SASLprep (see `saslprep.ts` for what is and is not implemented); a name
 * SASLprep refuses fails as `malformed`. An unknown user fails at once (`verified({ ok: false })`),
 * which does tell the client the user does not exist; RFC 5802 §9 permits either.
 */

import { decodeUtf8, utf8 } from '../bytes.js';
import { decodeBase64, encodeBase64 } from '../crypto/base64.js';
import { constantTimeEqual } from '../crypto/compare.js';
import { hmacSha256, pbkdf2Sha256 } from '../crypto/hmac.js';
import { sha256 } from '../crypto/sha256.js';
import { UsageError } from '../errors.js';
import { challenge, decodeSaslname, EMPTY, failure, Mechanism } from './mechanism.js';
import { defaultRandomBytes } from './random.js';
import { saslprep } from './saslprep.js';
import type { SaslServerOptions, SaslStep, SaslVerifyResult, ScramStoredKeys } from './types.js';

/** Longest client message accepted, in octets. */
export const SCRAM_MAX_MESSAGE = 4096;
/** RFC 7677 §4: at least 4096 iterations are recommended. */
export const SCRAM_DEFAULT_ITERATIONS = 4096;

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (no comma).
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
const EXTENSION = /^[A-Za-z]=[^\u0000,]*$/;

/**
 * Derives the keys a store keeps for SCRAM-SHA-256 (RFC 5802 §3):
 * SaltedPassword = Hi(Normalize(password), salt, i), StoredKey = H(HMAC(SaltedPassword, "Client Key")),
 * ServerKey = HMAC(SaltedPassword, "Server Key").
 *
 * Throws `UsageError` when SASLprep refuses the password (control characters, unassigned code
 * points…) or `iterations` is not a positive integer.
 *
 * @example
 * const keys = deriveScramKeys('pencil', randomSalt, 4096); // store keys, not the password
 */
export function deriveScramKeys(password: string, salt: Uint8Array, iterations: number): ScramStoredKeys {
  const prepared = saslprep(password, { stored: true });
  if (prepared === undefined) {
    throw new UsageError('ERR_INVALID_ARGUMENT', 'SCRAM: SASLprep prohibits a character in this password');
  }
  const salted = pbkdf2Sha256(utf8(prepared), salt, iterations, 32);
  const clientKey = hmacSha256(salted, utf8('Client Key'));
  return {
    salt: salt.slice(),
    iterations,
    storedKey: sha256(clientKey),
    serverKey: hmacSha256(salted, utf8('Server Key')),
  };
}

type Stage = 'client-first' | 'client-final';

export class ScramSha256Server extends Mechanism {
  readonly mechanism = 'SCRAM-SHA-256' as const;
  private stage: Stage = 'client-first';
  private gs2Header = '';
  private clientFirstBare = '';
  private clientNonce = '';
  private authzid = '';
  private username = '';
  private serverFirst = '';
  private nonce = '';
  private keys: ScramStoredKeys | undefined;
  private readonly randomBytes: (length: number) => Uint8Array;
  private readonly fixedServerNonce: string | undefined;

  /** `serverNonce` is for reproducing published test vectors; never pass it in production. */
  constructor(options: SaslServerOptions = {}, serverNonce?: string) {
    super();
    this.randomBytes = options.randomBytes ?? defaultRandomBytes;
    this.fixedServerNonce = serverNonce;
  }

  protected onStart(initialResponse: Uint8Array | undefined): SaslStep {
    return initialResponse === undefined ? challenge(EMPTY) : this.onResponse(initialResponse);
  }

  protected onResponse(response: Uint8Array): SaslStep {
    if (response.length > SCRAM_MAX_MESSAGE) return failure('malformed');
    const message = decodeUtf8(response);
    if (message === undefined || message.includes('\u0000')) return failure('malformed');
    return this.stage === 'client-first' ? this.clientFirst(message) : this.clientFinal(message);
  }

  private clientFirst(message: string): SaslStep {
    // RFC 5802 §7: gs2-header = gs2-cbind-flag "," [ authzid ] ","
    const first = message.indexOf(',');
    const second = message.indexOf(',', first + 1);
    if (first === -1 || second === -1) return failure('malformed');
    const flag = message.slice(0, first);
    if (flag.startsWith('p=')) return failure('invalid');
    if (flag !== 'n' && flag !== 'y') return failure('malformed');
    const authz = message.slice(first + 1, second);
    let authzid = '';
    if (authz !== '') {
      const decoded = authz.startsWith('a=') ? decodeSaslname(authz.slice(2)) : undefined;
      if (decoded === undefined || decoded === '') return failure('malformed');
      authzid = decoded;
    }
    const bare = message.slice(second + 1);
    const attributes = bare.split(',');
    // RFC 5802 §5.1: a mandatory extension ("m=") this version does not know MUST fail.
    if (attributes[0]?.startsWith('m=')) return failure('malformed');
    const [user, nonce, ...extensions] = attributes;
    if (user === undefined || nonce === undefined || !user.startsWith('n=') || !nonce.startsWith('r=')) {
      return failure('malformed');
    }
    if (!extensions.every((e) => EXTENSION.test(e))) return failure('malformed');
    const rawName = decodeSaslname(user.slice(2));
    const username = rawName === undefined ? undefined : saslprep(rawName);
    if (username === undefined || username === '') return failure('malformed');
    const clientNonce = nonce.slice(2);
    if (!PRINTABLE.test(clientNonce)) return failure('malformed');
    this.gs2Header = message.slice(0, second + 1);
    this.clientFirstBare = bare;
    this.clientNonce = clientNonce;
    this.authzid = authzid;
    this.username = username;
    return { type: 'verify', credentials: { mechanism: 'SCRAM-SHA-256', authzid, username } };
  }

  protected onVerified(result: SaslVerifyResult): SaslStep {
    if (!result.ok) return failure('invalid');
    const keys = result.scramKeys;
    if (
      keys === undefined ||
      keys.storedKey.length !== 32 ||
      keys.serverKey.length !== 32 ||
      !Number.isSafeInteger(keys.iterations) ||
      keys.iterations < 1
    ) {
      throw new UsageError(
        'ERR_INVALID_ARGUMENT',
        'SCRAM-SHA-256: verified({ ok: true }) needs scramKeys with 32-byte keys and iterations ≥ 1',
      );
    }
    this.keys = keys;
    const serverNonce = this.fixedServerNonce ?? encodeBase64(this.randomBytes(18));
    this.nonce = this.clientNonce + serverNonce;
    this.serverFirst = `r=${this.nonce},s=${encodeBase64(keys.salt)},i=${keys.iterations}`;
    this.stage = 'client-final';
    return challenge(utf8(this.serverFirst));
  }

  private clientFinal(message: string): SaslStep {
    // RFC 5802 §7: client-final-message = channel-binding "," nonce ["," extensions] "," proof
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt === -1) return failure('malformed');
    const withoutProof = message.slice(0, proofAt);
    const [binding, nonce, ...extensions] = withoutProof.split(',');
    if (
      binding === undefined ||
      nonce === undefined ||
      !binding.startsWith('c=') ||
      !nonce.startsWith('r=')
    ) {
      return failure('malformed');
    }
    if (!extensions.every((e) => EXTENSION.test(e))) return failure('malformed');
    // Without channel binding, c= carries exactly the gs2 header of the client-first-message.
    const cbind = decodeBase64(binding.slice(2));
    if (cbind === undefined || !constantTimeEqual(cbind, utf8(this.gs2Header))) {
      return failure('malformed');
    }
    if (nonce.slice(2) !== this.nonce) return failure('malformed');
    const proof = decodeBase64(message.slice(proofAt + 3));
    if (proof === undefined || proof.length !== 32) return failure('malformed');
    const keys = this.keys!;
    const authMessage = utf8(`${this.clientFirstBare},${this.serverFirst},${withoutProof}`);
    const clientSignature = hmacSha256(keys.storedKey, authMessage);
    const clientKey = proof.map((b, i) => b ^ clientSignature[i]!);
    if (!constantTimeEqual(sha256(clientKey), keys.storedKey)) return failure('invalid');
    const serverSignature = hmacSha256(keys.serverKey, authMessage);
    return {
      type: 'success',
      username: this.username,
      authzid: this.authzid,
      serverData: utf8(`v=${encodeBase64(serverSignature)}`),
    };
  }
}

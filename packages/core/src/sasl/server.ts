/** The entry points: pick a mechanism by name, and decode what the client sent on the wire. */

import { decodeBase64 } from '../crypto/base64.js';
import { CramMd5Server } from './cram-md5.js';
import { LoginServer } from './login.js';
import { OAuthBearerServer, XOAuth2Server } from './oauth.js';
import { PlainServer } from './plain.js';
import { ScramSha256Server } from './scram.js';
import type { SaslMechanismName, SaslServer, SaslServerOptions } from './types.js';

/** Every mechanism `createSaslServer()` knows, strongest first. */
export const SASL_MECHANISMS: readonly SaslMechanismName[] = [
  'SCRAM-SHA-256',
  'OAUTHBEARER',
  'XOAUTH2',
  'CRAM-MD5',
  'PLAIN',
  'LOGIN',
];

/**
 * A new server-side exchange for mechanism `name` (case-insensitive, RFC 4422 §3.1), or
 * `undefined` when the name is not one we implement (the protocol answers "unsupported
 * mechanism"). One object per authentication attempt.
 *
 * @example
 * const server = createSaslServer('PLAIN');
 * let step = server!.start(utf8('\0alice\0secret'));
 * if (step.type === 'verify' && step.credentials.mechanism === 'PLAIN') {
 *   step = server!.verified({ ok: step.credentials.password === 'secret' });
 * }
 * step; // { type: 'success', username: 'alice', authzid: '' }
 */
export function createSaslServer(name: string, options: SaslServerOptions = {}): SaslServer | undefined {
  switch (name.toUpperCase()) {
    case 'PLAIN':
      return new PlainServer();
    case 'LOGIN':
      return new LoginServer();
    case 'CRAM-MD5':
      return new CramMd5Server(options);
    case 'SCRAM-SHA-256':
      return new ScramSha256Server(options);
    case 'XOAUTH2':
      return new XOAuth2Server();
    case 'OAUTHBEARER':
      return new OAuthBearerServer();
    default:
      return undefined;
  }
}

/** What one client line of a SASL exchange means, once the protocol has removed its framing. */
export type SaslResponse =
  | { readonly type: 'data'; readonly data: Uint8Array }
  /** `*`: the client cancels (RFC 4954 §4, RFC 9051 §6.2.2, RFC 5034 §4); answer with the protocol's failure. */
  | { readonly type: 'cancel' }
  /** Not base64: answer with the protocol's syntax error and end the exchange. */
  | { readonly type: 'malformed' };

/**
 * Decodes one client line of a SASL exchange (without its CRLF). `initial` is for the initial
 * response on the command line, where a lone `=` means "empty" (RFC 4954 §4, RFC 4959 §3).
 *
 * @example
 * decodeSaslResponse(utf8('*'));                      // { type: 'cancel' }
 * decodeSaslResponse(utf8('='), { initial: true });   // { type: 'data', data: Uint8Array [] }
 * decodeSaslResponse(utf8('dXNlcg=='));               // { type: 'data', data: utf8('user') }
 */
export function decodeSaslResponse(
  line: Uint8Array,
  options: { readonly initial?: boolean } = {},
): SaslResponse {
  if (line.length === 1 && line[0] === 0x2a) return { type: 'cancel' };
  if (options.initial === true) {
    if (line.length === 1 && line[0] === 0x3d) return { type: 'data', data: new Uint8Array(0) };
    if (line.length === 0) return { type: 'malformed' };
  }
  const data = decodeBase64(line);
  return data === undefined ? { type: 'malformed' } : { type: 'data', data };
}

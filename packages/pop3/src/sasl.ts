/**
 * SASL for POP3 AUTH (RFC 5034) comes from `@mailwire/core`; this file names what the session
 * needs from it and the POP3 policy around it.
 */
import type {
  SaslCredentials,
  SaslServer,
  SaslStep,
  SaslVerifyResult,
  ScramStoredKeys,
} from '@mailwire/core';

export type Pop3SaslServer = SaslServer;
export type Pop3SaslStep = SaslStep;
export type Pop3SaslCredentials = SaslCredentials;
export type Pop3SaslVerifyResult = SaslVerifyResult;
export type Pop3ScramKeys = ScramStoredKeys;

/** Mechanisms that send the password (or a bearer token) in the clear: TLS only (RFC 2595 §2.2). */
export const PLAINTEXT_MECHANISMS: ReadonlySet<string> = new Set([
  'PLAIN',
  'LOGIN',
  'XOAUTH2',
  'OAUTHBEARER',
]);

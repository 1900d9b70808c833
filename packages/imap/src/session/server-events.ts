import type { MailwireError, SaslCredentials, TlsInfo } from '@mailwire/core';
import type { Account, ScramStoredKeys } from '@mailwire/store';

/**
 * Events of `ImapServerSession`, in the past tense where they report and with a `decision` where
 * the application must answer. A decision is settled exactly once; a second call throws.
 */

export interface LoginDecision {
  /** The credentials are good: the session is now authenticated as `account`. */
  accept(account: Account): void;
  /** `NO [AUTHENTICATIONFAILED]` (RFC 5530) with `text`. */
  reject(text?: string): void;
}

export interface AuthenticateDecision {
  /** The credentials are good. For SCRAM-SHA-256, give the user's stored keys. */
  accept(account: Account, scramKeys?: ScramStoredKeys): void;
  reject(text?: string): void;
}

export type ImapServerEvent =
  /** LOGIN (RFC 9051 §6.2.3): check the password. */
  | {
      readonly type: 'login';
      readonly username: string;
      readonly password: string;
      readonly decision: LoginDecision;
    }
  /** AUTHENTICATE (RFC 9051 §6.2.2): check what the SASL mechanism collected. */
  | {
      readonly type: 'authenticate';
      readonly credentials: SaslCredentials;
      readonly decision: AuthenticateDecision;
    }
  /** Authentication succeeded. */
  | { readonly type: 'authenticated'; readonly account: Account; readonly mechanism: string }
  /** STARTTLS accepted: flush output, upgrade the transport, then call `tlsStarted()`. */
  | { readonly type: 'starttls' }
  /** The peer broke the protocol; the reply is already queued. */
  | { readonly type: 'protocolError'; readonly error: MailwireError }
  /** A store call failed unexpectedly; the client got `NO [SERVERBUG]`. */
  | { readonly type: 'internalError'; readonly error: unknown }
  /** The last event. */
  | {
      readonly type: 'closed';
      readonly reason: 'logout' | 'peer' | 'timeout' | 'errors' | 'mailbox-deleted';
    };

export type { TlsInfo };

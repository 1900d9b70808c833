/**
 * Events of `Pop3ServerSession`, in the order the application meets them. Events that need an
 * answer carry a `decision`, settled exactly once (a second call throws `ERR_DECISION_SETTLED`);
 * until it is settled, later pipelined commands wait and replies leave in command order.
 */
import type { MailwireError, TlsInfo } from '@mailwire/core';
import type { Pop3ResponseCode } from './response.js';
import type { Pop3SaslCredentials, Pop3ScramKeys } from './sasl.js';

/** What the session needs to know about each message of the maildrop snapshot. */
export interface Pop3MessageInfo {
  /** Exact octets RETR will send (CRLF line endings, before byte-stuffing; RFC 1939 §5). */
  readonly size: number;
  /** RFC 1939 §7: 1 to 70 characters in 0x21–0x7E, unique and stable across sessions. */
  readonly uidl: string;
}

/** A message body, in chunks; bytes may use CRLF or bare LF line endings. */
export type Pop3ChunkSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** An `-ERR` the application chooses: an RFC 2449/3206 response code and human text. */
export interface Pop3Refusal {
  readonly code?: Pop3ResponseCode;
  readonly text?: string;
}

/** How the client authenticated, and what the application must check. */
export type Pop3Credentials =
  /** RFC 1939 §7 USER/PASS. */
  | { readonly mechanism: 'USER'; readonly authzid: ''; readonly username: string; readonly password: string }
  /** RFC 1939 §7 APOP: `verify(secret)` compares MD5(timestamp + secret) with the client's digest. */
  | {
      readonly mechanism: 'APOP';
      readonly authzid: '';
      readonly username: string;
      readonly digest: string;
      readonly timestamp: string;
      verify(secret: string): boolean;
    }
  /** RFC 5034 AUTH, as the SASL mechanism reported it. */
  | Pop3SaslCredentials;

export interface Pop3AuthDecision {
  /**
   * The credentials are good. `user` names the maildrop owner (defaults to the authzid, else the
   * username); `scramKeys` is required for SCRAM-SHA-256, whose proof the mechanism checks.
   */
  accept(options?: { readonly user?: string; readonly scramKeys?: Pop3ScramKeys }): void;
  /** Refused: `-ERR [AUTH] …` unless another code is given (e.g. `LOGIN-DELAY`, `SYS/TEMP`). */
  reject(refusal?: Pop3Refusal): void;
}

export interface Pop3MaildropDecision<M extends Pop3MessageInfo> {
  /** Locked: the snapshot for this session, message 1 first. */
  accept(messages: readonly M[]): void;
  /** Not opened: `-ERR [IN-USE] …` by default (RFC 2449 §8.1.1). */
  reject(refusal?: Pop3Refusal): void;
}

export interface Pop3RetrieveDecision {
  /** Sends `+OK`, then the source through the byte-stuffing encoder (see `pendingBody()`). */
  accept(source: Pop3ChunkSource): void;
  /** `-ERR [SYS/TEMP] …` by default. */
  reject(refusal?: Pop3Refusal): void;
}

export interface Pop3CommitDecision {
  /** The marked messages are gone: `+OK … signing off`. */
  accept(): void;
  /** They could not be removed: `-ERR [SYS/TEMP] some deleted messages not removed` (RFC 1939 §6). */
  reject(refusal?: Pop3Refusal): void;
}

/** A message of the snapshot together with its POP3 message number (from 1). */
export interface Pop3Numbered<M extends Pop3MessageInfo> {
  readonly number: number;
  readonly message: M;
}

export type Pop3ServerEvent<M extends Pop3MessageInfo = Pop3MessageInfo> =
  /** The client sent credentials (PASS, APOP, or a SASL exchange reached its check). */
  | { readonly type: 'auth'; readonly credentials: Pop3Credentials; readonly decision: Pop3AuthDecision }
  /** Authentication succeeded: open and lock `user`'s maildrop, or refuse. */
  | {
      readonly type: 'maildrop';
      readonly user: string;
      /** The client enabled UTF-8 mode (RFC 6856 §2). */
      readonly utf8: boolean;
      readonly decision: Pop3MaildropDecision<M>;
    }
  /** RETR, or TOP with `lines` set: provide the message's bytes. */
  | ({
      readonly type: 'retrieve';
      readonly command: 'RETR' | 'TOP';
      readonly lines?: number;
      readonly decision: Pop3RetrieveDecision;
    } & Pop3Numbered<M>)
  /** QUIT in TRANSACTION (UPDATE state, RFC 1939 §6): remove `deleted`, then settle. */
  | {
      readonly type: 'commit';
      readonly deleted: readonly Pop3Numbered<M>[];
      readonly decision: Pop3CommitDecision;
    }
  /** The maildrop must be unlocked; `committed` says whether `commit` was accepted. Exactly once per opened maildrop. */
  | { readonly type: 'release'; readonly user: string; readonly committed: boolean }
  /** `+OK` to STLS was queued: flush output, start TLS, then call `tlsStarted()`. */
  | { readonly type: 'starttls' }
  /** The peer misbehaved; the `-ERR` reply (if any) is already queued. */
  | { readonly type: 'protocolError'; readonly error: MailwireError }
  /** The session is over: flush output, then close the connection. Always the last event. */
  | { readonly type: 'closed'; readonly reason: Pop3CloseReason };

export type Pop3CloseReason =
  | 'quit'
  | 'peer-closed'
  | 'timeout'
  | 'too-many-errors'
  | 'too-many-auth-failures'
  | 'source-failed'
  | 'input-overflow';

export type Pop3TlsInfo = TlsInfo;

/**
 * The storage contract: what IMAP4rev2 (with CONDSTORE/QRESYNC), POP3 and SMTP delivery need from a
 * mail store, and nothing more. Adapters (memory, SQLite, Maildir, PostgreSQL, yours) implement
 * `MailStore`; the conformance kit (`@mailwire/store/conformance`) is the definition of correct.
 *
 * Theory of operation
 *
 * - Accounts own mailboxes; mailboxes own messages. Every message operation names a mailbox by its
 *   opaque `id` (from `getMailbox`), so a session that selected a mailbox keeps talking about the same
 *   mailbox even if it is renamed; a deleted-and-recreated name gets a new id and a new UIDVALIDITY.
 * - UIDs are positive, strictly ascending in the order messages become visible, never reused within
 *   one UIDVALIDITY (RFC 9051 §2.3.1.1). `uidNext` never decreases.
 * - MODSEQ (RFC 7162) is a positive integer per mailbox. Every operation that changes the mailbox
 *   (append, copy/move in or out, flag change, expunge) takes the next MODSEQ; all the messages it
 *   touches share it. A no-op (flags already as asked) takes none. An empty new mailbox has
 *   `highestModseq` 1. Values stay below 2^53 (a JavaScript `number`).
 * - Every mutating operation is atomic: it happens whole or not at all, and a concurrent reader never
 *   sees half of it. Its promise resolves only after the change is durable (for adapters that persist).
 * - Times are inputs: `internalDate` comes from the caller in milliseconds since the epoch. The
 *   store interface never reads a clock (an adapter may, e.g. to seed UIDVALIDITY).
 * - Bytes go in and out as streams of `Uint8Array`; a large message is never held whole in memory by
 *   the interface.
 * - Every failure is a `StoreError` (see `errors.ts`) with a stable `code`.
 */

import type { ScramStoredKeys } from '@mailwire/core';

/** SCRAM-SHA-256 stored keys (RFC 5802 §3, RFC 7677), as `@mailwire/core`'s SASL server wants them. */
export type { ScramStoredKeys };

/** A message body as the caller has it: one buffer, or chunks (sync or async). */
export type MessageSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * A set of UIDs: single UIDs and inclusive `[from, to]` ranges, in any order, overlaps allowed.
 * `to` may be `Infinity` for "up to the highest UID" (IMAP's `n:*` after the session resolved `*`
 * where needed). UIDs that do not exist are ignored, as IMAP requires for UID commands.
 *
 * @example [1, 5, [10, 20], [100, Infinity]]
 */
export type UidSet = readonly (number | readonly [from: number, to: number])[];

// ---------------------------------------------------------------------------------------------
// Accounts and credentials

/** RFC 9208 resource limits for one account (the quota root). Omitted means unlimited. */
export interface QuotaLimits {
  /** RFC 9208 STORAGE, in octets (IMAP reports units of 1024 octets, rounding up). */
  readonly storage?: number;
  /** RFC 9208 MESSAGE: number of messages in all the account's mailboxes. */
  readonly messages?: number;
}

/** Current usage against the quota: the sum over every message of every mailbox of the account. */
export interface QuotaUsage {
  /** Octets (sum of message sizes; identical blobs stored once still count once per message). */
  readonly storage: number;
  readonly messages: number;
}

export interface Account {
  /** Opaque, stable, never reused. */
  readonly id: string;
  /** Primary address, as given at creation (lookups are case-insensitive). */
  readonly address: string;
  /** Further addresses that deliver to and log in as this account. */
  readonly aliases: readonly string[];
  readonly quota?: QuotaLimits;
}

export interface CreateAccountInput {
  readonly address: string;
  /** Omit for an account that cannot log in with a password (e.g. OAuth only). */
  readonly password?: string;
  readonly aliases?: readonly string[];
  readonly quota?: QuotaLimits;
}

/**
 * Password hashing, injectable so the store interface needs no crypto of its own.
 * `@mailwire/store/node` provides a scrypt hasher over `node:crypto`.
 */
export interface PasswordHasher {
  /** A self-describing encoded hash (e.g. `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`). */
  hash(password: string): Promise<string>;
  /** Constant-time check of `password` against a value `hash()` produced. */
  verify(password: string, encoded: string): Promise<boolean>;
  /**
   * Derives SCRAM-SHA-256 keys (`undefined` when the password cannot be used with SCRAM, e.g.
   * SASLprep prohibits it); without this method, `scramKeys()` returns `undefined` (no SCRAM login).
   */
  deriveScramKeys?(password: string): Promise<ScramStoredKeys | undefined>;
}

export interface AccountStore {
  /** By primary address or alias, case-insensitive. */
  lookup(addressOrAlias: string): Promise<Account | undefined>;
  get(accountId: string): Promise<Account | undefined>;
  /**
   * The account when `password` matches the login name's (address or alias) password, else
   * `undefined` (unknown user and wrong password are indistinguishable).
   */
  verifyPassword(addressOrAlias: string, password: string): Promise<Account | undefined>;
  /** SCRAM-SHA-256 keys for the login name, or `undefined` (unknown user or no SCRAM keys). */
  scramKeys(addressOrAlias: string): Promise<ScramStoredKeys | undefined>;
  /** Creates the account with an INBOX. Throws `ERR_STORE_EXISTS` if the address or an alias is taken. */
  createAccount(input: CreateAccountInput): Promise<Account>;
  /** `undefined` removes the password (no password login). */
  setPassword(accountId: string, password: string | undefined): Promise<void>;
  setAliases(accountId: string, aliases: readonly string[]): Promise<Account>;
  /** `undefined` removes every limit. */
  setQuota(accountId: string, quota: QuotaLimits | undefined): Promise<Account>;
  /** Limits and current usage (RFC 9208 GETQUOTA / GETQUOTAROOT). */
  getQuota(accountId: string): Promise<{ readonly limits: QuotaLimits; readonly usage: QuotaUsage }>;
  /** Every account, ordered by address. */
  listAccounts(): Promise<Account[]>;
  /** Deletes the account with all its mailboxes and messages. */
  deleteAccount(accountId: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Mailboxes

/** RFC 6154 special-use attributes. */
export type SpecialUse = '\\All' | '\\Archive' | '\\Drafts' | '\\Flagged' | '\\Junk' | '\\Sent' | '\\Trash';

/** The hierarchy delimiter of every Mailwire store. */
export type MailboxDelimiter = '/';

/** What SELECT, STATUS and LIST need, without scanning messages. */
export interface MailboxInfo {
  /** Opaque, stable across rename, never reused. */
  readonly id: string;
  readonly accountId: string;
  /** Full hierarchical name in UTF-8 (NFC), `/`-delimited; INBOX is always spelled `INBOX`. */
  readonly name: string;
  readonly delimiter: MailboxDelimiter;
  readonly specialUse?: SpecialUse;
  readonly subscribed: boolean;
  /** Non-zero; changes whenever a name is reused for a new mailbox (RFC 9051 §2.3.1.1). */
  readonly uidValidity: number;
  /** The UID the next message will get at least; never decreases. */
  readonly uidNext: number;
  /** RFC 7162 HIGHESTMODSEQ; 1 for a new empty mailbox. */
  readonly highestModseq: number;
  /** Number of messages. */
  readonly messages: number;
  /** Messages without `\Seen`. */
  readonly unseen: number;
  /** Messages with `\Deleted`. */
  readonly deleted: number;
  /** Sum of message sizes in octets (RFC 8438 STATUS SIZE). */
  readonly size: number;
  /**
   * Keywords defined in the mailbox, in their stored spelling (for the FLAGS response of
   * RFC 9051 §7.3.5). Optional for adapters: when absent, sessions derive them from the messages.
   */
  readonly keywords?: readonly string[];
}

export interface CreateMailboxOptions {
  readonly specialUse?: SpecialUse;
  /** Subscribe it at creation too. */
  readonly subscribe?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Messages

/** RFC 9051 §2.3.2 system flags a store keeps (`\Recent` is not stored; IMAP4rev2 dropped it). */
export type SystemFlag = '\\Seen' | '\\Answered' | '\\Flagged' | '\\Deleted' | '\\Draft';

/**
 * Per-message metadata. `flags` holds system flags in canonical case (`\Seen`) and keywords as first
 * stored (keywords compare case-insensitively, so `$Junk` and `$junk` are one keyword).
 */
export interface MessageMeta {
  readonly uid: number;
  /** MODSEQ of the last change to this message (its append, or its last flag change). */
  readonly modseq: number;
  readonly flags: readonly string[];
  /** Milliseconds since the epoch, as given by the caller at append. */
  readonly internalDate: number;
  /** Octets (RFC822.SIZE). */
  readonly size: number;
  /**
   * Content reference; identical content may share one blob. An id always names the same bytes:
   * a store never hands it out again for other content (content hashes, or ids never reused), so
   * callers may memoise values derived from a blob's content by its id.
   */
  readonly blobId: string;
  /** The cached MIME index, present only when asked for (`FetchOptions.mimeIndex`) and known. */
  readonly mimeIndex?: unknown;
  /**
   * The blob's derived value named by `FetchOptions.derived` (stored with `MailStore.setDerived`),
   * present only when asked for and held. Shared with the store: callers must not modify it.
   */
  readonly derived?: Uint8Array;
}

export interface AppendOptions {
  readonly flags?: readonly string[];
  /** Milliseconds since the epoch (IMAP APPEND date-time or the time of delivery). */
  readonly internalDate: number;
  /**
   * Called once after the source has been read whole (e.g. by a MIME indexer that saw the same
   * chunks); what it returns is cached with the blob, JSON-serialisable, opaque to the store.
   */
  readonly mimeIndex?: () => unknown;
}

export interface AppendResult {
  readonly mailboxId: string;
  readonly uidValidity: number;
  readonly uid: number;
  readonly modseq: number;
  readonly size: number;
  readonly blobId: string;
}

export interface AppendItem extends AppendOptions {
  readonly source: MessageSource;
}

/** One entry of a COPYUID/MOVE mapping (RFC 4315 §3, RFC 6851 §4.3). */
export interface UidMapping {
  readonly sourceUid: number;
  readonly destUid: number;
}

export interface CopyResult {
  readonly destMailboxId: string;
  /** The destination's UIDVALIDITY, for COPYUID. */
  readonly uidValidity: number;
  /** In ascending source UID order; empty when no UID in the set existed. */
  readonly mapping: readonly UidMapping[];
  /** The destination's HIGHESTMODSEQ after the copy. */
  readonly modseq: number;
}

export interface MoveResult extends CopyResult {
  /** Source UIDs removed (ascending), for the EXPUNGE/VANISHED responses of MOVE. */
  readonly expunged: readonly number[];
  /** The source's HIGHESTMODSEQ after the move. */
  readonly sourceModseq: number;
}

export interface ExpungeOptions {
  /** UID EXPUNGE (RFC 9051 §6.4.9): only these UIDs, and only if they have `\Deleted`. */
  readonly uids?: UidSet;
}

export interface ExpungeResult {
  /** Expunged UIDs, ascending. */
  readonly expunged: readonly number[];
  /** HIGHESTMODSEQ after (unchanged when nothing was expunged). */
  readonly modseq: number;
}

export type FlagMode = 'add' | 'remove' | 'replace';

export interface SetFlagsOptions {
  readonly mode: FlagMode;
  readonly flags: readonly string[];
  /**
   * RFC 7162 §3.1.3 UNCHANGEDSINCE: messages whose MODSEQ is greater are left alone and reported
   * in `modified`.
   */
  readonly unchangedSince?: number;
}

export interface FlagChange {
  readonly uid: number;
  readonly flags: readonly string[];
  readonly modseq: number;
}

export interface SetFlagsResult {
  /** Messages whose flags actually changed, ascending by UID (no-ops are absent). */
  readonly changed: readonly FlagChange[];
  /** UIDs that failed the UNCHANGEDSINCE test (RFC 7162 MODIFIED response code), ascending. */
  readonly modified: readonly number[];
  /** HIGHESTMODSEQ after. */
  readonly modseq: number;
}

export interface FetchOptions {
  /** RFC 7162 CHANGEDSINCE: only messages whose MODSEQ is greater. */
  readonly changedSince?: number;
  /** Include the cached MIME index (`MessageMeta.mimeIndex`) where known. */
  readonly mimeIndex?: boolean;
  /**
   * Include the derived value of this name (`MessageMeta.derived`) where the store holds one for
   * the message's blob (see `MailStore.setDerived`). Stores without `setDerived` ignore it. With
   * `mimeIndex` too, a store may make `mimeIndex` of a row that has a value a getter that reads
   * the index only when accessed (a caller served by the value then never pays for it).
   */
  readonly derived?: string;
}

/**
 * Every UID of a mailbox in one snapshot (`MailStore.listUids`): what an IMAP SELECT needs for
 * its message-number map and its `[UNSEEN n]`, without loading per-message metadata.
 */
export interface MailboxUids {
  /** Every UID, ascending (UIDs are below 2^32, RFC 9051 §2.3.1.1). */
  readonly uids: Uint32Array;
  /** The lowest UID without `\Seen`, or 0 when every message has it (or there are none). */
  readonly firstUnseen: number;
}

/** Which message to read: by mailbox and UID, or by blob id (from `MessageMeta.blobId`). */
export type MessageRef = { readonly mailboxId: string; readonly uid: number } | { readonly blobId: string };

/** A byte range, `start` inclusive, `end` exclusive, both clamped to the message size. */
export interface ByteRange {
  readonly start?: number;
  readonly end?: number;
}

// ---------------------------------------------------------------------------------------------
// Change feed

/** New messages became visible, ascending by UID. */
export interface ExistsChange {
  readonly type: 'exists';
  readonly mailboxId: string;
  readonly modseq: number;
  readonly messages: readonly FlagChange[];
}

/** Flags changed. */
export interface FlagsChange {
  readonly type: 'flags';
  readonly mailboxId: string;
  readonly modseq: number;
  readonly messages: readonly FlagChange[];
}

/** Messages were removed (expunge, or moved away), ascending UIDs. */
export interface ExpungeChange {
  readonly type: 'expunge';
  readonly mailboxId: string;
  readonly modseq: number;
  readonly uids: readonly number[];
}

/** The mailbox got a new name (its id, UIDs and UIDVALIDITY stay). */
export interface MailboxRenamedChange {
  readonly type: 'mailboxRenamed';
  readonly mailboxId: string;
  readonly modseq: number;
  readonly name: string;
}

/** The mailbox is gone; no further events follow. Sessions that have it selected must drop it. */
export interface MailboxDeletedChange {
  readonly type: 'mailboxDeleted';
  readonly mailboxId: string;
  readonly modseq: number;
}

export type MailboxChange =
  | ExistsChange
  | FlagsChange
  | ExpungeChange
  | MailboxRenamedChange
  | MailboxDeletedChange;

/**
 * Called after each change commits, in MODSEQ order, for every change. Must not throw (a throw is
 * swallowed and does not affect the writer or other listeners).
 */
export type ChangeListener = (change: MailboxChange) => void;

/**
 * What changed after a MODSEQ, folded to the current state (what QRESYNC SELECT and IDLE catch-up
 * need). `trimmed: true` means the store no longer knows every expunge since then: the caller must
 * resynchronise fully. A store never omits a change silently.
 */
export type ChangesSince =
  | {
      readonly trimmed: false;
      readonly highestModseq: number;
      /** Current flags of every message whose MODSEQ is greater (new ones included), ascending UID. */
      readonly changed: readonly FlagChange[];
      /** UIDs expunged with a MODSEQ greater, ascending. */
      readonly expunged: readonly number[];
    }
  | { readonly trimmed: true; readonly highestModseq: number };

// ---------------------------------------------------------------------------------------------
// POP3 maildrop

export interface MaildropMessage {
  readonly uid: number;
  /** Octets, exact (POP3 LIST must count the CRLF line endings the message has). */
  readonly size: number;
  /** RFC 1939 §7 UIDL: `<uidValidity>.<uid>`, stable while the UIDVALIDITY lasts, printable ASCII. */
  readonly uidl: string;
}

/**
 * An exclusive lock on one mailbox for a POP3 session (RFC 1939 §4 "exclusive-access lock"),
 * with a snapshot of its messages taken at lock time.
 */
export interface Maildrop {
  readonly accountId: string;
  readonly mailboxId: string;
  readonly uidValidity: number;
  /** The snapshot, ascending by UID (POP3 message numbers are indexes into it, plus one). */
  readonly messages: readonly MaildropMessage[];
  /** Marks a snapshot message for deletion at `commit()` (DELE). Unknown UIDs throw `ERR_STORE_NOT_FOUND`. */
  markDeleted(uid: number): void;
  /** Unmarks every message (RSET). */
  unmarkAll(): void;
  /** UIDs currently marked. */
  readonly deleted: ReadonlySet<number>;
  /** Expunges the marked messages atomically (UPDATE state) and releases the lock. */
  commit(): Promise<ExpungeResult>;
  /** Releases the lock and changes nothing. Idempotent. */
  release(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Delivery

export interface DeliverOptions {
  readonly internalDate: number;
  readonly flags?: readonly string[];
  /** Target mailbox name in the account; INBOX when omitted. */
  readonly mailbox?: string;
  readonly mimeIndex?: () => unknown;
}

export interface DeliverResult extends AppendResult {
  readonly accountId: string;
}

// ---------------------------------------------------------------------------------------------
// The adapter root

/** What the adapter cannot do, for PERMANENTFLAGS and APPENDLIMIT (RFC 7889). Omitted: no limit. */
export interface StoreLimits {
  /** Largest message accepted, in octets (larger ones fail with `ERR_STORE_TOO_LARGE`). */
  readonly maxMessageSize?: number;
  /** Distinct keywords a mailbox can hold (Maildir: 26); beyond it `ERR_STORE_INVALID`. */
  readonly maxKeywords?: number;
}

export interface MailStore {
  readonly accounts: AccountStore;
  readonly delimiter: MailboxDelimiter;
  readonly limits: StoreLimits;

  // Mailboxes (by account and name; RFC 9051 §6.3)
  /** Every mailbox of the account, ordered by name. */
  listMailboxes(accountId: string): Promise<MailboxInfo[]>;
  /** By name; `INBOX` in any case. */
  getMailbox(accountId: string, name: string): Promise<MailboxInfo | undefined>;
  getMailboxById(mailboxId: string): Promise<MailboxInfo | undefined>;
  /** Creates missing superiors too (RFC 9051 §6.3.4); a trailing delimiter is ignored. */
  createMailbox(accountId: string, name: string, options?: CreateMailboxOptions): Promise<MailboxInfo>;
  /**
   * Deletes the mailbox and its messages; its children stay (RFC 9051 §6.3.5). INBOX cannot be
   * deleted (`ERR_STORE_NOT_ALLOWED`).
   */
  deleteMailbox(accountId: string, name: string): Promise<void>;
  /**
   * Renames it and all its children (RFC 9051 §6.3.6). Renaming INBOX moves its messages to a new
   * mailbox with the new name and leaves INBOX empty (its children stay).
   */
  renameMailbox(accountId: string, from: string, to: string): Promise<MailboxInfo>;
  setSpecialUse(accountId: string, name: string, specialUse: SpecialUse | undefined): Promise<MailboxInfo>;
  /** IMAP SUBSCRIBE/UNSUBSCRIBE: the name need not exist (RFC 9051 §6.3.7). */
  setSubscribed(accountId: string, name: string, subscribed: boolean): Promise<void>;
  /** Subscribed names, ordered, existing or not. */
  listSubscriptions(accountId: string): Promise<string[]>;

  // Messages (by mailbox id)
  append(mailboxId: string, source: MessageSource, options: AppendOptions): Promise<AppendResult>;
  /** RFC 3502 MULTIAPPEND: all or nothing, consecutive UIDs in order. */
  appendMany?(mailboxId: string, items: readonly AppendItem[]): Promise<AppendResult[]>;
  /** The source stays untouched; copies get new UIDs in ascending source-UID order. */
  copy(sourceMailboxId: string, uids: UidSet, destMailboxId: string): Promise<CopyResult>;
  /** Atomic copy + expunge of the source messages: no observer sees them in both or neither. */
  move(sourceMailboxId: string, uids: UidSet, destMailboxId: string): Promise<MoveResult>;
  /** Removes messages with `\Deleted` (only those in `options.uids` when given). */
  expunge(mailboxId: string, options?: ExpungeOptions): Promise<ExpungeResult>;
  setFlags(mailboxId: string, uids: UidSet, options: SetFlagsOptions): Promise<SetFlagsResult>;
  /** Metadata of the messages in the set, ascending by UID, without opening any blob. */
  fetchMessages(mailboxId: string, uids: UidSet, options?: FetchOptions): Promise<MessageMeta[]>;
  /** Streams the message bytes of the range; rejects with `ERR_STORE_NOT_FOUND` before any chunk. */
  readMessage(ref: MessageRef, range?: ByteRange): Promise<AsyncIterable<Uint8Array>>;
  /**
   * Optional fast read: every UID of the mailbox, ascending, and the first one without `\Seen`,
   * from one snapshot (no per-message metadata is built). Callers fall back to `fetchMessages`
   * when an adapter lacks it. Rejects with `ERR_STORE_NOT_FOUND` for an unknown mailbox.
   *
   * @example
   * const { uids, firstUnseen } = await store.listUids(inbox.id);
   */
  listUids?(mailboxId: string): Promise<MailboxUids>;
  /**
   * Optional fast read: the UID, flags and MODSEQ of the messages in the set, ascending by UID —
   * what `fetchMessages` says about them, without the rest of the metadata (what FETCH FLAGS and
   * flag searches need). Callers fall back to `fetchMessages` when an adapter lacks it. Rejects
   * with `ERR_STORE_NOT_FOUND` for an unknown mailbox.
   */
  fetchFlags?(mailboxId: string, uids: UidSet): Promise<FlagChange[]>;
  /**
   * Optional fast read: the whole contents of several blobs (ids from `MessageMeta.blobId`) at
   * once, in the order asked, `undefined` for an id the store does not know (e.g. the message was
   * expunged meanwhile). Each result is a fresh buffer the caller may keep. Meant for many small
   * messages (a FETCH BODY[] over a range): the caller bounds the total size it asks for; large
   * messages go through the streaming `readMessage`. Callers fall back to `readMessage` when an
   * adapter lacks it.
   */
  readBlobs?(blobIds: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  /** The cached MIME index of a blob, or `undefined`. */
  getMimeIndex(blobId: string): Promise<unknown>;
  /** Caches a MIME index computed later (e.g. at first FETCH BODYSTRUCTURE). */
  setMimeIndex(blobId: string, index: unknown): Promise<void>;
  /**
   * Optional cache write: stores values derived from blobs' contents (e.g. a protocol's formatted
   * answer for that message), in one batch, each under a caller-chosen `name` (version it: a
   * changed formatter must use a new name), read back with `fetchMessages(…, { derived: name })`.
   * A value is derived from content only — a blob id always names the same bytes (see
   * `MessageMeta.blobId`) — so it never goes stale; it goes away with the blob (after the last
   * message referencing it is expunged). A cache, not data: a store may drop values at any time
   * or keep them per message (a copy appended later may then have none),
   * and entries for blob ids it does not know (e.g. expunged meanwhile) are ignored, not rejected.
   * Allowed whatever the caller's view of the mailbox (an IMAP EXAMINE too). Rejects with
   * `ERR_STORE_INVALID` for a name that is not a non-empty string or a value that is not a
   * `Uint8Array`. The store keeps its own copy. Callers that lack it compute the values each time.
   */
  setDerived?(
    name: string,
    values: readonly { readonly blobId: string; readonly value: Uint8Array }[],
  ): Promise<void>;

  // Change feed
  /** Listens to every change of the mailbox; returns the unsubscribe function. */
  subscribe(mailboxId: string, listener: ChangeListener): () => void;
  /** What changed after `modseq` (see `ChangesSince`). */
  changesSince(mailboxId: string, modseq: number): Promise<ChangesSince>;

  // POP3 and SMTP
  /** Throws `ERR_STORE_LOCKED` while another maildrop lock on the mailbox lives. */
  lockMaildrop(accountId: string, mailbox?: string): Promise<Maildrop>;
  /**
   * Inbound delivery: resolves the address or alias to its account and appends to INBOX (or
   * `options.mailbox`), checking quota. `ERR_STORE_NOT_FOUND` for an unknown address.
   */
  deliver(address: string, source: MessageSource, options: DeliverOptions): Promise<DeliverResult>;

  /** Releases resources; later calls reject with `ERR_STORE_CLOSED`. Idempotent. */
  close(): Promise<void>;
}

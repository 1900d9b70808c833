/**
 * `SqliteStore`: the embedded default `MailStore`. Metadata in one SQLite database (better-sqlite3,
 * WAL), message bytes in content-addressed files beside it (see `blob-store.ts`).
 *
 * Theory of operation
 *
 * - better-sqlite3 is synchronous, so every write runs as one `BEGIN IMMEDIATE … COMMIT` inside a
 *   single turn of the event loop (`_write`): in this process nothing can observe half of it, and
 *   the IMMEDIATE lock serialises it against writers in other processes. UIDs and MODSEQs are
 *   allocated inside that transaction, so commit order is UID order: a reader that has seen UID k
 *   never later sees a new message below k.
 * - An append streams the message to a temp file (hashing, then fsync) and links it under its
 *   hash (then fsyncs the directory) with no lock held; the commit re-checks the file inside the
 *   transaction, before the row that names it (`blob-store.ts` has the argument). Appends in
 *   flight are grouped (`group-commit.ts`): one batch fsyncs its files concurrently, each shard
 *   directory once, and commits all rows in one transaction (one WAL fsync), each job in its own
 *   SAVEPOINT. The promise resolves after COMMIT, which with `synchronous=FULL` (the default)
 *   has fsynced the WAL: an acknowledged message survives a process crash and a power cut.
 * - Counters (STATUS, quota) and blob reference counts are maintained by triggers (`schema.ts`);
 *   a blob whose count reaches zero goes to trash inside the transaction, for good after COMMIT.
 * - Reads are one deferred (snapshot) transaction each, after one yield to the event loop.
 * - Change events are delivered after COMMIT, synchronously, to plain listener sets shared by the
 *   instances of this process on the same directory, in MODSEQ order. Other processes catch up
 *   with `changesSince()`, which reads the persisted state (messages by MODSEQ, and `expunge_log`,
 *   trimmed per mailbox and reported as trimmed when it was).
 */

import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  Account,
  AccountStore,
  AppendItem,
  AppendOptions,
  AppendResult,
  ByteRange,
  ChangeListener,
  ChangesSince,
  CopyResult,
  CreateAccountInput,
  CreateMailboxOptions,
  DeliverOptions,
  DeliverResult,
  ExpungeOptions,
  ExpungeResult,
  FetchOptions,
  FlagChange,
  MailboxChange,
  MailboxInfo,
  MailboxUids,
  Maildrop,
  MailStore,
  MessageMeta,
  MessageRef,
  MessageSource,
  MoveResult,
  PasswordHasher,
  QuotaLimits,
  QuotaUsage,
  ScramStoredKeys,
  SetFlagsOptions,
  SetFlagsResult,
  SpecialUse,
  StoreLimits,
  UidSet,
} from '@mailwire/store';
import {
  AlreadyExistsError,
  applyFlags,
  BackendError,
  ClosedError,
  flagKey,
  formatUidl,
  InvalidError,
  isInferior,
  isSystemFlag,
  LockedError,
  NotAllowedError,
  NotFoundError,
  normalizeFlags,
  normalizeMailboxName,
  QuotaExceededError,
  resolveRange,
  StoreError,
  sourceChunks,
  superiorNames,
  TooLargeError,
} from '@mailwire/store';
import { UsageError } from '@mailwire/core';
import Database from 'better-sqlite3';
import { BlobStore, BlobTooLargeError, type StagedBlob } from './blob-store.js';
import { decodeScram, defaultHasher, encodeScram } from './credentials.js';
import { GroupCommitter, type JobOutcome } from './group-commit.js';
import { flagRows, listUidsOf, metaOf, metaRows, readBlobFiles } from './read-batch.js';
import { type DerivedRow, derivedRows, KeptMeta, MimeIndexCache, mimeRows } from './read-mime.js';
import { DELETED, prepareDatabase, SEEN } from './schema.js';
import { addressKey, checkAddress, decodeFlags, encodeFlags, sysBits, uidRanges } from './values.js';

export interface SqliteStoreOptions {
  /** Directory holding `mail.db` and `blobs/`; created when missing. */
  readonly path: string;
  /**
   * `'full'` (default): every commit fsyncs the WAL, so an acknowledged change survives a power
   * cut. `'normal'`: commits survive a process crash but the last ones may roll back on power loss
   * (the database stays consistent either way).
   */
  readonly synchronous?: 'full' | 'normal';
  /** fsync message files and their directories before the metadata commit (default true). */
  readonly fsync?: boolean;
  /** How long a writer waits for another process's lock, ms (default 5000). */
  readonly busyTimeout?: number;
  /** Largest message accepted, octets (default 1 GiB). */
  readonly maxMessageSize?: number;
  /** Distinct keywords a mailbox can hold (default unlimited); beyond it `ERR_STORE_INVALID`. */
  readonly maxKeywords?: number;
  /** Expunge records kept per mailbox for `changesSince()` (default 10,000). */
  readonly expungeHistory?: number;
  /**
   * Parsed MIME indexes kept in memory for `fetchMessages(…, { mimeIndex: true })` (default
   * 20,000, about 1.5 KB each). Size it for the largest mailbox clients scan with FETCH
   * ENVELOPE/BODYSTRUCTURE or header SEARCH: a pass over a larger one parses most indexes again.
   */
  readonly mimeCacheEntries?: number;
  /**
   * Password hashing (default: `createScryptHasher` of `@mailwire/store/node` with N=16384, r=8,
   * p=1, and SCRAM-SHA-256 keys with 4096 iterations).
   */
  readonly hasher?: PasswordHasher;
  /**
   * Crash recovery at open: `'safe'` (default) removes temp files of dead processes and settles
   * trash; `'full'` also deletes message files no row references; `false` skips it.
   */
  readonly sweep?: 'safe' | 'full' | false;
}

const DEFAULT_MAX_MESSAGE = 1024 * 1024 * 1024;

/** What `verify()` found; all empty when the store is consistent. */
export interface VerifyReport {
  /** Hashes of message files a row references that do not exist. */
  readonly missing: readonly string[];
  /** Hashes whose file size differs from the recorded size. */
  readonly damaged: readonly string[];
  /** Counters (mailbox, quota usage, reference counts) that differ from a recount. */
  readonly counters: readonly string[];
}

interface MailboxRow {
  id: number;
  account_id: number;
  name: string;
  special_use: string | null;
  uidvalidity: number;
  uidnext: number;
  highestmodseq: number;
  messages: number;
  unseen: number;
  deleted: number;
  size: number;
  trimmed_modseq: number;
}

interface MessageRow {
  uid: number;
  modseq: number;
  flags: string;
  sys: number;
  internal_date: number;
  size: number;
  blob: string;
}

interface AccountRow {
  id: number;
  address: string;
  password: string | null;
  scram: string | null;
  quota_storage: number | null;
  quota_messages: number | null;
  used_storage: number;
  used_messages: number;
}

/** One message to commit: a staged blob and its metadata. */
interface PendingAppend {
  readonly staged: StagedBlob;
  readonly flags: string[];
  readonly internalDate: number;
  readonly mime: string | null;
}

/** What a write transaction collects for after COMMIT. */
interface WriteContext {
  readonly events: MailboxChange[];
  readonly retired: { hash: string; trashPath: string }[];
  readonly discard: StagedBlob[];
  readonly after: (() => void)[];
}

function newContext(): WriteContext {
  return { events: [], retired: [], discard: [], after: [] };
}

function toId(id: string): number {
  if (typeof id !== 'string' || !/^[1-9][0-9]{0,15}$/.test(id)) return -1;
  return Number(id);
}

/** Wraps foreign errors (SQLite, fs) as `ERR_STORE_BACKEND`; store errors pass through. */
function backend(error: unknown): StoreError {
  if (StoreError.isInstance(error)) return error;
  return new BackendError(error instanceof Error ? error.message : String(error), { cause: error });
}

async function* noBytes(): AsyncGenerator<Uint8Array> {}

/** Most entries of the `setDerived` write hints (see `#hintDerived`). */
const DERIVED_HINTS = 20_000;

/** Parsed MIME indexes kept by the `MimeIndexCache` (one per blob). */
const MIME_CACHE_ENTRIES = 20_000;

/** Ranges up to this size are read in one synchronous positioned read instead of a stream. */
const SMALL_READ = 64 * 1024;

async function* oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  if (bytes.length > 0) yield bytes;
}

/**
 * Process-wide state, kept on `globalThis` under a `Symbol.for` key so that two copies of this
 * package in one process (duplicated installs, the ESM and CJS builds) share it.
 *
 * - `locks`: the POP3 maildrop lock table, keyed by store directory (real path) and mailbox id.
 *   It lives in this process only: two processes opening the same directory do not see each
 *   other's locks (see docs/store-sqlite.md).
 * - `feeds`: change listeners, keyed by store directory and mailbox id, so every `SqliteStore`
 *   instance opened on the same directory in this process feeds the same subscribers.
 */
interface ProcessState {
  readonly locks: Set<string>;
  readonly feeds: Map<string, Map<string, Set<ChangeListener>>>;
}
const stateKey = Symbol.for('mailwire.store-sqlite.process-state');
const processState: ProcessState = ((globalThis as { [stateKey]?: ProcessState })[stateKey] ??= {
  locks: new Set(),
  feeds: new Map(),
});
const maildropLocks = processState.locks;
const feeds = processState.feeds;

/**
 * The SQLite-backed `MailStore` (see `createSqliteStore()`); adds `path`, `checkpoint()` and
 * `backup()` to the interface. Members whose names start with `_` are internal.
 */
export class SqliteStore implements MailStore {
  readonly delimiter = '/' as const;
  readonly accounts: AccountStore;
  readonly limits: StoreLimits;
  /** The directory the store lives in. */
  readonly path: string;

  readonly #db: Database.Database;
  readonly #blobs: BlobStore;
  readonly #hasher: PasswordHasher;
  readonly #maxMessageSize: number;
  readonly #maxKeywords: number | undefined;
  readonly #expungeHistory: number;
  readonly #listeners: Map<string, Set<ChangeListener>>;
  /** This instance's subscriptions, removed at close. */
  readonly #own = new Set<{ key: string; entry: ChangeListener }>();
  readonly #lockPrefix: string;
  readonly #heldLocks = new Set<string>();
  /** Blob → the message `fetchMessages(…, { derived })` last returned it for without a value. */
  readonly #derivedHints = new Map<string, readonly [number, number]>();
  /** Parsed MIME indexes for `fetchMessages` (read-mime.ts), created at first use. */
  #mimeCache: MimeIndexCache | undefined;
  readonly #mimeCacheEntries: number;
  /** Group commit of appends (`group-commit.ts`). */
  readonly #committer: GroupCommitter<WriteContext>;
  #closed = false;
  #dummyHash: Promise<string> | undefined;

  // Prepared statements
  readonly #s: ReturnType<typeof prepareStatements>;

  constructor(options: SqliteStoreOptions) {
    if (options === null || typeof options !== 'object' || typeof options.path !== 'string') {
      throw new InvalidError('createSqliteStore needs { path: directory }');
    }
    this.path = options.path;
    this.#blobs = new BlobStore(join(options.path, 'blobs'), { fsync: options.fsync ?? true });
    this.#committer = new GroupCommitter({
      blobs: this.#blobs,
      transact: (runs) => this.#transactJobs(runs),
    });
    const realPath = realpathSync(options.path);
    let feed = feeds.get(realPath);
    if (feed === undefined) feeds.set(realPath, (feed = new Map()));
    this.#listeners = feed;
    this.#lockPrefix = `${realPath}\0`;
    this.#db = new Database(join(options.path, 'mail.db'));
    try {
      prepareDatabase(this.#db, {
        synchronous: options.synchronous === 'normal' ? 'NORMAL' : 'FULL',
        busyTimeout: options.busyTimeout ?? 5000,
      });
      this.#s = prepareStatements(this.#db);
      const sweep = options.sweep ?? 'safe';
      if (sweep !== false) {
        this.#db
          .transaction(() => {
            this.#blobs.sweep((hash) => this.#s.blobRefs.get(hash) !== undefined, sweep === 'full');
          })
          .immediate();
      }
    } catch (error) {
      this.#db.close();
      throw backend(error);
    }
    this.#hasher = options.hasher ?? defaultHasher();
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE;
    this.#maxKeywords = options.maxKeywords;
    this.limits =
      options.maxKeywords === undefined
        ? { maxMessageSize: this.#maxMessageSize }
        : { maxMessageSize: this.#maxMessageSize, maxKeywords: options.maxKeywords };
    this.#expungeHistory = Math.max(1, options.expungeHistory ?? 10_000);
    this.#mimeCacheEntries = Math.max(1, options.mimeCacheEntries ?? MIME_CACHE_ENTRIES);
    this.accounts = new SqliteAccounts(this);
  }

  // -------------------------------------------------------------------------------------------
  // Internals shared with the account store and the maildrop

  /** @internal */
  get _statements(): ReturnType<typeof prepareStatements> {
    return this.#s;
  }

  /** @internal */
  get _hasher(): PasswordHasher {
    return this.#hasher;
  }

  /** @internal A hash to verify against for unknown users, so they take as long as known ones. */
  _dummyHash(): Promise<string> {
    this.#dummyHash ??= this.#hasher.hash('mailwire-dummy-password');
    return this.#dummyHash;
  }

  /** @internal */
  _check(): void {
    if (this.#closed) throw new ClosedError();
  }

  /**
   * @internal Runs `fn` as one IMMEDIATE transaction; then, after COMMIT, purges retired blobs,
   * drops unused temp files and delivers change events. On failure, undoes the file moves.
   */
  _write<T>(fn: (ctx: WriteContext) => T): T {
    this._check();
    const ctx = newContext();
    const db = this.#db;
    let result: T;
    try {
      this.#s.begin.run();
      try {
        result = fn(ctx);
        this.#collectGarbage(ctx);
        this.#s.commit.run();
      } catch (error) {
        if (db.inTransaction) {
          // Still holding the write lock: retired files come back before the rows do.
          for (const r of ctx.retired) this.#blobs.restore(r.hash, r.trashPath);
          this.#s.rollback.run();
        }
        throw error;
      }
    } catch (error) {
      for (const staged of ctx.discard) this.#blobs.discard(staged);
      throw backend(error);
    }
    for (const r of ctx.retired) this.#blobs.purge(r.trashPath);
    for (const staged of ctx.discard) this.#blobs.discard(staged);
    for (const event of ctx.events) this.#emit(event);
    for (const fn2 of ctx.after) fn2();
    return result;
  }

  /** @internal The append group committer (its `stats`; `beforeCommit` is a test seam). */
  get _groupCommit(): GroupCommitter<WriteContext> {
    return this.#committer;
  }

  /**
   * The transaction of a group-commit batch (`group-commit.ts`): every job in its own SAVEPOINT,
   * so one failing (quota, a vanished mailbox) fails alone; one COMMIT (one WAL fsync) for all.
   */
  #transactJobs(runs: readonly ((ctx: WriteContext) => unknown)[]): JobOutcome[] {
    const outcomes: JobOutcome[] = [];
    this._write((ctx) => {
      for (const run of runs) {
        const own = newContext();
        this.#s.savepoint.run();
        try {
          const value = run(own);
          this.#s.release.run();
          ctx.events.push(...own.events);
          ctx.retired.push(...own.retired);
          ctx.discard.push(...own.discard);
          ctx.after.push(...own.after);
          outcomes.push({ ok: true, value });
        } catch (error) {
          for (const r of own.retired) this.#blobs.restore(r.hash, r.trashPath);
          this.#s.rollbackTo.run();
          this.#s.release.run();
          ctx.discard.push(...own.discard);
          outcomes.push({ ok: false, error: backend(error) });
        }
      }
    });
    return outcomes;
  }

  /**
   * @internal A read for a public async method: yields to the event loop first, then reads one
   * snapshot. SQLite answers synchronously, so without the yield a caller polling in a loop
   * (`while (!done) await store.fetchMessages(…)`) would starve I/O and timers, and with them the
   * appends it waits for.
   */
  async _readAsync<T>(fn: () => T): Promise<T> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return this._read(fn);
  }

  /** @internal A read-only snapshot (one deferred transaction). */
  _read<T>(fn: () => T): T {
    this._check();
    try {
      return this.#db.transaction(fn)();
    } catch (error) {
      throw backend(error);
    }
  }

  #collectGarbage(ctx: WriteContext): void {
    const hashes = this.#s.gcList.all() as { hash: string }[];
    for (const { hash } of hashes) {
      const row = this.#s.blobRefs.get(hash) as { refs: number } | undefined;
      this.#s.gcDelete.run(hash);
      if (row === undefined || row.refs > 0) continue;
      this.#s.blobDelete.run(hash);
      try {
        ctx.retired.push({ hash, trashPath: this.#blobs.retire(hash) });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  #emit(change: MailboxChange): void {
    const set = this.#listeners.get(change.mailboxId);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not affect the writer or other listeners.
      }
    }
  }

  /** @internal */
  _mailboxRow(id: number): MailboxRow | undefined {
    return this.#s.mailboxById.get(id) as MailboxRow | undefined;
  }

  /** @internal */
  _info(row: MailboxRow): MailboxInfo {
    const subscribed = this.#s.subscriptionGet.get(row.account_id, row.name) !== undefined;
    const info: MailboxInfo = {
      id: String(row.id),
      accountId: String(row.account_id),
      name: row.name,
      delimiter: '/',
      subscribed,
      uidValidity: row.uidvalidity,
      uidNext: row.uidnext,
      highestModseq: row.highestmodseq,
      messages: row.messages,
      unseen: row.unseen,
      deleted: row.deleted,
      size: row.size,
      keywords: (this.#s.keywordsOf.all(row.id) as { spelling: string }[]).map((k) => k.spelling),
    };
    return row.special_use === null ? info : { ...info, specialUse: row.special_use as SpecialUse };
  }

  /** @internal A fresh UIDVALIDITY: above every one this store handed out, seeded by the clock. */
  _nextUidValidity(): number {
    const last = (this.#s.metaGet.get('uidvalidity') as { value: number } | undefined)?.value ?? 0;
    let next = Math.max(last + 1, Math.floor(Date.now() / 1000));
    if (next > 0xffffffff) next = 1;
    this.#s.metaSet.run('uidvalidity', next);
    return next;
  }

  /** @internal Inserts a mailbox (the name must be free) and its missing superiors. */
  _createMailboxRow(accountId: number, name: string, specialUse: SpecialUse | null): MailboxRow {
    for (const superior of superiorNames(name)) {
      if (this.#s.mailboxByName.get(accountId, superior) === undefined) {
        this.#s.mailboxInsert.run(accountId, superior, null, this._nextUidValidity());
      }
    }
    const { lastInsertRowid } = this.#s.mailboxInsert.run(
      accountId,
      name,
      specialUse,
      this._nextUidValidity(),
    );
    return this._mailboxRow(Number(lastInsertRowid))!;
  }

  /** @internal Deletes the messages of a mailbox and the mailbox row, queueing a deleted event. */
  _deleteMailboxRow(ctx: WriteContext, row: MailboxRow): void {
    this.#s.messagesDeleteAll.run(row.id);
    this.#s.expungeLogDeleteAll.run(row.id);
    this.#s.keywordsDeleteAll.run(row.id);
    this.#s.mailboxDelete.run(row.id);
    const mailboxId = String(row.id);
    ctx.events.push({ type: 'mailboxDeleted', mailboxId, modseq: row.highestmodseq });
    // No further events follow a deletion: its listeners go.
    ctx.after.push(() => this.#listeners.delete(mailboxId));
  }

  /** @internal Removes these UIDs (which must exist) with one new MODSEQ; logs them for changesSince. */
  _expungeUids(ctx: WriteContext, row: MailboxRow, uids: readonly number[]): number {
    const modseq = this.#bumpModseq(row.id);
    for (const uid of uids) {
      this.#s.messageDelete.run(row.id, uid);
      this.#s.expungeLogInsert.run(row.id, uid, modseq);
    }
    this.#trimExpungeLog(row.id);
    ctx.events.push({ type: 'expunge', mailboxId: String(row.id), modseq, uids: [...uids] });
    return modseq;
  }

  #trimExpungeLog(mailboxId: number): void {
    const count = (this.#s.expungeLogCount.get(mailboxId) as { n: number }).n;
    if (count <= this.#expungeHistory) return;
    const cut = this.#s.expungeLogNth.get(mailboxId, count - this.#expungeHistory - 1) as { modseq: number };
    // Whole MODSEQs only: a MODSEQ is either fully known or reported as trimmed.
    this.#s.expungeLogTrim.run(mailboxId, cut.modseq);
    this.#s.mailboxTrimmed.run(cut.modseq, mailboxId);
  }

  /**
   * Flags in the mailbox's keyword spelling: a keyword already known keeps its first spelling; new
   * ones are recorded in `pending` (so one batch spells them alike). Throws past `maxKeywords`.
   */
  #spell(mailboxId: number, flags: readonly string[], pending: Map<string, string>): string[] {
    const out = flags.map((flag) => {
      if (isSystemFlag(flag)) return flag;
      const key = flagKey(flag);
      const known = (this.#s.keywordGet.get(mailboxId, key) as { spelling: string } | undefined)?.spelling;
      if (known !== undefined) return known;
      const waiting = pending.get(key);
      if (waiting !== undefined) return waiting;
      pending.set(key, flag);
      return flag;
    });
    const max = this.#maxKeywords;
    if (max !== undefined && pending.size > 0) {
      const count = (this.#s.keywordCount.get(mailboxId) as { n: number }).n;
      if (count + pending.size > max) throw new InvalidError(`A mailbox holds at most ${max} keywords`);
    }
    return out;
  }

  /** Records the keywords `#spell()` found new. */
  #register(mailboxId: number, pending: ReadonlyMap<string, string>): void {
    if (pending.size === 0) return;
    let position = (this.#s.keywordMaxPosition.get(mailboxId) as { p: number }).p;
    for (const [key, spelling] of pending) this.#s.keywordInsert.run(mailboxId, key, spelling, ++position);
  }

  #bumpModseq(mailboxId: number): number {
    return (this.#s.modseqBump.get(mailboxId) as { highestmodseq: number }).highestmodseq;
  }

  #requireMailbox(mailboxId: string): MailboxRow {
    const row = this._mailboxRow(toId(mailboxId));
    if (row === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
    return row;
  }

  #accountRow(accountId: number): AccountRow | undefined {
    return this.#s.accountById.get(accountId) as AccountRow | undefined;
  }

  #requireAccount(accountId: string): AccountRow {
    const row = this.#accountRow(toId(accountId));
    if (row === undefined) throw new NotFoundError(`No account ${accountId}`);
    return row;
  }

  /** RFC 9208 §5.1/§5.2: the whole operation fits under both limits or it fails. */
  #checkQuota(accountId: number, messages: number, octets: number): void {
    const account = this.#accountRow(accountId);
    if (account === undefined) throw new NotFoundError('No such account');
    if (
      account.quota_messages !== null &&
      account.used_messages + messages > account.quota_messages &&
      messages > 0
    ) {
      throw new QuotaExceededError({
        resource: 'MESSAGE',
        limit: account.quota_messages,
        usage: account.used_messages,
        requested: messages,
      });
    }
    if (
      account.quota_storage !== null &&
      account.used_storage + octets > account.quota_storage &&
      octets > 0
    ) {
      throw new QuotaExceededError({
        resource: 'STORAGE',
        limit: account.quota_storage,
        usage: account.used_storage,
        requested: octets,
      });
    }
  }

  #selectUids(mailboxId: number, uids: UidSet): MessageRow[] {
    const out: MessageRow[] = [];
    for (const [from, to] of uidRanges(uids)) {
      for (const row of this.#s.messagesRange.iterate(mailboxId, from, to) as Iterable<MessageRow>)
        out.push(row);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Mailboxes

  async listMailboxes(accountId: string): Promise<MailboxInfo[]> {
    return this._readAsync(() => {
      this.#requireAccount(accountId);
      return (this.#s.mailboxesOfAccount.all(toId(accountId)) as MailboxRow[])
        .sort((a, b) => byCodeUnits(a.name, b.name))
        .map((r) => this._info(r));
    });
  }

  async getMailbox(accountId: string, name: string): Promise<MailboxInfo | undefined> {
    const canonical = normalizeMailboxName(name);
    return this._readAsync(() => {
      const row = this.#s.mailboxByName.get(toId(accountId), canonical) as MailboxRow | undefined;
      return row === undefined ? undefined : this._info(row);
    });
  }

  async getMailboxById(mailboxId: string): Promise<MailboxInfo | undefined> {
    return this._readAsync(() => {
      const row = this._mailboxRow(toId(mailboxId));
      return row === undefined ? undefined : this._info(row);
    });
  }

  async createMailbox(
    accountId: string,
    name: string,
    options: CreateMailboxOptions = {},
  ): Promise<MailboxInfo> {
    const canonical = normalizeMailboxName(name);
    return this._write(() => {
      const account = this.#requireAccount(accountId);
      if (this.#s.mailboxByName.get(account.id, canonical) !== undefined) {
        throw new AlreadyExistsError(`Mailbox ${canonical} exists`);
      }
      const row = this._createMailboxRow(account.id, canonical, options.specialUse ?? null);
      if (options.subscribe === true) this.#s.subscriptionInsert.run(account.id, canonical);
      return this._info(row);
    });
  }

  async deleteMailbox(accountId: string, name: string): Promise<void> {
    const canonical = normalizeMailboxName(name);
    // RFC 9051 §6.3.5: deleting INBOX is an error.
    if (canonical === 'INBOX') throw new NotAllowedError('INBOX cannot be deleted');
    this._write((ctx) => {
      const row = this.#s.mailboxByName.get(toId(accountId), canonical) as MailboxRow | undefined;
      if (row === undefined) throw new NotFoundError(`No mailbox ${canonical}`);
      this._deleteMailboxRow(ctx, row);
    });
  }

  async renameMailbox(accountId: string, from: string, to: string): Promise<MailboxInfo> {
    const source = normalizeMailboxName(from);
    const target = normalizeMailboxName(to);
    return this._write((ctx) => {
      const account = this.#requireAccount(accountId);
      const row = this.#s.mailboxByName.get(account.id, source) as MailboxRow | undefined;
      if (row === undefined) throw new NotFoundError(`No mailbox ${source}`);
      if (this.#s.mailboxByName.get(account.id, target) !== undefined) {
        throw new AlreadyExistsError(`Mailbox ${target} exists`);
      }
      if (isInferior(target, source)) throw new InvalidError('Cannot rename a mailbox into itself');
      if (source === 'INBOX') {
        // RFC 9051 §6.3.6: renaming INBOX moves its messages to a new mailbox and leaves INBOX
        // empty; its inferiors are not renamed.
        const dest = this._createMailboxRow(account.id, target, null);
        this.#s.keywordsCopy.run(dest.id, row.id);
        const messages = this.#s.messagesAll.all(row.id) as MessageRow[];
        if (messages.length > 0) this.#moveRows(ctx, row, dest, messages);
        return this._info(this._mailboxRow(dest.id)!);
      }
      const family = [
        row,
        ...(this.#s.mailboxesUnder.all(account.id, `${source}/`, `${source}0`) as MailboxRow[]),
      ];
      for (const member of family) {
        const newName = target + member.name.slice(source.length);
        if (member !== row && this.#s.mailboxByName.get(account.id, newName) !== undefined) {
          throw new AlreadyExistsError(`Mailbox ${newName} exists`);
        }
      }
      for (const superior of superiorNames(target)) {
        if (this.#s.mailboxByName.get(account.id, superior) === undefined) {
          this.#s.mailboxInsert.run(account.id, superior, null, this._nextUidValidity());
        }
      }
      // Two passes through temporary names keep UNIQUE(account_id, name) satisfied throughout.
      for (const member of family) this.#s.mailboxRename.run(`\0${member.id}`, member.id);
      for (const member of family) {
        const newName = target + member.name.slice(source.length);
        this.#s.mailboxRename.run(newName, member.id);
        if (this.#s.subscriptionDelete.run(account.id, member.name).changes > 0) {
          this.#s.subscriptionInsert.run(account.id, newName);
        }
        ctx.events.push({
          type: 'mailboxRenamed',
          mailboxId: String(member.id),
          modseq: member.highestmodseq,
          name: newName,
        });
      }
      return this._info(this._mailboxRow(row.id)!);
    });
  }

  async setSpecialUse(
    accountId: string,
    name: string,
    specialUse: SpecialUse | undefined,
  ): Promise<MailboxInfo> {
    const canonical = normalizeMailboxName(name);
    const allowed = ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'];
    if (specialUse !== undefined && !allowed.includes(specialUse)) {
      throw new InvalidError(`Unknown special-use attribute ${String(specialUse)}`);
    }
    return this._write(() => {
      const row = this.#s.mailboxByName.get(toId(accountId), canonical) as MailboxRow | undefined;
      if (row === undefined) throw new NotFoundError(`No mailbox ${canonical}`);
      this.#s.mailboxSpecialUse.run(specialUse ?? null, row.id);
      return this._info(this._mailboxRow(row.id)!);
    });
  }

  async setSubscribed(accountId: string, name: string, subscribed: boolean): Promise<void> {
    const canonical = normalizeMailboxName(name);
    this._write(() => {
      const account = this.#requireAccount(accountId);
      if (subscribed) this.#s.subscriptionInsert.run(account.id, canonical);
      else this.#s.subscriptionDelete.run(account.id, canonical);
    });
  }

  async listSubscriptions(accountId: string): Promise<string[]> {
    return this._readAsync(() => {
      this.#requireAccount(accountId);
      return (this.#s.subscriptionsOfAccount.all(toId(accountId)) as { name: string }[])
        .map((r) => r.name)
        .sort(byCodeUnits);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Messages

  async append(mailboxId: string, source: MessageSource, options: AppendOptions): Promise<AppendResult> {
    const [result] = await this.#appendItems(mailboxId, [{ ...options, source }]);
    return result!;
  }

  async appendMany(mailboxId: string, items: readonly AppendItem[]): Promise<AppendResult[]> {
    if (!Array.isArray(items) || items.length === 0) throw new InvalidError('Nothing to append');
    return this.#appendItems(mailboxId, items);
  }

  async deliver(address: string, source: MessageSource, options: DeliverOptions): Promise<DeliverResult> {
    this._check();
    const target = normalizeMailboxName(options.mailbox ?? 'INBOX');
    const mailboxId = this._read(() => {
      const hit = this.#s.addressGet.get(addressKeyOrNull(address) ?? '') as
        | { account_id: number }
        | undefined;
      if (hit === undefined) throw new NotFoundError(`No account for ${address}`);
      const row = this.#s.mailboxByName.get(hit.account_id, target) as MailboxRow | undefined;
      if (row === undefined) throw new NotFoundError(`No mailbox ${target}`);
      return String(row.id);
    });
    const item: AppendItem = {
      source,
      internalDate: options.internalDate,
      ...(options.flags === undefined ? {} : { flags: options.flags }),
      ...(options.mimeIndex === undefined ? {} : { mimeIndex: options.mimeIndex }),
    };
    const [result] = await this.#appendItems(mailboxId, [item]);
    const row = this._read(() => this._mailboxRow(toId(mailboxId)));
    return { ...result!, accountId: String(row?.account_id ?? '') };
  }

  async #appendItems(mailboxId: string, items: readonly AppendItem[]): Promise<AppendResult[]> {
    this._check();
    const prepared = items.map((item) => {
      if (item === null || typeof item !== 'object') throw new InvalidError('append options missing');
      const internalDate = item.internalDate;
      if (typeof internalDate !== 'number' || !Number.isFinite(internalDate)) {
        throw new InvalidError('internalDate must be a number of milliseconds');
      }
      return { item, flags: normalizeFlags(item.flags ?? []), internalDate: Math.trunc(internalDate) };
    });
    // Fail fast, before streaming anything, when the mailbox does not exist or is full.
    this._read(() => this.#checkQuota(this.#requireMailbox(mailboxId).account_id, items.length, 0));
    const pending: PendingAppend[] = [];
    let committed = false;
    try {
      for (const p of prepared) {
        let staged: StagedBlob;
        try {
          // No fsync here: the group committer fsyncs the batch's files together.
          const source = p.item.source;
          staged = await this.#blobs.stage(
            source instanceof Uint8Array ? source : sourceChunks(source),
            this.#maxMessageSize,
            { sync: false },
          );
        } catch (error) {
          if (error instanceof BlobTooLargeError) throw new TooLargeError(this.#maxMessageSize);
          throw backend(error);
        }
        let mime: string | null = null;
        if (p.item.mimeIndex !== undefined) {
          try {
            const value = p.item.mimeIndex();
            if (value !== undefined) mime = JSON.stringify(value);
          } catch (error) {
            this.#blobs.discard(staged);
            throw backend(error);
          }
        }
        pending.push({ staged, flags: p.flags, internalDate: p.internalDate, mime });
      }
      const results = await this.#committer.submit(
        pending.map((p) => p.staged),
        (ctx) => this.#commitAppends(ctx, mailboxId, pending),
      );
      committed = true;
      return results;
    } catch (error) {
      throw backend(error);
    } finally {
      for (const p of pending) this.#blobs.discard(p.staged);
      if (!committed && pending.length > 0 && !this.#closed)
        this.#dropUnreferenced(pending.map((p) => p.staged.hash));
    }
  }

  /** After a failed append: final files it may have linked that no row references go. */
  #dropUnreferenced(hashes: readonly string[]): void {
    try {
      this._write(() => {
        for (const hash of hashes) {
          if (this.#s.blobRefs.get(hash) === undefined) this.#blobs.unlinkUnreferenced(hash);
        }
      });
    } catch {
      // Garbage only: `sweep: 'full'` at the next open removes it.
    }
  }

  #commitAppends(ctx: WriteContext, mailboxId: string, pending: readonly PendingAppend[]): AppendResult[] {
    const row = this.#requireMailbox(mailboxId);
    const newKeywords = new Map<string, string>();
    const spelled = pending.map((p) => this.#spell(row.id, p.flags, newKeywords));
    const total = pending.reduce((sum, p) => sum + p.staged.size, 0);
    this.#checkQuota(row.account_id, pending.length, total);
    this.#register(row.id, newKeywords);
    const first = this.#allocUids(row.id, pending.length);
    const modseq = this.#bumpModseq(row.id);
    const results: AppendResult[] = [];
    const added: FlagChange[] = [];
    pending.forEach((p, i) => {
      const uid = first + i;
      const flags = spelled[i]!;
      this.#reference(p.staged, p.mime);
      this.#s.messageInsert.run(
        row.id,
        uid,
        modseq,
        encodeFlags(flags),
        sysBits(flags),
        p.internalDate,
        p.staged.size,
        p.staged.hash,
      );
      results.push({
        mailboxId: String(row.id),
        uidValidity: row.uidvalidity,
        uid,
        modseq,
        size: p.staged.size,
        blobId: p.staged.hash,
      });
      added.push({ uid, flags, modseq });
    });
    ctx.events.push({ type: 'exists', mailboxId: String(row.id), modseq, messages: added });
    return results;
  }

  /** Makes sure a blob row exists for a staged file (dedup on the hash) and its file is in place. */
  #reference(staged: StagedBlob, mime: string | null): void {
    const existing = this.#s.blobRefs.get(staged.hash) as { refs: number } | undefined;
    if (existing !== undefined) {
      if (mime !== null) this.#s.blobSetMimeIfNull.run(mime, staged.hash);
      return;
    }
    this.#blobs.ensure(staged);
    this.#s.blobInsert.run(staged.hash, staged.size, mime);
  }

  #allocUids(mailboxId: number, count: number): number {
    const row = this.#s.uidAlloc.get(count, mailboxId) as { uidnext: number };
    const first = row.uidnext - count;
    if (row.uidnext - 1 > 0xffffffff) throw new BackendError('UID space of the mailbox exhausted');
    return first;
  }

  async copy(sourceMailboxId: string, uids: UidSet, destMailboxId: string): Promise<CopyResult> {
    uidRanges(uids);
    return this._write((ctx) => {
      const source = this.#requireMailbox(sourceMailboxId);
      const dest = this.#requireMailbox(destMailboxId);
      const messages = this.#selectUids(source.id, uids);
      if (messages.length === 0) {
        return {
          destMailboxId: String(dest.id),
          uidValidity: dest.uidvalidity,
          mapping: [],
          modseq: dest.highestmodseq,
        };
      }
      const octets = messages.reduce((sum, m) => sum + m.size, 0);
      this.#checkQuota(dest.account_id, messages.length, octets);
      const { mapping, modseq } = this.#insertCopies(ctx, dest, messages);
      return { destMailboxId: String(dest.id), uidValidity: dest.uidvalidity, mapping, modseq };
    });
  }

  #insertCopies(
    ctx: WriteContext,
    dest: MailboxRow,
    messages: readonly MessageRow[],
  ): { mapping: { sourceUid: number; destUid: number }[]; modseq: number } {
    const newKeywords = new Map<string, string>();
    const spelled = messages.map((m) => this.#spell(dest.id, decodeFlags(m.flags), newKeywords));
    this.#register(dest.id, newKeywords);
    const first = this.#allocUids(dest.id, messages.length);
    const modseq = this.#bumpModseq(dest.id);
    const mapping: { sourceUid: number; destUid: number }[] = [];
    const added: FlagChange[] = [];
    messages.forEach((m, i) => {
      const uid = first + i;
      const flags = spelled[i]!;
      this.#s.messageInsert.run(
        dest.id,
        uid,
        modseq,
        encodeFlags(flags),
        m.sys,
        m.internal_date,
        m.size,
        m.blob,
      );
      mapping.push({ sourceUid: m.uid, destUid: uid });
      added.push({ uid, flags, modseq });
    });
    ctx.events.push({ type: 'exists', mailboxId: String(dest.id), modseq, messages: added });
    return { mapping, modseq };
  }

  #moveRows(
    ctx: WriteContext,
    source: MailboxRow,
    dest: MailboxRow,
    messages: readonly MessageRow[],
  ): { mapping: { sourceUid: number; destUid: number }[]; modseq: number; sourceModseq: number } {
    const { mapping, modseq } = this.#insertCopies(ctx, dest, messages);
    const sourceModseq = this._expungeUids(
      ctx,
      source,
      messages.map((m) => m.uid),
    );
    return { mapping, modseq, sourceModseq };
  }

  async move(sourceMailboxId: string, uids: UidSet, destMailboxId: string): Promise<MoveResult> {
    uidRanges(uids);
    return this._write((ctx) => {
      const source = this.#requireMailbox(sourceMailboxId);
      const dest = this.#requireMailbox(destMailboxId);
      const messages = this.#selectUids(source.id, uids);
      if (messages.length === 0) {
        return {
          destMailboxId: String(dest.id),
          uidValidity: dest.uidvalidity,
          mapping: [],
          modseq: dest.highestmodseq,
          expunged: [],
          sourceModseq: source.highestmodseq,
        };
      }
      if (dest.account_id !== source.account_id) {
        this.#checkQuota(
          dest.account_id,
          messages.length,
          messages.reduce((sum, m) => sum + m.size, 0),
        );
      }
      const { mapping, modseq, sourceModseq } = this.#moveRows(ctx, source, dest, messages);
      const destAfter = this._mailboxRow(dest.id)!;
      return {
        destMailboxId: String(dest.id),
        uidValidity: dest.uidvalidity,
        mapping,
        modseq: source.id === dest.id ? destAfter.highestmodseq : modseq,
        expunged: messages.map((m) => m.uid),
        sourceModseq,
      };
    });
  }

  async expunge(mailboxId: string, options: ExpungeOptions = {}): Promise<ExpungeResult> {
    if (options.uids !== undefined) uidRanges(options.uids);
    return this._write((ctx) => {
      const row = this.#requireMailbox(mailboxId);
      const candidates =
        options.uids === undefined
          ? (this.#s.messagesDeleted.all(row.id, DELETED) as MessageRow[])
          : this.#selectUids(row.id, options.uids).filter((m) => (m.sys & DELETED) !== 0);
      if (candidates.length === 0) return { expunged: [], modseq: row.highestmodseq };
      const uids = candidates.map((m) => m.uid);
      const modseq = this._expungeUids(ctx, row, uids);
      return { expunged: uids, modseq };
    });
  }

  async setFlags(mailboxId: string, uids: UidSet, options: SetFlagsOptions): Promise<SetFlagsResult> {
    uidRanges(uids);
    if (options === null || typeof options !== 'object') throw new InvalidError('setFlags needs options');
    const flags = normalizeFlags(options.flags);
    const mode = options.mode;
    if (mode !== 'add' && mode !== 'remove' && mode !== 'replace')
      throw new InvalidError(`Invalid mode ${String(mode)}`);
    const unchangedSince = options.unchangedSince;
    if (unchangedSince !== undefined && (!Number.isInteger(unchangedSince) || unchangedSince < 0)) {
      throw new InvalidError('unchangedSince must be a non-negative integer');
    }
    return this._write((ctx) => {
      const row = this.#requireMailbox(mailboxId);
      const newKeywords = new Map<string, string>();
      const spelled = mode === 'remove' ? flags : this.#spell(row.id, flags, newKeywords);
      const messages = this.#selectUids(row.id, uids);
      const modified: number[] = [];
      const updates: { uid: number; flags: readonly string[] }[] = [];
      for (const m of messages) {
        // RFC 7162 §3.1.3: a message changed since UNCHANGEDSINCE fails the conditional store.
        if (unchangedSince !== undefined && m.modseq > unchangedSince) {
          modified.push(m.uid);
          continue;
        }
        const next = applyFlags(decodeFlags(m.flags), mode, spelled);
        if (next !== undefined) updates.push({ uid: m.uid, flags: next });
      }
      if (updates.length === 0) return { changed: [], modified, modseq: row.highestmodseq };
      this.#register(row.id, newKeywords);
      const modseq = this.#bumpModseq(row.id);
      const changed: FlagChange[] = [];
      for (const u of updates) {
        this.#s.messageSetFlags.run(encodeFlags(u.flags), sysBits(u.flags), modseq, row.id, u.uid);
        changed.push({ uid: u.uid, flags: [...u.flags], modseq });
      }
      ctx.events.push({ type: 'flags', mailboxId: String(row.id), modseq, messages: changed });
      return { changed, modified, modseq };
    });
  }

  async fetchMessages(mailboxId: string, uids: UidSet, options: FetchOptions = {}): Promise<MessageMeta[]> {
    const ranges = uidRanges(uids);
    const changedSince = options.changedSince;
    if (changedSince !== undefined && (!Number.isInteger(changedSince) || changedSince < 0)) {
      throw new InvalidError('changedSince must be a non-negative integer');
    }
    return this._readAsync(() => {
      const row = this.#requireMailbox(mailboxId);
      const out: MessageMeta[] = [];
      const derived = options.derived;
      if (derived !== undefined) {
        const withMime = options.mimeIndex === true;
        const cache = withMime ? (this.#mimeCache ??= new MimeIndexCache(this.#mimeCacheEntries)) : undefined;
        for (const [from, to] of ranges) {
          for (const m of derivedRows(this.#db, row.id, from, to, changedSince ?? 0, derived, withMime)) {
            out.push(this.#derivedMeta(m, cache));
            if (m[7] === null) this.#hintDerived(m[5], row.id, m[0]);
          }
        }
        return out;
      }
      if (options.mimeIndex === true) {
        const cache = (this.#mimeCache ??= new MimeIndexCache(this.#mimeCacheEntries));
        for (const [from, to] of ranges) {
          for (const m of mimeRows(this.#db, row.id, from, to, changedSince ?? 0)) {
            out.push(metaOf(m, cache.get(m[5], m[6])));
          }
        }
        return out;
      }
      for (const [from, to] of ranges) {
        for (const m of metaRows(this.#db, row.id, from, to, changedSince ?? 0)) out.push(metaOf(m));
      }
      return out;
    });
  }

  /**
   * A `derivedRows` row as metadata. With a derived value, the MIME index (when asked) is a getter
   * that reads and parses it on first access only: a caller served by the value never pays for it.
   */
  #derivedMeta(m: DerivedRow, cache: MimeIndexCache | undefined): MessageMeta {
    const value = m[7];
    if (value === null) return metaOf(m, cache?.get(m[5], m[6]));
    if (cache === undefined) return metaOf(m, undefined, value);
    return new KeptMeta(m, decodeFlags(m[2]), value, this.#readIndex);
  }

  /**
   * Remembers which message a blob returned without a derived value belongs to, so the
   * `setDerived` that usually follows writes by key instead of searching `messages_by_blob`
   * (random pages: several seconds per 100,000 messages). Bounded; forgotten wholesale when full.
   */
  #hintDerived(hash: string, mailboxRowId: number, uid: number): void {
    if (this.#derivedHints.size >= DERIVED_HINTS) this.#derivedHints.clear();
    this.#derivedHints.set(hash, [mailboxRowId, uid]);
  }

  /**
   * The MIME index of a blob for a lazy `mimeIndex` getter (`KeptMeta`, made only once the cache
   * exists): `undefined` when gone or unreadable.
   */
  readonly #readIndex = (hash: string): unknown => {
    const cache = this.#mimeCache;
    try {
      if (this.#closed || cache === undefined) return undefined;
      const row = this.#s.blobGet.get(hash) as { mime: string | null } | undefined;
      return row === undefined ? undefined : cache.get(hash, row.mime);
    } catch {
      return undefined;
    }
  };

  async readMessage(ref: MessageRef, range?: ByteRange): Promise<AsyncIterable<Uint8Array>> {
    this._check();
    if (ref === null || typeof ref !== 'object')
      throw new InvalidError('readMessage needs a message reference');
    const found = await this._readAsync(() => {
      if ('blobId' in ref) {
        const blob = this.#s.blobGet.get(String(ref.blobId)) as { hash: string; size: number } | undefined;
        return blob === undefined || !/^[0-9a-f]{64}$/.test(blob.hash) ? undefined : blob;
      }
      const m = this.#s.messageGet.get(toId(ref.mailboxId), ref.uid) as MessageRow | undefined;
      return m === undefined ? undefined : { hash: m.blob, size: m.size };
    });
    if (found === undefined) throw new NotFoundError('No such message');
    const { start, end } = resolveRange(range, found.size);
    if (end - start <= SMALL_READ) {
      // A small range (a header, a typical message): one positioned read, no stream machinery.
      let fd: number;
      try {
        fd = openSync(this.#blobs.path(found.hash), 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('No such message');
        throw backend(error);
      }
      try {
        const bytes = new Uint8Array(end - start);
        let at = 0;
        while (at < bytes.length) {
          const n = readSync(fd, bytes, at, bytes.length - at, start + at);
          if (n === 0) break;
          at += n;
        }
        return oneChunk(at === bytes.length ? bytes : bytes.subarray(0, at));
      } catch (error) {
        throw backend(error);
      } finally {
        closeSync(fd);
      }
    }
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.#blobs.path(found.hash), 'r');
    } catch (error) {
      // Expunged (and its file retired) between the lookup and the open.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('No such message');
      throw backend(error);
    }
    if (end <= start) {
      await handle.close();
      return noBytes();
    }
    return handle.createReadStream({ start, end: end - 1, highWaterMark: 64 * 1024, autoClose: true });
  }

  async listUids(mailboxId: string): Promise<MailboxUids> {
    return this._readAsync(() => listUidsOf(this.#db, this.#requireMailbox(mailboxId).id));
  }

  async fetchFlags(mailboxId: string, uids: UidSet): Promise<FlagChange[]> {
    const ranges = uidRanges(uids);
    return this._readAsync(() => {
      const row = this.#requireMailbox(mailboxId);
      const out: FlagChange[] = [];
      for (const [from, to] of ranges) flagRows(this.#db, row.id, from, to, out);
      return out;
    });
  }

  async readBlobs(blobIds: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (!Array.isArray(blobIds)) throw new InvalidError('readBlobs needs an array of blob ids');
    // No turn of the event loop before the read is asked for: a read the caller starts ahead
    // (FETCH's next group) runs while it writes out the current one.
    this._check();
    try {
      return await readBlobFiles(blobIds, (hash) => this.#blobs.path(hash));
    } catch (error) {
      throw backend(error);
    }
  }

  async getMimeIndex(blobId: string): Promise<unknown> {
    return this._readAsync(() => {
      const row = this.#s.blobGet.get(String(blobId)) as { mime: string | null } | undefined;
      if (row === undefined) throw new NotFoundError(`No blob ${blobId}`);
      return row.mime === null ? undefined : (JSON.parse(row.mime) as unknown);
    });
  }

  async setMimeIndex(blobId: string, index: unknown): Promise<void> {
    const json = index === undefined ? null : JSON.stringify(index);
    this._write(() => {
      const { changes } = this.#s.blobSetMime.run(json, String(blobId));
      if (changes === 0) throw new NotFoundError(`No blob ${blobId}`);
      this.#mimeCache?.invalidate(String(blobId));
    });
  }

  async setDerived(
    name: string,
    values: readonly { readonly blobId: string; readonly value: Uint8Array }[],
  ): Promise<void> {
    if (typeof name !== 'string' || name === '') throw new InvalidError('A derived value needs a name');
    if (!Array.isArray(values)) throw new InvalidError('setDerived needs an array of values');
    for (const v of values) {
      if (!(v?.value instanceof Uint8Array)) throw new InvalidError('A derived value must be a Uint8Array');
    }
    this._check();
    if (values.length === 0) return;
    const hints = this.#derivedHints;
    this._write(() => {
      for (const { blobId, value } of values) {
        const hash = String(blobId);
        // The message `fetchMessages` just returned without a value: a lookup by key. Otherwise
        // (or if it was expunged since) every message holding the blob, through `messages_by_blob`.
        const at = hints.get(hash);
        if (at !== undefined && this.#s.derivedSetMessage.run(name, value, at[0], at[1], hash).changes > 0)
          continue;
        this.#s.derivedSetBlob.run(name, value, hash);
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Change feed

  subscribe(mailboxId: string, listener: ChangeListener): () => void {
    this._check();
    this._read(() => this.#requireMailbox(mailboxId));
    if (typeof listener !== 'function')
      throw new UsageError('ERR_INVALID_ARGUMENT', 'listener must be a function');
    const key = String(mailboxId);
    let set = this.#listeners.get(key);
    if (set === undefined) this.#listeners.set(key, (set = new Set()));
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry: ChangeListener = (change) => listener(change);
    set.add(entry);
    const own = { key, entry };
    this.#own.add(own);
    return () => {
      this.#own.delete(own);
      const current = this.#listeners.get(key);
      if (current === undefined) return;
      current.delete(entry);
      if (current.size === 0 && this.#listeners.get(key) === current) this.#listeners.delete(key);
    };
  }

  async changesSince(mailboxId: string, modseq: number): Promise<ChangesSince> {
    if (typeof modseq !== 'number' || !Number.isInteger(modseq) || modseq < 0) {
      throw new InvalidError('modseq must be a non-negative integer');
    }
    return this._readAsync(() => {
      const row = this.#requireMailbox(mailboxId);
      if (modseq < row.trimmed_modseq) return { trimmed: true, highestModseq: row.highestmodseq };
      const changed = (this.#s.messagesChangedSince.all(row.id, modseq) as MessageRow[]).map((m) => ({
        uid: m.uid,
        flags: decodeFlags(m.flags),
        modseq: m.modseq,
      }));
      const expunged = (this.#s.expungedSince.all(row.id, modseq) as { uid: number }[]).map((r) => r.uid);
      return { trimmed: false, highestModseq: row.highestmodseq, changed, expunged };
    });
  }

  // -------------------------------------------------------------------------------------------
  // POP3

  async lockMaildrop(accountId: string, mailbox = 'INBOX'): Promise<Maildrop> {
    const canonical = normalizeMailboxName(mailbox);
    const snapshot = await this._readAsync(() => {
      const account = this.#requireAccount(accountId);
      const row = this.#s.mailboxByName.get(account.id, canonical) as MailboxRow | undefined;
      if (row === undefined) throw new NotFoundError(`No mailbox ${canonical}`);
      const key = this.#lockPrefix + String(row.id);
      // RFC 1939 §8: the server acquires an exclusive-access lock on the maildrop.
      if (maildropLocks.has(key)) throw new LockedError('Maildrop is locked by another session');
      const messages = (this.#s.messagesAll.all(row.id) as MessageRow[]).map((m) => ({
        uid: m.uid,
        size: m.size,
        uidl: formatUidl(row.uidvalidity, m.uid),
      }));
      maildropLocks.add(key);
      this.#heldLocks.add(key);
      return { row, key, messages };
    });
    return new SqliteMaildrop(
      this,
      String(snapshot.row.account_id),
      snapshot.row,
      snapshot.key,
      snapshot.messages,
    );
  }

  /** @internal */
  _releaseLock(key: string): void {
    maildropLocks.delete(key);
    this.#heldLocks.delete(key);
  }

  /** @internal Expunges the UIDs that still exist, whatever their flags (POP3 UPDATE). */
  _expungeExact(mailboxId: number, uids: readonly number[]): ExpungeResult {
    return this._write((ctx) => {
      const row = this._mailboxRow(mailboxId);
      if (row === undefined) throw new NotFoundError('The mailbox is gone');
      const present = uids
        .filter((uid) => this.#s.messageGet.get(row.id, uid) !== undefined)
        .sort((a, b) => a - b);
      if (present.length === 0) return { expunged: [], modseq: row.highestmodseq };
      const modseq = this._expungeUids(ctx, row, present);
      return { expunged: present, modseq };
    });
  }

  // -------------------------------------------------------------------------------------------

  /**
   * Checkpoints the WAL into the database file (e.g. before a file-level backup). See also
   * `backup()`.
   */
  checkpoint(): void {
    this._check();
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** An online, consistent copy of the metadata database (SQLite backup API) to `file`. */
  async backup(file: string): Promise<void> {
    this._check();
    await this.#db.backup(file);
  }

  /**
   * Consistency check (e.g. after restoring a backup): every referenced message file exists with
   * the size its row records, and the maintained counters equal a recount. Reads every row and
   * stats every file; it changes nothing. An empty report means consistent.
   */
  async verify(): Promise<VerifyReport> {
    const snapshot = await this._readAsync(() => ({
      blobs: this.#s.verifyBlobs.all() as { hash: string; size: number; refs: number; counted: number }[],
      mailboxes: this.#s.verifyMailboxes.all() as { id: number; name: string; drift: number }[],
      accounts: this.#s.verifyAccounts.all() as { id: number; address: string; drift: number }[],
    }));
    const report: { missing: string[]; damaged: string[]; counters: string[] } = {
      missing: [],
      damaged: [],
      counters: [],
    };
    for (const blob of snapshot.blobs) {
      if (blob.refs !== blob.counted)
        report.counters.push(`blob ${blob.hash}: refs ${blob.refs}, rows ${blob.counted}`);
      try {
        const stats = await stat(this.#blobs.path(blob.hash));
        if (stats.size !== blob.size) report.damaged.push(blob.hash);
      } catch {
        report.missing.push(blob.hash);
      }
    }
    for (const m of snapshot.mailboxes)
      if (m.drift !== 0) report.counters.push(`mailbox ${m.name} (${m.id})`);
    for (const a of snapshot.accounts)
      if (a.drift !== 0) report.counters.push(`account ${a.address} (${a.id}) usage`);
    return report;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const key of this.#heldLocks) maildropLocks.delete(key);
    this.#heldLocks.clear();
    for (const { key, entry } of this.#own) {
      const set = this.#listeners.get(key);
      set?.delete(entry);
      if (set?.size === 0) this.#listeners.delete(key);
    }
    this.#own.clear();
    this.#db.close();
  }
}

function addressKeyOrNull(address: unknown): string | undefined {
  return typeof address === 'string' && address.length > 0 ? addressKey(address) : undefined;
}

class SqliteMaildrop implements Maildrop {
  readonly accountId: string;
  readonly mailboxId: string;
  readonly uidValidity: number;
  readonly messages: readonly { uid: number; size: number; uidl: string }[];
  readonly #store: SqliteStore;
  readonly #row: MailboxRow;
  readonly #key: string;
  readonly #deleted = new Set<number>();
  readonly #uids: Set<number>;
  #done = false;

  constructor(
    store: SqliteStore,
    accountId: string,
    row: MailboxRow,
    key: string,
    messages: { uid: number; size: number; uidl: string }[],
  ) {
    this.#store = store;
    this.accountId = accountId;
    this.mailboxId = String(row.id);
    this.uidValidity = row.uidvalidity;
    this.messages = messages;
    this.#row = row;
    this.#key = key;
    this.#uids = new Set(messages.map((m) => m.uid));
  }

  get deleted(): ReadonlySet<number> {
    return this.#deleted;
  }

  markDeleted(uid: number): void {
    this.#live();
    if (!this.#uids.has(uid)) throw new NotFoundError(`No message with UID ${uid} in the maildrop`);
    this.#deleted.add(uid);
  }

  unmarkAll(): void {
    this.#live();
    this.#deleted.clear();
  }

  #live(): void {
    if (this.#done)
      throw new UsageError('ERR_INVALID_STATE', 'The maildrop was already committed or released');
  }

  async commit(): Promise<ExpungeResult> {
    this.#live();
    try {
      // RFC 1939 §6: the UPDATE state removes the messages marked as deleted.
      return this.#store._expungeExact(this.#row.id, [...this.#deleted]);
    } finally {
      this.#done = true;
      this.#store._releaseLock(this.#key);
    }
  }

  async release(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#store._releaseLock(this.#key);
  }
}

class SqliteAccounts implements AccountStore {
  readonly #store: SqliteStore;

  constructor(store: SqliteStore) {
    this.#store = store;
  }

  #account(row: AccountRow): Account {
    const s = this.#store._statements;
    const aliases = (s.addressesOfAccount.all(row.id) as { address: string; position: number }[])
      .filter((a) => a.position > 0)
      .map((a) => a.address);
    const base: Account = { id: String(row.id), address: row.address, aliases };
    const quota: { storage?: number; messages?: number } = {};
    if (row.quota_storage !== null) quota.storage = row.quota_storage;
    if (row.quota_messages !== null) quota.messages = row.quota_messages;
    return row.quota_storage === null && row.quota_messages === null ? base : { ...base, quota };
  }

  #byName(addressOrAlias: string): AccountRow | undefined {
    const key = addressKeyOrNull(addressOrAlias);
    if (key === undefined) return undefined;
    const s = this.#store._statements;
    const hit = s.addressGet.get(key) as { account_id: number } | undefined;
    return hit === undefined ? undefined : (s.accountById.get(hit.account_id) as AccountRow | undefined);
  }

  async lookup(addressOrAlias: string): Promise<Account | undefined> {
    return this.#store._readAsync(() => {
      const row = this.#byName(addressOrAlias);
      return row === undefined ? undefined : this.#account(row);
    });
  }

  async get(accountId: string): Promise<Account | undefined> {
    return this.#store._readAsync(() => {
      const row = this.#store._statements.accountById.get(toId(accountId)) as AccountRow | undefined;
      return row === undefined ? undefined : this.#account(row);
    });
  }

  async verifyPassword(addressOrAlias: string, password: string): Promise<Account | undefined> {
    if (typeof password !== 'string') return undefined;
    const row = this.#store._read(() => this.#byName(addressOrAlias));
    if (row === undefined || row.password === null) {
      // Same work for an unknown user, so timing does not reveal which names exist.
      await this.#store._hasher.verify(password, await this.#store._dummyHash());
      return undefined;
    }
    const ok = await this.#store._hasher.verify(password, row.password);
    if (!ok) return undefined;
    return this.get(String(row.id));
  }

  async scramKeys(addressOrAlias: string): Promise<ScramStoredKeys | undefined> {
    const row = await this.#store._readAsync(() => this.#byName(addressOrAlias));
    if (row === undefined || row.scram === null) return undefined;
    return decodeScram(row.scram);
  }

  async #secrets(password: string | undefined): Promise<{ hash: string | null; scram: string | null }> {
    if (password === undefined) return { hash: null, scram: null };
    if (typeof password !== 'string' || password.length === 0) throw new InvalidError('Empty password');
    const hasher = this.#store._hasher;
    const hash = await hasher.hash(password);
    const keys = hasher.deriveScramKeys === undefined ? undefined : await hasher.deriveScramKeys(password);
    const scram = keys === undefined ? null : encodeScram(keys);
    return { hash, scram };
  }

  async createAccount(input: CreateAccountInput): Promise<Account> {
    this.#store._check();
    if (input === null || typeof input !== 'object') throw new InvalidError('createAccount needs input');
    const address = checkAddress(input.address);
    const names = [address, ...checkAliases(input.aliases ?? [], address)];
    const keys = names.map((n) => addressKey(n));
    checkQuota(input.quota);
    const secrets = await this.#secrets(input.password);
    return this.#store._write(() => {
      const s = this.#store._statements;
      for (const key of keys) {
        if (s.addressGet.get(key) !== undefined) throw new AlreadyExistsError(`Address ${key} is taken`);
      }
      const { lastInsertRowid } = s.accountInsert.run(
        address,
        secrets.hash,
        secrets.scram,
        input.quota?.storage ?? null,
        input.quota?.messages ?? null,
      );
      const id = Number(lastInsertRowid);
      names.forEach((name, i) => {
        s.addressInsert.run(keys[i], id, name, i);
      });
      this.#store._createMailboxRow(id, 'INBOX', null);
      return this.#account(s.accountById.get(id) as AccountRow);
    });
  }

  async setPassword(accountId: string, password: string | undefined): Promise<void> {
    this.#store._check();
    const secrets = await this.#secrets(password);
    this.#store._write(() => {
      const { changes } = this.#store._statements.accountSetPassword.run(
        secrets.hash,
        secrets.scram,
        toId(accountId),
      );
      if (changes === 0) throw new NotFoundError(`No account ${accountId}`);
    });
  }

  async setAliases(accountId: string, aliases: readonly string[]): Promise<Account> {
    if (!Array.isArray(aliases)) throw new InvalidError('aliases must be an array');
    return this.#store._write(() => {
      const s = this.#store._statements;
      const row = s.accountById.get(toId(accountId)) as AccountRow | undefined;
      if (row === undefined) throw new NotFoundError(`No account ${accountId}`);
      aliases = checkAliases(aliases, row.address);
      const keys = aliases.map((a) => addressKey(a));
      for (const key of keys) {
        const hit = s.addressGet.get(key) as { account_id: number } | undefined;
        if (hit !== undefined && hit.account_id !== row.id)
          throw new AlreadyExistsError(`Address ${key} is taken`);
      }
      s.addressesDeleteAliases.run(row.id);
      aliases.forEach((alias, i) => {
        s.addressInsert.run(keys[i], row.id, alias, i + 1);
      });
      return this.#account(row);
    });
  }

  async setQuota(accountId: string, quota: QuotaLimits | undefined): Promise<Account> {
    checkQuota(quota);
    return this.#store._write(() => {
      const s = this.#store._statements;
      const { changes } = s.accountSetQuota.run(
        quota?.storage ?? null,
        quota?.messages ?? null,
        toId(accountId),
      );
      if (changes === 0) throw new NotFoundError(`No account ${accountId}`);
      return this.#account(s.accountById.get(toId(accountId)) as AccountRow);
    });
  }

  async getQuota(accountId: string): Promise<{ readonly limits: QuotaLimits; readonly usage: QuotaUsage }> {
    return this.#store._readAsync(() => {
      const row = this.#store._statements.accountById.get(toId(accountId)) as AccountRow | undefined;
      if (row === undefined) throw new NotFoundError(`No account ${accountId}`);
      const limits: { storage?: number; messages?: number } = {};
      if (row.quota_storage !== null) limits.storage = row.quota_storage;
      if (row.quota_messages !== null) limits.messages = row.quota_messages;
      return { limits, usage: { storage: row.used_storage, messages: row.used_messages } };
    });
  }

  async listAccounts(): Promise<Account[]> {
    return this.#store._readAsync(() =>
      (this.#store._statements.accountsAll.all() as AccountRow[])
        .sort((a, b) => byCodeUnits(a.address, b.address))
        .map((row) => this.#account(row)),
    );
  }

  async deleteAccount(accountId: string): Promise<void> {
    this.#store._write((ctx) => {
      const s = this.#store._statements;
      const id = toId(accountId);
      if (s.accountById.get(id) === undefined) throw new NotFoundError(`No account ${accountId}`);
      for (const row of s.mailboxesOfAccount.all(id) as MailboxRow[]) this.#store._deleteMailboxRow(ctx, row);
      s.accountDelete.run(id);
    });
  }
}

/** Valid aliases without duplicates (case-insensitively) and without the primary address. */
function checkAliases(aliases: readonly string[], address: string): string[] {
  if (!Array.isArray(aliases)) throw new InvalidError('aliases must be an array');
  const keys = new Set([addressKey(address)]);
  const out: string[] = [];
  for (const alias of aliases) {
    const checked = checkAddress(alias);
    if (keys.has(addressKey(checked))) continue;
    keys.add(addressKey(checked));
    out.push(checked);
  }
  return out;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkQuota(quota: QuotaLimits | undefined): void {
  if (quota === undefined) return;
  if (quota === null || typeof quota !== 'object') throw new InvalidError('quota must be an object');
  for (const n of [quota.storage, quota.messages]) {
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) {
      throw new InvalidError('quota limits are non-negative integers');
    }
  }
}

function prepareStatements(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  return {
    begin: p('BEGIN IMMEDIATE'),
    commit: p('COMMIT'),
    rollback: p('ROLLBACK'),
    savepoint: p('SAVEPOINT job'),
    release: p('RELEASE job'),
    rollbackTo: p('ROLLBACK TO job'),
    metaGet: p('SELECT value FROM meta WHERE key = ?'),
    metaSet: p(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),

    accountById: p('SELECT * FROM accounts WHERE id = ?'),
    accountsAll: p('SELECT * FROM accounts ORDER BY address, id'),
    accountInsert: p(
      'INSERT INTO accounts (address, password, scram, quota_storage, quota_messages) VALUES (?, ?, ?, ?, ?)',
    ),
    accountSetPassword: p('UPDATE accounts SET password = ?, scram = ? WHERE id = ?'),
    accountSetQuota: p('UPDATE accounts SET quota_storage = ?, quota_messages = ? WHERE id = ?'),
    accountDelete: p('DELETE FROM accounts WHERE id = ?'),
    addressGet: p('SELECT account_id FROM addresses WHERE address_key = ?'),
    addressInsert: p(
      'INSERT INTO addresses (address_key, account_id, address, position) VALUES (?, ?, ?, ?)',
    ),
    addressesOfAccount: p('SELECT address, position FROM addresses WHERE account_id = ? ORDER BY position'),
    addressesDeleteAliases: p('DELETE FROM addresses WHERE account_id = ? AND position > 0'),

    mailboxById: p('SELECT * FROM mailboxes WHERE id = ?'),
    mailboxByName: p('SELECT * FROM mailboxes WHERE account_id = ? AND name = ?'),
    mailboxesOfAccount: p('SELECT * FROM mailboxes WHERE account_id = ? ORDER BY name'),
    mailboxesUnder: p(
      'SELECT * FROM mailboxes WHERE account_id = ? AND name >= ? AND name < ? ORDER BY name',
    ),
    mailboxInsert: p(
      'INSERT INTO mailboxes (account_id, name, special_use, uidvalidity) VALUES (?, ?, ?, ?)',
    ),
    mailboxDelete: p('DELETE FROM mailboxes WHERE id = ?'),
    mailboxRename: p('UPDATE mailboxes SET name = ? WHERE id = ?'),
    mailboxSpecialUse: p('UPDATE mailboxes SET special_use = ? WHERE id = ?'),
    mailboxTrimmed: p('UPDATE mailboxes SET trimmed_modseq = MAX(trimmed_modseq, ?) WHERE id = ?'),
    modseqBump: p(
      'UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = ? RETURNING highestmodseq',
    ),
    uidAlloc: p('UPDATE mailboxes SET uidnext = uidnext + ? WHERE id = ? RETURNING uidnext'),

    keywordGet: p('SELECT spelling FROM keywords WHERE mailbox_id = ? AND key = ?'),
    keywordCount: p('SELECT COUNT(*) AS n FROM keywords WHERE mailbox_id = ?'),
    keywordMaxPosition: p('SELECT COALESCE(MAX(position), 0) AS p FROM keywords WHERE mailbox_id = ?'),
    keywordInsert: p('INSERT INTO keywords (mailbox_id, key, spelling, position) VALUES (?, ?, ?, ?)'),
    keywordsOf: p('SELECT spelling FROM keywords WHERE mailbox_id = ? ORDER BY position'),
    keywordsDeleteAll: p('DELETE FROM keywords WHERE mailbox_id = ?'),
    keywordsCopy: p(
      'INSERT INTO keywords (mailbox_id, key, spelling, position) SELECT ?, key, spelling, position FROM keywords WHERE mailbox_id = ?',
    ),
    subscriptionGet: p('SELECT 1 FROM subscriptions WHERE account_id = ? AND name = ?'),
    subscriptionInsert: p('INSERT OR IGNORE INTO subscriptions (account_id, name) VALUES (?, ?)'),
    subscriptionDelete: p('DELETE FROM subscriptions WHERE account_id = ? AND name = ?'),
    subscriptionsOfAccount: p('SELECT name FROM subscriptions WHERE account_id = ? ORDER BY name'),

    blobGet: p('SELECT hash, size, mime FROM blobs WHERE hash = ?'),
    blobRefs: p('SELECT refs FROM blobs WHERE hash = ?'),
    blobInsert: p('INSERT INTO blobs (hash, size, refs, mime) VALUES (?, ?, 0, ?)'),
    blobDelete: p('DELETE FROM blobs WHERE hash = ?'),
    blobSetMime: p('UPDATE blobs SET mime = ? WHERE hash = ?'),
    derivedSetMessage: p(
      `INSERT OR REPLACE INTO message_derived (mailbox_id, uid, name, value)
       SELECT mailbox_id, uid, ?, ? FROM messages WHERE mailbox_id = ? AND uid = ? AND blob = ?`,
    ),
    derivedSetBlob: p(
      `INSERT OR REPLACE INTO message_derived (mailbox_id, uid, name, value)
       SELECT mailbox_id, uid, ?, ? FROM messages WHERE blob = ?`,
    ),
    blobSetMimeIfNull: p('UPDATE blobs SET mime = ? WHERE hash = ? AND mime IS NULL'),
    gcList: p('SELECT hash FROM blob_gc'),
    gcDelete: p('DELETE FROM blob_gc WHERE hash = ?'),

    messageGet: p('SELECT * FROM messages WHERE mailbox_id = ? AND uid = ?'),
    messageInsert: p(
      'INSERT INTO messages (mailbox_id, uid, modseq, flags, sys, internal_date, size, blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    messageDelete: p('DELETE FROM messages WHERE mailbox_id = ? AND uid = ?'),
    messageSetFlags: p('UPDATE messages SET flags = ?, sys = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?'),
    messagesAll: p('SELECT * FROM messages WHERE mailbox_id = ? ORDER BY uid'),
    messagesDeleteAll: p('DELETE FROM messages WHERE mailbox_id = ?'),
    messagesRange: p('SELECT * FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid'),
    messagesRangeSince: p(
      'SELECT uid, modseq, flags, internal_date, size, blob FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? AND modseq > ? ORDER BY uid',
    ),
    messagesRangeMime: p(
      'SELECT m.uid, m.modseq, m.flags, m.internal_date, m.size, m.blob, b.mime FROM messages m LEFT JOIN blobs b ON b.hash = m.blob WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? AND m.modseq > ? ORDER BY m.uid',
    ),
    messagesDeleted: p('SELECT * FROM messages WHERE mailbox_id = ? AND (sys & ?) != 0 ORDER BY uid'),
    messagesChangedSince: p(
      'SELECT uid, flags, modseq FROM messages WHERE mailbox_id = ? AND modseq > ? ORDER BY uid',
    ),

    verifyBlobs: p(
      'SELECT b.hash, b.size, b.refs, (SELECT COUNT(*) FROM messages m WHERE m.blob = b.hash) AS counted FROM blobs b',
    ),
    verifyMailboxes: p(`SELECT mb.id, mb.name,
        (mb.messages != COUNT(m.uid)) + (mb.size != COALESCE(SUM(m.size), 0))
        + (mb.unseen != COALESCE(SUM((m.sys & ${SEEN}) = 0), 0))
        + (mb.deleted != COALESCE(SUM((m.sys & ${DELETED}) != 0), 0)) AS drift
      FROM mailboxes mb LEFT JOIN messages m ON m.mailbox_id = mb.id GROUP BY mb.id`),
    verifyAccounts: p(`SELECT a.id, a.address,
        (a.used_messages != COUNT(m.uid)) + (a.used_storage != COALESCE(SUM(m.size), 0)) AS drift
      FROM accounts a LEFT JOIN mailboxes mb ON mb.account_id = a.id
      LEFT JOIN messages m ON m.mailbox_id = mb.id GROUP BY a.id`),
    expungeLogInsert: p('INSERT OR REPLACE INTO expunge_log (mailbox_id, uid, modseq) VALUES (?, ?, ?)'),
    expungeLogDeleteAll: p('DELETE FROM expunge_log WHERE mailbox_id = ?'),
    expungeLogCount: p('SELECT COUNT(*) AS n FROM expunge_log WHERE mailbox_id = ?'),
    expungeLogNth: p('SELECT modseq FROM expunge_log WHERE mailbox_id = ? ORDER BY modseq LIMIT 1 OFFSET ?'),
    expungeLogTrim: p('DELETE FROM expunge_log WHERE mailbox_id = ? AND modseq <= ?'),
    expungedSince: p('SELECT uid FROM expunge_log WHERE mailbox_id = ? AND modseq > ? ORDER BY uid'),
  };
}

/**
 * Opens (creating when missing) the SQLite store in a directory.
 *
 * @example
 * const store = createSqliteStore({ path: './mail-data' });
 * const account = await store.accounts.createAccount({ address: 'ann@example.com', password: 's3cret' });
 * const inbox = await store.getMailbox(account.id, 'INBOX');
 * await store.append(inbox!.id, new TextEncoder().encode('Subject: hi\r\n\r\nhello\r\n'), { internalDate: Date.now() });
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}

/**
 * `PostgresStore`: a `MailStore` on PostgreSQL that several server nodes share.
 *
 * Theory of operation
 *
 * - Every mutation is one transaction (READ COMMITTED) on a pooled connection. Row locks, always
 *   taken in the same order, serialise what must be serialised: first the account row of an
 *   account with quota limits whose usage grows (`SELECT … FOR UPDATE`), then the mailbox rows
 *   (ascending id), then blob rows (ascending hash). Nothing ever waits for a lock of an earlier
 *   kind while holding a later one, so writers cannot deadlock one another.
 * - UIDs and MODSEQs come from the mailbox row:
 *   `UPDATE mailboxes SET uid_next = uid_next + n, highest_modseq = highest_modseq + 1 … RETURNING`
 *   inside the append transaction. The row lock it takes is held until COMMIT, so the next allocator
 *   of the same mailbox waits until this transaction has committed (PostgreSQL makes a transaction
 *   visible before it releases its locks). Hence commit order is allocation order: a reader that has
 *   seen UID k can never later see a new message below k, on any node. The same statement keeps the
 *   mailbox counters (messages, unseen, deleted, size); an account's usage is their sum, read and
 *   checked against its limits while its row is locked (RFC 9208), so limits hold across nodes.
 * - An append streams the message into the `BlobStore` inside the transaction before taking any
 *   lock, hashing as it goes; the mailbox row is locked only for the short metadata part. Identical
 *   content is stored once (`blobs` keyed by SHA-256, reference-counted; a duplicate copy is
 *   removed in the same transaction).
 * - The promise of a mutation resolves after COMMIT (durable with `synchronous_commit = on`); a
 *   process killed mid-append leaves an aborted transaction and nothing visible.
 * - Change events go through the `change_log` table and LISTEN/NOTIFY (`change-feed.ts`), so they
 *   reach subscribers on every node, in MODSEQ order.
 */

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
import pg from 'pg';
import { type BlobStore, BlobTooLargeError, createDatabaseBlobStore, type StoredBlob } from './blob-store.js';
import { ChangeFeed, type DedicatedClient } from './change-feed.js';
import { decodeScram, defaultHasher, encodeScram } from './credentials.js';
import { checkSchemaName, DELETED, MIGRATIONS, migrate, qualify, SEEN, schemaVersion } from './schema.js';
import {
  accountKey,
  addressKey,
  byCodeUnits,
  checkAddress,
  decodeFlags,
  encodeFlags,
  mailboxKey,
  num,
  sysBits,
  uidRanges,
} from './values.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; or pass `pool` (or `config`). */
  readonly connectionString?: string;
  /** Connection settings for the pool and the dedicated connections (merged over `connectionString`). */
  readonly config?: pg.ClientConfig;
  /**
   * Your own pool. The store then never ends it, and without `connectionString`/`config` its
   * dedicated connections (LISTEN, POP3 locks) are checked out of it.
   */
  readonly pool?: pg.Pool;
  /** Connections of the store's own pool (default 10). */
  readonly poolSize?: number;
  /** The PostgreSQL schema holding the tables (default `mailwire`); created when missing. */
  readonly schema?: string;
  /** Where message bytes go (default: chunked rows in the database, `createDatabaseBlobStore`). */
  readonly blobs?: BlobStore;
  /** LISTEN/NOTIFY channel (default `mailwire_changes`). */
  readonly channel?: string;
  /** Apply migrations at open (default true). With false, an outdated schema refuses to open. */
  readonly migrate?: boolean;
  /** Largest message accepted, octets (default 1 GiB). */
  readonly maxMessageSize?: number;
  /** Distinct keywords a mailbox can hold (default unlimited); beyond it `ERR_STORE_INVALID`. */
  readonly maxKeywords?: number;
  /** Expunge records kept per mailbox for `changesSince()` (default 10,000). */
  readonly expungeHistory?: number;
  /** Change-log rows kept per mailbox for the change feed (default 1,000). */
  readonly changeHistory?: number;
  /** Password hashing (default: scrypt N=16384 of `@mailwire/store/node` with SCRAM-SHA-256 keys). */
  readonly hasher?: PasswordHasher;
}

const DEFAULT_MAX_MESSAGE = 1024 * 1024 * 1024;

interface MailboxRow {
  id: string;
  account_id: string;
  name: string;
  special_use: string | null;
  uid_validity: string;
  uid_next: string;
  highest_modseq: string;
  change_seq: string;
  messages: string;
  unseen: string;
  deleted: string;
  size: string;
  trimmed_modseq: string;
}

interface MailboxInfoRow extends MailboxRow {
  subscribed: boolean;
  keywords: string[];
}

interface MessageRow {
  uid: string;
  modseq: string;
  flags: string;
  sys: number;
  internal_date: string;
  size: string;
  blob_hash: string;
  mime?: unknown;
}

interface AccountRow {
  id: string;
  address: string;
  password: string | null;
  scram: string | null;
  quota_storage: string | null;
  quota_messages: string | null;
}

/** What a transaction collects for after COMMIT. */
interface TxContext {
  readonly changes: { mailboxId: string; seq: number; change: MailboxChange }[];
  /** Locators of a non-transactional BlobStore to remove after COMMIT. */
  readonly removeAfter: string[];
}

type Client = pg.PoolClient;

/** Wraps foreign errors (pg, network) as `ERR_STORE_BACKEND`; store errors pass through. */
function backend(error: unknown): StoreError {
  if (StoreError.isInstance(error)) return error;
  return new BackendError(error instanceof Error ? error.message : String(error), { cause: error });
}

function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

async function* noBytes(): AsyncGenerator<Uint8Array> {}

const MAILBOX_INFO_COLUMNS = `m.*,
  EXISTS (SELECT 1 FROM §subscriptions s WHERE s.account_id = m.account_id AND s.name = m.name) AS subscribed,
  ARRAY(SELECT k.spelling FROM §keywords k WHERE k.mailbox_id = m.id ORDER BY k.position) AS keywords`;

export class PostgresStore implements MailStore {
  readonly delimiter = '/' as const;
  readonly accounts: AccountStore;
  readonly limits: StoreLimits;
  /** The PostgreSQL schema the store lives in. */
  readonly schema: string;

  readonly #pool: pg.Pool;
  readonly #ownPool: boolean;
  readonly #dedicated: () => Promise<DedicatedClient>;
  readonly #blobs: BlobStore;
  readonly #feed: ChangeFeed;
  readonly #channel: string;
  readonly #hasher: PasswordHasher;
  readonly #maxMessageSize: number;
  readonly #maxKeywords: number | undefined;
  readonly #expungeHistory: number;
  readonly #changeHistory: number;
  readonly #sql = new Map<string, string>();
  readonly #maildrops = new Set<PostgresMaildrop>();
  /** Local write transactions by number, while they run (for the change feed's starting points). */
  readonly #running = new Map<number, Promise<void>>();
  #writes = 0;
  #closed = false;
  #dummyHash: Promise<string> | undefined;

  /** Use `createPostgresStore()`, which also migrates and starts the change feed. */
  constructor(options: PostgresStoreOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidError('createPostgresStore needs options');
    }
    this.schema = checkSchemaName(options.schema ?? 'mailwire');
    const channel = options.channel ?? 'mailwire_changes';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new InvalidError(`Invalid channel ${channel}`);
    this.#channel = channel;
    const config: pg.ClientConfig | undefined =
      options.connectionString === undefined && options.config === undefined
        ? undefined
        : {
            ...(options.connectionString === undefined ? {} : { connectionString: options.connectionString }),
            ...options.config,
          };
    if (options.pool !== undefined) {
      this.#pool = options.pool;
      this.#ownPool = false;
    } else if (config !== undefined) {
      this.#pool = new pg.Pool({ ...config, max: options.poolSize ?? 10 });
      this.#ownPool = true;
    } else {
      throw new InvalidError('createPostgresStore needs connectionString, config or pool');
    }
    // An idle pooled connection that fails (server restart) must not crash the process; the pool
    // replaces it.
    this.#pool.on('error', () => undefined);
    const pool = this.#pool;
    this.#dedicated =
      config === undefined
        ? async () => {
            const client = await pool.connect();
            client.on('error', () => undefined);
            return { client, release: async () => client.release(true) };
          }
        : async () => {
            const client = new pg.Client(config);
            client.on('error', () => undefined);
            await client.connect();
            return { client, release: () => client.end() };
          };
    this.#blobs = options.blobs ?? createDatabaseBlobStore({ schema: this.schema });
    this.#feed = new ChangeFeed({
      schema: this.schema,
      channel,
      connect: this.#dedicated,
      mark: () => this.#writes,
      settled: async (mark) => {
        await Promise.all([...this.#running].filter(([n]) => n > mark).map(([, done]) => done));
      },
    });
    this.#hasher = options.hasher ?? defaultHasher();
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE;
    this.#maxKeywords = options.maxKeywords;
    this.limits =
      options.maxKeywords === undefined
        ? { maxMessageSize: this.#maxMessageSize }
        : { maxMessageSize: this.#maxMessageSize, maxKeywords: options.maxKeywords };
    this.#expungeHistory = Math.max(1, options.expungeHistory ?? 10_000);
    this.#changeHistory = Math.max(16, options.changeHistory ?? 1000);
    this.accounts = new PostgresAccounts(this);
  }

  /** @internal Migrates (unless disabled) and starts the change feed. */
  async _open(runMigrations: boolean): Promise<void> {
    const conn = await this.#dedicated();
    try {
      if (runMigrations) await migrate(conn.client, this.schema);
      else {
        const version = await schemaVersion(conn.client, this.schema);
        if (version !== MIGRATIONS.length)
          throw new Error(`schema "${this.schema}" is at version ${version}, expected ${MIGRATIONS.length}`);
      }
    } finally {
      await conn.release();
    }
    await this.#feed.start();
  }

  // -------------------------------------------------------------------------------------------
  // Internals shared with the account store and the maildrop

  /** @internal SQL text with `§` bound to this store's schema (cached). */
  _q(sql: string): string {
    let out = this.#sql.get(sql);
    if (out === undefined) this.#sql.set(sql, (out = qualify(sql, this.schema)));
    return out;
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

  /** @internal One query outside a transaction. */
  async _query<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R[]> {
    this._check();
    try {
      return (await this.#pool.query<R>(this._q(sql), values)).rows;
    } catch (error) {
      throw backend(error);
    }
  }

  /**
   * @internal Runs `fn` in one transaction; after COMMIT, hands the logged changes to the feed and
   * removes the locators an external BlobStore no longer needs. A deadlock or serialisation
   * failure is retried (when `retry`), any other error rolls back and is rethrown.
   */
  async _tx<T>(fn: (c: Client, ctx: TxContext) => Promise<T>, retry = true): Promise<T> {
    this._check();
    const n = ++this.#writes;
    let finished!: () => void;
    this.#running.set(
      n,
      new Promise<void>((resolve) => {
        finished = resolve;
      }),
    );
    try {
      return await this.#attempts(fn, retry);
    } finally {
      this.#running.delete(n);
      finished();
    }
  }

  async #attempts<T>(fn: (c: Client, ctx: TxContext) => Promise<T>, retry: boolean): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const ctx: TxContext = { changes: [], removeAfter: [] };
      let client: Client;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw backend(error);
      }
      let broken: Error | undefined;
      let result: T;
      try {
        await client.query('BEGIN');
        try {
          result = await fn(client, ctx);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch((e: unknown) => {
            broken = e instanceof Error ? e : new Error(String(e));
          });
          throw error;
        }
      } catch (error) {
        client.release(broken);
        const code = pgCode(error);
        if (retry && attempt < 4 && (code === '40P01' || code === '40001')) continue;
        throw backend(error);
      }
      client.release();
      for (const c of ctx.changes) this.#feed.committed(c.mailboxId, c.seq, c.change);
      if (ctx.removeAfter.length > 0)
        await this.#blobs.remove(ctx.removeAfter, this.#pool).catch(() => undefined);
      return result;
    }
  }

  /** @internal Streams a blob in (outside any transaction) for a non-transactional BlobStore. */
  get _blobs(): BlobStore {
    return this.#blobs;
  }

  /** @internal */
  get _pool(): pg.Pool {
    return this.#pool;
  }

  /**
   * @internal Writes the change to the log and NOTIFYs, in the caller's transaction (which holds
   * the mailbox row lock, so log numbers follow commit order).
   */
  async _log(c: Client, ctx: TxContext, mailboxId: string, change: MailboxChange): Promise<number> {
    const { rows } = await c.query<{ seq: string }>(
      this._q(`WITH s AS (UPDATE §mailboxes SET change_seq = change_seq + 1 WHERE id = $1 RETURNING change_seq),
            i AS (INSERT INTO §change_log (mailbox_id, seq, change) SELECT $1, change_seq, $2 FROM s RETURNING seq)
       SELECT seq::text AS seq, pg_notify($3, $4 || seq::text) FROM i`),
      [mailboxId, JSON.stringify(change), this.#channel, `${mailboxId}:${change.modseq}:`],
    );
    const seq = Number(rows[0]!.seq);
    ctx.changes.push({ mailboxId, seq, change });
    if (seq % 64 === 0 && seq > this.#changeHistory) {
      await c.query(this._q('DELETE FROM §change_log WHERE mailbox_id = $1 AND seq <= $2'), [
        mailboxId,
        seq - this.#changeHistory,
      ]);
    }
    return seq;
  }

  /** @internal Locks account rows (ascending id) and returns them. */
  async _lockAccounts(c: Client, ids: readonly string[]): Promise<Map<string, AccountRow>> {
    const unique = [...new Set(ids)];
    const { rows } = await c.query<AccountRow>(
      this._q('SELECT * FROM §accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE'),
      [unique],
    );
    return new Map(rows.map((r) => [String(r.id), r]));
  }

  /** @internal Locks mailbox rows (ascending id) and returns them. */
  async _lockMailboxes(c: Client, ids: readonly string[]): Promise<Map<string, MailboxRow>> {
    const unique = [...new Set(ids)];
    const { rows } = await c.query<MailboxRow>(
      this._q('SELECT * FROM §mailboxes WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE'),
      [unique],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** @internal The account of a mailbox (no lock: a mailbox never changes account). */
  async _accountOf(c: Client | pg.Pool, mailboxId: string): Promise<string> {
    const key = mailboxKey(mailboxId);
    if (key === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
    const { rows } = await c.query<{ account_id: string }>(
      this._q('SELECT account_id FROM §mailboxes WHERE id = $1'),
      [key],
    );
    if (rows.length === 0) throw new NotFoundError(`No mailbox ${mailboxId}`);
    return String(rows[0]!.account_id);
  }

  /** @internal Locks one mailbox row; `ERR_STORE_NOT_FOUND` when it is gone. */
  async _lockMailbox(c: Client, mailboxId: string): Promise<MailboxRow> {
    const key = mailboxKey(mailboxId);
    const mailbox = key === undefined ? undefined : (await this._lockMailboxes(c, [key])).get(key);
    if (mailbox === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
    return mailbox;
  }

  _info(row: MailboxInfoRow): MailboxInfo {
    const info: MailboxInfo = {
      id: row.id,
      accountId: String(row.account_id),
      name: row.name,
      delimiter: '/',
      subscribed: row.subscribed,
      uidValidity: num(row.uid_validity),
      uidNext: num(row.uid_next),
      highestModseq: num(row.highest_modseq),
      messages: num(row.messages),
      unseen: num(row.unseen),
      deleted: num(row.deleted),
      size: num(row.size),
      keywords: row.keywords,
    };
    return row.special_use === null ? info : { ...info, specialUse: row.special_use as SpecialUse };
  }

  async #infoById(c: Client | pg.Pool, id: string): Promise<MailboxInfo | undefined> {
    const { rows } = await c.query<MailboxInfoRow>(
      this._q(`SELECT ${MAILBOX_INFO_COLUMNS} FROM §mailboxes m WHERE m.id = $1`),
      [id],
    );
    return rows[0] === undefined ? undefined : this._info(rows[0]);
  }

  async #mailboxByName(
    c: Client | pg.Pool,
    accountId: string,
    name: string,
  ): Promise<MailboxRow | undefined> {
    const { rows } = await c.query<MailboxRow>(
      this._q('SELECT * FROM §mailboxes WHERE account_id = $1 AND name = $2'),
      [accountId, name],
    );
    return rows[0];
  }

  /** @internal Inserts a mailbox (the name must be free) and its missing superiors. */
  async _createMailboxRow(
    c: Client,
    accountId: string,
    name: string,
    specialUse: SpecialUse | null,
  ): Promise<MailboxRow> {
    for (const superior of superiorNames(name)) {
      await c.query(
        this._q(`INSERT INTO §mailboxes (account_id, name, uid_validity)
                 VALUES ($1, $2, nextval('§uidvalidity_seq')) ON CONFLICT (account_id, name) DO NOTHING`),
        [accountId, superior],
      );
    }
    try {
      const { rows } = await c.query<MailboxRow>(
        this._q(`INSERT INTO §mailboxes (account_id, name, special_use, uid_validity)
                 VALUES ($1, $2, $3, nextval('§uidvalidity_seq')) RETURNING *`),
        [accountId, name, specialUse],
      );
      return rows[0]!;
    } catch (error) {
      if (pgCode(error) === '23505') throw new AlreadyExistsError(`Mailbox ${name} exists`);
      throw error;
    }
  }

  /**
   * @internal Deletes the messages of a mailbox (locked by the caller, with its account) and the
   * mailbox row, logging a deleted event.
   */
  async _deleteMailboxRow(c: Client, ctx: TxContext, row: MailboxRow): Promise<void> {
    const { rows } = await c.query<{ blob_hash: string; size: string }>(
      this._q('DELETE FROM §messages WHERE mailbox_id = $1 RETURNING blob_hash, size'),
      [row.id],
    );
    if (rows.length > 0) {
      await this._unref(
        c,
        ctx,
        rows.map((r) => r.blob_hash),
      );
    }
    const seq = await this._log(c, ctx, row.id, {
      type: 'mailboxDeleted',
      mailboxId: row.id,
      modseq: num(row.highest_modseq),
    });
    // Only the final mailboxDeleted row of the log stays.
    await c.query(this._q('DELETE FROM §change_log WHERE mailbox_id = $1 AND seq < $2'), [row.id, seq]);
    await c.query(this._q('DELETE FROM §mailboxes WHERE id = $1'), [row.id]);
  }

  /** @internal Drops blob references; blobs without any left go, with their bytes. */
  async _unref(c: Client, ctx: TxContext, hashes: readonly string[]): Promise<void> {
    if (hashes.length === 0) return;
    const counts = new Map<string, number>();
    for (const h of hashes) counts.set(h, (counts.get(h) ?? 0) + 1);
    const keys = [...counts.keys()].sort(byCodeUnits);
    await c.query(this._q('SELECT 1 FROM §blobs WHERE hash = ANY($1::text[]) ORDER BY hash FOR UPDATE'), [
      keys,
    ]);
    const { rows } = await c.query<{ hash: string; refs: string; locator: string }>(
      this._q(`UPDATE §blobs b SET refs = b.refs - t.n FROM unnest($1::text[], $2::bigint[]) AS t(h, n)
               WHERE b.hash = t.h RETURNING b.hash, b.refs::text AS refs, b.locator`),
      [keys, keys.map((k) => counts.get(k)!)],
    );
    const dead = rows.filter((r) => num(r.refs) <= 0);
    if (dead.length === 0) return;
    await c.query(this._q('DELETE FROM §blobs WHERE hash = ANY($1::text[]) AND refs <= 0'), [
      dead.map((r) => r.hash),
    ]);
    const locators = dead.map((r) => r.locator);
    if (this.#blobs.transactional) await this.#blobs.remove(locators, c);
    else ctx.removeAfter.push(...locators);
  }

  /** @internal Adds blob references (for copies). */
  async #addRefs(c: Client, hashes: readonly string[]): Promise<void> {
    const counts = new Map<string, number>();
    for (const h of hashes) counts.set(h, (counts.get(h) ?? 0) + 1);
    const keys = [...counts.keys()].sort(byCodeUnits);
    await c.query(this._q('SELECT 1 FROM §blobs WHERE hash = ANY($1::text[]) ORDER BY hash FOR UPDATE'), [
      keys,
    ]);
    await c.query(
      this._q(`UPDATE §blobs b SET refs = b.refs + t.n FROM unnest($1::text[], $2::bigint[]) AS t(h, n)
               WHERE b.hash = t.h`),
      [keys, keys.map((k) => counts.get(k)!)],
    );
  }

  /**
   * @internal Removes these messages (rows given, locked mailbox), with one new MODSEQ; logs them for
   * changesSince and the feed. `unref` false when the rows moved elsewhere (references kept).
   */
  async _expungeRows(
    c: Client,
    ctx: TxContext,
    mailbox: MailboxRow,
    messages: readonly MessageRow[],
    options: { unref: boolean },
  ): Promise<number> {
    const uids = messages.map((m) => num(m.uid));
    const unseen = messages.filter((m) => (m.sys & SEEN) === 0).length;
    const deleted = messages.filter((m) => (m.sys & DELETED) !== 0).length;
    const size = messages.reduce((s, m) => s + num(m.size), 0);
    await c.query(this._q('DELETE FROM §messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[])'), [
      mailbox.id,
      uids,
    ]);
    const { rows } = await c.query<{ highest_modseq: string }>(
      this._q(`UPDATE §mailboxes SET highest_modseq = highest_modseq + 1, messages = messages - $2,
                 unseen = unseen - $3, deleted = deleted - $4, size = size - $5
               WHERE id = $1 RETURNING highest_modseq`),
      [mailbox.id, uids.length, unseen, deleted, size],
    );
    const modseq = num(rows[0]!.highest_modseq);
    await c.query(
      this._q(`INSERT INTO §expunged (mailbox_id, uid, modseq) SELECT $1, u, $2 FROM unnest($3::bigint[]) AS u
               ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq`),
      [mailbox.id, modseq, uids],
    );
    await this.#trimExpunged(c, mailbox.id);
    if (options.unref)
      await this._unref(
        c,
        ctx,
        messages.map((m) => m.blob_hash),
      );
    await this._log(c, ctx, mailbox.id, { type: 'expunge', mailboxId: mailbox.id, modseq, uids });
    return modseq;
  }

  async #trimExpunged(c: Client, mailboxId: string): Promise<void> {
    const { rows } = await c.query<{ modseq: string }>(
      this._q('SELECT modseq FROM §expunged WHERE mailbox_id = $1 ORDER BY modseq DESC OFFSET $2 LIMIT 1'),
      [mailboxId, this.#expungeHistory],
    );
    if (rows.length === 0) return;
    // Whole MODSEQs only: a MODSEQ is either fully known or reported as trimmed.
    const cut = rows[0]!.modseq;
    await c.query(this._q('DELETE FROM §expunged WHERE mailbox_id = $1 AND modseq <= $2'), [mailboxId, cut]);
    await c.query(
      this._q('UPDATE §mailboxes SET trimmed_modseq = GREATEST(trimmed_modseq, $2) WHERE id = $1'),
      [mailboxId, cut],
    );
  }

  /**
   * Flags in the mailbox's keyword spelling (the mailbox row must be locked): a known keyword keeps
   * its first spelling; new ones are recorded. Throws past `maxKeywords`.
   */
  async #spell(c: Client, mailboxId: string, flagLists: readonly (readonly string[])[]): Promise<string[][]> {
    const keys = new Set<string>();
    for (const flags of flagLists) for (const f of flags) if (!isSystemFlag(f)) keys.add(flagKey(f));
    if (keys.size === 0) return flagLists.map((f) => [...f]);
    const { rows } = await c.query<{ key: string; spelling: string }>(
      this._q('SELECT key, spelling FROM §keywords WHERE mailbox_id = $1 AND key = ANY($2::text[])'),
      [mailboxId, [...keys]],
    );
    const known = new Map(rows.map((r) => [r.key, r.spelling]));
    const pending = new Map<string, string>();
    const out = flagLists.map((flags) =>
      flags.map((flag) => {
        if (isSystemFlag(flag)) return flag;
        const key = flagKey(flag);
        const spelling = known.get(key) ?? pending.get(key);
        if (spelling !== undefined) return spelling;
        pending.set(key, flag);
        return flag;
      }),
    );
    if (pending.size > 0) {
      const { rows: stat } = await c.query<{ n: string; p: string }>(
        this._q(
          'SELECT count(*)::text AS n, COALESCE(max(position), 0)::text AS p FROM §keywords WHERE mailbox_id = $1',
        ),
        [mailboxId],
      );
      const max = this.#maxKeywords;
      if (max !== undefined && num(stat[0]!.n) + pending.size > max) {
        throw new InvalidError(`A mailbox holds at most ${max} keywords`);
      }
      let position = num(stat[0]!.p);
      const entries = [...pending];
      await c.query(
        this._q(`INSERT INTO §keywords (mailbox_id, key, spelling, position)
                 SELECT $1, k, s, p FROM unnest($2::text[], $3::text[], $4::int[]) AS t(k, s, p)`),
        [mailboxId, entries.map((e) => e[0]), entries.map((e) => e[1]), entries.map(() => ++position)],
      );
    }
    return out;
  }

  /**
   * The account's quota limits, with its row locked when it has any. Usage is the sum of its
   * mailboxes' counters, so only writers that can exceed a limit need to serialise on the account:
   * appends, copies and moves into an account without limits run in parallel.
   */
  async _lockQuota(c: Client, accountId: string): Promise<AccountRow | undefined> {
    const { rows } = await c.query<AccountRow>(this._q('SELECT * FROM §accounts WHERE id = $1'), [accountId]);
    const row = rows[0];
    if (row === undefined) throw new NotFoundError(`No account ${accountId}`);
    if (row.quota_messages === null && row.quota_storage === null) return undefined;
    const { rows: locked } = await c.query<AccountRow>(
      this._q('SELECT * FROM §accounts WHERE id = $1 FOR UPDATE'),
      [accountId],
    );
    if (locked[0] === undefined) throw new NotFoundError(`No account ${accountId}`);
    return locked[0];
  }

  /** @internal Current usage: the sum over the account's mailboxes (RFC 9208 §5). */
  async _usage(c: Client | pg.Pool, accountId: string): Promise<QuotaUsage> {
    const { rows } = await c.query<{ messages: string; storage: string }>(
      this._q(`SELECT COALESCE(sum(messages), 0)::text AS messages, COALESCE(sum(size), 0)::text AS storage
               FROM §mailboxes WHERE account_id = $1`),
      [accountId],
    );
    return { messages: num(rows[0]?.messages), storage: num(rows[0]?.storage) };
  }

  /**
   * RFC 9208 §5.1/§5.2: the whole operation fits under both limits or it fails. `account` is the
   * row `_lockQuota()` returned (still locked), so the usage read here cannot change before COMMIT
   * except downwards.
   */
  async #checkQuota(c: Client | pg.Pool, account: AccountRow | undefined, messages: number, octets: number) {
    if (account === undefined) return;
    const usage = await this._usage(c, String(account.id));
    if (
      account.quota_messages !== null &&
      messages > 0 &&
      usage.messages + messages > num(account.quota_messages)
    ) {
      throw new QuotaExceededError({
        resource: 'MESSAGE',
        limit: num(account.quota_messages),
        usage: usage.messages,
        requested: messages,
      });
    }
    if (account.quota_storage !== null && octets > 0 && usage.storage + octets > num(account.quota_storage)) {
      throw new QuotaExceededError({
        resource: 'STORAGE',
        limit: num(account.quota_storage),
        usage: usage.storage,
        requested: octets,
      });
    }
  }

  async #selectUids(c: Client | pg.Pool, mailboxId: string, uids: UidSet, extra = ''): Promise<MessageRow[]> {
    const ranges = uidRanges(uids);
    if (ranges.length === 0) return [];
    const { rows } = await c.query<MessageRow>(
      this._q(`SELECT m.* FROM §messages m JOIN unnest($2::bigint[], $3::bigint[]) AS r(lo, hi)
               ON m.uid BETWEEN r.lo AND r.hi WHERE m.mailbox_id = $1 ${extra} ORDER BY m.uid`),
      [mailboxId, ranges.map((r) => r[0]), ranges.map((r) => r[1])],
    );
    return rows;
  }

  // -------------------------------------------------------------------------------------------
  // Mailboxes

  async listMailboxes(accountId: string): Promise<MailboxInfo[]> {
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No account ${accountId}`);
    const rows = await this._query<MailboxInfoRow>(
      `SELECT ${MAILBOX_INFO_COLUMNS} FROM §mailboxes m WHERE m.account_id = $1`,
      [key],
    );
    if (rows.length === 0) {
      const exists = await this._query('SELECT 1 FROM §accounts WHERE id = $1', [key]);
      if (exists.length === 0) throw new NotFoundError(`No account ${accountId}`);
    }
    return rows.sort((a, b) => byCodeUnits(a.name, b.name)).map((r) => this._info(r));
  }

  async getMailbox(accountId: string, name: string): Promise<MailboxInfo | undefined> {
    const canonical = normalizeMailboxName(name);
    const key = accountKey(accountId);
    if (key === undefined) return undefined;
    const rows = await this._query<MailboxInfoRow>(
      `SELECT ${MAILBOX_INFO_COLUMNS} FROM §mailboxes m WHERE m.account_id = $1 AND m.name = $2`,
      [key, canonical],
    );
    return rows[0] === undefined ? undefined : this._info(rows[0]);
  }

  async getMailboxById(mailboxId: string): Promise<MailboxInfo | undefined> {
    const key = mailboxKey(mailboxId);
    if (key === undefined) return undefined;
    this._check();
    try {
      return await this.#infoById(this.#pool, key);
    } catch (error) {
      throw backend(error);
    }
  }

  async createMailbox(
    accountId: string,
    name: string,
    options: CreateMailboxOptions = {},
  ): Promise<MailboxInfo> {
    const canonical = normalizeMailboxName(name);
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No account ${accountId}`);
    return this._tx(async (c) => {
      const { rows } = await c.query(this._q('SELECT 1 FROM §accounts WHERE id = $1'), [key]);
      if (rows.length === 0) throw new NotFoundError(`No account ${accountId}`);
      if ((await this.#mailboxByName(c, key, canonical)) !== undefined) {
        throw new AlreadyExistsError(`Mailbox ${canonical} exists`);
      }
      const row = await this._createMailboxRow(c, key, canonical, options.specialUse ?? null);
      if (options.subscribe === true) {
        await c.query(
          this._q('INSERT INTO §subscriptions (account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING'),
          [key, canonical],
        );
      }
      return (await this.#infoById(c, row.id))!;
    });
  }

  async deleteMailbox(accountId: string, name: string): Promise<void> {
    const canonical = normalizeMailboxName(name);
    // RFC 9051 §6.3.5: deleting INBOX is an error.
    if (canonical === 'INBOX') throw new NotAllowedError('INBOX cannot be deleted');
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No mailbox ${canonical}`);
    await this._tx(async (c, ctx) => {
      await this._lockAccounts(c, [key]);
      const found = await this.#mailboxByName(c, key, canonical);
      if (found === undefined) throw new NotFoundError(`No mailbox ${canonical}`);
      const row = (await this._lockMailboxes(c, [found.id])).get(found.id);
      if (row === undefined) throw new NotFoundError(`No mailbox ${canonical}`);
      await this._deleteMailboxRow(c, ctx, row);
    });
  }

  async renameMailbox(accountId: string, from: string, to: string): Promise<MailboxInfo> {
    const source = normalizeMailboxName(from);
    const target = normalizeMailboxName(to);
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No account ${accountId}`);
    return this._tx(async (c, ctx) => {
      const accounts = await this._lockAccounts(c, [key]);
      if (!accounts.has(key)) throw new NotFoundError(`No account ${accountId}`);
      const found = await this.#mailboxByName(c, key, source);
      if (found === undefined) throw new NotFoundError(`No mailbox ${source}`);
      if ((await this.#mailboxByName(c, key, target)) !== undefined) {
        throw new AlreadyExistsError(`Mailbox ${target} exists`);
      }
      if (isInferior(target, source)) throw new InvalidError('Cannot rename a mailbox into itself');
      if (source === 'INBOX') {
        // RFC 9051 §6.3.6: renaming INBOX moves its messages to a new mailbox and leaves INBOX
        // empty; its inferiors are not renamed.
        const dest = await this._createMailboxRow(c, key, target, null);
        const locked = await this._lockMailboxes(c, [found.id, dest.id]);
        const inbox = locked.get(found.id)!;
        await c.query(
          this._q(`INSERT INTO §keywords (mailbox_id, key, spelling, position)
                   SELECT $1, key, spelling, position FROM §keywords WHERE mailbox_id = $2`),
          [dest.id, inbox.id],
        );
        const { rows: messages } = await c.query<MessageRow>(
          this._q('SELECT * FROM §messages WHERE mailbox_id = $1 ORDER BY uid'),
          [inbox.id],
        );
        if (messages.length > 0) await this.#moveRows(c, ctx, inbox, locked.get(dest.id)!, messages);
        return (await this.#infoById(c, dest.id))!;
      }
      const { rows: family } = await c.query<MailboxRow>(
        this._q(`SELECT * FROM §mailboxes WHERE account_id = $1 AND (id = $2 OR (name >= $3 AND name < $4))
                 ORDER BY id FOR UPDATE`),
        [key, found.id, `${source}/`, `${source}0`],
      );
      for (const member of family) {
        const newName = target + member.name.slice(source.length);
        if (member.id !== found.id && (await this.#mailboxByName(c, key, newName)) !== undefined) {
          throw new AlreadyExistsError(`Mailbox ${newName} exists`);
        }
      }
      for (const superior of superiorNames(target)) {
        await c.query(
          this._q(`INSERT INTO §mailboxes (account_id, name, uid_validity)
                   VALUES ($1, $2, nextval('§uidvalidity_seq')) ON CONFLICT (account_id, name) DO NOTHING`),
          [key, superior],
        );
      }
      // Two passes through temporary names keep UNIQUE (account_id, name) satisfied throughout.
      for (const member of family) {
        await c.query(this._q('UPDATE §mailboxes SET name = $2 WHERE id = $1'), [
          member.id,
          `\u0001${member.id}`,
        ]);
      }
      for (const member of family) {
        const newName = target + member.name.slice(source.length);
        await c.query(this._q('UPDATE §mailboxes SET name = $2 WHERE id = $1'), [member.id, newName]);
        const moved = await c.query(
          this._q('DELETE FROM §subscriptions WHERE account_id = $1 AND name = $2'),
          [key, member.name],
        );
        if ((moved.rowCount ?? 0) > 0) {
          await c.query(
            this._q('INSERT INTO §subscriptions (account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING'),
            [key, newName],
          );
        }
        await this._log(c, ctx, member.id, {
          type: 'mailboxRenamed',
          mailboxId: member.id,
          modseq: num(member.highest_modseq),
          name: newName,
        });
      }
      return (await this.#infoById(c, found.id))!;
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
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No mailbox ${canonical}`);
    return this._tx(async (c) => {
      const { rows } = await c.query<{ id: string }>(
        this._q('UPDATE §mailboxes SET special_use = $3 WHERE account_id = $1 AND name = $2 RETURNING id'),
        [key, canonical, specialUse ?? null],
      );
      if (rows.length === 0) throw new NotFoundError(`No mailbox ${canonical}`);
      return (await this.#infoById(c, rows[0]!.id))!;
    });
  }

  async setSubscribed(accountId: string, name: string, subscribed: boolean): Promise<void> {
    const canonical = normalizeMailboxName(name);
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No account ${accountId}`);
    await this._tx(async (c) => {
      const { rows } = await c.query(this._q('SELECT 1 FROM §accounts WHERE id = $1'), [key]);
      if (rows.length === 0) throw new NotFoundError(`No account ${accountId}`);
      if (subscribed)
        await c.query(
          this._q('INSERT INTO §subscriptions (account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING'),
          [key, canonical],
        );
      else
        await c.query(this._q('DELETE FROM §subscriptions WHERE account_id = $1 AND name = $2'), [
          key,
          canonical,
        ]);
    });
  }

  async listSubscriptions(accountId: string): Promise<string[]> {
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No account ${accountId}`);
    const exists = await this._query('SELECT 1 FROM §accounts WHERE id = $1', [key]);
    if (exists.length === 0) throw new NotFoundError(`No account ${accountId}`);
    const rows = await this._query<{ name: string }>(
      'SELECT name FROM §subscriptions WHERE account_id = $1',
      [key],
    );
    return rows.map((r) => r.name).sort(byCodeUnits);
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
    if (options === null || typeof options !== 'object') throw new InvalidError('deliver needs options');
    const target = normalizeMailboxName(options.mailbox ?? 'INBOX');
    const name = typeof address === 'string' && address.length > 0 ? addressKey(address) : '';
    const rows = await this._query<{ account_id: string; id: string | null }>(
      `SELECT a.account_id, m.id FROM §addresses a
       LEFT JOIN §mailboxes m ON m.account_id = a.account_id AND m.name = $2 WHERE a.address_key = $1`,
      [name, target],
    );
    if (rows.length === 0) throw new NotFoundError(`No account for ${address}`);
    if (rows[0]!.id === null) throw new NotFoundError(`No mailbox ${target}`);
    const item: AppendItem = {
      source,
      internalDate: options.internalDate,
      ...(options.flags === undefined ? {} : { flags: options.flags }),
      ...(options.mimeIndex === undefined ? {} : { mimeIndex: options.mimeIndex }),
    };
    const [result] = await this.#appendItems(rows[0]!.id, [item]);
    return { ...result!, accountId: String(rows[0]!.account_id) };
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
    const key = mailboxKey(mailboxId);
    if (key === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
    // Fail fast, before streaming anything, when the mailbox does not exist or is full.
    const pre = await this._query<AccountRow>(
      'SELECT a.* FROM §mailboxes m JOIN §accounts a ON a.id = m.account_id WHERE m.id = $1',
      [key],
    );
    if (pre.length === 0) throw new NotFoundError(`No mailbox ${mailboxId}`);
    await this.#checkQuota(this.#pool, pre[0]!, items.length, 0);
    const external = !this.#blobs.transactional;
    const stored: StoredBlob[] = [];
    let committed = false;
    try {
      const results = await this._tx(async (c, ctx) => {
        const mimes: (string | null)[] = [];
        for (const p of prepared) {
          let blob: StoredBlob;
          try {
            blob = await this.#blobs.put(sourceChunks(p.item.source), this.#maxMessageSize, c);
          } catch (error) {
            if (error instanceof BlobTooLargeError) throw new TooLargeError(this.#maxMessageSize);
            throw error;
          }
          stored.push(blob);
          let mime: string | null = null;
          if (p.item.mimeIndex !== undefined) {
            const value = p.item.mimeIndex();
            if (value !== undefined) mime = JSON.stringify(value);
          }
          mimes.push(mime);
        }
        // The account row first (when it has quota limits), then the mailbox row: the UPDATE that
        // allocates UIDs and the MODSEQ takes its lock and holds it to COMMIT.
        const account = await this._lockQuota(c, await this._accountOf(c, key));
        const total = stored.reduce((s, b) => s + b.size, 0);
        await this.#checkQuota(c, account, stored.length, total);
        const sys = prepared.map((p) => sysBits(p.flags));
        const { rows } = await c.query<{ uid_next: string; highest_modseq: string; uid_validity: string }>(
          this._q(`UPDATE §mailboxes SET uid_next = uid_next + $2, highest_modseq = highest_modseq + 1,
                     messages = messages + $2, unseen = unseen + $3, deleted = deleted + $4, size = size + $5
                   WHERE id = $1 RETURNING uid_next, highest_modseq, uid_validity`),
          [
            key,
            stored.length,
            sys.filter((s) => (s & SEEN) === 0).length,
            sys.filter((s) => (s & DELETED) !== 0).length,
            total,
          ],
        );
        if (rows[0] === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
        const spelled = await this.#spell(
          c,
          key,
          prepared.map((p) => p.flags),
        );
        const first = num(rows[0].uid_next) - stored.length;
        const modseq = num(rows[0].highest_modseq);
        const uidValidity = num(rows[0].uid_validity);
        if (first + stored.length - 1 > 0xffffffff)
          throw new BackendError('UID space of the mailbox exhausted');
        // Blob rows last, in hash order (the lock order); a duplicate copy of known content goes.
        const order = stored
          .map((_, i) => i)
          .sort((a, b) => byCodeUnits(stored[a]!.sha256, stored[b]!.sha256));
        const redundant: string[] = [];
        for (const i of order) {
          const blob = stored[i]!;
          const { rows: kept } = await c.query<{ locator: string }>(
            this._q(`INSERT INTO §blobs AS b (hash, size, refs, locator, mime) VALUES ($1, $2, 1, $3, $4)
                     ON CONFLICT (hash) DO UPDATE SET refs = b.refs + 1, mime = COALESCE(b.mime, EXCLUDED.mime)
                     RETURNING b.locator`),
            [blob.sha256, blob.size, blob.locator, mimes[i]],
          );
          if (kept[0]!.locator !== blob.locator) redundant.push(blob.locator);
        }
        if (redundant.length > 0) {
          if (external) ctx.removeAfter.push(...redundant);
          else await this.#blobs.remove(redundant, c);
        }
        await c.query(
          this._q(`INSERT INTO §messages (mailbox_id, uid, modseq, flags, sys, internal_date, size, blob_hash)
                   SELECT $1, u, $2, f, s, d, z, h
                   FROM unnest($3::bigint[], $4::text[], $5::smallint[], $6::bigint[], $7::bigint[], $8::text[])
                     AS t(u, f, s, d, z, h)`),
          [
            key,
            modseq,
            stored.map((_, i) => first + i),
            spelled.map((f) => encodeFlags(f)),
            sys,
            prepared.map((p) => p.internalDate),
            stored.map((b) => b.size),
            stored.map((b) => b.sha256),
          ],
        );
        const added: FlagChange[] = spelled.map((flags, i) => ({ uid: first + i, flags, modseq }));
        await this._log(c, ctx, key, { type: 'exists', mailboxId: key, modseq, messages: added });
        return stored.map((b, i) => ({
          mailboxId: key,
          uidValidity,
          uid: first + i,
          modseq,
          size: b.size,
          blobId: b.sha256,
        }));
      }, false);
      committed = true;
      return results;
    } catch (error) {
      throw backend(error);
    } finally {
      // An external store's bytes of a failed append are nobody's.
      if (external && !committed && stored.length > 0) {
        await this.#blobs
          .remove(
            stored.map((b) => b.locator),
            this.#pool,
          )
          .catch(() => undefined);
      }
    }
  }

  async copy(sourceMailboxId: string, uids: UidSet, destMailboxId: string): Promise<CopyResult> {
    uidRanges(uids);
    const source = mailboxKey(sourceMailboxId);
    const destKey = mailboxKey(destMailboxId);
    if (source === undefined) throw new NotFoundError(`No mailbox ${sourceMailboxId}`);
    if (destKey === undefined) throw new NotFoundError(`No mailbox ${destMailboxId}`);
    return this._tx(async (c, ctx) => {
      const account = await this._lockQuota(c, await this._accountOf(c, destKey));
      const dest = await this._lockMailbox(c, destKey);
      await this._accountOf(c, source);
      const messages = await this.#selectUids(c, source, uids);
      if (messages.length === 0) {
        return {
          destMailboxId: dest.id,
          uidValidity: num(dest.uid_validity),
          mapping: [],
          modseq: num(dest.highest_modseq),
        };
      }
      const octets = messages.reduce((sum, m) => sum + num(m.size), 0);
      await this.#checkQuota(c, account, messages.length, octets);
      const { mapping, modseq } = await this.#insertCopies(c, ctx, dest, messages, true);
      return { destMailboxId: dest.id, uidValidity: num(dest.uid_validity), mapping, modseq };
    });
  }

  /** Inserts copies of `messages` into the locked `dest`, with new UIDs and one MODSEQ. */
  async #insertCopies(
    c: Client,
    ctx: TxContext,
    dest: MailboxRow,
    messages: readonly MessageRow[],
    addRefs: boolean,
  ): Promise<{ mapping: { sourceUid: number; destUid: number }[]; modseq: number }> {
    const spelled = await this.#spell(
      c,
      dest.id,
      messages.map((m) => decodeFlags(m.flags)),
    );
    const size = messages.reduce((s, m) => s + num(m.size), 0);
    const { rows } = await c.query<{ uid_next: string; highest_modseq: string }>(
      this._q(`UPDATE §mailboxes SET uid_next = uid_next + $2, highest_modseq = highest_modseq + 1,
                 messages = messages + $2, unseen = unseen + $3, deleted = deleted + $4, size = size + $5
               WHERE id = $1 RETURNING uid_next, highest_modseq`),
      [
        dest.id,
        messages.length,
        messages.filter((m) => (m.sys & SEEN) === 0).length,
        messages.filter((m) => (m.sys & DELETED) !== 0).length,
        size,
      ],
    );
    const first = num(rows[0]!.uid_next) - messages.length;
    const modseq = num(rows[0]!.highest_modseq);
    if (first + messages.length - 1 > 0xffffffff)
      throw new BackendError('UID space of the mailbox exhausted');
    if (addRefs) {
      await this.#addRefs(
        c,
        messages.map((m) => m.blob_hash),
      );
    }
    await c.query(
      this._q(`INSERT INTO §messages (mailbox_id, uid, modseq, flags, sys, internal_date, size, blob_hash)
               SELECT $1, u, $2, f, s, d, z, h
               FROM unnest($3::bigint[], $4::text[], $5::smallint[], $6::bigint[], $7::bigint[], $8::text[])
                 AS t(u, f, s, d, z, h)`),
      [
        dest.id,
        modseq,
        messages.map((_, i) => first + i),
        spelled.map((f) => encodeFlags(f)),
        messages.map((m) => m.sys),
        messages.map((m) => m.internal_date),
        messages.map((m) => m.size),
        messages.map((m) => m.blob_hash),
      ],
    );
    const mapping = messages.map((m, i) => ({ sourceUid: num(m.uid), destUid: first + i }));
    const added: FlagChange[] = spelled.map((flags, i) => ({ uid: first + i, flags, modseq }));
    await this._log(c, ctx, dest.id, { type: 'exists', mailboxId: dest.id, modseq, messages: added });
    return { mapping, modseq };
  }

  /** Moves rows from the locked `source` to the locked `dest` (both accounts locked when they differ). */
  async #moveRows(
    c: Client,
    ctx: TxContext,
    source: MailboxRow,
    dest: MailboxRow,
    messages: readonly MessageRow[],
  ): Promise<{ mapping: { sourceUid: number; destUid: number }[]; modseq: number; sourceModseq: number }> {
    // Blob references move with the rows: the copies add none, the expunge drops none.
    const { mapping, modseq } = await this.#insertCopies(c, ctx, dest, messages, false);
    const sourceModseq = await this._expungeRows(c, ctx, source, messages, { unref: false });
    return { mapping, modseq, sourceModseq };
  }

  async move(sourceMailboxId: string, uids: UidSet, destMailboxId: string): Promise<MoveResult> {
    uidRanges(uids);
    const sourceKey = mailboxKey(sourceMailboxId);
    const destKey = mailboxKey(destMailboxId);
    if (sourceKey === undefined) throw new NotFoundError(`No mailbox ${sourceMailboxId}`);
    if (destKey === undefined) throw new NotFoundError(`No mailbox ${destMailboxId}`);
    return this._tx(async (c, ctx) => {
      const sourceAccount = await this._accountOf(c, sourceKey);
      const destAccount = await this._accountOf(c, destKey);
      const crossAccount = sourceAccount !== destAccount;
      // Only the destination's usage grows (and only across accounts).
      const destQuota = crossAccount ? await this._lockQuota(c, destAccount) : undefined;
      const boxes = await this._lockMailboxes(c, [sourceKey, destKey]);
      const source = boxes.get(sourceKey);
      const dest = boxes.get(destKey);
      if (source === undefined) throw new NotFoundError(`No mailbox ${sourceMailboxId}`);
      if (dest === undefined) throw new NotFoundError(`No mailbox ${destMailboxId}`);
      const messages = await this.#selectUids(c, source.id, uids);
      if (messages.length === 0) {
        return {
          destMailboxId: dest.id,
          uidValidity: num(dest.uid_validity),
          mapping: [],
          modseq: num(dest.highest_modseq),
          expunged: [],
          sourceModseq: num(source.highest_modseq),
        };
      }
      await this.#checkQuota(
        c,
        destQuota,
        messages.length,
        messages.reduce((sum, m) => sum + num(m.size), 0),
      );
      const { mapping, modseq, sourceModseq } = await this.#moveRows(c, ctx, source, dest, messages);
      return {
        destMailboxId: dest.id,
        uidValidity: num(dest.uid_validity),
        mapping,
        modseq: source.id === dest.id ? sourceModseq : modseq,
        expunged: messages.map((m) => num(m.uid)),
        sourceModseq,
      };
    });
  }

  async expunge(mailboxId: string, options: ExpungeOptions = {}): Promise<ExpungeResult> {
    if (options.uids !== undefined) uidRanges(options.uids);
    const key = mailboxKey(mailboxId);
    if (key === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
    return this._tx(async (c, ctx) => {
      const mailbox = await this._lockMailbox(c, key);
      const candidates =
        options.uids === undefined
          ? (
              await c.query<MessageRow>(
                this._q('SELECT * FROM §messages WHERE mailbox_id = $1 AND (sys & $2) <> 0 ORDER BY uid'),
                [key, DELETED],
              )
            ).rows
          : await this.#selectUids(c, key, options.uids, `AND (m.sys & ${DELETED}) <> 0`);
      if (candidates.length === 0) return { expunged: [], modseq: num(mailbox.highest_modseq) };
      const modseq = await this._expungeRows(c, ctx, mailbox, candidates, { unref: true });
      return { expunged: candidates.map((m) => num(m.uid)), modseq };
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
    const key = mailboxKey(mailboxId);
    if (key === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
    return this._tx(async (c, ctx) => {
      const row = (await this._lockMailboxes(c, [key])).get(key);
      if (row === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
      const messages = await this.#selectUids(c, key, uids);
      const modified: number[] = [];
      const candidates: MessageRow[] = [];
      for (const m of messages) {
        // RFC 7162 §3.1.3: a message changed since UNCHANGEDSINCE fails the conditional store.
        if (unchangedSince !== undefined && num(m.modseq) > unchangedSince) modified.push(num(m.uid));
        else candidates.push(m);
      }
      const probe = candidates.map((m) => applyFlags(decodeFlags(m.flags), mode, flags));
      if (probe.every((p) => p === undefined))
        return { changed: [], modified, modseq: num(row.highest_modseq) };
      const [spelled] = mode === 'remove' ? [flags] : await this.#spell(c, key, [flags]);
      const updates: { uid: number; before: number; flags: string[] }[] = [];
      for (const m of candidates) {
        const next = applyFlags(decodeFlags(m.flags), mode, spelled!);
        if (next !== undefined) updates.push({ uid: num(m.uid), before: m.sys, flags: [...next] });
      }
      if (updates.length === 0) return { changed: [], modified, modseq: num(row.highest_modseq) };
      let unseen = 0;
      let deleted = 0;
      for (const u of updates) {
        const after = sysBits(u.flags);
        unseen += ((after & SEEN) === 0 ? 1 : 0) - ((u.before & SEEN) === 0 ? 1 : 0);
        deleted += ((after & DELETED) !== 0 ? 1 : 0) - ((u.before & DELETED) !== 0 ? 1 : 0);
      }
      const { rows } = await c.query<{ highest_modseq: string }>(
        this._q(`UPDATE §mailboxes SET highest_modseq = highest_modseq + 1, unseen = unseen + $2, deleted = deleted + $3
                 WHERE id = $1 RETURNING highest_modseq`),
        [key, unseen, deleted],
      );
      const modseq = num(rows[0]!.highest_modseq);
      await c.query(
        this._q(`UPDATE §messages m SET flags = t.f, sys = t.s, modseq = $2
                 FROM unnest($3::bigint[], $4::text[], $5::smallint[]) AS t(u, f, s)
                 WHERE m.mailbox_id = $1 AND m.uid = t.u`),
        [
          key,
          modseq,
          updates.map((u) => u.uid),
          updates.map((u) => encodeFlags(u.flags)),
          updates.map((u) => sysBits(u.flags)),
        ],
      );
      const changed: FlagChange[] = updates.map((u) => ({ uid: u.uid, flags: u.flags, modseq }));
      await this._log(c, ctx, key, { type: 'flags', mailboxId: key, modseq, messages: changed });
      return { changed, modified, modseq };
    });
  }

  async fetchMessages(mailboxId: string, uids: UidSet, options: FetchOptions = {}): Promise<MessageMeta[]> {
    const ranges = uidRanges(uids);
    const changedSince = options.changedSince;
    if (changedSince !== undefined && (!Number.isInteger(changedSince) || changedSince < 0)) {
      throw new InvalidError('changedSince must be a non-negative integer');
    }
    const key = mailboxKey(mailboxId);
    if (key === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
    const withMime = options.mimeIndex === true;
    // One statement, so one snapshot: the mailbox check and the rows agree.
    const rows = await this._query<MessageRow & { present: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM §mailboxes WHERE id = $1) AS present, x.* FROM (SELECT 1) AS one
       LEFT JOIN LATERAL (
         SELECT m.uid, m.modseq, m.flags, m.internal_date, m.size, m.blob_hash ${withMime ? ', b.mime' : ''}
         FROM §messages m JOIN unnest($2::bigint[], $3::bigint[]) AS r(lo, hi) ON m.uid BETWEEN r.lo AND r.hi
         ${withMime ? 'LEFT JOIN §blobs b ON b.hash = m.blob_hash' : ''}
         WHERE m.mailbox_id = $1 AND m.modseq > $4
       ) AS x ON true ORDER BY x.uid`,
      [key, ranges.map((r) => r[0]), ranges.map((r) => r[1]), changedSince ?? 0],
    );
    if (rows.length === 0 || !rows[0]!.present) throw new NotFoundError(`No mailbox ${mailboxId}`);
    const out: MessageMeta[] = [];
    for (const m of rows) {
      if (m.uid === null) continue;
      const meta: MessageMeta = {
        uid: num(m.uid),
        modseq: num(m.modseq),
        flags: decodeFlags(m.flags),
        internalDate: num(m.internal_date),
        size: num(m.size),
        blobId: m.blob_hash,
      };
      out.push(m.mime === undefined || m.mime === null ? meta : { ...meta, mimeIndex: m.mime });
    }
    return out;
  }

  async readMessage(ref: MessageRef, range?: ByteRange): Promise<AsyncIterable<Uint8Array>> {
    this._check();
    if (ref === null || typeof ref !== 'object')
      throw new InvalidError('readMessage needs a message reference');
    let rows: { size: string; locator: string }[];
    if ('blobId' in ref) {
      const hash = String(ref.blobId);
      if (!/^[0-9a-f]{64}$/.test(hash)) throw new NotFoundError('No such message');
      rows = await this._query('SELECT size, locator FROM §blobs WHERE hash = $1', [hash]);
    } else {
      const key = mailboxKey(ref.mailboxId);
      if (key === undefined || !Number.isSafeInteger(ref.uid) || ref.uid < 1)
        throw new NotFoundError('No such message');
      rows = await this._query(
        `SELECT b.size, b.locator FROM §messages m JOIN §blobs b ON b.hash = m.blob_hash
         WHERE m.mailbox_id = $1 AND m.uid = $2`,
        [key, ref.uid],
      );
    }
    if (rows.length === 0) throw new NotFoundError('No such message');
    const { start, end } = resolveRange(range, num(rows[0]!.size));
    if (end <= start) return noBytes();
    const blobs = this.#blobs;
    const locator = rows[0]!.locator;
    const pool = this.#pool;
    return (async function* () {
      try {
        yield* blobs.read(locator, start, end, pool);
      } catch (error) {
        throw backend(error);
      }
    })();
  }

  async getMimeIndex(blobId: string): Promise<unknown> {
    const rows = await this._query<{ mime: unknown }>('SELECT mime FROM §blobs WHERE hash = $1', [
      String(blobId),
    ]);
    if (rows.length === 0) throw new NotFoundError(`No blob ${blobId}`);
    return rows[0]!.mime ?? undefined;
  }

  async setMimeIndex(blobId: string, index: unknown): Promise<void> {
    const json = index === undefined ? null : JSON.stringify(index);
    const rows = await this._query('UPDATE §blobs SET mime = $2 WHERE hash = $1 RETURNING 1', [
      String(blobId),
      json,
    ]);
    if (rows.length === 0) throw new NotFoundError(`No blob ${blobId}`);
  }

  // -------------------------------------------------------------------------------------------
  // Change feed

  subscribe(mailboxId: string, listener: ChangeListener): () => void {
    this._check();
    if (typeof listener !== 'function')
      throw new UsageError('ERR_INVALID_ARGUMENT', 'listener must be a function');
    const key = mailboxKey(mailboxId);
    if (key === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
    return this.#feed.subscribe(key, listener);
  }

  async changesSince(mailboxId: string, modseq: number): Promise<ChangesSince> {
    if (typeof modseq !== 'number' || !Number.isInteger(modseq) || modseq < 0) {
      throw new InvalidError('modseq must be a non-negative integer');
    }
    const key = mailboxKey(mailboxId);
    if (key === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
    // REPEATABLE READ: the mailbox row, the messages and the expunge log from one snapshot.
    this._check();
    const client = await this.#pool.connect().catch((error: unknown) => {
      throw backend(error);
    });
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows } = await client.query<MailboxRow>(this._q('SELECT * FROM §mailboxes WHERE id = $1'), [
        key,
      ]);
      const row = rows[0];
      if (row === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
      const highestModseq = num(row.highest_modseq);
      if (modseq < num(row.trimmed_modseq)) return { trimmed: true, highestModseq };
      const changed = (
        await client.query<MessageRow>(
          this._q(
            'SELECT uid, flags, modseq FROM §messages WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid',
          ),
          [key, modseq],
        )
      ).rows.map((m) => ({ uid: num(m.uid), flags: decodeFlags(m.flags), modseq: num(m.modseq) }));
      const expunged = (
        await client.query<{ uid: string }>(
          this._q('SELECT uid FROM §expunged WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid'),
          [key, modseq],
        )
      ).rows.map((r) => num(r.uid));
      return { trimmed: false, highestModseq, changed, expunged };
    } catch (error) {
      throw backend(error);
    } finally {
      await client.query('COMMIT').catch(() => undefined);
      client.release();
    }
  }

  // -------------------------------------------------------------------------------------------
  // POP3

  async lockMaildrop(accountId: string, mailbox = 'INBOX'): Promise<Maildrop> {
    this._check();
    const canonical = normalizeMailboxName(mailbox);
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No account ${accountId}`);
    const accounts = await this._query('SELECT 1 FROM §accounts WHERE id = $1', [key]);
    if (accounts.length === 0) throw new NotFoundError(`No account ${accountId}`);
    const rows = await this._query<MailboxRow>(
      'SELECT * FROM §mailboxes WHERE account_id = $1 AND name = $2',
      [key, canonical],
    );
    const row = rows[0];
    if (row === undefined) throw new NotFoundError(`No mailbox ${canonical}`);
    // RFC 1939 §8: the server acquires an exclusive-access lock on the maildrop. A session-level
    // advisory lock on a connection of its own: it lives exactly as long as that connection, on
    // whichever node, and PostgreSQL releases it if the node dies.
    let conn: DedicatedClient;
    try {
      conn = await this.#dedicated();
    } catch (error) {
      throw backend(error);
    }
    try {
      const { rows: lock } = await conn.client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
        [`mailwire:maildrop:${this.schema}:${row.id}`],
      );
      if (lock[0]?.ok !== true) throw new LockedError('Maildrop is locked by another session');
      const { rows: messages } = await conn.client.query<MessageRow>(
        this._q('SELECT uid, size FROM §messages WHERE mailbox_id = $1 ORDER BY uid'),
        [row.id],
      );
      const drop = new PostgresMaildrop(
        this,
        row,
        conn,
        messages.map((m) => ({
          uid: num(m.uid),
          size: num(m.size),
          uidl: formatUidl(num(row.uid_validity), num(m.uid)),
        })),
      );
      this.#maildrops.add(drop);
      return drop;
    } catch (error) {
      await conn.release().catch(() => undefined);
      throw backend(error);
    }
  }

  /** @internal */
  _maildropDone(drop: PostgresMaildrop): void {
    this.#maildrops.delete(drop);
  }

  /** @internal Expunges the UIDs that still exist, whatever their flags (POP3 UPDATE). */
  async _expungeExact(mailboxId: string, uids: readonly number[]): Promise<ExpungeResult> {
    return this._tx(async (c, ctx) => {
      const mailbox = await this._lockMailbox(c, mailboxId);
      if (uids.length === 0) return { expunged: [], modseq: num(mailbox.highest_modseq) };
      const { rows } = await c.query<MessageRow>(
        this._q('SELECT * FROM §messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[]) ORDER BY uid'),
        [mailboxId, [...uids]],
      );
      if (rows.length === 0) return { expunged: [], modseq: num(mailbox.highest_modseq) };
      const modseq = await this._expungeRows(c, ctx, mailbox, rows, { unref: true });
      return { expunged: rows.map((m) => num(m.uid)), modseq };
    });
  }

  // -------------------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const drop of [...this.#maildrops]) await drop.release().catch(() => undefined);
    await this.#feed.close();
    if (this.#ownPool) await this.#pool.end().catch(() => undefined);
  }
}

class PostgresMaildrop implements Maildrop {
  readonly accountId: string;
  readonly mailboxId: string;
  readonly uidValidity: number;
  readonly messages: readonly { uid: number; size: number; uidl: string }[];
  readonly #store: PostgresStore;
  readonly #conn: DedicatedClient;
  readonly #deleted = new Set<number>();
  readonly #uids: Set<number>;
  #done = false;

  constructor(
    store: PostgresStore,
    row: MailboxRow,
    conn: DedicatedClient,
    messages: { uid: number; size: number; uidl: string }[],
  ) {
    this.#store = store;
    this.accountId = String(row.account_id);
    this.mailboxId = row.id;
    this.uidValidity = num(row.uid_validity);
    this.messages = messages;
    this.#conn = conn;
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
      return await this.#store._expungeExact(this.mailboxId, [...this.#deleted]);
    } finally {
      await this.release();
    }
  }

  async release(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#store._maildropDone(this);
    // Closing the connection ends the session and with it the advisory lock.
    await this.#conn.release().catch(() => undefined);
  }
}

class PostgresAccounts implements AccountStore {
  readonly #store: PostgresStore;

  constructor(store: PostgresStore) {
    this.#store = store;
  }

  async #account(row: AccountRow, c?: Client): Promise<Account> {
    const sql = this.#store._q(
      'SELECT address, position FROM §addresses WHERE account_id = $1 ORDER BY position',
    );
    const rows =
      c === undefined
        ? await this.#store._query<{ address: string; position: number }>(
            'SELECT address, position FROM §addresses WHERE account_id = $1 ORDER BY position',
            [row.id],
          )
        : (await c.query<{ address: string; position: number }>(sql, [row.id])).rows;
    const aliases = rows.filter((a) => a.position > 0).map((a) => a.address);
    const base: Account = { id: String(row.id), address: row.address, aliases };
    const quota: { storage?: number; messages?: number } = {};
    if (row.quota_storage !== null) quota.storage = num(row.quota_storage);
    if (row.quota_messages !== null) quota.messages = num(row.quota_messages);
    return row.quota_storage === null && row.quota_messages === null ? base : { ...base, quota };
  }

  async #byName(addressOrAlias: string): Promise<AccountRow | undefined> {
    if (typeof addressOrAlias !== 'string' || addressOrAlias.length === 0) return undefined;
    const rows = await this.#store._query<AccountRow>(
      'SELECT a.* FROM §addresses x JOIN §accounts a ON a.id = x.account_id WHERE x.address_key = $1',
      [addressKey(addressOrAlias)],
    );
    return rows[0];
  }

  async lookup(addressOrAlias: string): Promise<Account | undefined> {
    const row = await this.#byName(addressOrAlias);
    return row === undefined ? undefined : this.#account(row);
  }

  async get(accountId: string): Promise<Account | undefined> {
    const key = accountKey(accountId);
    if (key === undefined) {
      this.#store._check();
      return undefined;
    }
    const rows = await this.#store._query<AccountRow>('SELECT * FROM §accounts WHERE id = $1', [key]);
    return rows[0] === undefined ? undefined : this.#account(rows[0]);
  }

  async verifyPassword(addressOrAlias: string, password: string): Promise<Account | undefined> {
    if (typeof password !== 'string') return undefined;
    const row = await this.#byName(addressOrAlias);
    if (row === undefined || row.password === null) {
      // Same work for an unknown user, so timing does not reveal which names exist.
      await this.#store._hasher.verify(password, await this.#store._dummyHash());
      return undefined;
    }
    const ok = await this.#store._hasher.verify(password, row.password);
    return ok ? this.#account(row) : undefined;
  }

  async scramKeys(addressOrAlias: string): Promise<ScramStoredKeys | undefined> {
    const row = await this.#byName(addressOrAlias);
    if (row === undefined || row.scram === null) return undefined;
    return decodeScram(row.scram);
  }

  async #secrets(password: string | undefined): Promise<{ hash: string | null; scram: string | null }> {
    if (password === undefined) return { hash: null, scram: null };
    if (typeof password !== 'string' || password.length === 0) throw new InvalidError('Empty password');
    const hasher = this.#store._hasher;
    const hash = await hasher.hash(password);
    const keys = hasher.deriveScramKeys === undefined ? undefined : await hasher.deriveScramKeys(password);
    return { hash, scram: keys === undefined ? null : encodeScram(keys) };
  }

  async createAccount(input: CreateAccountInput): Promise<Account> {
    this.#store._check();
    if (input === null || typeof input !== 'object') throw new InvalidError('createAccount needs input');
    const address = checkAddress(input.address);
    const names = [address, ...checkAliases(input.aliases ?? [], address)];
    const keys = names.map((n) => addressKey(n));
    checkQuota(input.quota);
    const secrets = await this.#secrets(input.password);
    const s = this.#store;
    return s._tx(async (c) => {
      const { rows: taken } = await c.query(
        s._q('SELECT 1 FROM §addresses WHERE address_key = ANY($1::text[])'),
        [keys],
      );
      if (taken.length > 0) throw new AlreadyExistsError('Address is taken');
      const { rows } = await c.query<AccountRow>(
        s._q(`INSERT INTO §accounts (address, password, scram, quota_storage, quota_messages)
              VALUES ($1, $2, $3, $4, $5) RETURNING *`),
        [address, secrets.hash, secrets.scram, input.quota?.storage ?? null, input.quota?.messages ?? null],
      );
      const row = rows[0]!;
      try {
        await c.query(
          s._q(`INSERT INTO §addresses (address_key, account_id, address, position)
                SELECT k, $1, a, p FROM unnest($2::text[], $3::text[], $4::int[]) AS t(k, a, p)`),
          [row.id, keys, names, names.map((_, i) => i)],
        );
      } catch (error) {
        if (pgCode(error) === '23505') throw new AlreadyExistsError('Address is taken');
        throw error;
      }
      await s._createMailboxRow(c, String(row.id), 'INBOX', null);
      return this.#account(row, c);
    });
  }

  async setPassword(accountId: string, password: string | undefined): Promise<void> {
    this.#store._check();
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No account ${accountId}`);
    const secrets = await this.#secrets(password);
    const rows = await this.#store._query(
      'UPDATE §accounts SET password = $2, scram = $3 WHERE id = $1 RETURNING 1',
      [key, secrets.hash, secrets.scram],
    );
    if (rows.length === 0) throw new NotFoundError(`No account ${accountId}`);
  }

  async setAliases(accountId: string, aliases: readonly string[]): Promise<Account> {
    if (!Array.isArray(aliases)) throw new InvalidError('aliases must be an array');
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No account ${accountId}`);
    const s = this.#store;
    return s._tx(async (c) => {
      const row = (await s._lockAccounts(c, [key])).get(key);
      if (row === undefined) throw new NotFoundError(`No account ${accountId}`);
      const checked = checkAliases(aliases, row.address);
      const keys = checked.map((a) => addressKey(a));
      const { rows: taken } = await c.query(
        s._q('SELECT 1 FROM §addresses WHERE address_key = ANY($1::text[]) AND account_id <> $2'),
        [keys, key],
      );
      if (taken.length > 0) throw new AlreadyExistsError('Address is taken');
      await c.query(s._q('DELETE FROM §addresses WHERE account_id = $1 AND position > 0'), [key]);
      try {
        await c.query(
          s._q(`INSERT INTO §addresses (address_key, account_id, address, position)
                SELECT k, $1, a, p FROM unnest($2::text[], $3::text[], $4::int[]) AS t(k, a, p)`),
          [key, keys, checked, checked.map((_, i) => i + 1)],
        );
      } catch (error) {
        if (pgCode(error) === '23505') throw new AlreadyExistsError('Address is taken');
        throw error;
      }
      return this.#account(row, c);
    });
  }

  async setQuota(accountId: string, quota: QuotaLimits | undefined): Promise<Account> {
    checkQuota(quota);
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No account ${accountId}`);
    const rows = await this.#store._query<AccountRow>(
      'UPDATE §accounts SET quota_storage = $2, quota_messages = $3 WHERE id = $1 RETURNING *',
      [key, quota?.storage ?? null, quota?.messages ?? null],
    );
    if (rows[0] === undefined) throw new NotFoundError(`No account ${accountId}`);
    return this.#account(rows[0]);
  }

  async getQuota(accountId: string): Promise<{ readonly limits: QuotaLimits; readonly usage: QuotaUsage }> {
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No account ${accountId}`);
    const rows = await this.#store._query<AccountRow>('SELECT * FROM §accounts WHERE id = $1', [key]);
    const row = rows[0];
    if (row === undefined) throw new NotFoundError(`No account ${accountId}`);
    const limits: { storage?: number; messages?: number } = {};
    if (row.quota_storage !== null) limits.storage = num(row.quota_storage);
    if (row.quota_messages !== null) limits.messages = num(row.quota_messages);
    return { limits, usage: await this.#store._usage(this.#store._pool, key) };
  }

  async listAccounts(): Promise<Account[]> {
    const rows = await this.#store._query<AccountRow & { aliases: string[] }>(
      `SELECT a.*, ARRAY(SELECT x.address FROM §addresses x WHERE x.account_id = a.id AND x.position > 0
                         ORDER BY x.position) AS aliases
       FROM §accounts a`,
    );
    return rows
      .sort((a, b) => byCodeUnits(a.address, b.address))
      .map((row) => {
        const base: Account = { id: String(row.id), address: row.address, aliases: row.aliases };
        const quota: { storage?: number; messages?: number } = {};
        if (row.quota_storage !== null) quota.storage = num(row.quota_storage);
        if (row.quota_messages !== null) quota.messages = num(row.quota_messages);
        return row.quota_storage === null && row.quota_messages === null ? base : { ...base, quota };
      });
  }

  async deleteAccount(accountId: string): Promise<void> {
    const key = accountKey(accountId);
    if (key === undefined) throw new NotFoundError(`No account ${accountId}`);
    const s = this.#store;
    await s._tx(async (c, ctx) => {
      if (!(await s._lockAccounts(c, [key])).has(key)) throw new NotFoundError(`No account ${accountId}`);
      const { rows: ids } = await c.query<{ id: string }>(
        s._q('SELECT id FROM §mailboxes WHERE account_id = $1'),
        [key],
      );
      const boxes = await s._lockMailboxes(
        c,
        ids.map((r) => r.id),
      );
      for (const row of boxes.values()) await s._deleteMailboxRow(c, ctx, row);
      await c.query(s._q('DELETE FROM §accounts WHERE id = $1'), [key]);
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

function checkQuota(quota: QuotaLimits | undefined): void {
  if (quota === undefined) return;
  if (quota === null || typeof quota !== 'object') throw new InvalidError('quota must be an object');
  for (const n of [quota.storage, quota.messages]) {
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) {
      throw new InvalidError('quota limits are non-negative integers');
    }
  }
}

/**
 * Opens the PostgreSQL store: connects, applies migrations (unless `migrate: false`) and starts
 * the LISTEN connection of the change feed.
 *
 * @example
 * const store = await createPostgresStore({ connectionString: 'postgres://mail@db/mail' });
 * const account = await store.accounts.createAccount({ address: 'ann@example.com', password: 's3cret' });
 * const inbox = await store.getMailbox(account.id, 'INBOX');
 * await store.append(inbox!.id, new TextEncoder().encode('Subject: hi\r\n\r\nhello\r\n'), { internalDate: Date.now() });
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const store = new PostgresStore(options);
  try {
    await store._open(options.migrate ?? true);
  } catch (error) {
    await store.close();
    throw backend(error);
  }
  return store;
}

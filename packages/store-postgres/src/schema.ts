/**
 * The database schema and its migrations. Every table lives in one PostgreSQL schema (option
 * `schema`, default `mailwire`), so several stores (or test runs) can share a database.
 *
 * Migrations are numbered and applied in order by `migrate()` at open: in one transaction, after
 * `pg_advisory_xact_lock` on a key derived from the schema name, so nodes starting together apply
 * each migration exactly once and the others wait for it, then find nothing to do. A database whose
 * version is newer than this package refuses to open (an old node must not write a newer layout).
 *
 * Counters that STATUS reads (messages, unseen, deleted, size per mailbox) are columns, updated by
 * the same statement that allocates UIDs/MODSEQs or in the same transaction as the rows they count
 * (see `postgres-store.ts` for the lock order); an account's quota usage is their sum.
 */

import type pg from 'pg';

/** Bits of `messages.sys`. */
export const SEEN = 1;
export const DELETED = 2;

/** `§` in SQL text stands for the quoted schema name and a dot. */
const V1 = `
CREATE SEQUENCE §uidvalidity_seq MINVALUE 1 MAXVALUE 4294967295 CYCLE;
SELECT setval('§uidvalidity_seq', GREATEST(1, LEAST(4294967295, EXTRACT(EPOCH FROM now())::bigint)));

CREATE TABLE §accounts (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  address        text NOT NULL,
  password       text,
  scram          text,
  quota_storage  bigint,
  quota_messages bigint
);

-- Every login/delivery name of an account: the primary address (position 0) and its aliases.
CREATE TABLE §addresses (
  address_key text PRIMARY KEY,
  account_id  bigint NOT NULL REFERENCES §accounts (id) ON DELETE CASCADE,
  address     text NOT NULL,
  position    integer NOT NULL
);
CREATE INDEX addresses_by_account ON §addresses (account_id, position);

CREATE TABLE §mailboxes (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id     bigint NOT NULL REFERENCES §accounts (id) ON DELETE CASCADE,
  name           text COLLATE "C" NOT NULL,
  special_use    text,
  uid_validity   bigint NOT NULL,
  uid_next       bigint NOT NULL DEFAULT 1,
  highest_modseq bigint NOT NULL DEFAULT 1,
  -- Number of the last change_log row of this mailbox (dense per mailbox).
  change_seq     bigint NOT NULL DEFAULT 0,
  messages       bigint NOT NULL DEFAULT 0,
  unseen         bigint NOT NULL DEFAULT 0,
  deleted        bigint NOT NULL DEFAULT 0,
  size           bigint NOT NULL DEFAULT 0,
  -- Expunge records with a MODSEQ at or below this were trimmed from expunged.
  trimmed_modseq bigint NOT NULL DEFAULT 0,
  UNIQUE (account_id, name)
);

-- Keyword spellings per mailbox, in order of first use (RFC 9051 §7.3.5 FLAGS).
CREATE TABLE §keywords (
  mailbox_id uuid NOT NULL REFERENCES §mailboxes (id) ON DELETE CASCADE,
  key        text NOT NULL,
  spelling   text NOT NULL,
  position   integer NOT NULL,
  PRIMARY KEY (mailbox_id, key)
);

CREATE TABLE §subscriptions (
  account_id bigint NOT NULL REFERENCES §accounts (id) ON DELETE CASCADE,
  name       text COLLATE "C" NOT NULL,
  PRIMARY KEY (account_id, name)
);

-- One row per distinct content (SHA-256), reference-counted by messages; the bytes are wherever
-- the BlobStore put them (locator).
CREATE TABLE §blobs (
  hash    text PRIMARY KEY,
  size    bigint NOT NULL,
  refs    bigint NOT NULL,
  locator text NOT NULL,
  mime    jsonb
);

-- The database BlobStore: content in fixed-size chunks (the last one shorter).
CREATE SEQUENCE §blob_object_seq;
CREATE TABLE §blob_chunks (
  object_id bigint NOT NULL,
  seq       integer NOT NULL,
  data      bytea NOT NULL,
  PRIMARY KEY (object_id, seq)
);
-- Stored out of line, uncompressed: message bodies are often compressed already (images, PDFs),
-- and it keeps range reads cheap. ALTER it to MAIN/EXTENDED to trade CPU for disk.
ALTER TABLE §blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE §messages (
  mailbox_id    uuid NOT NULL REFERENCES §mailboxes (id) ON DELETE CASCADE,
  uid           bigint NOT NULL,
  modseq        bigint NOT NULL,
  flags         text NOT NULL,
  sys           smallint NOT NULL,
  internal_date bigint NOT NULL,
  size          bigint NOT NULL,
  blob_hash     text NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX messages_by_modseq ON §messages (mailbox_id, modseq);

CREATE TABLE §expunged (
  mailbox_id uuid NOT NULL REFERENCES §mailboxes (id) ON DELETE CASCADE,
  uid        bigint NOT NULL,
  modseq     bigint NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_by_modseq ON §expunged (mailbox_id, modseq);

-- The cross-node change feed: one row per MailboxChange, numbered densely per mailbox. No foreign
-- key: the final mailboxDeleted row outlives its mailbox.
CREATE TABLE §change_log (
  mailbox_id uuid NOT NULL,
  seq        bigint NOT NULL,
  change     jsonb NOT NULL,
  PRIMARY KEY (mailbox_id, seq)
);
`;

/** Migrations in order; version n is `MIGRATIONS[n - 1]`. Never edit one that shipped. */
export const MIGRATIONS: readonly string[] = [V1];

/** A valid unquoted schema name (kept simple so it can never need escaping). */
export function checkSchemaName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new TypeError(`Invalid schema name ${JSON.stringify(name)}: use [a-z_][a-z0-9_]*`);
  }
  return name;
}

/** Replaces `§` with `"schema".`. */
export function qualify(sql: string, schema: string): string {
  return sql.replaceAll('§', `"${schema}".`);
}

/** The current schema version (0 when nothing was applied yet). */
export async function schemaVersion(client: pg.ClientBase, schema: string): Promise<number> {
  const exists = await client.query<{ t: string | null }>(
    `SELECT to_regclass('"${schema}".mailwire_migrations')::text AS t`,
  );
  if (exists.rows[0]?.t === null || exists.rows[0]?.t === undefined) return 0;
  const { rows } = await client.query<{ v: number | null }>(
    `SELECT max(version) AS v FROM "${schema}".mailwire_migrations`,
  );
  return rows[0]?.v ?? 0;
}

/**
 * Brings the schema up to date: creates it when missing and applies every migration not applied
 * yet, all in one transaction under an advisory lock (so concurrent nodes do not race).
 */
export async function migrate(client: pg.ClientBase, schema: string): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `mailwire:migrate:${schema}`,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS "${schema}".mailwire_migrations (
         version integer PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const version = await schemaVersion(client, schema);
    if (version > MIGRATIONS.length) {
      throw new Error(
        `database schema "${schema}" is at version ${version}, newer than this package (${MIGRATIONS.length})`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      await client.query(qualify(MIGRATIONS[v]!, schema));
      await client.query(`INSERT INTO "${schema}".mailwire_migrations (version) VALUES ($1)`, [v + 1]);
    }
    await client.query('COMMIT');
    return MIGRATIONS.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

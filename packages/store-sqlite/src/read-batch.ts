/**
 * The SQLite store's optional fast reads (`MailStore.listUids`, `MailStore.readBlobs`): what an
 * IMAP SELECT and a FETCH BODY[] over many small messages need, without building per-message
 * metadata or opening one stream per message.
 */
import { readFileSync } from 'node:fs';
import type { FlagChange, MailboxUids, MessageMeta } from '@mailwire/store';
import type Database from 'better-sqlite3';
import { SEEN } from './schema.js';
import { decodeFlags } from './values.js';

interface UidStatements {
  readonly uids: Database.Statement;
  readonly firstUnseen: Database.Statement;
  readonly metas: Database.Statement;
  readonly flags: Database.Statement;
}

const prepared = new WeakMap<Database.Database, UidStatements>();

function statements(db: Database.Database): UidStatements {
  let s = prepared.get(db);
  if (s === undefined) {
    s = {
      uids: db.prepare('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid').pluck(),
      firstUnseen: db
        .prepare(`SELECT uid FROM messages WHERE mailbox_id = ? AND (sys & ${SEEN}) = 0 ORDER BY uid LIMIT 1`)
        .pluck(),
      metas: db
        .prepare(
          'SELECT uid, modseq, flags, internal_date, size, blob FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? AND modseq > ? ORDER BY uid',
        )
        .raw(),
      flags: db
        .prepare(
          'SELECT uid, flags, modseq FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid',
        )
        .raw(),
    };
    prepared.set(db, s);
  }
  return s;
}

/**
 * A `messages` row as an array (better-sqlite3's raw mode, about twice as fast as row objects):
 * uid, modseq, flags, internal_date, size, blob.
 */
export type MetaRow = [number, number, string, number, number, string];

/** `MessageMeta` of a raw row, with its MIME index when given. */
export function metaOf(row: MetaRow, mimeIndex?: unknown): MessageMeta {
  const flags = decodeFlags(row[2]);
  if (mimeIndex === undefined)
    return { uid: row[0], modseq: row[1], flags, internalDate: row[3], size: row[4], blobId: row[5] };
  return {
    uid: row[0],
    modseq: row[1],
    flags,
    internalDate: row[3],
    size: row[4],
    blobId: row[5],
    mimeIndex,
  };
}

/** Metadata rows of one UID range (raw), with MODSEQ above `changedSince`. Call inside a read transaction. */
export function metaRows(
  db: Database.Database,
  mailboxRowId: number,
  from: number,
  to: number,
  changedSince: number,
): MetaRow[] {
  return statements(db).metas.all(mailboxRowId, from, to, changedSince) as MetaRow[];
}

/** UID, flags and MODSEQ of one UID range, appended to `out`. Call inside a read transaction. */
export function flagRows(
  db: Database.Database,
  mailboxRowId: number,
  from: number,
  to: number,
  out: FlagChange[],
): void {
  for (const row of statements(db).flags.all(mailboxRowId, from, to) as [number, string, number][]) {
    out.push({ uid: row[0], flags: decodeFlags(row[1]), modseq: row[2] });
  }
}

/** Every UID of the mailbox (by its row id), ascending, and the first without `\Seen` (0: none). Call inside a read transaction. */
export function listUidsOf(db: Database.Database, mailboxRowId: number): MailboxUids {
  const s = statements(db);
  const uids = Uint32Array.from(s.uids.all(mailboxRowId) as number[]);
  const firstUnseen = (s.firstUnseen.get(mailboxRowId) as number | undefined) ?? 0;
  return { uids, firstUnseen };
}

const BLOB_ID = /^[0-9a-f]{64}$/;

/**
 * The whole contents of each blob (content hash → file), `undefined` for an id that is not a
 * blob of this store or whose file is gone (expunged and collected meanwhile).
 */
export function readBlobFiles(
  blobIds: readonly string[],
  pathOf: (hash: string) => string,
): (Uint8Array | undefined)[] {
  return blobIds.map((id) => {
    if (typeof id !== 'string' || !BLOB_ID.test(id)) return undefined;
    try {
      const bytes = readFileSync(pathOf(id));
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  });
}

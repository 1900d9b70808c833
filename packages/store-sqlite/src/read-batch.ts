/**
 * The SQLite store's optional fast reads (`MailStore.listUids`, `MailStore.readBlobs`): what an
 * IMAP SELECT and a FETCH BODY[] over many small messages need, without building per-message
 * metadata or opening one stream per message.
 */
import { readFileSync } from 'node:fs';
import type { MailboxUids } from '@mailwire/store';
import type Database from 'better-sqlite3';
import { SEEN } from './schema.js';

interface UidStatements {
  readonly uids: Database.Statement;
  readonly firstUnseen: Database.Statement;
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
    };
    prepared.set(db, s);
  }
  return s;
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

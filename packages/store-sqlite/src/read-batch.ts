/**
 * The SQLite store's optional fast reads (`MailStore.listUids`, `MailStore.readBlobs`): what an
 * IMAP SELECT and a FETCH BODY[] over many small messages need, without building per-message
 * metadata or opening one stream per message.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { FlagChange, MailboxUids, MessageMeta } from '@mailwire/store';
import type Database from 'better-sqlite3';
import { ERR_NO_THREAD, readFilesOffThread } from './blob-reader.js';
import { SEEN } from './schema.js';
import { decodeFlags } from './values.js';

interface UidStatements {
  readonly uids: Database.Statement;
  readonly firstUnseen: Database.Statement;
  readonly metas: Database.Statement;
  readonly flags: Database.Statement;
}

const prepared = new WeakMap<Database.Database, UidStatements>();

const SPACE = 0x20;
const ZERO = 0x30;

/** Rows per `flags` query, so one string stays small whatever range is asked for. */
const FLAG_CHUNK = 4096;

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
      // One string per chunk of rows, built by SQLite: materialising a JS array per row costs
      // three times as much as splitting the text (10,000 rows: 13 ms as rows, 5 ms as text).
      flags: db
        .prepare(
          `SELECT group_concat(uid || ' ' || modseq || ' ' || flags, char(10)), max(uid), count(*)
           FROM (SELECT uid, modseq, flags FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ?
                 ORDER BY uid LIMIT ${FLAG_CHUNK})`,
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

/**
 * `MessageMeta` of a raw row (or of a longer row that starts with the `MetaRow` columns), with its
 * MIME index and derived value when given.
 */
export function metaOf(
  row: readonly [...MetaRow, ...unknown[]],
  mimeIndex?: unknown,
  derived?: Uint8Array,
): MessageMeta {
  const flags = decodeFlags(row[2]);
  if (mimeIndex === undefined && derived === undefined)
    return { uid: row[0], modseq: row[1], flags, internalDate: row[3], size: row[4], blobId: row[5] };
  const meta: { -readonly [K in keyof MessageMeta]: MessageMeta[K] } = {
    uid: row[0],
    modseq: row[1],
    flags,
    internalDate: row[3],
    size: row[4],
    blobId: row[5],
  };
  if (mimeIndex !== undefined) meta.mimeIndex = mimeIndex;
  if (derived !== undefined) meta.derived = derived;
  return meta;
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

/**
 * UID, flags and MODSEQ of one UID range, appended to `out`, ascending. Messages with the same
 * flags share one (read-only) flags array. Call inside a read transaction.
 */
export function flagRows(
  db: Database.Database,
  mailboxRowId: number,
  from: number,
  to: number,
  out: FlagChange[],
): void {
  const query = statements(db).flags;
  const shared = new Map<string, readonly string[]>();
  let start = from;
  while (start <= to) {
    const [text, last, count] = query.get(mailboxRowId, start, to) as [string | null, number | null, number];
    if (text === null || last === null) return;
    // Lines of "uid modseq flags…": numbers never hold a space, flags never a line feed. The
    // subquery hands its rows over in UID order; SQLite does not promise group_concat keeps it,
    // so the order is checked (and restored) rather than assumed.
    const first = out.length;
    let ordered = true;
    let previous = 0;
    let at = 0;
    const length = text.length;
    while (at < length) {
      let uid = 0;
      let c = text.charCodeAt(at++);
      while (c !== SPACE) {
        uid = uid * 10 + c - ZERO;
        c = text.charCodeAt(at++);
      }
      let modseq = 0;
      c = text.charCodeAt(at++);
      while (c !== SPACE) {
        modseq = modseq * 10 + c - ZERO;
        c = text.charCodeAt(at++);
      }
      let end = text.indexOf('\n', at);
      if (end === -1) end = length;
      const key = end === at ? '' : text.slice(at, end);
      let flags = shared.get(key);
      if (flags === undefined) {
        flags = decodeFlags(key);
        shared.set(key, flags);
      }
      if (uid < previous) ordered = false;
      previous = uid;
      out.push({ uid, flags, modseq });
      at = end + 1;
    }
    if (!ordered) {
      const chunk = out.splice(first).sort((x, y) => x.uid - y.uid);
      for (const row of chunk) out.push(row);
    }
    if (count < FLAG_CHUNK) return;
    start = last + 1;
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

/** Bytes of one shared buffer that `readBlobFiles` reads several small files into. */
const SLAB_BYTES = 1024 * 1024;
/** Free space below which a slab is left for a fresh one (a read needs room to see the file's end). */
const SLAB_MIN_FREE = 64 * 1024;

/**
 * The whole contents of each blob (content hash → file), `undefined` for an id that is not a
 * blob of this store or whose file is gone (expunged and collected meanwhile).
 *
 * Small files are read back to back into shared slabs (each result a view of one; a slab is
 * never written again once handed out): open, one read, close — no fstat and no buffer per file,
 * the file's end seen by a read shorter than the room offered. A file that fills the room is
 * finished through fstat into a buffer of its own.
 */
export function readBlobFilesHere(
  blobIds: readonly string[],
  pathOf: (hash: string) => string,
): (Uint8Array | undefined)[] {
  const out: (Uint8Array | undefined)[] = new Array(blobIds.length);
  let slab = new Uint8Array(0);
  let used = 0;
  for (let i = 0; i < blobIds.length; i++) {
    const id = blobIds[i];
    if (typeof id !== 'string' || !BLOB_ID.test(id)) {
      out[i] = undefined;
      continue;
    }
    let fd: number;
    try {
      fd = openSync(pathOf(id), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        out[i] = undefined;
        continue;
      }
      throw error;
    }
    try {
      if (slab.length - used < SLAB_MIN_FREE) {
        slab = new Uint8Array(SLAB_BYTES);
        used = 0;
      }
      const room = slab.length - used;
      const n = readSync(fd, slab, used, room, 0);
      if (n < room) {
        out[i] = slab.subarray(used, used + n);
        used += n;
      } else {
        // The file fills the room (it may go on): finished in a buffer of its own.
        out[i] = readWhole(fd, slab.subarray(used, used + n));
      }
    } finally {
      closeSync(fd);
    }
  }
  return out;
}

/** The whole file whose first bytes are `head` (copied: the slab's room is reused). */
function readWhole(fd: number, head: Uint8Array): Uint8Array {
  const size = fstatSync(fd).size;
  if (size <= head.length) return head.slice();
  const bytes = new Uint8Array(size);
  bytes.set(head);
  let length = head.length;
  while (length < size) {
    const n = readSync(fd, bytes, length, size - length, length);
    if (n === 0) break;
    length += n;
  }
  return bytes.subarray(0, length);
}

/** Fewest blobs `readBlobFiles` reads on the blob reader thread (fewer: on the caller's, no round trip). */
export const OFF_THREAD_MIN = 16;

let parallel: boolean | undefined;

/**
 * Whether the reader thread can run beside the caller's: the process may use more than one core
 * (`availableParallelism` counts its CPU affinity). Pinned to one core, the thread would only
 * take turns with the caller, and reading here costs less.
 */
function threadHelps(): boolean {
  parallel ??= availableParallelism() > 1;
  return parallel;
}

/**
 * `pathOf` as a concatenation when it lays blobs out as `<prefix><2 hex><separator><62 hex>`
 * (checked on a sample hash; otherwise `pathOf` itself): no path normalisation per file.
 */
function pathsLike(pathOf: (hash: string) => string): (hash: string) => string {
  const probe = `ab${'c'.repeat(62)}`;
  const sample = pathOf(probe);
  const separator = sample.charAt(sample.length - 63);
  const prefix = sample.slice(0, sample.length - 65);
  const make = (hash: string) => prefix + hash.slice(0, 2) + separator + hash.slice(2);
  return make(probe) === sample ? make : pathOf;
}

/**
 * `readBlobFilesHere`, on the blob reader thread for `OFF_THREAD_MIN` blobs or more when the
 * process has a second core (so the caller's thread can write out what it has meanwhile), on
 * the caller's thread otherwise or when no thread can be started.
 */
export async function readBlobFiles(
  blobIds: readonly string[],
  pathOf: (hash: string) => string,
): Promise<(Uint8Array | undefined)[]> {
  const path = blobIds.length > 1 ? pathsLike(pathOf) : pathOf;
  if (blobIds.length < OFF_THREAD_MIN || !threadHelps()) {
    // One turn of the event loop first, as every other store read takes.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return readBlobFilesHere(blobIds, path);
  }
  const paths: string[] = [];
  const at: number[] = [];
  for (let i = 0; i < blobIds.length; i++) {
    const id = blobIds[i];
    if (typeof id === 'string' && BLOB_ID.test(id)) {
      at.push(i);
      paths.push(path(id));
    }
  }
  let files: (Uint8Array | undefined)[];
  try {
    files = await readFilesOffThread(paths);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== ERR_NO_THREAD) throw error;
    return readBlobFilesHere(blobIds, path);
  }
  const out: (Uint8Array | undefined)[] = new Array(blobIds.length).fill(undefined);
  for (let k = 0; k < at.length; k++) out[at[k]!] = files[k];
  return out;
}

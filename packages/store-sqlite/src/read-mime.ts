/**
 * `fetchMessages(…, { mimeIndex: true })` in the SQLite store: metadata rows and their MIME
 * indexes in one statement, and a bounded cache of parsed indexes.
 *
 * The indexes come from `message_mime` (schema.ts, version 2), which has the key of `messages`:
 * a UID range reads them in key order, sequentially, with the metadata. (Looking each one up in
 * `blobs` by content hash landed on random pages of a table larger than SQLite's page cache and
 * cost more than the rest of a FETCH ENVELOPE.)
 *
 * The cache saves the `JSON.parse` of an index read again (a repeated FETCH ENVELOPE or SEARCH):
 * an entry is keyed by blob and holds the text it was parsed from, and is served only while the
 * row's text is the same, so a changed index is never served stale whatever wrote it.
 */
import type { MessageMeta } from '@mailwire/store';
import type Database from 'better-sqlite3';

/**
 * A metadata row with its index text (better-sqlite3's raw mode): uid, modseq, flags,
 * internal_date, size, blob, mime (`null`: the blob has no index).
 */
export type MimeRow = [number, number, string, number, number, string, string | null];

const statements = new WeakMap<Database.Database, Database.Statement>();

/** Metadata rows and index texts of one UID range with MODSEQ above `changedSince`. Call inside a read transaction. */
export function mimeRows(
  db: Database.Database,
  mailboxRowId: number,
  from: number,
  to: number,
  changedSince: number,
): MimeRow[] {
  let s = statements.get(db);
  if (s === undefined) {
    s = db
      .prepare(
        `SELECT m.uid, m.modseq, m.flags, m.internal_date, m.size, m.blob, x.mime
         FROM messages m LEFT JOIN message_mime x ON x.mailbox_id = m.mailbox_id AND x.uid = m.uid
         WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? AND m.modseq > ? ORDER BY m.uid`,
      )
      .raw();
    statements.set(db, s);
  }
  return s.all(mailboxRowId, from, to, changedSince) as MimeRow[];
}

/**
 * A metadata row with its index text and derived value: the `MimeRow` columns, then the value
 * (`null`: none). The index text is read only for rows without a value (its overflow pages are
 * then never touched).
 */
export type DerivedRow = [number, number, string, number, number, string, string | null, Uint8Array | null];

const derivedStatements = new WeakMap<Database.Database, Database.Statement>();

/**
 * Metadata rows with their derived value `name` (`message_derived`, schema version 3, read in key
 * order with the metadata) and, for rows without one, their index text. Call inside a read
 * transaction.
 */
export function derivedRows(
  db: Database.Database,
  mailboxRowId: number,
  from: number,
  to: number,
  changedSince: number,
  name: string,
  withMime: boolean,
): DerivedRow[] {
  let s = derivedStatements.get(db);
  if (s === undefined) {
    s = db
      .prepare(
        `SELECT m.uid, m.modseq, m.flags, m.internal_date, m.size, m.blob,
           CASE WHEN ? AND d.value IS NULL THEN
             (SELECT x.mime FROM message_mime x WHERE x.mailbox_id = m.mailbox_id AND x.uid = m.uid)
           END,
           d.value
         FROM messages m LEFT JOIN message_derived d
           ON d.mailbox_id = m.mailbox_id AND d.uid = m.uid AND d.name = ?
         WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? AND m.modseq > ? ORDER BY m.uid`,
      )
      .raw();
    derivedStatements.set(db, s);
  }
  return s.all(withMime ? 1 : 0, name, mailboxRowId, from, to, changedSince) as DerivedRow[];
}

/**
 * Metadata of a row served with its derived value when the MIME index was asked too: the index
 * is a getter (on the prototype, so a copy made by spreading the object lacks it) that reads and
 * parses it on first access only, so a caller served by the value never pays for it.
 */
export class KeptMeta implements MessageMeta {
  readonly uid: number;
  readonly modseq: number;
  readonly flags: readonly string[];
  readonly internalDate: number;
  readonly size: number;
  readonly blobId: string;
  readonly derived: Uint8Array;
  #read: ((hash: string) => unknown) | undefined;
  #index: unknown;

  constructor(
    row: DerivedRow,
    flags: readonly string[],
    derived: Uint8Array,
    read: ((hash: string) => unknown) | undefined,
  ) {
    this.uid = row[0];
    this.modseq = row[1];
    this.flags = flags;
    this.internalDate = row[3];
    this.size = row[4];
    this.blobId = row[5];
    this.derived = derived;
    this.#read = read;
  }

  /** The MIME index (`undefined` when none, or when not asked for). */
  get mimeIndex(): unknown {
    const read = this.#read;
    if (read !== undefined) {
      this.#read = undefined;
      this.#index = read(this.blobId);
    }
    return this.#index;
  }
}

interface Entry {
  readonly json: string;
  readonly index: unknown;
  /** Its slot in the eviction ring. */
  readonly slot: number;
}

/** When the cache is full, one miss in this many is cached (see `get`). */
const ADMIT = 8;

export class MimeIndexCache {
  readonly #entries = new Map<string, Entry>();
  /**
   * Keys in insertion order, as a ring: the oldest is evicted first. (Not `Map#keys().next()`:
   * after many deletions at its front a Map walks its deleted slots on every call, which made a
   * pass over a mailbox larger than the cache quadratic.)
   */
  readonly #ring: (string | undefined)[] = [];
  #next = 0;
  #misses = 0;
  readonly #max: number;

  constructor(maxEntries: number) {
    this.#max = Math.max(1, Math.floor(maxEntries));
  }

  /** Entries held (for tests). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The parsed index of blob `hash` whose stored text is `json` (`undefined`: none). Callers get a
   * shared object and must not mutate it.
   */
  get(hash: string, json: string | null): unknown {
    const hit = this.#entries.get(hash);
    if (json === null) {
      if (hit !== undefined) this.#entries.delete(hash);
      return undefined;
    }
    if (hit !== undefined && hit.json === json) return hit.index;
    const index = JSON.parse(json) as unknown;
    if (hit !== undefined) {
      // Same slot, new content.
      this.#entries.set(hash, { json, index, slot: hit.slot });
      return index;
    }
    // Full: only one miss in ADMIT takes a slot. A pass over a mailbox larger than the cache then
    // keeps finding part of it in the cache (first in, first out alone would have evicted each
    // entry before the next pass reached it), and most indexes it parses die young, which costs
    // the garbage collector far less than replacing old entries.
    if (this.#entries.size >= this.#max && ++this.#misses % ADMIT !== 0) return index;
    const slot = this.#next;
    this.#next = (slot + 1) % this.#max;
    const evicted = this.#ring[slot];
    if (evicted !== undefined && this.#entries.get(evicted)?.slot === slot) this.#entries.delete(evicted);
    this.#ring[slot] = hash;
    this.#entries.set(hash, { json, index, slot });
    return index;
  }

  /** Forgets a blob's entry (its index was just replaced through this connection). */
  invalidate(hash: string): void {
    this.#entries.delete(hash);
  }
}

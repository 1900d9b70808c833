/**
 * The SQLite store's cache of parsed MIME indexes, for `fetchMessages(…, { mimeIndex: true })`:
 * a FETCH ENVELOPE or SEARCH over a large mailbox reads the same indexes again and again, and
 * both moving their JSON out of SQLite and parsing it cost more than the rest of the FETCH.
 *
 * The query returns only the octet length of each blob's `mime` column. A cached entry is served
 * when its length matches and no other connection has committed since it was checked
 * (`PRAGMA data_version`); otherwise the JSON is read and compared (or parsed). This instance's
 * own `setMimeIndex` drops the entry. Blobs are content-addressed, so an index never describes
 * other bytes than those it was computed from; a changed index is never served stale.
 */
import type Database from 'better-sqlite3';

interface Entry {
  /** Octet length of the JSON the index was parsed from. */
  len: number;
  /** `data_version` when the entry was last checked against the row. */
  version: number;
  readonly json: string;
  readonly index: unknown;
}

export class MimeIndexCache {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #dataVersion: Database.Statement;
  readonly #mimeOf: Database.Statement;
  /** `fetchMessages` rows with the octet length of the blob's MIME index instead of its JSON. */
  readonly rows: Database.Statement;
  #version = -1;

  constructor(db: Database.Database, maxEntries: number) {
    this.#max = maxEntries;
    this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.#mimeOf = db.prepare('SELECT mime FROM blobs WHERE hash = ?').pluck();
    this.rows = db.prepare(
      'SELECT m.uid, m.modseq, m.flags, m.internal_date, m.size, m.blob, octet_length(b.mime) AS mime_len FROM messages m LEFT JOIN blobs b ON b.hash = m.blob WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? AND m.modseq > ? ORDER BY m.uid',
    );
  }

  /** Call inside each read transaction before `get`: notes whether another connection wrote. */
  begin(): void {
    this.#version = this.#dataVersion.get() as number;
  }

  /**
   * The parsed index of blob `hash`, whose `mime` column is `len` octets long (`null`: no index).
   * Callers get a shared object and must not mutate it.
   */
  get(hash: string, len: number | null): unknown {
    if (len === null) return undefined;
    const hit = this.#entries.get(hash);
    if (hit !== undefined && hit.len === len && hit.version === this.#version) return hit.index;
    const json = this.#mimeOf.get(hash) as string | null | undefined;
    if (json === null || json === undefined) return undefined;
    if (hit !== undefined && hit.json === json) {
      hit.len = len;
      hit.version = this.#version;
      return hit.index;
    }
    const index = JSON.parse(json) as unknown;
    if (hit !== undefined) this.#entries.delete(hash);
    else if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(hash, { len, version: this.#version, json, index });
    return index;
  }

  /** Forgets a blob's entry (its index was just replaced through this connection). */
  invalidate(hash: string): void {
    this.#entries.delete(hash);
  }
}

/**
 * The SQLite store's cache of parsed MIME indexes, for `fetchMessages(…, { mimeIndex: true })`:
 * a FETCH ENVELOPE or SEARCH over a large mailbox reads the same indexes again and again, and
 * looking up each blob's row, moving its JSON out of SQLite and parsing it cost more than the
 * rest of the command.
 *
 * An entry is served without touching the `blobs` table while the database is exactly as it was
 * when the entry was last checked: no other connection has committed since (`PRAGMA
 * data_version`) and this connection has changed no row (`total_changes()`). After any write the
 * entry is checked again against the row's JSON (one primary-key lookup) and re-parsed only if
 * the JSON changed, so a changed index is never served stale.
 */
import type Database from 'better-sqlite3';

interface Entry {
  /** The database state (`MimeIndexCache.begin`) the entry was last checked in. */
  state: string;
  readonly json: string;
  readonly index: unknown;
  /** Its slot in the eviction ring. */
  readonly slot: number;
}

export class MimeIndexCache {
  readonly #entries = new Map<string, Entry>();
  /**
   * Keys in insertion order, as a ring: the oldest is evicted first. (Not `Map#keys().next()`:
   * after many deletions at its front a Map walks its deleted slots on every call, which made a
   * pass over a mailbox larger than the cache quadratic.)
   */
  readonly #ring: (string | undefined)[] = [];
  #next = 0;
  readonly #max: number;
  readonly #state: Database.Statement;
  readonly #mimeOf: Database.Statement;
  #current = '';

  constructor(db: Database.Database, maxEntries: number) {
    this.#max = Math.max(1, Math.floor(maxEntries));
    this.#state = db.prepare('SELECT data_version, total_changes() FROM pragma_data_version').raw();
    this.#mimeOf = db.prepare('SELECT mime FROM blobs WHERE hash = ?').pluck();
  }

  /** Call inside each read transaction before `get`: notes the database state. */
  begin(): void {
    const [version, changes] = this.#state.get() as [number, number];
    this.#current = `${version}:${changes}`;
  }

  /** The parsed index of blob `hash` (`undefined`: none). Callers get a shared object and must not mutate it. */
  get(hash: string): unknown {
    const hit = this.#entries.get(hash);
    if (hit !== undefined && hit.state === this.#current) return hit.index;
    const json = this.#mimeOf.get(hash) as string | null | undefined;
    if (json === null || json === undefined) {
      if (hit !== undefined) this.#entries.delete(hash);
      return undefined;
    }
    if (hit !== undefined && hit.json === json) {
      hit.state = this.#current;
      return hit.index;
    }
    const index = JSON.parse(json) as unknown;
    if (hit !== undefined) {
      // Same slot, new content.
      this.#entries.set(hash, { state: this.#current, json, index, slot: hit.slot });
      return index;
    }
    const slot = this.#next;
    this.#next = (slot + 1) % this.#max;
    const evicted = this.#ring[slot];
    if (evicted !== undefined && this.#entries.get(evicted)?.slot === slot) this.#entries.delete(evicted);
    this.#ring[slot] = hash;
    this.#entries.set(hash, { state: this.#current, json, index, slot });
    return index;
  }

  /** Forgets a blob's entry (its index was just replaced through this connection). */
  invalidate(hash: string): void {
    this.#entries.delete(hash);
  }
}

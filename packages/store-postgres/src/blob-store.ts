/**
 * Where message bytes live. The store keeps what it must know about content in its own `blobs`
 * table (SHA-256, size, reference count, MIME index, a locator); a `BlobStore` only keeps bytes
 * under locators it chooses. The default, `createDatabaseBlobStore()`, keeps them in the database
 * itself, in fixed-size rows of `blob_chunks`; a user can implement the interface over object
 * storage (S3, GCS, a file system) instead.
 *
 * Contract
 *
 * - `put()` streams a message in exactly once, hashing as it goes, and returns a fresh locator
 *   that names only these bytes (never shared with another `put()`), so deleting one copy can never
 *   hurt another. It runs inside the append transaction and gets its client: a `transactional`
 *   store writes with it, so its bytes commit or vanish with the transaction; an external store
 *   ignores it.
 * - `remove()` forgets locators. A `transactional` store is called inside the transaction that
 *   dropped the last reference (or that found the content already stored); an external store is
 *   called after that transaction committed, or after a failed append for what it had `put()`.
 *   A crash between the commit and `remove()` leaves unreferenced objects behind, never a missing
 *   one: sweep objects no `blobs.locator` names, older than your longest append, to reclaim them.
 * - `read()` streams `[start, end)` of a locator, fetching only what overlaps the range.
 */

import { createHash } from 'node:crypto';
import type pg from 'pg';

/** What `put()` stored. */
export interface StoredBlob {
  /** Where the bytes are, in the BlobStore's own terms. */
  readonly locator: string;
  /** Lowercase hex SHA-256 of the content (the store's dedup key and `blobId`). */
  readonly sha256: string;
  readonly size: number;
}

export interface BlobStore {
  /** `true` when `put()`/`remove()` write through the given database client (see above). */
  readonly transactional: boolean;
  /**
   * Stores the chunks (copying them: the caller may reuse its buffers). Rejects with a
   * `BlobTooLargeError` once more than `maxSize` octets arrived.
   */
  put(source: AsyncIterable<Uint8Array>, maxSize: number, client: pg.ClientBase): Promise<StoredBlob>;
  /** Octets `[start, end)` of the content (0 ≤ start ≤ end ≤ size, checked by the store). */
  read(locator: string, start: number, end: number, db: Queryable): AsyncIterable<Uint8Array>;
  /** Deletes the bytes of these locators; unknown ones are ignored. */
  remove(locators: readonly string[], db: Queryable): Promise<void>;
}

/** A pool or a client. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.ClientBase, 'query'>;

export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Message larger than ${limit} octets`);
  }
}

export interface DatabaseBlobStoreOptions {
  /** Quoted-safe schema name holding `blob_chunks` (the store passes its own). */
  readonly schema: string;
  /**
   * Octets per row (default 128 KiB: larger rows make `pg` allocate more per INSERT and raise the
   * memory an append needs). Changing it later is safe: each locator records its own.
   */
  readonly chunkSize?: number;
  /** Octets per row while reading (default 32 KiB; one query per chunk returns its slices). */
  readonly readSlice?: number;
}

const DEFAULT_CHUNK = 128 * 1024;

/**
 * Bytes in `blob_chunks`: a locator is `db:<object id>:<chunk size>`; chunk `seq` holds octets
 * `[seq × size, (seq + 1) × size)`. Written with the append transaction's client, so a crash mid-
 * append leaves nothing behind.
 */
export function createDatabaseBlobStore(options: DatabaseBlobStoreOptions): BlobStore {
  const schema = options.schema;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1024 || chunkSize > 64 * 1024 * 1024) {
    throw new TypeError('chunkSize must be an integer between 1 KiB and 64 MiB');
  }
  const readSlice = Math.max(1024, Math.trunc(options.readSlice ?? 32 * 1024));
  const table = `"${schema}".blob_chunks`;

  return {
    transactional: true,

    async put(source, maxSize, client) {
      const { rows } = await client.query<{ id: string }>(
        `SELECT nextval('"${schema}".blob_object_seq')::text AS id`,
      );
      const id = rows[0]!.id;
      const hash = createHash('sha256');
      const buffer = Buffer.allocUnsafe(chunkSize);
      let filled = 0;
      let size = 0;
      let seq = 0;
      const flush = async () => {
        await client.query(`INSERT INTO ${table} (object_id, seq, data) VALUES ($1, $2, $3)`, [
          id,
          seq++,
          buffer.subarray(0, filled),
        ]);
        filled = 0;
      };
      for await (const chunk of source) {
        size += chunk.length;
        if (size > maxSize) throw new BlobTooLargeError(maxSize);
        hash.update(chunk);
        let at = 0;
        while (at < chunk.length) {
          const n = Math.min(chunk.length - at, chunkSize - filled);
          buffer.set(chunk.subarray(at, at + n), filled);
          filled += n;
          at += n;
          if (filled === chunkSize) await flush();
        }
      }
      if (filled > 0) await flush();
      return { locator: `db:${id}:${chunkSize}`, sha256: hash.digest('hex'), size };
    },

    async *read(locator, start, end, db) {
      const { id, size: perChunk } = parseLocator(locator);
      if (end <= start) return;
      const last = Math.floor((end - 1) / perChunk);
      for (let seq = Math.floor(start / perChunk); seq <= last; seq++) {
        const chunkStart = seq * perChunk;
        const from = Math.max(0, start - chunkStart);
        const to = Math.min(perChunk, end - chunkStart);
        // One query per chunk, answered as slices of `readSlice` octets: `pg` receives bytea as hex
        // text, and slices keep those strings small enough to die young instead of piling up in
        // V8's large-object space; `EXTERNAL` storage lets PostgreSQL read only those slices.
        const { rows } = await db.query<{ part: Buffer }>(
          `SELECT substring(c.data FROM g * $3 + 1 FOR $3) AS part
           FROM ${table} c, generate_series($4::int, $5::int) AS g
           WHERE c.object_id = $1 AND c.seq = $2 ORDER BY g`,
          [id, seq, readSlice, Math.floor(from / readSlice), Math.floor((to - 1) / readSlice)],
        );
        if (rows.length === 0) throw new Error(`blob ${locator} is missing chunk ${seq}`);
        let at = Math.floor(from / readSlice) * readSlice;
        for (const { part } of rows) {
          const a = Math.max(0, from - at);
          const b = Math.min(part.length, to - at);
          if (b > a) yield new Uint8Array(part.buffer, part.byteOffset + a, b - a);
          at += part.length;
        }
      }
    },

    async remove(locators, db) {
      const ids = locators.flatMap((l) => {
        try {
          return [parseLocator(l).id];
        } catch {
          return [];
        }
      });
      if (ids.length === 0) return;
      await db.query(`DELETE FROM ${table} WHERE object_id = ANY($1::bigint[])`, [ids]);
    },
  };
}

function parseLocator(locator: string): { id: string; size: number } {
  const m = /^db:(\d{1,19}):(\d{1,9})$/.exec(locator);
  if (m === null) throw new Error(`Not a database blob locator: ${locator}`);
  return { id: m[1]!, size: Number(m[2]) };
}

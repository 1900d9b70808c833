/**
 * `createSqliteQueue({ path })`: the durable default queue. Rows in `<path>/queue.db` (SQLite in
 * WAL mode, `synchronous = FULL`), message bodies as files in `<path>/messages/`.
 *
 * Order of an enqueue, so that an acknowledged message survives a SIGKILL or a power loss:
 * 1. the body is streamed to `tmp/<id>` and fsynced;
 * 2. renamed to `messages/<id>`, and the directory fsynced;
 * 3. the message and recipient rows are committed in one transaction;
 * 4. only then does `enqueue()` resolve (and the submitter get its 250).
 * A crash before 3 leaves a file without a row, removed at the next open; a crash after 3 leaves
 * a queued message. Updates after an attempt are one transaction; the file goes once no
 * recipient is pending.
 */

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { DsnNotify } from '@mailwire/smtp';
import Database from 'better-sqlite3';
import type {
  AttemptUpdate,
  EnqueueInput,
  Queue,
  QueuedMessage,
  QueuedRecipient,
  RecipientState,
} from './queue.js';

export interface SqliteQueueOptions {
  /** A directory; created when missing. */
  readonly path: string;
  /** Milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** fsync files and directories (default true). */
  readonly fsync?: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY,
  sender TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  size INTEGER NOT NULL,
  eight_bit INTEGER NOT NULL,
  smtp_utf8 INTEGER NOT NULL,
  envid TEXT,
  ret TEXT,
  warned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (next_attempt_at);
CREATE TABLE IF NOT EXISTS recipients (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  address TEXT NOT NULL,
  notify TEXT,
  orcpt TEXT,
  state TEXT NOT NULL,
  last_reply TEXT,
  remote_mta TEXT,
  PRIMARY KEY (message_id, idx)
);
`;

interface MessageRow {
  id: string;
  sender: string;
  created_at: number;
  next_attempt_at: number;
  attempts: number;
  size: number;
  eight_bit: number;
  smtp_utf8: number;
  envid: string | null;
  ret: string | null;
  warned: number;
}

interface RecipientRow {
  message_id: string;
  address: string;
  notify: string | null;
  orcpt: string | null;
  state: string;
  last_reply: string | null;
  remote_mta: string | null;
}

/**
 * Opens (or creates) a durable queue in a directory.
 *
 * @example
 * const queue = createSqliteQueue({ path: '/var/spool/mailwire' });
 * const id = await queue.enqueue({ from: 'a@example.org', to: ['b@example.com'], message });
 */
export function createSqliteQueue(options: SqliteQueueOptions): Queue {
  return new SqliteQueue(options);
}

class SqliteQueue implements Queue {
  private readonly db: Database.Database;
  private readonly dir: string;
  private readonly now: () => number;
  private readonly sync: boolean;

  constructor(options: SqliteQueueOptions) {
    this.dir = options.path;
    this.now = options.now ?? Date.now;
    this.sync = options.fsync ?? true;
    mkdirSync(join(this.dir, 'tmp'), { recursive: true });
    mkdirSync(join(this.dir, 'messages'), { recursive: true });
    this.db = new Database(join(this.dir, 'queue.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${this.sync ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    this.recover();
  }

  /** Removes temp files and bodies without rows (a crash between rename and commit). */
  private recover(): void {
    for (const name of readdirSync(join(this.dir, 'tmp')))
      rmSync(join(this.dir, 'tmp', name), { force: true });
    const known = new Set(
      (this.db.prepare('SELECT id FROM messages').all() as { id: string }[]).map((r) => r.id),
    );
    for (const name of readdirSync(join(this.dir, 'messages')))
      if (!known.has(name)) rmSync(join(this.dir, 'messages', name), { force: true });
  }

  private fsyncDir(path: string): void {
    if (!this.sync) return;
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  async enqueue(input: EnqueueInput): Promise<string> {
    if (input.to.length === 0) throw new TypeError('enqueue: no recipients');
    const now = this.now();
    const id = `${now.toString(36)}-${randomBytes(8).toString('hex')}`;
    const tmp = join(this.dir, 'tmp', id);
    const fd = openSync(tmp, 'w');
    let size = 0;
    let eightBit = false;
    try {
      const source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> =
        input.message instanceof Uint8Array ? [input.message] : input.message;
      for await (const chunk of source) {
        if (!eightBit)
          for (const b of chunk)
            if (b > 127) {
              eightBit = true;
              break;
            }
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
        size += chunk.length;
      }
      if (this.sync) fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw error;
    }
    closeSync(fd);
    renameSync(tmp, join(this.dir, 'messages', id));
    this.fsyncDir(join(this.dir, 'messages'));
    const insertMessage = this.db.prepare(
      `INSERT INTO messages (id, sender, created_at, next_attempt_at, size, eight_bit, smtp_utf8, envid, ret)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertRecipient = this.db.prepare(
      'INSERT INTO recipients (message_id, idx, address, notify, orcpt, state) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      insertMessage.run(
        id,
        input.from,
        now,
        input.notBefore ?? now,
        size,
        eightBit ? 1 : 0,
        input.smtpUtf8 ? 1 : 0,
        input.envid ?? null,
        input.ret ?? null,
      );
      input.to.forEach((r, i) => {
        const rcpt = typeof r === 'string' ? { address: r } : r;
        insertRecipient.run(
          id,
          i,
          rcpt.address,
          rcpt.notify === undefined ? null : rcpt.notify.join(',') || 'NEVER',
          rcpt.orcpt ?? null,
          'pending',
        );
      });
    })();
    return id;
  }

  private hydrate(rows: MessageRow[]): QueuedMessage[] {
    if (rows.length === 0) return [];
    const byId = new Map<string, QueuedRecipient[]>();
    const stmt = this.db.prepare('SELECT * FROM recipients WHERE message_id = ? ORDER BY idx');
    for (const row of rows) {
      byId.set(
        row.id,
        (stmt.all(row.id) as RecipientRow[]).map((r) => ({
          address: r.address,
          state: r.state as RecipientState,
          notify:
            r.notify === null ? undefined : r.notify === 'NEVER' ? [] : (r.notify.split(',') as DsnNotify[]),
          orcpt: r.orcpt ?? undefined,
          lastReply: r.last_reply ?? undefined,
          remoteMta: r.remote_mta ?? undefined,
        })),
      );
    }
    return rows.map((row) => ({
      id: row.id,
      from: row.sender,
      recipients: byId.get(row.id) ?? [],
      createdAt: row.created_at,
      nextAttemptAt: row.next_attempt_at,
      attempts: row.attempts,
      size: row.size,
      eightBit: row.eight_bit === 1,
      smtpUtf8: row.smtp_utf8 === 1,
      envid: row.envid ?? undefined,
      ret: (row.ret as 'FULL' | 'HDRS' | null) ?? undefined,
      warned: row.warned === 1,
    }));
  }

  async due(now: number, limit = 1000): Promise<QueuedMessage[]> {
    const rows = this.db
      .prepare(
        'SELECT * FROM messages WHERE next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?',
      )
      .all(now, limit) as MessageRow[];
    return this.hydrate(rows);
  }

  async get(id: string): Promise<QueuedMessage | undefined> {
    return this.hydrate(this.db.prepare('SELECT * FROM messages WHERE id = ?').all(id) as MessageRow[])[0];
  }

  read(id: string): AsyncIterable<Uint8Array> {
    const path = join(this.dir, 'messages', id);
    // Opened on first iteration, so an attempt that never reaches DATA leaves no descriptor open.
    return (async function* () {
      yield* createReadStream(path, { highWaterMark: 64 * 1024 });
    })();
  }

  async head(id: string, max: number): Promise<Uint8Array> {
    const fd = openSync(join(this.dir, 'messages', id), 'r');
    try {
      const buf = new Uint8Array(max);
      const n = readSync(fd, buf, 0, max, 0);
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }

  async update(id: string, update: AttemptUpdate): Promise<void> {
    const setRecipient = this.db.prepare(
      'UPDATE recipients SET state = ?, last_reply = ?, remote_mta = ? WHERE message_id = ? AND address = ? AND state = ?',
    );
    let removed = false;
    this.db.transaction(() => {
      for (const r of update.recipients)
        setRecipient.run(r.state, r.lastReply ?? null, r.remoteMta ?? null, id, r.address, 'pending');
      const pending = this.db
        .prepare("SELECT COUNT(*) AS n FROM recipients WHERE message_id = ? AND state = 'pending'")
        .get(id) as { n: number };
      if (pending.n === 0) {
        this.db.prepare('DELETE FROM messages WHERE id = ?').run(id);
        removed = true;
      } else {
        this.db
          .prepare(
            'UPDATE messages SET attempts = attempts + 1, next_attempt_at = ?, warned = MAX(warned, ?) WHERE id = ?',
          )
          .run(update.nextAttemptAt, update.warned ? 1 : 0, id);
      }
    })();
    if (removed) rmSync(join(this.dir, 'messages', id), { force: true });
  }

  async list(): Promise<QueuedMessage[]> {
    return this.hydrate(this.db.prepare('SELECT * FROM messages ORDER BY created_at').all() as MessageRow[]);
  }

  async flush(now: number): Promise<number> {
    return this.db.prepare('UPDATE messages SET next_attempt_at = ? WHERE next_attempt_at > ?').run(now, now)
      .changes;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

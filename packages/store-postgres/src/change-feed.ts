/**
 * The cross-node change feed over LISTEN/NOTIFY.
 *
 * Theory of operation
 *
 * - Every mutation writes its `MailboxChange` as a `change_log` row, numbered densely per mailbox
 *   (`mailboxes.change_seq`, bumped under the mailbox row lock, so numbers follow commit order),
 *   and runs `pg_notify('<channel>', '<mailboxId>:<modseq>:<seq>')` in the same transaction.
 *   PostgreSQL delivers the notification only if and after the transaction commits.
 * - Each store instance holds one dedicated connection that LISTENs. A notification (or a local
 *   commit) for a mailbox somebody here subscribed to triggers a catch-up: read the log rows after
 *   the last number this instance delivered for that mailbox, in order, and hand them to every
 *   local listener. A notification is only a wake-up call; the log is the truth, so a lost or
 *   coalesced notification only delays events until the next one, and a reconnect catches up.
 * - Local commits skip the round trip when their row is the next one expected.
 * - A new subscription learns its starting point with a query on the LISTEN connection. Changes
 *   this instance made after `subscribe()` returned, and changes notified while the query was in
 *   flight, lower that starting point (the query waits for local writes that started after the
 *   subscription to report their numbers), so a local change made after `subscribe()` returned is
 *   never missed; for another node's change "after" can only mean "after the query".
 * - The log keeps the last `history` rows per mailbox; a listener more than that behind (the LISTEN
 *   connection was down for long) skips the gap, and `changesSince()` is the way to resynchronise.
 */

import type { ChangeListener, MailboxChange } from '@mailwire/store';
import type pg from 'pg';

/** A dedicated connection and how to let it go. */
export interface DedicatedClient {
  readonly client: pg.ClientBase;
  /** Closes the connection (which ends LISTEN and releases session advisory locks). */
  release(): Promise<void>;
}

export interface ChangeFeedOptions {
  readonly schema: string;
  readonly channel: string;
  readonly connect: () => Promise<DedicatedClient>;
  /** The number of the latest local write transaction started so far. */
  readonly mark: () => number;
  /** Resolves when every local write numbered above `mark` that is running now has finished. */
  readonly settled: (mark: number) => Promise<void>;
}

interface FeedState {
  readonly mailboxId: string;
  readonly listeners: Set<ChangeListener>;
  /** Number of the last change delivered; undefined until the starting point is known. */
  lastSeq: number | undefined;
  /** While the starting point is pending: the lowest `seq - 1` seen from commits/notifications. */
  floor: number;
  /** Local writes numbered above this started after the subscription. */
  readonly mark: number;
  running: boolean;
  again: boolean;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

export class ChangeFeed {
  readonly #options: ChangeFeedOptions;
  readonly #states = new Map<string, FeedState>();
  #conn: DedicatedClient | undefined;
  #connecting: Promise<void> | undefined;
  #closed = false;
  #retryMs = RECONNECT_MIN_MS;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ChangeFeedOptions) {
    this.#options = options;
  }

  /** Opens the LISTEN connection. */
  async start(): Promise<void> {
    await this.#connect();
  }

  #connect(): Promise<void> {
    this.#connecting ??= (async () => {
      const conn = await this.#options.connect();
      const client = conn.client;
      const lost = () => {
        if (this.#conn !== conn) return;
        this.#conn = undefined;
        void conn.release().catch(() => undefined);
        this.#scheduleReconnect();
      };
      client.on('error', lost);
      client.on('end', lost);
      client.on('notification', (n: pg.Notification) => {
        if (n.channel === this.#options.channel) this.#notified(n.payload ?? '');
      });
      try {
        await client.query(`LISTEN "${this.#options.channel}"`);
      } catch (error) {
        await conn.release().catch(() => undefined);
        throw error;
      }
      if (this.#closed) {
        await conn.release().catch(() => undefined);
        return;
      }
      this.#conn = conn;
      this.#retryMs = RECONNECT_MIN_MS;
      // Whatever happened while we were away is in the log.
      for (const state of this.#states.values()) {
        if (state.lastSeq === undefined) void this.#baseline(state);
        else this.#kick(state);
      }
    })().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const delay = this.#retryMs;
    this.#retryMs = Math.min(RECONNECT_MAX_MS, this.#retryMs * 2);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#connect().catch(() => this.#scheduleReconnect());
    }, delay);
    this.#timer.unref?.();
  }

  subscribe(mailboxId: string, listener: ChangeListener): () => void {
    let state = this.#states.get(mailboxId);
    if (state === undefined) {
      state = {
        mailboxId,
        listeners: new Set(),
        lastSeq: undefined,
        floor: Number.POSITIVE_INFINITY,
        mark: this.#options.mark(),
        running: false,
        again: false,
      };
      this.#states.set(mailboxId, state);
      void this.#baseline(state);
    }
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry: ChangeListener = (change) => listener(change);
    state.listeners.add(entry);
    const owner = state;
    return () => {
      owner.listeners.delete(entry);
      if (owner.listeners.size === 0 && this.#states.get(mailboxId) === owner) this.#states.delete(mailboxId);
    };
  }

  async #baseline(state: FeedState): Promise<void> {
    const conn = this.#conn;
    if (conn === undefined) return; // the reconnect asks again
    try {
      const { rows } = await conn.client.query<{ seq: string }>(
        `SELECT COALESCE(
           (SELECT change_seq FROM "${this.#options.schema}".mailboxes WHERE id = $1),
           (SELECT max(seq) FROM "${this.#options.schema}".change_log WHERE mailbox_id = $1),
           0)::text AS seq`,
        [state.mailboxId],
      );
      // A local write that started after subscribe() may have committed before the query ran but
      // not yet reported it: wait for those, so their numbers lower the floor first.
      await this.#options.settled(state.mark);
      if (state.lastSeq !== undefined) return;
      state.lastSeq = Math.min(Number(rows[0]!.seq), state.floor);
      this.#kick(state);
    } catch {
      // The connection failed; the reconnect retries.
    }
  }

  #notified(payload: string): void {
    const m = /^([0-9a-f-]{36}):(\d+):(\d+)$/.exec(payload);
    if (m === null) return;
    const state = this.#states.get(m[1]!);
    if (state === undefined) return;
    const seq = Number(m[3]);
    if (state.lastSeq === undefined) state.floor = Math.min(state.floor, seq - 1);
    else if (seq > state.lastSeq) this.#kick(state);
  }

  /** A change this instance committed (called right after COMMIT). */
  committed(mailboxId: string, seq: number, change: MailboxChange): void {
    const state = this.#states.get(mailboxId);
    if (state === undefined) return;
    if (state.lastSeq === undefined) {
      state.floor = Math.min(state.floor, seq - 1);
      return;
    }
    if (seq <= state.lastSeq) return;
    if (!state.running && seq === state.lastSeq + 1) {
      state.lastSeq = seq;
      this.#deliver(state, change);
      return;
    }
    this.#kick(state);
  }

  /** Reads the log after `lastSeq` and delivers it, once at a time per mailbox. */
  #kick(state: FeedState): void {
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = true;
    void (async () => {
      try {
        do {
          state.again = false;
          const conn = this.#conn;
          if (conn === undefined || state.lastSeq === undefined) break;
          const { rows } = await conn.client.query<{ seq: string; change: MailboxChange }>(
            `SELECT seq::text AS seq, change FROM "${this.#options.schema}".change_log
             WHERE mailbox_id = $1 AND seq > $2 ORDER BY seq`,
            [state.mailboxId, state.lastSeq],
          );
          for (const row of rows) {
            const seq = Number(row.seq);
            if (seq <= state.lastSeq) continue;
            state.lastSeq = seq;
            this.#deliver(state, row.change);
            if (this.#states.get(state.mailboxId) !== state) break;
          }
        } while (state.again && this.#states.get(state.mailboxId) === state);
      } catch {
        // The connection failed; the reconnect catches up.
      } finally {
        state.running = false;
      }
    })();
  }

  #deliver(state: FeedState, change: MailboxChange): void {
    for (const listener of [...state.listeners]) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not affect the writer or other listeners.
      }
    }
    // No further events follow a deletion: its listeners go.
    if (change.type === 'mailboxDeleted' && this.#states.get(state.mailboxId) === state) {
      this.#states.delete(state.mailboxId);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#states.clear();
    await this.#connecting?.catch(() => undefined);
    const conn = this.#conn;
    this.#conn = undefined;
    await conn?.release().catch(() => undefined);
  }
}

/**
 * Fills both servers' storage with the same mailbox: a Maildir written directly for Dovecot (it
 * indexes at the first SELECT), and a SQLite store filled through `appendMany` (with the MIME index
 * computed at append, as an IMAP APPEND or an LMTP delivery into Mailwire does).
 */
import { chownSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexMessage } from '@mailwire/mime';
import { createScryptHasher } from '@mailwire/store/node';
import { createSqliteStore } from '@mailwire/store-sqlite';
import { flagsOf, internalDate, message } from './mailbox.js';

export const USER = 'bench@example.test';
export const PASSWORD = 'bench-secret';

/** Writes `count` messages into `<dir>/cur`, owned by uid:gid. */
export function populateMaildir(dir: string, count: number, uid: number, gid: number): void {
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  for (let i = 0; i < count; i++) {
    const bytes = message(i);
    const seconds = Math.floor(internalDate(i) / 1000);
    const info = flagsOf(i).includes('\\Seen') ? 'S' : '';
    // S= file size, W= RFC822.SIZE (equal: the files already have CRLF line endings).
    const name = `${seconds}.M${i}P1.bench,S=${bytes.length},W=${bytes.length}:2,${info}`;
    const file = join(dir, 'cur', name);
    writeFileSync(file, bytes);
    utimesSync(file, seconds, seconds);
    chownSync(file, uid, gid);
  }
  for (const sub of ['', 'cur', 'new', 'tmp']) chownSync(join(dir, sub), uid, gid);
}

/** Creates a SQLite store in `dir` with one account whose INBOX holds `count` messages. */
export async function populateSqlite(dir: string, count: number): Promise<void> {
  const store = createSqliteStore({
    path: dir,
    hasher: createScryptHasher({ cost: 1024 }),
    synchronous: 'normal',
    fsync: false,
  });
  try {
    const account = await store.accounts.createAccount({ address: USER, password: PASSWORD });
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
    const batch = 500;
    for (let start = 0; start < count; start += batch) {
      const items = [];
      for (let i = start; i < Math.min(count, start + batch); i++) {
        const source = message(i);
        items.push({
          source,
          internalDate: internalDate(i),
          flags: flagsOf(i),
          mimeIndex: () => indexMessage(source),
        });
      }
      if (store.appendMany) await store.appendMany(inbox.id, items);
      else for (const item of items) await store.append(inbox.id, item.source, item);
    }
  } finally {
    await store.close();
  }
}

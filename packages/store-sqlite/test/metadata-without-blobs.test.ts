/**
 * Issue #3: FLAGS of a large mailbox come from the metadata alone. With the blob directory moved
 * away, flag reads, flag changes and counts still work; only reading a body needs a blob.
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytes, cleanupDirs, openStore, tempDir } from './helpers.js';

afterEach(cleanupDirs);

describe('metadata reads', () => {
  it('fetches flags, sets flags and counts without opening a blob', async () => {
    const dir = tempDir();
    const store = openStore(dir);
    const account = await store.accounts.createAccount({ address: 'm@example.com' });
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
    await store.appendMany!(
      inbox.id,
      Array.from({ length: 500 }, (_, i) => ({
        source: bytes(`Subject: ${i}\r\n\r\nbody ${i}\r\n`),
        internalDate: 1_700_000_000_000 + i,
        flags: i % 2 === 0 ? ['\\Seen'] : [],
      })),
    );
    renameSync(join(dir, 'blobs'), join(dir, 'blobs-away'));

    const metas = await store.fetchMessages(inbox.id, [[1, Number.POSITIVE_INFINITY]]);
    expect(metas).toHaveLength(500);
    expect(metas.filter((m) => m.flags.includes('\\Seen'))).toHaveLength(250);
    if (store.fetchFlags) {
      const flags = await store.fetchFlags(inbox.id, [[1, Number.POSITIVE_INFINITY]]);
      expect(flags).toHaveLength(500);
    }
    const changed = await store.setFlags(inbox.id, [[1, 10]], { mode: 'add', flags: ['\\Flagged'] });
    expect(changed.changed).toHaveLength(10);
    const info = (await store.getMailboxById(inbox.id))!;
    expect(info.messages).toBe(500);
    expect(info.unseen).toBe(250);

    // The body is what needs the blob: reading it now fails, proving the reads above did not.
    await expect(
      (async () => {
        for await (const _ of await store.readMessage({ mailboxId: inbox.id, uid: 1 })) {
          // drain
        }
      })(),
    ).rejects.toThrow();
    renameSync(join(dir, 'blobs-away'), join(dir, 'blobs'));
    await store.close();
  });
});

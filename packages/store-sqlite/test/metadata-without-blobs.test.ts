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

  it('fetchFlags reads past its 4,096-row chunks, across UID gaps, exactly as fetchMessages', async () => {
    const store = openStore(tempDir(), { fsync: false, synchronous: 'normal' });
    const account = await store.accounts.createAccount({ address: 'f@example.com' });
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
    const shapes = [[], ['\\Seen'], ['\\Seen', '$Label1'], ['\\Flagged', '$Work', '$Label1']];
    await store.appendMany!(
      inbox.id,
      Array.from({ length: 9000 }, (_, i) => ({
        source: bytes(`Subject: ${i}\r\n\r\n${i}\r\n`),
        internalDate: i,
        flags: shapes[i % shapes.length]!,
      })),
    );
    // Gaps: every seventh message expunged, one message's flags changed (its MODSEQ moves).
    await store.setFlags(
      inbox.id,
      Array.from({ length: 1286 }, (_, k) => k * 7 + 1),
      {
        mode: 'add',
        flags: ['\\Deleted'],
      },
    );
    await store.expunge(inbox.id);
    await store.setFlags(inbox.id, [4100], { mode: 'replace', flags: ['$Odd'] });
    for (const set of [[[1, Number.POSITIVE_INFINITY]], [[4090, 4200]], [[8000, 9000], 2, 3]] as const) {
      const expected = (await store.fetchMessages(inbox.id, set)).map((m) => ({
        uid: m.uid,
        flags: m.flags,
        modseq: m.modseq,
      }));
      const got = (await store.fetchFlags!(inbox.id, set)).map((m) => ({
        uid: m.uid,
        flags: m.flags,
        modseq: m.modseq,
      }));
      expect(got).toEqual(expected);
    }
    expect((await store.fetchFlags!(inbox.id, [[1, Number.POSITIVE_INFINITY]])).length).toBe(9000 - 1286);
    await store.close();
  });
});

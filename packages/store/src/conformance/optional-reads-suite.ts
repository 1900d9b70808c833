/**
 * The optional fast reads (`listUids`, `fetchFlags`, `readBlobs`): each check runs only when the adapter
 * implements the method, and holds it to what `fetchMessages` and `readMessage` say.
 */
import { describe, expect, it } from 'vitest';
import { ALL, append, equalBytes, expectStoreError, type Harness, message, readAll } from './harness.js';

export function optionalReadsSuite(h: Harness): void {
  describe('optional fast reads', () => {
    it('listUids agrees with fetchMessages: every UID ascending, the first one without \\Seen', async () => {
      const { store, account, inbox } = await h.fixture();
      if (store.listUids === undefined) return;
      expect(await store.listUids(inbox.id)).toEqual({ uids: new Uint32Array(0), firstUnseen: 0 });
      const flags = [['\\Seen'], ['\\Seen', '$Work'], [], ['\\Flagged'], ['\\Seen']];
      for (const [i, f] of flags.entries()) await append(store, inbox.id, message(`uids ${i}`), f);
      let listing = await store.listUids(inbox.id);
      expect(listing.uids).toBeInstanceOf(Uint32Array);
      let metas = await store.fetchMessages(inbox.id, ALL);
      expect([...listing.uids]).toEqual(metas.map((m) => m.uid));
      expect(listing.firstUnseen).toBe(metas[2]!.uid);
      // After an expunge and flag changes, still the store's current state.
      await store.setFlags(inbox.id, [metas[1]!.uid], { mode: 'add', flags: ['\\Deleted'] });
      await store.expunge(inbox.id);
      await store.setFlags(inbox.id, ALL, { mode: 'add', flags: ['\\Seen'] });
      listing = await store.listUids(inbox.id);
      metas = await store.fetchMessages(inbox.id, ALL);
      expect([...listing.uids]).toEqual(metas.map((m) => m.uid));
      expect(listing.uids.length).toBe(4);
      expect(listing.firstUnseen).toBe(0);
      await store.setFlags(inbox.id, [metas[3]!.uid], { mode: 'remove', flags: ['\\Seen'] });
      expect((await store.listUids(inbox.id)).firstUnseen).toBe(metas[3]!.uid);
      const gone = await store.createMailbox(account.id, 'Gone');
      await store.deleteMailbox(account.id, 'Gone');
      await expectStoreError(store.listUids(gone.id), 'ERR_STORE_NOT_FOUND');
    });

    it('fetchFlags agrees with fetchMessages on UIDs, flags and MODSEQ', async () => {
      const { store, inbox } = await h.fixture();
      if (store.fetchFlags === undefined) return;
      expect(await store.fetchFlags(inbox.id, ALL)).toEqual([]);
      const flags = [['\\Seen'], [], ['$Work', '\\Flagged'], ['\\Answered']];
      for (const [i, f] of flags.entries()) await append(store, inbox.id, message(`flags ${i}`), f);
      const metas = await store.fetchMessages(inbox.id, ALL);
      await store.setFlags(inbox.id, [metas[1]!.uid], { mode: 'add', flags: ['\\Deleted'] });
      const uids = metas.map((m) => m.uid);
      for (const set of [
        ALL,
        [uids[3]!, [uids[0]!, uids[1]!]] as const,
        [uids[2]!],
        [[uids[3]! + 1, Infinity]] as const,
      ]) {
        const expected = (await store.fetchMessages(inbox.id, set)).map((m) => ({
          uid: m.uid,
          flags: [...m.flags].sort(),
          modseq: m.modseq,
        }));
        const got = (await store.fetchFlags(inbox.id, set)).map((m) => ({
          uid: m.uid,
          flags: [...m.flags].sort(),
          modseq: m.modseq,
        }));
        expect(got).toEqual(expected);
      }
      const gone = await store.createMailbox((await store.getMailboxById(inbox.id))!.accountId, 'Gone');
      await store.deleteMailbox(gone.accountId, 'Gone');
      await expectStoreError(store.fetchFlags(gone.id, ALL), 'ERR_STORE_NOT_FOUND');
    });

    it('readBlobs returns what readMessage streams, in the order asked, undefined for unknown ids', async () => {
      const { store, inbox } = await h.fixture();
      if (store.readBlobs === undefined) return;
      const bodies = [message('blob a', 'A\r\n'), message('blob b', `${'b'.repeat(5000)}\r\n`), message('c')];
      const results = [];
      for (const body of bodies) results.push(await append(store, inbox.id, body));
      expect(await store.readBlobs([])).toEqual([]);
      const ids = [results[2]!.blobId, 'no-such-blob', results[0]!.blobId, results[1]!.blobId];
      const out = await store.readBlobs(ids);
      expect(out.length).toBe(4);
      expect(out[1]).toBeUndefined();
      for (const [at, which] of [
        [0, 2],
        [2, 0],
        [3, 1],
      ] as const) {
        const bytes = out[at]!;
        expect(bytes).toBeInstanceOf(Uint8Array);
        expect(equalBytes(bytes, bodies[which]!)).toBe(true);
        expect(equalBytes(bytes, await readAll(store, { blobId: ids[at]! }))).toBe(true);
      }
      // Fresh buffers: writing into one changes neither the store nor a later read.
      out[0]!.fill(0x21);
      const again = await store.readBlobs([results[2]!.blobId]);
      expect(equalBytes(again[0]!, bodies[2]!)).toBe(true);
    });
  });
}

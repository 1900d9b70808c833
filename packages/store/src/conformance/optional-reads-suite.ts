/**
 * The optional fast reads (`listUids`, `fetchFlags`, `readBlobs`) and the derived-value cache
 * (`setDerived` with `fetchMessages(…, { derived })`): each check runs only when the adapter
 * implements the method, and holds it to what `fetchMessages` and `readMessage` say.
 */
import { latin1 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import {
  ALL,
  append,
  equalBytes,
  expectStoreError,
  type Harness,
  message,
  readAll,
  text,
} from './harness.js';

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

    it('setDerived values come back with fetchMessages({ derived }) and go away with their blob', async () => {
      const { store, account, inbox } = await h.fixture();
      if (store.setDerived === undefined) return;
      const name = 'conformance.derived.1';
      const a = await append(store, inbox.id, message('derived a'));
      const b = await append(store, inbox.id, message('derived b'));
      const c = await append(store, inbox.id, message('derived c'));
      await store.setDerived(name, []);
      // Unknown blob ids are ignored (a message expunged meanwhile), not rejected.
      await store.setDerived(name, [
        { blobId: a.blobId, value: text('value a') },
        { blobId: 'no-such-blob', value: text('nothing') },
        { blobId: c.blobId, value: new Uint8Array(0) },
      ]);
      await store.setDerived('conformance.other.1', [{ blobId: a.blobId, value: text('other a') }]);
      const decoded = async (n: string | undefined, mimeIndex = false) =>
        (
          await store.fetchMessages(inbox.id, ALL, {
            ...(n === undefined ? {} : { derived: n }),
            ...(mimeIndex ? { mimeIndex: true } : {}),
          })
        ).map((m) => (m.derived === undefined ? undefined : latin1(m.derived)));
      expect(await decoded(name)).toEqual(['value a', undefined, '']);
      expect(await decoded(name, true)).toEqual(['value a', undefined, '']);
      expect(await decoded('conformance.other.1')).toEqual(['other a', undefined, undefined]);
      expect(await decoded('conformance.none.1')).toEqual([undefined, undefined, undefined]);
      // Absent when not asked for.
      expect(await decoded(undefined)).toEqual([undefined, undefined, undefined]);
      expect(await decoded(undefined, true)).toEqual([undefined, undefined, undefined]);
      // The store kept its own copy; a later write replaces the value.
      const mine = text('value b');
      await store.setDerived(name, [{ blobId: b.blobId, value: mine }]);
      mine.fill(0x21);
      expect(await decoded(name)).toEqual(['value a', 'value b', '']);
      await store.setDerived(name, [{ blobId: b.blobId, value: text('value b2') }]);
      expect(await decoded(name)).toEqual(['value a', 'value b2', '']);
      // CHANGEDSINCE still filters.
      const since = await store.fetchMessages(inbox.id, ALL, { derived: name, changedSince: b.modseq });
      expect(since.map((m) => m.uid)).toEqual([c.uid]);
      // Invalid arguments.
      await expectStoreError(
        store.setDerived('', [{ blobId: a.blobId, value: text('x') }]),
        'ERR_STORE_INVALID',
      );
      await expectStoreError(
        store.setDerived(name, [{ blobId: a.blobId, value: 'x' as unknown as Uint8Array }]),
        'ERR_STORE_INVALID',
      );
      // A copy has the value or none (a store may keep values per message); after the last
      // message holding the blob is expunged, the value is gone even if the same bytes come back.
      const other = await store.createMailbox(account.id, 'Derived');
      await store.copy(inbox.id, [a.uid], other.id);
      const copied = await store.fetchMessages(other.id, ALL, { derived: name });
      expect([undefined, 'value a']).toContain(copied[0]!.derived && latin1(copied[0]!.derived));
      await store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['\\Deleted'] });
      await store.expunge(inbox.id);
      await store.setFlags(other.id, ALL, { mode: 'add', flags: ['\\Deleted'] });
      await store.expunge(other.id);
      const again = await append(store, inbox.id, message('derived a'));
      const metas = await store.fetchMessages(inbox.id, [again.uid], { derived: name });
      expect(metas.length).toBe(1);
      expect(metas[0]!.derived).toBeUndefined();
    });
  });
}

/** Items 6 (byte fidelity, streaming), 7 (dedup) and 8 (quota). */
import { describe, expect, it } from 'vitest';
import { QuotaExceededError } from '../errors.js';
import {
  ALL,
  append,
  equalBytes,
  expectStoreError,
  type Harness,
  message,
  prng,
  randomBytes,
  readAll,
} from './harness.js';

interface MemoryProbe {
  memoryUsage(): { heapUsed: number; arrayBuffers: number; external: number };
}

/** The process's JavaScript heap plus buffers, where the runtime tells (Node, Bun, Deno). */
function memoryInUse(): number | undefined {
  const probe = (globalThis as { process?: Partial<MemoryProbe> }).process;
  if (probe?.memoryUsage === undefined) return undefined;
  // Live memory, not garbage the collector has not reached yet: with `--expose-gc` (the
  // workspace's vitest config passes it) collect first. Newer V8s collect later, so without it the
  // growth measured is mostly garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const usage = probe.memoryUsage();
  return usage.heapUsed + usage.external;
}

const CHUNK = 64 * 1024;

/** `size` pseudo-random octets, produced chunk by chunk (never whole). */
function* generated(size: number, seed: number): Generator<Uint8Array> {
  for (let offset = 0, i = 0; offset < size; offset += CHUNK, i++) {
    yield randomBytes(Math.min(CHUNK, size - offset), seed + i);
  }
}

/** Index of the first difference of `a[aAt…]` and `b[bAt…]` over `n` octets, or -1. Word-wise where aligned. */
function firstDifference(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, n: number): number {
  let i = 0;
  const aOff = a.byteOffset + aAt;
  const bOff = b.byteOffset + bAt;
  if (aOff % 4 === 0 && bOff % 4 === 0 && n >= 4) {
    const words = n >>> 2;
    const wa = new Uint32Array(a.buffer, aOff, words);
    const wb = new Uint32Array(b.buffer, bOff, words);
    let w = 0;
    while (w < words && wa[w] === wb[w]) w++;
    i = w * 4;
  }
  for (; i < n; i++) if (a[aAt + i] !== b[bAt + i]) return i;
  return -1;
}

export function bytesSuite(h: Harness): void {
  describe('byte fidelity (item 6)', () => {
    it('reads back exactly what was appended, from every kind of source', async () => {
      const { store, inbox } = await h.fixture();
      const random = prng(6);
      const bodies = [
        new Uint8Array(0),
        randomBytes(1, 1),
        randomBytes(1000, 2),
        randomBytes(65_536, 3),
        randomBytes(200_001, 4),
      ];
      for (const [i, body] of bodies.entries()) {
        // The same bytes as one buffer, as sync chunks and as async chunks of random sizes.
        const cuts: Uint8Array[] = [];
        for (let at = 0; at < body.length; ) {
          const next = Math.min(body.length, at + 1 + Math.floor(random() * 9000));
          cuts.push(body.subarray(at, next));
          at = next;
        }
        async function* slow() {
          for (const cut of cuts) yield cut;
        }
        const sources = [body, cuts, slow()];
        for (const source of sources) {
          const result = await append(store, inbox.id, source);
          expect(result.size, `body ${i}`).toBe(body.length);
          expect(equalBytes(await readAll(store, { mailboxId: inbox.id, uid: result.uid }), body)).toBe(true);
          expect(equalBytes(await readAll(store, { blobId: result.blobId }), body)).toBe(true);
        }
      }
    });

    it('copies chunks it is given, so a reused buffer cannot corrupt a message', async () => {
      const { store, inbox } = await h.fixture();
      const buffer = new Uint8Array(1024);
      const expectedParts: Uint8Array[] = [];
      function* reusing() {
        for (let i = 0; i < 50; i++) {
          buffer.fill(i + 1);
          expectedParts.push(buffer.slice());
          yield buffer;
        }
      }
      const result = await append(store, inbox.id, reusing());
      buffer.fill(0);
      const read = await readAll(store, { mailboxId: inbox.id, uid: result.uid });
      const expectedBytes = new Uint8Array(50 * 1024);
      for (const [i, part] of expectedParts.entries()) expectedBytes.set(part, i * 1024);
      expect(equalBytes(read, expectedBytes)).toBe(true);
    });

    it('reads byte ranges as slices, empty and out-of-range included', async () => {
      const { store, inbox } = await h.fixture();
      const body = randomBytes(150_000, 7);
      const { uid } = await append(store, inbox.id, body);
      const random = prng(7);
      const ranges: [number | undefined, number | undefined][] = [
        [undefined, undefined],
        [0, 0],
        [10, 10],
        [body.length, undefined],
        [body.length + 5, body.length + 10],
        [100, 50],
        [0, body.length + 1000],
        [body.length - 1, undefined],
        [undefined, 1],
      ];
      for (let i = 0; i < 40; i++) {
        const a = Math.floor(random() * (body.length + 100));
        const b = a + Math.floor(random() * 70_000);
        ranges.push([a, b]);
      }
      for (const [start, end] of ranges) {
        const range = { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }) };
        const read = await readAll(store, { mailboxId: inbox.id, uid }, range);
        const s = Math.min(start ?? 0, body.length);
        const e = Math.max(s, Math.min(end ?? body.length, body.length));
        expect(equalBytes(read, body.subarray(s, e)), `range ${start}..${end}`).toBe(true);
      }
      await expectStoreError(
        store.readMessage({ mailboxId: inbox.id, uid }, { start: -1 }),
        'ERR_STORE_INVALID',
      );
      await expectStoreError(store.readMessage({ mailboxId: inbox.id, uid: uid + 1 }), 'ERR_STORE_NOT_FOUND');
      await expectStoreError(store.readMessage({ blobId: 'no-such-blob' }), 'ERR_STORE_NOT_FOUND');
    });

    it.runIf(h.caps.bigMessageSize > 0)(
      `streams a ${Math.round(h.caps.bigMessageSize / 1048576)} MiB message with flat memory`,
      async () => {
        const { store, inbox } = await h.fixture();
        const size = h.caps.bigMessageSize;
        const bound = h.caps.memoryBound ?? 32 * 1048576 + size / 8;
        const seed = 424242;
        let peak = 0;
        const baseline = memoryInUse();
        async function* source() {
          let n = 0;
          for (const chunk of generated(size, seed)) {
            if (baseline !== undefined && n++ % 64 === 0) peak = Math.max(peak, memoryInUse()! - baseline);
            yield chunk;
          }
        }
        const result = await append(store, inbox.id, source());
        expect(result.size).toBe(size);
        if (baseline !== undefined && !h.caps.blobsInMemory)
          expect(peak, 'memory growth while appending').toBeLessThan(bound);

        const readBaseline = memoryInUse();
        let readPeak = 0;
        let offset = 0;
        let n = 0;
        const expected = generated(size, seed);
        let want = new Uint8Array(0);
        let wantAt = 0;
        let mismatch = -1;
        for await (const chunk of await store.readMessage({ mailboxId: inbox.id, uid: result.uid })) {
          let at = 0;
          while (at < chunk.length) {
            if (wantAt === want.length) {
              want = expected.next().value ?? new Uint8Array(0);
              wantAt = 0;
              if (want.length === 0) break;
            }
            const n = Math.min(chunk.length - at, want.length - wantAt);
            const bad = firstDifference(chunk, at, want, wantAt, n);
            if (bad >= 0 && mismatch < 0) mismatch = offset + at + bad;
            at += n;
            wantAt += n;
          }
          offset += chunk.length;
          if (readBaseline !== undefined && n++ % 64 === 0)
            readPeak = Math.max(readPeak, memoryInUse()! - readBaseline);
        }
        expect(mismatch).toBe(-1);
        expect(offset).toBe(size);
        if (readBaseline !== undefined) expect(readPeak, 'memory growth while reading').toBeLessThan(bound);
        // A range deep inside reads the same bytes.
        const start = size - CHUNK - 17;
        const tail = await readAll(
          store,
          { mailboxId: inbox.id, uid: result.uid },
          { start, end: start + 100 },
        );
        const chunks = [...generated(size, seed)].slice(-2);
        const joined = new Uint8Array(chunks[0]!.length + chunks[1]!.length);
        joined.set(chunks[0]!, 0);
        joined.set(chunks[1]!, chunks[0]!.length);
        const from = start - (size - joined.length);
        expect(equalBytes(tail, joined.subarray(from, from + 100))).toBe(true);
      },
    );
  });

  describe('dedup (item 7)', () => {
    it('stores identical content once and keeps it until its last reference goes', async () => {
      const { store, account, inbox } = await h.fixture();
      const other = await store.createMailbox(account.id, 'Other');
      const body = randomBytes(5000, 77);
      const a = await append(store, inbox.id, body, ['\\Deleted']);
      const b = await append(store, other.id, body.slice());
      const c = await append(store, inbox.id, randomBytes(5000, 78), ['\\Deleted']);
      const copy = await store.copy(other.id, [b.uid], inbox.id);
      if (h.caps.dedup) {
        expect(b.blobId).toBe(a.blobId);
        expect(c.blobId).not.toBe(a.blobId);
        const [copied] = await store.fetchMessages(inbox.id, [copy.mapping[0]!.destUid]);
        expect(copied!.blobId).toBe(a.blobId);
      }
      // Quota counts every message, shared blob or not.
      expect((await store.accounts.getQuota(account.id)).usage).toEqual({ storage: 20_000, messages: 4 });
      await store.expunge(inbox.id);
      expect(equalBytes(await readAll(store, { mailboxId: other.id, uid: b.uid }), body)).toBe(true);
      await store.setFlags(inbox.id, ALL, { mode: 'add', flags: ['\\Deleted'] });
      await store.expunge(inbox.id);
      expect(equalBytes(await readAll(store, { blobId: b.blobId }), body)).toBe(true);
      await store.setFlags(other.id, ALL, { mode: 'add', flags: ['\\Deleted'] });
      await store.expunge(other.id);
      await expectStoreError(store.readMessage({ blobId: b.blobId }), 'ERR_STORE_NOT_FOUND');
      await expectStoreError(store.readMessage({ blobId: c.blobId }), 'ERR_STORE_NOT_FOUND');
    });

    it('never reuses a blob id for other content', async () => {
      // Callers memoise values derived from a blob by its id (the IMAP server's SEARCH memo).
      const { store, inbox } = await h.fixture();
      const seen = new Map<string, Uint8Array>();
      for (let round = 0; round < 3; round++) {
        const bodies = [randomBytes(300, 101 + 2 * round), randomBytes(300, 201 + 2 * round)];
        for (const body of bodies) {
          const { blobId } = await append(store, inbox.id, body, ['\\Deleted']);
          const before = seen.get(blobId);
          if (before !== undefined) expect(equalBytes(before, body)).toBe(true);
          seen.set(blobId, body);
        }
        // Expunged blobs are gone; the next round's different content must not get their ids.
        await store.expunge(inbox.id);
      }
      expect(seen.size).toBe(6);
    });

    it('caches the MIME index with the blob', async () => {
      const { store, inbox } = await h.fixture();
      const index = { type: 'text/plain', parts: [{ start: 0, end: 10 }] };
      const a = await store.append(inbox.id, message('indexed'), { internalDate: 1, mimeIndex: () => index });
      expect(await store.getMimeIndex(a.blobId)).toEqual(index);
      const [meta] = await store.fetchMessages(inbox.id, [a.uid], { mimeIndex: true });
      expect(meta!.mimeIndex).toEqual(index);
      const [plain] = await store.fetchMessages(inbox.id, [a.uid]);
      expect(plain!.mimeIndex).toBeUndefined();
      const b = await append(store, inbox.id, message('later'));
      expect(await store.getMimeIndex(b.blobId)).toBeUndefined();
      await store.setMimeIndex(b.blobId, { later: true });
      expect(await store.getMimeIndex(b.blobId)).toEqual({ later: true });
      await expectStoreError(store.getMimeIndex('no-such-blob'), 'ERR_STORE_NOT_FOUND');
    });
  });

  describe('quota (item 8)', () => {
    it('counts usage exactly after concurrent appends, moves and expunges', async () => {
      const { store, account, inbox } = await h.fixture();
      const other = await store.createMailbox(account.id, 'Other');
      const sizes = Array.from({ length: 30 }, (_, i) => 100 + i);
      const results = await Promise.all(
        sizes.map((size, i) =>
          append(store, i % 2 ? inbox.id : other.id, randomBytes(size, i + 1000), ['\\Deleted']),
        ),
      );
      const total = sizes.reduce((a, b) => a + b, 0);
      expect((await store.accounts.getQuota(account.id)).usage).toEqual({ storage: total, messages: 30 });
      await store.move(inbox.id, ALL, other.id);
      expect((await store.accounts.getQuota(account.id)).usage).toEqual({ storage: total, messages: 30 });
      const removed = await store.expunge(other.id, { uids: [[1, 10]] });
      expect(removed.expunged.length).toBeGreaterThan(0);
      const left = await store.fetchMessages(other.id, ALL);
      expect((await store.accounts.getQuota(account.id)).usage).toEqual({
        storage: left.reduce((s, m) => s + m.size, 0),
        messages: left.length,
      });
      expect(results.length).toBe(30);
    });

    it('refuses an append over the STORAGE limit whole, even under concurrency (RFC 9208 §5.1)', async () => {
      const { store, account, inbox } = await h.fixture();
      await store.accounts.setQuota(account.id, { storage: 10_500 });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => append(store, inbox.id, randomBytes(1000, i + 1))),
      );
      const ok = outcomes.filter((o) => o.status === 'fulfilled').length;
      expect(ok).toBe(10);
      for (const o of outcomes) {
        if (o.status === 'rejected') {
          expect(QuotaExceededError.isInstance(o.reason)).toBe(true);
          expect((o.reason as QuotaExceededError).code).toBe('ERR_STORE_QUOTA');
          expect((o.reason as QuotaExceededError).resource).toBe('STORAGE');
        }
      }
      expect((await store.accounts.getQuota(account.id)).usage).toEqual({ storage: 10_000, messages: 10 });
      expect((await store.getMailboxById(inbox.id))!.messages).toBe(10);
      // A large streamed message over quota fails whole too.
      async function* big() {
        for (let i = 0; i < 10; i++) yield randomBytes(1000, i);
      }
      await expectStoreError(append(store, inbox.id, big()), 'ERR_STORE_QUOTA');
      expect((await store.accounts.getQuota(account.id)).usage.storage).toBe(10_000);
      // Raising the limit lets appends through again.
      await store.accounts.setQuota(account.id, { storage: 20_000 });
      await append(store, inbox.id, randomBytes(1000, 99));
    });

    it('enforces the MESSAGE limit at append, copy and delivery (RFC 9208 §5.2)', async () => {
      const { store, account, inbox } = await h.fixture();
      const other = await store.createMailbox(account.id, 'Other');
      await store.accounts.setQuota(account.id, { messages: 3 });
      await append(store, inbox.id, message('1'));
      await append(store, inbox.id, message('2'));
      const error = await expectStoreError(store.copy(inbox.id, ALL, other.id), 'ERR_STORE_QUOTA');
      expect((error as QuotaExceededError).resource).toBe('MESSAGE');
      expect((await store.getMailboxById(other.id))!.messages).toBe(0);
      await store.deliver(account.address, message('3'), { internalDate: 1 });
      await expectStoreError(
        store.deliver(account.address, message('4'), { internalDate: 1 }),
        'ERR_STORE_QUOTA',
      );
      await expectStoreError(append(store, other.id, message('5')), 'ERR_STORE_QUOTA');
      // Moving within the account changes no usage, so it is allowed at the limit.
      const moved = await store.move(inbox.id, ALL, other.id);
      expect(moved.mapping.length).toBe(3);
      expect((await store.accounts.getQuota(account.id)).usage.messages).toBe(3);
    });

    it('delivers to an address or alias, into INBOX or a named mailbox', async () => {
      const store = await h.createStore();
      const account = await store.accounts.createAccount({
        address: 'eve@example.com',
        aliases: ['e@example.com'],
      });
      await store.createMailbox(account.id, 'Lists');
      const result = await store.deliver('E@EXAMPLE.COM', message('hi'), {
        internalDate: 5,
        flags: ['$Delivered'],
      });
      expect(result.accountId).toBe(account.id);
      expect(result.mailboxId).toBe((await store.getMailbox(account.id, 'INBOX'))!.id);
      const [meta] = await store.fetchMessages(result.mailboxId, [result.uid]);
      expect(meta).toMatchObject({ flags: ['$Delivered'], internalDate: 5 });
      const listed = await store.deliver('eve@example.com', message('list'), {
        internalDate: 6,
        mailbox: 'Lists',
      });
      expect(listed.mailboxId).toBe((await store.getMailbox(account.id, 'Lists'))!.id);
      await expectStoreError(
        store.deliver('nobody@example.com', message('x'), { internalDate: 1 }),
        'ERR_STORE_NOT_FOUND',
      );
      await expectStoreError(
        store.deliver('eve@example.com', message('x'), { internalDate: 1, mailbox: 'Missing' }),
        'ERR_STORE_NOT_FOUND',
      );
    });
  });
}

import type { MailStore } from '@mailwire/store';
import { describe, expect, it } from 'vitest';
import { DERIVED } from '../src/commands/fetch.js';
import { loggedIn, makeStore, SAMPLE } from './helpers.js';

/** The store without `setDerived`: FETCH must compute ENVELOPE/BODYSTRUCTURE every time. */
function withoutDerived(store: MailStore): MailStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'setDerived') return undefined;
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The store, recording `setDerived` calls (or failing them) and the derived values it returns. */
function watching(store: MailStore, fail = false) {
  const calls: { name: string; count: number }[] = [];
  let served = 0;
  const wrapped = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      if (key === 'setDerived') {
        return async (name: string, values: readonly unknown[]) => {
          calls.push({ name, count: values.length });
          if (fail) throw new Error('disk full');
          return (value as (...a: unknown[]) => unknown).apply(target, [name, values]);
        };
      }
      if (key === 'fetchMessages') {
        return async (...args: unknown[]) => {
          const metas = (await (value as (...a: unknown[]) => Promise<{ derived?: unknown }[]>).apply(
            target,
            args,
          )) as { derived?: unknown }[];
          served += metas.filter((m) => m.derived !== undefined).length;
          return metas;
        };
      }
      return value.bind(target);
    },
  });
  return { store: wrapped, calls, served: () => served };
}

const plain = (i: number) =>
  `From: "Eve ${i}" <eve${i}@example.com>\r\nTo: a@example.com, b@example.com\r\nCc: =?utf-8?q?Z=C3=BC?= <z@example.com>\r\nSubject: plain ${i}\r\nDate: Tue, 1 Feb 2022 10:00:0${i % 10} +0000\r\nIn-Reply-To: <p${i - 1}@example.com>\r\nMessage-ID: <p${i}@example.com>\r\n\r\nbody ${i}\r\n`;

const MESSAGES = Array.from({ length: 12 }, (_, k) =>
  k % 3 === 0 ? SAMPLE.replace('Message-ID: <1@', `Message-ID: <${k}@`) : plain(k),
);

async function filled(): Promise<MailStore> {
  const store = await makeStore();
  const c = await loggedIn(store);
  for (const [i, m] of MESSAGES.entries()) await c.command(`A${i} APPEND INBOX {${m.length}+}\r\n${m}`);
  await c.close();
  return store;
}

const COMMANDS = [
  'F1 FETCH 1:* (ENVELOPE BODYSTRUCTURE)',
  'F2 FETCH 1:* (UID FLAGS BODY ENVELOPE)',
  'F3 UID FETCH 2:5 (BODYSTRUCTURE RFC822.SIZE)',
  'F4 FETCH 3 (ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)])',
];

async function transcript(store: MailStore, select = 'SELECT'): Promise<string[]> {
  const c = await loggedIn(store);
  const out = [(await c.command(`S ${select} INBOX`)).replace(/\[UIDVALIDITY \d+\]/g, '[UIDVALIDITY n]')];
  for (const line of COMMANDS) out.push(await c.command(line));
  await c.close();
  return out;
}

describe('FETCH ENVELOPE/BODYSTRUCTURE through the store-kept formatted bytes (setDerived)', () => {
  it('computes and stores on the first FETCH, serves the kept bytes on the next, byte-identical', async () => {
    // Two sessions each (the second sees no \Recent), on a store without setDerived and one with.
    const base = withoutDerived(await filled());
    const reference = [await transcript(base), await transcript(base)];
    const { store, calls, served } = watching(await filled());
    const first = await transcript(store);
    expect(first).toEqual(reference[0]);
    // One call for the command's computed values (all 12 messages), under the versioned name.
    expect(calls[0]).toEqual({ name: DERIVED, count: MESSAGES.length });
    const before = calls.length;
    const second = await transcript(store);
    expect(second).toEqual(reference[1]);
    // Nothing left to compute: no more writes, and every in-memory row came with its value.
    expect(calls.length).toBe(before);
    expect(served()).toBeGreaterThanOrEqual(3 * MESSAGES.length);
    expect(second).not.toEqual(first);
    expect(second[1]).toContain('BODYSTRUCTURE (("text" "plain"');
    expect(second[1]!.match(/^\* \d+ FETCH \(ENVELOPE \(/gm)).toHaveLength(MESSAGES.length);
  });

  it('answers with the kept bytes (they are not recomputed)', async () => {
    const store = await filled();
    await transcript(store);
    const metas = await store.fetchMessages((await inboxId(store))!, [[1, 1]], { derived: DERIVED });
    const forged = segments('ENVELOPE ("kept")', 'BODYSTRUCTURE ("kept")', 'BODY ("kept")');
    await store.setDerived!(DERIVED, [{ blobId: metas[0]!.blobId, value: forged }]);
    const c = await loggedIn(store);
    await c.command('S SELECT INBOX');
    expect(await c.command('F FETCH 1 (BODY ENVELOPE)')).toContain(
      '* 1 FETCH (BODY ("kept") ENVELOPE ("kept"))',
    );
    await c.close();
  });

  it('recomputes for a corrupt or short kept value instead of sending it', async () => {
    const base = withoutDerived(await filled());
    await transcript(base);
    const reference = await transcript(base);
    const store = await filled();
    await transcript(store);
    const id = (await inboxId(store))!;
    const metas = await store.fetchMessages(id, [[1, Number.POSITIVE_INFINITY]]);
    const good = segments('ENVELOPE NIL', 'BODYSTRUCTURE NIL', 'BODY NIL');
    const bad = [
      new Uint8Array(0),
      new Uint8Array([0, 0]),
      good.subarray(0, good.length - 1), // truncated
      new Uint8Array([...good, 0]), // trailing garbage
      segments('ENVELOPE NIL', 'BODY NIL', 'BODYSTRUCTURE NIL'), // segments in the wrong order
      Uint8Array.from([0xff, 0xff, 0xff, 0xff, ...good.subarray(4)]), // length past the end
      segments('ENVELOPE NIL', 'BODYSTRUCTURE NIL', 'BOD'), // shorter than its item name
    ];
    await store.setDerived!(
      DERIVED,
      bad.map((value, k) => ({ blobId: metas[k]!.blobId, value })),
    );
    expect(await transcript(store)).toEqual(reference);
  });

  it('a failing setDerived does not fail the FETCH; EXAMINE stores values too', async () => {
    const base = withoutDerived(await filled());
    const reference = [await transcript(base, 'EXAMINE'), await transcript(base, 'EXAMINE')];
    const failing = watching(await filled(), true);
    expect(await transcript(failing.store, 'EXAMINE')).toEqual(reference[0]);
    expect(failing.calls.length).toBeGreaterThan(0);
    expect(await transcript(failing.store, 'EXAMINE')).toEqual(reference[1]);
    const ok = watching(await filled());
    expect(await transcript(ok.store, 'EXAMINE')).toEqual(reference[0]);
    expect(ok.calls[0]).toEqual({ name: DERIVED, count: MESSAGES.length });
    expect(await transcript(ok.store, 'EXAMINE')).toEqual(reference[1]);
    expect(ok.served()).toBeGreaterThanOrEqual(3 * MESSAGES.length);
  });
});

async function inboxId(store: MailStore): Promise<string | undefined> {
  const account = await store.accounts.lookup('alice@example.com');
  return (await store.getMailbox(account!.id, 'INBOX'))?.id;
}

/** A kept value: each segment after its length (4 octets, big-endian). */
function segments(...parts: string[]): Uint8Array {
  const bytes: number[] = [];
  for (const part of parts) {
    const n = part.length;
    bytes.push(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
    for (const ch of part) bytes.push(ch.charCodeAt(0));
  }
  return Uint8Array.from(bytes);
}

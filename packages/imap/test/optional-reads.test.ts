import type { MailStore } from '@mailwire/store';
import { describe, expect, it } from 'vitest';
import { loggedIn, makeStore } from './helpers.js';

/** The store without its optional fast reads: the session must fall back to the core interface. */
function withoutFastReads(store: MailStore): MailStore {
  const hidden = new Set<PropertyKey>(['listUids', 'fetchFlags', 'readBlobs']);
  return new Proxy(store, {
    get(target, key, receiver) {
      if (hidden.has(key)) return undefined;
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The store, counting calls of one method. */
function counting(store: MailStore, method: keyof MailStore): { store: MailStore; calls: () => number } {
  let calls = 0;
  const wrapped = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      if (key === method) {
        return (...args: unknown[]) => {
          calls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
  return { store: wrapped, calls: () => calls };
}

const message = (i: number) =>
  `From: Carol <carol@example.com>\r\nTo: Dan <dan@example.com>\r\nSubject: note n${i}\r\nMessage-ID: <${i}@example.com>\r\n\r\nbody ${i}\r\n${'x'.repeat(i * 37)}\r\n`;

/** A session exercising SELECT, FETCH, SEARCH, STORE and EXPUNGE; every reply, in order. */
async function transcript(store: MailStore): Promise<string[]> {
  const c = await loggedIn(store);
  for (let i = 1; i <= 40; i++) {
    const m = message(i);
    const flags = i % 3 === 0 ? '' : i % 5 === 0 ? '(\\Seen $Work) ' : '(\\Seen) ';
    await c.command(`A${i} APPEND INBOX ${flags}{${m.length}+}\r\n${m}`);
  }
  const out: string[] = [];
  for (const line of [
    'S SELECT INBOX',
    'F1 FETCH 1:* (FLAGS)',
    'F2 UID FETCH 5:12 (FLAGS)',
    'F3 FETCH 1:10 BODY.PEEK[]',
    'F4 FETCH 3 (BODY.PEEK[HEADER] BODY.PEEK[TEXT]<2.5> RFC822.SIZE)',
    'F5 FETCH 7,2,30:28 (UID FLAGS RFC822.HEADER)',
    'F6 FETCH 2:4 RFC822',
    'T1 STORE 1:6 +FLAGS (\\Flagged)',
    'T2 STORE 10:12 +FLAGS (\\Seen)',
    'R1 SEARCH SUBJECT "n1"',
    'R2 SEARCH UNSEEN',
    'R3 UID SEARCH FLAGGED NOT KEYWORD $Work',
    'D1 STORE 7 +FLAGS.SILENT (\\Deleted)',
    'D2 EXPUNGE',
    'F7 FETCH 1:* (UID FLAGS)',
    'F8 FETCH 5:9 BODY.PEEK[1]',
    'S2 EXAMINE INBOX',
  ]) {
    // UIDVALIDITY differs between two stores; everything else must not.
    out.push((await c.command(line)).replace(/\[UIDVALIDITY \d+\]/g, '[UIDVALIDITY n]'));
  }
  await c.close();
  return out;
}

describe('optional store reads (listUids, fetchFlags, readBlobs)', () => {
  it('give the same replies, byte for byte, as the fallback through fetchMessages and readMessage', async () => {
    const fast = await transcript(await makeStore());
    const slow = await transcript(withoutFastReads(await makeStore()));
    expect(fast).toEqual(slow);
    // And the replies are the expected ones where the fast paths differ most.
    expect(fast[0]).toMatch(/\* 40 EXISTS\r\n/);
    expect(fast[0]).toContain('* OK [UNSEEN 3] First unseen\r\n');
    expect(fast[0]).toMatch(/\* FLAGS \([^)]*\$Work\)/);
    expect(fast[1]!.match(/^\* \d+ FETCH /gm)).toHaveLength(40);
    expect(fast[3]).toContain(`* 1 FETCH (BODY[] {${message(1).length}}\r\n${message(1)})`);
    // STORE reports messages it left unchanged with their current flags too.
    expect(fast[8]).toContain('* 10 FETCH (FLAGS (\\Seen $Work \\Recent))\r\n');
    expect(fast[8]).toContain('* 11 FETCH (FLAGS (\\Seen \\Recent))\r\n');
    expect(fast[8]).toContain('* 12 FETCH (FLAGS (\\Seen \\Recent))\r\n');
    expect(fast[13]).toContain('* 7 EXPUNGE\r\n');
    expect(fast[14]!.match(/^\* \d+ FETCH /gm)).toHaveLength(39);
  });

  it('FETCH BODY[] of small messages reads them through readBlobs, not one readMessage each', async () => {
    const base = await makeStore();
    const c0 = await loggedIn(base);
    for (let i = 1; i <= 20; i++) {
      const m = message(i);
      await c0.command(`A${i} APPEND INBOX {${m.length}+}\r\n${m}`);
    }
    await c0.close();
    const { store, calls } = counting(base, 'readMessage');
    const c = await loggedIn(store);
    await c.command('S SELECT INBOX');
    const out = await c.command('F FETCH 1:20 (BODY.PEEK[] BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
    for (let i = 1; i <= 20; i++) {
      expect(out).toContain(
        `* ${i} FETCH (BODY[] {${message(i).length}}\r\n${message(i)} BODY[HEADER.FIELDS (SUBJECT)]`,
      );
    }
    expect(calls()).toBe(0);
    await c.close();
  });
});

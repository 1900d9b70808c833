import type { MailStore, MessageMeta } from '@mailwire/store';
import { describe, expect, it } from 'vitest';
import { FieldMemo } from '../src/commands/search.js';
import { loggedIn, makeStore, SAMPLE } from './helpers.js';

/**
 * The store as one that caches no MIME index: `fetchMessages` never returns one, so FETCH and
 * SEARCH take their general paths (index through `getMimeIndex`, values built and written by the
 * response writer). It also counts the `fetchMessages` calls that asked for indexes.
 */
function withoutCachedIndexes(store: MailStore): { store: MailStore; indexReads: () => number } {
  let indexReads = 0;
  const wrapped = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === 'fetchMessages') {
        return async (...args: Parameters<MailStore['fetchMessages']>) => {
          if (args[2]?.mimeIndex === true) indexReads++;
          const metas = await target.fetchMessages(...args);
          return metas.map(({ mimeIndex: _, ...rest }: MessageMeta) => rest);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, indexReads: () => indexReads };
}

/** The store, counting `fetchMessages` calls that asked for MIME indexes. */
function countingIndexReads(store: MailStore): { store: MailStore; indexReads: () => number } {
  let indexReads = 0;
  const wrapped = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === 'fetchMessages') {
        return (...args: Parameters<MailStore['fetchMessages']>) => {
          if (args[2]?.mimeIndex === true) indexReads++;
          return target.fetchMessages(...args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, indexReads: () => indexReads };
}

const MESSAGES = [
  SAMPLE,
  'From: "Quote \\" Back\\\\slash" <q@example.com>, =?UTF-8?B?SsO2cmc=?= <j@example.com>\r\nSubject: plain invoice\r\nTo: undisclosed-recipients:;\r\n\r\nbody\r\n',
  `From: Bob <bob@example.com>\r\nSender: Sam <sam@example.com>\r\nSubject: ${'long '.repeat(260)}\r\nCc: a@x.example\r\nIn-Reply-To: <p@x>\r\n\r\nbody\r\n`,
  'Subject: caf\xc3\xa9 Invoice \xe9\r\nFrom: nobody\r\nContent-Type: message/rfc822\r\n\r\nFrom: Inner <in@example.com>\r\nSubject: inner\r\n\r\ninner body\r\n',
  'To: only@example.com\r\n\r\nno subject, no from\r\n',
];

async function fill(store: MailStore): Promise<void> {
  const c = await loggedIn(store);
  for (const [i, m] of MESSAGES.entries()) {
    await c.command(`A${i} APPEND INBOX {${m.length}+}\r\n${m}`);
  }
  await c.close();
}

const COMMANDS = [
  'S SELECT INBOX',
  'F1 FETCH 1:* (ENVELOPE BODYSTRUCTURE)',
  'F2 FETCH 1:* (UID BODY ENVELOPE FLAGS)',
  'F3 UID FETCH 2:4 (BODYSTRUCTURE)',
  'R1 SEARCH SUBJECT "invoice"',
  'R2 SEARCH FROM "j\xc3\xb6rg"',
  'R3 UID SEARCH OR SUBJECT "gr\xc3\xbc\xc3\x9fe" NOT TO "only"',
  'R4 SEARCH HEADER SUBJECT ""',
  'R5 SEARCH HEADER Message-ID "1@"',
  'R6 SEARCH CHARSET UTF-8 SUBJECT "CAF\xc3\x89"',
  'R7 SEARCH NOT SUBJECT "long" FROM "example"',
  'R8 SEARCH SUBJECT "invoice" UID 1:3',
];

async function replies(store: MailStore): Promise<string[]> {
  const c = await loggedIn(store);
  const out: string[] = [];
  for (const line of COMMANDS) out.push(await c.command(line));
  await c.close();
  return out;
}

describe('FETCH and SEARCH from a cached MIME index', () => {
  it('give the same replies, byte for byte, as without one, and again with a warm memo', async () => {
    const base = await makeStore();
    await fill(base);
    const uncached = withoutCachedIndexes(base);
    const slow = await replies(uncached.store);
    const fast = await replies(base);
    // Again: SEARCH now answers the envelope fields from its memo, FETCH from the wire bytes kept
    // per index object.
    const again = await replies(base);
    expect(fast).toEqual(slow);
    // (\Recent went to the first session.)
    expect(again).toEqual(slow.map((r) => r.replace(/ ?\\Recent/g, '').replace('* 5 RECENT', '* 0 RECENT')));
    expect(fast[1]).toContain(
      '* 2 FETCH (ENVELOPE (NIL "plain invoice" (("Quote \\" Back\\\\slash" NIL "q" "example.com")("=?UTF-8?B?SsO2cmc=?=" NIL "j" "example.com"))',
    );
    expect(fast[4]).toContain('* SEARCH 2 4\r\n');
    expect(fast[5]).toContain('* SEARCH 2\r\n');
    expect(fast[6]).toContain('* SEARCH 1 2 3 4\r\n');
    expect(fast[7]).toContain('* SEARCH 1 2 3 4\r\n');
    expect(fast[8]).toContain('* SEARCH 1\r\n');
    expect(fast[9]).toContain('* SEARCH 4\r\n');
    expect(fast[10]).toContain('* SEARCH 1 2\r\n');
    expect(fast[11]).toContain('* SEARCH 2\r\n');
  });

  it('SEARCH on envelope fields reads no index for messages whose fields it has seen', async () => {
    const base = await makeStore();
    await fill(base);
    const { store, indexReads } = countingIndexReads(base);
    const c = await loggedIn(store);
    await c.command('S SELECT INBOX');
    expect(await c.command('R1 SEARCH SUBJECT "invoice"')).toContain('* SEARCH 2 4\r\n');
    const first = indexReads();
    expect(first).toBe(1);
    expect(await c.command('R2 SEARCH SUBJECT "inv"')).toContain('* SEARCH 2 4\r\n');
    expect(indexReads()).toBe(first);
    // A new message: only it is read with its index.
    const m = 'Subject: another invoice\r\n\r\nx\r\n';
    await c.command(`A APPEND INBOX {${m.length}+}\r\n${m}`);
    await c.command('N NOOP');
    expect(await c.command('R3 SEARCH SUBJECT "invoice"')).toContain('* SEARCH 2 4 6\r\n');
    expect(indexReads()).toBe(first + 1);
    // A field not seen yet, and a key the memo cannot answer, read indexes again.
    await c.command('R4 SEARCH FROM "bob"');
    expect(indexReads()).toBe(first + 2);
    await c.command('R5 SEARCH SUBJECT "invoice" BODY "x"');
    expect(indexReads()).toBe(first + 3);
    await c.close();
  });
});

describe('FieldMemo', () => {
  it('holds at most its bound of values, null (no such field) apart from unknown', () => {
    const memo = new FieldMemo(3);
    memo.set('a', 0, 'x');
    memo.set('a', 1, null);
    memo.set('b', 0, null);
    expect(memo.get('a', 0)).toBe('x');
    expect(memo.get('a', 1)).toBeNull();
    expect(memo.get('a', 2)).toBeUndefined();
    expect(memo.get('b', 0)).toBeNull();
    expect(memo.get('c', 0)).toBeUndefined();
    expect(memo.size).toBe(3);
    // A known value stays (a blob's content never changes).
    memo.set('b', 0, 'other');
    expect(memo.get('b', 0)).toBeNull();
    // Full: one new value in eight replaces the oldest.
    for (let i = 0; i < 7; i++) memo.set(`k${i}`, 0, String(i));
    expect(memo.size).toBe(3);
    expect(memo.get('k0', 0)).toBeUndefined();
    expect(memo.get('a', 0)).toBe('x');
    memo.set('k7', 0, '7');
    expect(memo.get('k7', 0)).toBe('7');
    expect(memo.get('a', 0)).toBeUndefined();
    expect(memo.get('a', 1)).toBeNull();
    for (let i = 0; i < 500; i++) memo.set(`m${i}`, i % 3, String(i));
    expect(memo.size).toBe(3);
  });
});

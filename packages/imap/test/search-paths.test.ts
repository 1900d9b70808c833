import type { MailStore, MessageMeta } from '@mailwire/store';
import { describe, expect, it } from 'vitest';
import { loggedIn, makeStore } from './helpers.js';

/**
 * The store with `fetchMessages` never returning a MIME index: every header key then goes the
 * asynchronous way (index from `getMimeIndex`), none is answered without a store call.
 */
function withoutInlineIndex(store: MailStore): MailStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === 'fetchMessages') {
        return async (...args: Parameters<MailStore['fetchMessages']>) =>
          (await target.fetchMessages(...args)).map(({ mimeIndex: _, ...rest }) => rest as MessageMeta);
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const message = (i: number) =>
  [
    `From: ${i % 2 ? 'Carol <carol@example.com>' : '=?utf-8?q?J=C3=BCrgen?= <j@example.com>'}`,
    `To: Dan <dan@example.com>`,
    `Subject: ${i % 3 ? `invoice ${i}` : `hello ${i}`}`,
    ...(i % 4 === 0 ? ['X-Tag: blue'] : []),
    '',
    i % 5 === 0 ? 'needle in the body' : 'plain body',
    '',
  ].join('\r\n');

const CRITERIA = [
  'SUBJECT "invoice"',
  'NOT SUBJECT "invoice"',
  'OR SUBJECT "hello" BODY "needle"',
  'OR BODY "needle" SUBJECT "hello"',
  'OR SEEN SUBJECT "invoice"',
  'NOT OR FLAGGED FROM "jürgen"',
  'FROM "carol" HEADER X-Tag "blue"',
  'HEADER X-Tag ""',
  'OR HEADER X-Tag "blue" NOT TO "dan"',
  'UNSEEN NOT BODY "needle" SUBJECT "1"',
  'TEXT "blue" OR SEEN UNSEEN',
  'UID 2:5 NOT SUBJECT "hello"',
];

describe('SEARCH answered without store calls where it can', () => {
  it('finds the same messages as the fully asynchronous evaluation, for mixed criteria', async () => {
    const store = await makeStore();
    const c = await loggedIn(store);
    for (let i = 1; i <= 24; i++) {
      const m = message(i);
      await c.command(`A${i} APPEND INBOX ${i % 2 ? '(\\Seen) ' : ''}{${m.length}+}\r\n${m}`);
    }
    await c.command('S SELECT INBOX');
    await c.command('I FETCH 1:* (BODYSTRUCTURE)');
    await c.command('F STORE 3,6 +FLAGS (\\Flagged)');
    await c.close();
    const select = async (s: MailStore) => {
      const client = await loggedIn(s);
      await client.command('S SELECT INBOX');
      const out: string[] = [];
      for (const criteria of CRITERIA) out.push(await client.command(`S SEARCH CHARSET UTF-8 ${criteria}`));
      await client.close();
      return out;
    };
    const fast = await select(store);
    const slow = await select(withoutInlineIndex(store));
    expect(fast).toEqual(slow);
    expect(fast[0]).toContain('* SEARCH 1 2 4 5 7 8 10 11 13 14 16 17 19 20 22 23\r\n');
    expect(fast[2]).toContain('* SEARCH 3 5 6 9 10 12 15 18 20 21 24\r\n');
    expect(fast[7]).toContain('* SEARCH 4 8 12 16 20 24\r\n');
  });
});

import type { MailStore } from '@mailwire/store';
import { describe, expect, it } from 'vitest';
import { loggedIn, makeStore, SAMPLE } from './helpers.js';

/** The store, counting `readMessage` calls (blob reads). */
function counting(store: MailStore): { store: MailStore; reads: () => number } {
  let reads = 0;
  const wrapped = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'readMessage') {
        return (...args: Parameters<MailStore['readMessage']>) => {
          reads++;
          return target.readMessage(...args);
        };
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, reads: () => reads };
}

const message = (subject: string) =>
  `From: Carol <carol@example.com>\r\nTo: Dan <dan@example.com>\r\nSubject: ${subject}\r\nX-Tag: blue\r\n\r\nbody\r\n`;

describe('fast paths', () => {
  it('SEARCH on envelope header keys matches from the MIME index without reading a blob', async () => {
    const { store, reads } = counting(await makeStore());
    const c = await loggedIn(store);
    for (const subject of ['Invoice 7', 'hello', '=?utf-8?q?Rechnung_f=C3=BCr_Sie?=']) {
      const m = message(subject);
      await c.command(`A APPEND INBOX {${m.length}+}\r\n${m}`);
    }
    await c.command(`A APPEND INBOX {${SAMPLE.length}+}\r\n${SAMPLE}`);
    await c.command('S SELECT INBOX');
    // Builds any index the store does not have yet.
    await c.command('W FETCH 1:* (BODYSTRUCTURE)');
    const before = reads();
    expect(await c.command('T1 UID SEARCH SUBJECT "invoice"')).toContain('* SEARCH 1\r\n');
    expect(await c.command('T2 SEARCH SUBJECT "für"')).toContain('* SEARCH 3\r\n');
    expect(await c.command('T3 SEARCH FROM "carol" TO "dan"')).toContain('* SEARCH 1 2 3\r\n');
    expect(await c.command('T4 SEARCH HEADER Message-ID "<1@example.com>"')).toContain('* SEARCH 4\r\n');
    expect(await c.command('T5 SEARCH NOT SUBJECT "hello"')).toContain('* SEARCH 1 3\r\n');
    expect(reads()).toBe(before);
    // A header the index does not keep is read from the blob.
    expect(await c.command('T6 SEARCH HEADER X-Tag "blue"')).toContain('* SEARCH 1 2 3\r\n');
    expect(reads()).toBeGreaterThan(before);
    await c.close();
  });

  it('FETCH ENVELOPE/BODYSTRUCTURE of many messages reads no blob and answers every message in order', async () => {
    const { store, reads } = counting(await makeStore());
    const c = await loggedIn(store);
    for (let i = 0; i < 30; i++) {
      const m = message(`n${i}`);
      await c.command(`A APPEND INBOX {${m.length}+}\r\n${m}`);
    }
    await c.command('S SELECT INBOX');
    await c.command('W FETCH 1:* (BODYSTRUCTURE)');
    const before = reads();
    const out = await c.command('F FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE)');
    const seqs = [...out.matchAll(/^\* (\d+) FETCH \(FLAGS \([^)]*\) ENVELOPE \("?[^\r\n]*"n(\d+)"/gm)];
    expect(seqs.map((m) => Number(m[1]))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(seqs.map((m) => Number(m[2]))).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(reads()).toBe(before);
    await c.close();
  });
});

import type { MailStore } from '@mailwire/store';
import { describe, expect, it } from 'vitest';
import { loggedIn, makeStore } from './helpers.js';

/**
 * FETCH of message data over many messages: small ones read in groups through the store's
 * optional `readBlobs` (the next group read while the current one is written out), large ones
 * streamed. Whatever `readBlobs` does, the replies are the ones `readMessage` alone gives.
 */

/** `store` with `readBlobs` replaced (`undefined`: removed). */
function withReadBlobs(store: MailStore, readBlobs: MailStore['readBlobs']): MailStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'readBlobs') return readBlobs;
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A message of about `size` octets, its text different per `i`. */
function message(i: number, size: number): string {
  const head = `From: a@example.com\r\nSubject: m${i}\r\nContent-Transfer-Encoding: ${i === 1 ? 'x-unknown' : '7bit'}\r\n\r\n`;
  const line = `line of message ${i} `.padEnd(70, String.fromCharCode(97 + (i % 26)));
  let body = '';
  while (head.length + body.length < size) body += `${line}\r\n`;
  return head + body;
}

/**
 * Sizes crossing every boundary of the body path: the 64 KiB streaming threshold (messages above
 * it are streamed, between groups), the 1 MiB group and the 1 MiB batch of ready replies.
 */
const SIZES = Array.from({ length: 70 }, (_, i) =>
  i % 17 === 5 ? 70_000 + i * 100 : i % 7 === 3 ? 64_000 + i : 2_000 + ((i * 7919) % 50_000),
);

async function filled(): Promise<MailStore> {
  const store = await makeStore();
  const c = await loggedIn(store);
  for (const [k, size] of SIZES.entries()) {
    const m = message(k + 1, size);
    await c.command(`A${k} APPEND INBOX {${m.length}+}\r\n${m}`);
  }
  await c.close();
  return store;
}

const COMMANDS = [
  'F1 FETCH 1:* BODY.PEEK[]',
  'F2 FETCH 2:60 (UID RFC822.SIZE BODY.PEEK[]<100.5000> BODY.PEEK[HEADER])',
  'F3 UID FETCH 60,3,1:2,40:45 (RFC822.HEADER RFC822.TEXT)',
  'F4 FETCH 20:* RFC822',
];

async function replies(store: MailStore): Promise<string[]> {
  const c = await loggedIn(store);
  await c.command('S EXAMINE INBOX');
  const out: string[] = [];
  for (const line of COMMANDS) out.push(await c.command(line));
  await c.close();
  return out;
}

describe('FETCH of message data through readBlobs', () => {
  it('gives byte for byte the replies of readMessage alone, across groups and streamed messages', async () => {
    const store = await filled();
    let calls = 0;
    const fast = await replies(
      withReadBlobs(store, (ids) => {
        calls++;
        return store.readBlobs!(ids);
      }),
    );
    const slow = await replies(withReadBlobs(store, undefined));
    expect(fast).toEqual(slow);
    // Several groups per command (so reads were started ahead), and every message is there.
    expect(calls).toBeGreaterThan(COMMANDS.length * 2);
    expect(fast[0]!.match(/^\* \d+ FETCH /gm)).toHaveLength(SIZES.length);
    const m70 = message(70, SIZES[69]!);
    expect(fast[0]).toContain(`* 70 FETCH (BODY[] {${m70.length}}\r\n${m70})\r\nF1 OK`);
  });

  it('falls back to readMessage for a blob readBlobs misses or returns with another size', async () => {
    const store = await filled();
    const slow = await replies(withReadBlobs(store, undefined));
    let n = 0;
    const fast = await replies(
      withReadBlobs(store, async (ids) => {
        const read = await store.readBlobs!(ids);
        return read.map((bytes) => {
          n++;
          if (bytes === undefined) return bytes;
          // Every third missing, every third one octet short, every third one octet long.
          if (n % 3 === 0) return undefined;
          if (n % 3 === 1) return bytes.subarray(0, bytes.length - 1);
          const longer = new Uint8Array(bytes.length + 1);
          longer.set(bytes);
          return longer;
        });
      }),
    );
    expect(fast).toEqual(slow);
  });

  it('a read started ahead that fails after the command ended is not an unhandled rejection', async () => {
    const store = await filled();
    let calls = 0;
    const failing = withReadBlobs(store, async (ids) => {
      calls++;
      if (calls > 1) throw new Error('disk gone');
      return store.readBlobs!(ids);
    });
    const c = await loggedIn(failing);
    await c.command('S EXAMINE INBOX');
    // Message 1 has an unknown Content-Transfer-Encoding: the command ends at it (RFC 3516 §4.3),
    // with the second group's read already asked for.
    const out = await c.command('F FETCH 1:* (BODY.PEEK[] BINARY.PEEK[1])');
    expect(out).toMatch(/F NO \[UNKNOWN-CTE\]/);
    expect(calls).toBe(2);
    // A command that does need the failed group reports the failure.
    const failed = await c.command('G FETCH 1:* BODY.PEEK[]');
    expect(failed).toMatch(/G NO \[SERVERBUG\]/);
    await c.close();
    // Give a stray rejection the time to surface (vitest fails the run on one).
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
});

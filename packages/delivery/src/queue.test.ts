import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteQueue } from './sqlite-queue.js';

const dirs: string[] = [];
function dir() {
  const d = mkdtempSync(join(tmpdir(), 'mw-queue-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const enc = (s: string) => new TextEncoder().encode(s);

async function text(source: AsyncIterable<Uint8Array>) {
  let out = '';
  for await (const chunk of source) out += Buffer.from(chunk).toString('latin1');
  return out;
}

describe('createSqliteQueue', () => {
  it('keeps messages and recipient states across reopen, and removes them once final', async () => {
    const path = dir();
    let now = 1000;
    const q = createSqliteQueue({ path, now: () => now });
    async function* body() {
      yield enc('Subject: x\r\n\r\n');
      yield Uint8Array.of(0x63, 0x61, 0x66, 0xe9, 13, 10);
    }
    const id = await q.enqueue({
      from: 'a@example.org',
      to: ['b@example.com', { address: 'c@example.com', notify: ['FAILURE'], orcpt: 'c@example.com' }],
      message: body(),
    });
    await q.close();
    now = 2000;
    const q2 = createSqliteQueue({ path, now: () => now });
    const [m] = await q2.due(2000);
    expect(m).toMatchObject({
      id,
      from: 'a@example.org',
      size: 20,
      eightBit: true,
      attempts: 0,
      createdAt: 1000,
    });
    expect(m!.recipients.map((r) => [r.address, r.state, r.notify])).toEqual([
      ['b@example.com', 'pending', undefined],
      ['c@example.com', 'pending', ['FAILURE']],
    ]);
    expect(await text(q2.read(id))).toBe('Subject: x\r\n\r\ncaf\xe9\r\n');
    expect(Buffer.from(await q2.head(id, 10)).toString()).toBe('Subject: x');
    await q2.update(id, {
      recipients: [{ address: 'b@example.com', state: 'delivered', lastReply: '250 OK' }],
      nextAttemptAt: 5000,
    });
    expect(await q2.due(2000)).toEqual([]);
    expect(await q2.flush(2000)).toBe(1);
    expect((await q2.due(2000))[0]!.recipients.map((r) => r.state)).toEqual(['delivered', 'pending']);
    await q2.update(id, { recipients: [{ address: 'c@example.com', state: 'bounced' }], nextAttemptAt: 0 });
    expect(await q2.list()).toEqual([]);
    expect(readdirSync(join(path, 'messages'))).toEqual([]);
    await q2.close();
  });

  it('drops bodies without a row and temp files at open (a crash before the commit)', async () => {
    const path = dir();
    const q = createSqliteQueue({ path });
    await q.close();
    writeFileSync(join(path, 'messages', 'orphan'), 'x');
    writeFileSync(join(path, 'tmp', 'half'), 'x');
    const q2 = createSqliteQueue({ path });
    expect(readdirSync(join(path, 'messages'))).toEqual([]);
    expect(readdirSync(join(path, 'tmp'))).toEqual([]);
    await q2.close();
  });
});

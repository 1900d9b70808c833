/**
 * What only a Maildir store has: the files other tools see, and what happens when other tools
 * (mutt, mbsync, Dovecot, an MDA) change them underneath.
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { MailboxChange } from '@mailwire/store';
import { afterAll, describe, expect, it } from 'vitest';
import { bytes, cleanupDirs, openStore, tempDir } from './helpers.js';

afterAll(cleanupDirs);

const ALL = [[1, Number.POSITIVE_INFINITY]] as const;

async function setup() {
  const root = tempDir();
  const store = openStore(root);
  const account = await store.accounts.createAccount({ address: 'ann@example.com', password: 'secret pw' });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  return { root, store, account, inbox, home: join(root, account.id) };
}

/** The file in `<maildir>/<sub>` whose content is `text`. */
function fileWith(maildir: string, sub: string, text: string): string {
  const name = readdirSync(join(maildir, sub)).find(
    (n) => readFileSync(join(maildir, sub, n), 'utf8') === text,
  );
  if (name === undefined) throw new Error(`no file with ${text}`);
  return name;
}

/** Delivers a file the way an MDA does: write into tmp/, then rename into new/. */
function foreignDelivery(maildir: string, name: string, text: string): void {
  writeFileSync(join(maildir, 'tmp', name), text);
  renameSync(join(maildir, 'tmp', name), join(maildir, 'new', name));
}

describe('MaildirStore on disk', () => {
  it('writes Maildir++ that other tools read: folders, flags in names, keywords, S= sizes', async () => {
    const { root, store, account, inbox, home } = await setup();
    const box = await store.createMailbox(account.id, 'Entwürfe/2026', { subscribe: true });
    const plain = await store.append(inbox.id, bytes('Subject: a\r\n\r\nhi\r\n'), {
      internalDate: 1_700_000_000_000,
    });
    await store.append(box.id, bytes('Subject: b\r\n\r\nhi\r\n'), {
      internalDate: 1_700_000_000_000,
      flags: ['\\Seen', '\\Flagged', '$Work'],
    });
    const [inNew] = readdirSync(join(home, 'new'));
    expect(inNew).toMatch(new RegExp(`^\\d+\\.M\\d+P\\d+Q\\d+R[0-9a-f]+\\..+,S=${plain.size}$`));
    expect(statSync(join(home, 'new', inNew!)).mtimeMs).toBe(1_700_000_000_000);
    const folder = join(home, '.Entw&APw-rfe.2026');
    expect(readdirSync(join(home, '.Entw&APw-rfe'))).toContain('maildirfolder');
    const [inCur] = readdirSync(join(folder, 'cur'));
    expect(inCur).toMatch(/,S=\d+:2,FSa$/);
    expect(readFileSync(join(folder, 'dovecot-keywords'), 'utf8')).toBe('0 $Work\n');
    expect(readFileSync(join(folder, 'mailwire-uidlist'), 'utf8')).toMatch(/^MW1 V\d+ N2 M2 E0 I\S+\n1 M2 /);
    expect(readFileSync(join(home, 'subscriptions'), 'utf8')).toBe('Entwürfe/2026\n');
    const registry = readFileSync(join(root, 'mailwire-accounts.json'), 'utf8');
    expect(registry).toContain('ann@example.com');
    expect(registry).not.toContain('secret pw');
    expect(registry).toContain('$scrypt$');
    expect(store.limits.maxKeywords).toBe(26);
  });

  it('keeps UIDs when another tool moves new/ to cur/ and sets flags, and numbers foreign files above all', async () => {
    const { store, inbox, home } = await setup();
    const a = await store.append(inbox.id, bytes('Subject: a\r\n\r\n1\r\n'), { internalDate: 1 });
    const b = await store.append(inbox.id, bytes('Subject: b\r\n\r\n2\r\n'), { internalDate: 2 });
    const c = await store.append(inbox.id, bytes('Subject: c\r\n\r\n3\r\n'), {
      internalDate: 3,
      flags: ['\\Deleted'],
    });
    await store.expunge(inbox.id); // UID c is gone and must never come back
    const events: MailboxChange[] = [];
    store.subscribe(inbox.id, (change) => events.push(change));
    const before = (await store.getMailboxById(inbox.id))!;

    // The mutt way of reading a message: new/x → cur/x:2,S.
    const first = fileWith(home, 'new', 'Subject: a\r\n\r\n1\r\n');
    renameSync(join(home, 'new', first), join(home, 'cur', `${first}:2,S`));
    foreignDelivery(home, '1800000000.P999Q1.elsewhere', 'Subject: foreign\r\n\r\nfrom procmail\r\n');
    await store.rescan();

    const metas = await store.fetchMessages(inbox.id, ALL);
    expect(metas.map((m) => m.uid)).toEqual([a.uid, b.uid, expect.any(Number)]);
    const foreign = metas[2]!;
    expect(foreign.uid).toBeGreaterThan(c.uid);
    expect(foreign.uid).toBeGreaterThanOrEqual(before.uidNext);
    expect(foreign.size).toBe('Subject: foreign\r\n\r\nfrom procmail\r\n'.length);
    expect(metas[0]!.flags).toEqual(['\\Seen']);
    expect(metas[0]!.modseq).toBeGreaterThan(before.highestModseq);
    expect(metas[1]!.modseq).toBe(b.modseq);
    let text = '';
    for await (const chunk of await store.readMessage({ mailboxId: inbox.id, uid: foreign.uid }))
      text += Buffer.from(chunk).toString('latin1');
    expect(text).toContain('from procmail');
    expect(events.map((e) => e.type).sort()).toEqual(['exists', 'flags']);
    const info = (await store.getMailboxById(inbox.id))!;
    expect(info).toMatchObject({ messages: 3, unseen: 2, uidNext: foreign.uid + 1 });
  });

  it('notices changes without an explicit rescan, and expunges files another tool deleted', async () => {
    const { store, inbox, home } = await setup();
    const a = await store.append(inbox.id, bytes('a'), { internalDate: 1, flags: ['\\Seen'] });
    const b = await store.append(inbox.id, bytes('b'), { internalDate: 1, flags: ['\\Seen'] });
    const mark = (await store.getMailboxById(inbox.id))!.highestModseq;
    const victim = fileWith(home, 'cur', 'b');
    unlinkSync(join(home, 'cur', victim));
    foreignDelivery(home, '1800000001.P1Q1.other', 'c');
    const metas = await store.fetchMessages(inbox.id, ALL);
    expect(metas.map((m) => m.uid)).toEqual([a.uid, b.uid + 1]);
    const changes = await store.changesSince(inbox.id, mark);
    expect(changes).toMatchObject({ trimmed: false, expunged: [b.uid] });
    if (!changes.trimmed) expect(changes.changed.map((m) => m.uid)).toEqual([b.uid + 1]);
  });

  it('picks up changes made while it was closed, keeping UIDs across the restart', async () => {
    const { root, store, inbox, home } = await setup();
    const a = await store.append(inbox.id, bytes('a'), { internalDate: 1 });
    await store.close();
    await expect(store.fetchMessages(inbox.id, ALL)).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
    const [name] = readdirSync(join(home, 'new'));
    renameSync(join(home, 'new', name!), join(home, 'cur', `${name}:2,RS`));
    foreignDelivery(home, '1800000002.P1Q1.other', 'b');
    const reopened = openStore(root);
    const metas = await reopened.fetchMessages(inbox.id, ALL);
    expect(metas.map((m) => [m.uid, m.flags])).toEqual([
      [a.uid, ['\\Answered', '\\Seen']],
      [a.uid + 1, []],
    ]);
    await reopened.close();
  });

  it('adopts a folder Dovecot numbered, keeping its UIDVALIDITY and UIDs', async () => {
    const { store, account, home } = await setup();
    const dir = join(home, '.Imported');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, 'cur', '100.M1P1.host,S=1:2,S'), 'x');
    writeFileSync(join(dir, 'new', '101.M1P1.host,S=1'), 'y');
    writeFileSync(join(dir, 'new', '102.M1P1.host'), 'zz');
    writeFileSync(
      join(dir, 'dovecot-uidlist'),
      '3 V1234 N10 Gxyz\n5 :100.M1P1.host,S=1\n7 :101.M1P1.host,S=1\n',
    );
    const boxes = await store.listMailboxes(account.id);
    const imported = boxes.find((b) => b.name === 'Imported')!;
    expect(imported).toMatchObject({ uidValidity: 1234, messages: 3, unseen: 2 });
    const metas = await store.fetchMessages(imported.id, ALL);
    expect(metas.map((m) => [m.uid, m.size, m.flags])).toEqual([
      [5, 1, ['\\Seen']],
      [7, 1, []],
      [10, 2, []],
    ]);
  });

  it('never sweeps a fresh tmp/ file at open, even one whose mtime is an old internal date', async () => {
    // An append in flight in another process has set its spooled file's mtime to the message's
    // internal date; the 36-hour debris rule must judge by ctime, or it would delete it.
    const { root, store, home } = await setup();
    await store.close();
    writeFileSync(join(home, 'tmp', 'spooling'), 'x');
    const longAgo = (Date.now() - 37 * 3600 * 1000) / 1000;
    utimesSync(join(home, 'tmp', 'spooling'), longAgo, longAgo);
    const reopened = await openStore(root).opened();
    expect(readdirSync(join(home, 'tmp'))).toEqual(['spooling']);
    await reopened.close();
  });

  it('copies by hard link and moves by rename', async () => {
    const { store, account, inbox, home } = await setup();
    const dest = await store.createMailbox(account.id, 'Archive');
    const a = await store.append(inbox.id, bytes('to copy'), { internalDate: 1, flags: ['$Label'] });
    const copied = await store.copy(inbox.id, [a.uid], dest.id);
    const [src] = readdirSync(join(home, 'cur'));
    const [dst] = readdirSync(join(home, '.Archive', 'cur'));
    const s1 = statSync(join(home, 'cur', src!));
    const s2 = statSync(join(home, '.Archive', 'cur', dst!));
    expect(s2.ino).toBe(s1.ino);
    expect(s1.nlink).toBe(2);
    const [meta] = await store.fetchMessages(dest.id, [copied.mapping[0]!.destUid]);
    expect(meta!.blobId).toBe(a.blobId);
    expect(meta!.flags).toEqual(['$Label']);
    await store.move(inbox.id, [a.uid], dest.id);
    expect(readdirSync(join(home, 'cur'))).toEqual([]);
    expect(readdirSync(join(home, '.Archive', 'cur')).sort()).toEqual([dst, src].sort());
  });

  it('holds at most 26 keywords per folder (dovecot-keywords letters a–z)', async () => {
    const { store, inbox } = await setup();
    const keywords = Array.from({ length: 26 }, (_, i) => `$K${i}`);
    const m = await store.append(inbox.id, bytes('k'), { internalDate: 1, flags: keywords });
    const [meta] = await store.fetchMessages(inbox.id, [m.uid]);
    expect(meta!.flags).toEqual(keywords);
    await expect(
      store.setFlags(inbox.id, [m.uid], { mode: 'add', flags: ['$One-more'] }),
    ).rejects.toMatchObject({
      code: 'ERR_STORE_INVALID',
    });
    await expect(
      store.append(inbox.id, bytes('k'), { internalDate: 1, flags: ['$Other'] }),
    ).rejects.toMatchObject({
      code: 'ERR_STORE_INVALID',
    });
    // Case-insensitive: an existing keyword in another spelling still fits.
    const ok = await store.setFlags(inbox.id, [m.uid], { mode: 'replace', flags: ['$k3'] });
    expect(ok.changed[0]!.flags).toEqual(['$K3']);
  });

  it('takes the POP3 lock file over from a dead process, but not from a live one', async () => {
    const { store, account, home } = await setup();
    writeFileSync(join(home, 'mailwire-pop3.lock'), '999999999\n');
    const drop = await store.lockMaildrop(account.id);
    expect(readFileSync(join(home, 'mailwire-pop3.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await drop.release();
    writeFileSync(join(home, 'mailwire-pop3.lock'), `${process.ppid}\n`);
    await expect(store.lockMaildrop(account.id)).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' });
    unlinkSync(join(home, 'mailwire-pop3.lock'));
    // Closing the store drops the lock files it holds.
    await store.lockMaildrop(account.id);
    expect(readdirSync(home)).toContain('mailwire-pop3.lock');
    await store.close();
    expect(readdirSync(home)).not.toContain('mailwire-pop3.lock');
  });

  it('sees a folder another tool created and forgets one it removed', async () => {
    const { store, account, home } = await setup();
    const gone = await store.createMailbox(account.id, 'Gone');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(home, '.Lists.Rust', sub), { recursive: true });
    const events: MailboxChange[] = [];
    store.subscribe(gone.id, (c) => events.push(c));
    renameSync(join(home, '.Gone'), join(home, '.Renamed'));
    const names = (await store.listMailboxes(account.id)).map((b) => b.name);
    expect(names).toEqual(['INBOX', 'Lists/Rust', 'Renamed']);
    expect((await store.getMailboxById(gone.id))?.name).toBe('Renamed');
    expect(events).toMatchObject([{ type: 'mailboxRenamed', name: 'Renamed' }]);
  });
});

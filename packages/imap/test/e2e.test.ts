import { execFile, spawn } from 'node:child_process';
import { createSelfSignedCertificate, type MailwireServer, listen } from '@mailwire/node';
import type { MailStore } from '@mailwire/store';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../src/index.js';
import { makeStore, SAMPLE } from './helpers.js';

/** End-to-end over TCP with clients nobody here wrote: Python's imaplib, curl, imapflow. */

let server: MailwireServer;
let store: MailStore;

beforeAll(async () => {
  store = await makeStore();
  server = await listen({
    port: 0,
    host: '127.0.0.1',
    onConnection: (transport) =>
      serve(transport, { store, allowInsecureAuth: true, starttls: false, now: Date.now }),
  });
});

afterAll(async () => {
  await server.close({ graceMs: 0 });
});

function run(
  command: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

function available(command: string): Promise<boolean> {
  return new Promise((resolve) => execFile(command, ['--version'], (error) => resolve(error === null)));
}

const PYTHON = `
import imaplib, json, sys
port = int(sys.argv[1])
out = {}
M = imaplib.IMAP4('127.0.0.1', port)
out['login'] = M.login('alice@example.com', 'secret')[0]
M.create('Archive')
out['list'] = [l.decode() for l in M.list()[1]]
msg = open(sys.argv[2], 'rb').read()
out['append'] = M.append('INBOX', '(\\\\Flagged)', None, msg)[1][0].decode()
M.append('INBOX', None, None, msg)
typ, data = M.select('INBOX')
out['exists'] = data[0].decode()
typ, data = M.fetch('1', '(BODYSTRUCTURE BODY.PEEK[1]<0.4>)')
out['fetch'] = [d.decode() if isinstance(d, bytes) else [x.decode() for x in d] for d in data]
out['search'] = M.search(None, 'FLAGGED')[1][0].decode()
out['uidsearch'] = M.uid('SEARCH', None, 'ALL')[1][0].decode()
out['store'] = M.store('2', '+FLAGS', '(\\\\Seen)')[1][0].decode()
out['copy'] = M.copy('1', 'Archive')[0]
out['move'] = M.uid('MOVE', '2', 'Archive')[0]
M.store('1', '+FLAGS', '(\\\\Deleted)')
out['expunge'] = [x.decode() for x in M.expunge()[1] if x]
out['status'] = M.status('Archive', '(MESSAGES)')[1][0].decode()
M.logout()
print(json.dumps(out))
`;

describe('end to end over TCP', () => {
  it('serves Python imaplib: login, list, append, select, fetch, search, store, copy, move, expunge', async () => {
    if (!(await available('python3'))) return;
    const fs = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'imap-e2e-'));
    const msgPath = path.join(dir, 'msg.eml');
    await fs.writeFile(msgPath, SAMPLE);
    const result = await run('python3', ['-c', PYTHON, String(server.port), msgPath]);
    await fs.rm(dir, { recursive: true, force: true });
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout);
    expect(out.login).toBe('OK');
    expect(out.list).toContain('(\\HasNoChildren) "/" Archive');
    expect(out.append).toMatch(/^\[APPENDUID \d+ 1\]/);
    expect(out.exists).toBe('2');
    expect(out.fetch[0][0]).toContain('BODYSTRUCTURE (("text" "plain"');
    expect(out.fetch[0][1]).toBe('Caf=');
    expect(out.search).toBe('1');
    expect(out.uidsearch).toBe('1 2');
    expect(out.store).toContain('FLAGS (\\Seen \\Recent)');
    expect(out.copy).toBe('OK');
    expect(out.move).toBe('OK');
    // imaplib collects every untagged EXPUNGE: MOVE's (message 2), then EXPUNGE's (message 1).
    expect(out.expunge).toEqual(['2', '1']);
    expect(out.status).toContain('(MESSAGES 2)');
  });

  it('serves curl: list mailboxes and fetch a message by UID', async () => {
    if (!(await available('curl'))) return;
    const account = (await store.accounts.lookup('alice@example.com'))!;
    const box = await store.createMailbox(account.id, 'Curl');
    await store.append(box.id, new TextEncoder().encode(SAMPLE), { internalDate: 0 });
    const url = `imap://127.0.0.1:${server.port}`;
    const list = await run('curl', [
      '-s',
      '-S',
      '--max-time',
      '10',
      `${url}/`,
      '-u',
      'alice@example.com:secret',
    ]);
    expect(list.stderr).toBe('');
    expect(list.stdout).toContain('"/" Curl');
    const fetched = await run('curl', [
      '-s',
      '-S',
      '--max-time',
      '10',
      `${url}/Curl;UID=1`,
      '-u',
      'alice@example.com:secret',
    ]);
    expect(fetched.stderr).toBe('');
    expect(fetched.stdout).toBe(SAMPLE);
  });

  it('serves imapflow: login, list, fetch, and IDLE woken by an append from another connection', async () => {
    const account = (await store.accounts.lookup('alice@example.com'))!;
    const box = await store.createMailbox(account.id, 'Flow');
    await store.append(box.id, new TextEncoder().encode(SAMPLE), { internalDate: 0 });
    const options = {
      host: '127.0.0.1',
      port: server.port,
      secure: false,
      auth: { user: 'alice@example.com', pass: 'secret' },
      logger: false as const,
    };
    const client = new ImapFlow(options);
    await client.connect();
    const list = await client.list();
    expect(list.map((m) => m.path)).toContain('Flow');
    const lock = await client.getMailboxLock('Flow');
    try {
      const message = await client.fetchOne('1', {
        envelope: true,
        bodyStructure: true,
        source: true,
        uid: true,
      });
      if (message === false) throw new Error('message 1 not fetched');
      expect(message.envelope?.subject).toBe('Grüße hello');
      expect(message.source?.toString()).toBe(SAMPLE);
      const woke = new Promise<number>((resolve) => {
        client.on('exists', (data: { count: number }) => resolve(data.count));
      });
      const idling = client.idle();
      await new Promise((r) => setTimeout(r, 200));
      const other = new ImapFlow(options);
      await other.connect();
      const started = Date.now();
      await other.append('Flow', SAMPLE);
      expect(await woke).toBe(2);
      expect(Date.now() - started).toBeLessThan(1000);
      await other.logout();
      void idling;
      // More of what a real client does: search, flags, copy, move, expunge.
      expect(await client.search({ subject: 'hello' }, { uid: true })).toEqual([1, 2]);
      await client.messageFlagsAdd({ uid: '1' }, ['\\Seen'], { uid: true });
      expect(await client.search({ seen: false }, { uid: true })).toEqual([2]);
      await client.mailboxCreate('Flow/Done');
      const copied = await client.messageCopy('1', 'Flow/Done', { uid: true });
      expect(copied !== false && copied.uidMap?.get(1)).toBe(1);
      const moved = await client.messageMove('2', 'Flow/Done', { uid: true });
      expect(moved !== false && moved.uidMap?.get(2)).toBe(2);
      await client.messageDelete('1', { uid: true });
      const status = await client.status('Flow/Done', { messages: true, unseen: true });
      expect(status !== false && [status.messages, status.unseen]).toEqual([2, 1]);
    } finally {
      lock.release();
    }
    const flow = await client.status('Flow', { messages: true });
    expect(flow !== false && flow.messages).toBe(0);
    await client.logout();
  });

  it('upgrades with STARTTLS for imaplib, refusing LOGIN before it', async () => {
    if (!(await available('python3'))) return;
    const tlsServer = await listen({
      port: 0,
      host: '127.0.0.1',
      tls: createSelfSignedCertificate(),
      onConnection: (transport) => serve(transport, { store, now: Date.now }),
    });
    try {
      const script = `
import imaplib, ssl, sys, json
M = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
out = {'before': list(M.capabilities)}
try:
    M.login('alice@example.com', 'secret')
    out['plain'] = 'accepted'
except imaplib.IMAP4.error as e:
    out['plain'] = 'refused'
M.starttls(ssl._create_unverified_context())
out['after'] = list(M.capabilities)
out['login'] = M.login('alice@example.com', 'secret')[0]
M.logout()
print(json.dumps(out))
`;
      const result = await run('python3', ['-c', script, String(tlsServer.port)]);
      expect(result.stderr).toBe('');
      const out = JSON.parse(result.stdout);
      expect(out.before).toContain('STARTTLS');
      expect(out.before).toContain('LOGINDISABLED');
      expect(out.plain).toBe('refused');
      expect(out.after).not.toContain('STARTTLS');
      expect(out.after).toContain('AUTH=PLAIN');
      expect(out.login).toBe('OK');
    } finally {
      await tlsServer.close({ graceMs: 0 });
    }
  });
});

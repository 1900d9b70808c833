/**
 * Mail authentication through the example server: inbound SPF/DKIM/DMARC verdicts written as
 * Authentication-Results, DMARC p=reject enforced, and DKIM signing of submitted mail verified by
 * a second instance acting as the remote MX. DNS answers come from a fake resolver.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DkimSigner } from '@mailwire/auth';
import { createNodeDkimCrypto, dkimPublicKeyRecord } from '@mailwire/auth/node';
import { createFakeResolver } from '@mailwire/dns';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, PASSWORD, python, startTestServer, type TestServer } from './helpers.js';

const senderKey = generateKeyPairSync('ed25519')
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();
const ourKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

const zone = {
  'elsewhere.test': { txt: ['v=spf1 ip4:127.0.0.1 -all'] },
  '_dmarc.elsewhere.test': { txt: ['v=DMARC1; p=reject'] },
  'sel._domainkey.elsewhere.test': { txt: [dkimPublicKeyRecord(senderKey)] },
  'strict.test': { txt: ['v=spf1 ip4:192.0.2.1 -all'] },
  '_dmarc.strict.test': { txt: ['v=DMARC1; p=reject'] },
  'example.test': { txt: ['v=spf1 ip4:127.0.0.1 -all'] },
  'mw._domainkey.example.test': { txt: [dkimPublicKeyRecord(ourKey)] },
};

let mx: TestServer;
let sender: TestServer;

beforeAll(async () => {
  mx = await startTestServer({
    env: { MAILWIRE_DOMAINS: 'remote.test' },
    hooks: { resolver: createFakeResolver(zone) },
  });
  await addUser(mx, 'rita@remote.test');
  const keyFile = join(mx.dataDir, 'dkim.pem');
  writeFileSync(keyFile, ourKey);
  sender = await startTestServer({
    env: {
      MAILWIRE_ROUTES: `remote.test=127.0.0.1:${mx.ports.smtp}`,
      MAILWIRE_QUEUE_INTERVAL_MS: '300',
      MAILWIRE_DKIM_DOMAIN: 'example.test',
      MAILWIRE_DKIM_SELECTOR: 'mw',
      MAILWIRE_DKIM_KEY: keyFile,
      MAILWIRE_DKIM_ALGORITHM: 'ed25519-sha256',
    },
  });
  await addUser(sender, 'alice@example.test');
});
afterAll(async () => {
  await sender?.dispose();
  await mx?.dispose();
});

async function messages(server: TestServer, address: string): Promise<string[]> {
  const account = await server.store.accounts.lookup(address);
  const box = await server.store.getMailbox(account!.id, 'INBOX');
  const out: string[] = [];
  for (const m of await server.store.fetchMessages(box!.id, [[1, Number.POSITIVE_INFINITY]])) {
    const chunks: Buffer[] = [];
    for await (const c of await server.store.readMessage({ mailboxId: box!.id, uid: m.uid }))
      chunks.push(Buffer.from(c));
    out.push(Buffer.concat(chunks).toString('latin1'));
  }
  return out;
}

const SEND = `
import smtplib, sys
with smtplib.SMTP('127.0.0.1', int(sys.argv[1])) as s:
    s.ehlo('client.elsewhere.test')
    try:
        s.sendmail(sys.argv[2], [sys.argv[3]], open(sys.argv[4], 'rb').read())
        print('OK')
    except smtplib.SMTPDataError as e:
        print('REFUSED', e.smtp_code, e.smtp_error.decode())
`;

async function sendFile(from: string, to: string, message: string) {
  const file = join(mx.dataDir, `msg-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, message, 'latin1');
  return python(SEND, [mx.ports.smtp!, from, to, file]);
}

describe('inbound verdicts', () => {
  it('adds Authentication-Results with spf, dkim and dmarc pass for a signed, aligned message', async () => {
    const message =
      'From: Xavier <x@elsewhere.test>\r\nTo: rita@remote.test\r\nSubject: signed\r\n\r\nHello, signed world.\r\n';
    const signer = new DkimSigner({
      crypto: createNodeDkimCrypto(),
      domain: 'elsewhere.test',
      selector: 'sel',
      privateKey: senderKey,
      algorithm: 'ed25519-sha256',
    });
    signer.update(Buffer.from(message, 'latin1'));
    const signed = (await signer.finish()) + message;
    const sent = await sendFile('x@elsewhere.test', 'rita@remote.test', signed);
    expect(sent.stdout.trim()).toBe('OK');
    const stored = (await messages(mx, 'rita@remote.test')).find((m) => m.includes('Subject: signed'))!;
    const results = /^Authentication-Results: [^\r\n]*(?:\r\n[ \t][^\r\n]*)*/m.exec(stored)![0];
    expect(results).toMatch(/spf=pass/);
    expect(results).toMatch(/dkim=pass[^;]*header\.d=elsewhere\.test/);
    expect(results).toMatch(/dmarc=pass/);
  });

  it('refuses a forged From of a p=reject domain with 550 5.7.1', async () => {
    const forged =
      'From: The Boss <boss@strict.test>\r\nTo: rita@remote.test\r\nSubject: wire money\r\n\r\nNow.\r\n';
    const sent = await sendFile('boss@strict.test', 'rita@remote.test', forged);
    expect(sent.stdout).toMatch(/^REFUSED 550 5\.7\.1/);
    expect((await messages(mx, 'rita@remote.test')).some((m) => m.includes('wire money'))).toBe(false);
  });
});

describe('outbound signing', () => {
  it('DKIM-signs submitted mail, and the receiving instance verifies it', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: sender.ports.submissions,
      secure: true,
      auth: { user: 'alice@example.test', pass: PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    await transport.sendMail({
      from: 'alice@example.test',
      to: 'rita@remote.test',
      subject: 'signed by us',
      text: 'dkim please',
    });
    transport.close();
    let received: string | undefined;
    for (let i = 0; i < 75 && !received; i++) {
      received = (await messages(mx, 'rita@remote.test')).find((m) => m.includes('signed by us'));
      if (!received) await new Promise((r) => setTimeout(r, 200));
    }
    expect(received).toBeDefined();
    expect(received).toMatch(/^DKIM-Signature: v=1; a=ed25519-sha256;/m);
    expect(received).toMatch(/dkim=pass[^;]*header\.d=example\.test/);
    expect(received).toMatch(/dmarc=none|dmarc=pass/);
  });
});

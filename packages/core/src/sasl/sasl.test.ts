import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { latin1, utf8 } from '../bytes.js';
import { decodeBase64, encodeBase64 } from '../crypto/base64.js';
import { MailwireError } from '../errors.js';
import { ScramSha256Server, deriveScramKeys } from './scram.js';
import { createSaslServer, decodeSaslResponse } from './server.js';
import type { SaslCredentials, SaslServer, SaslStep, SaslVerifyResult, ScramStoredKeys } from './types.js';

// ---------------------------------------------------------------------------------------------
// A protocol driver as SMTP/IMAP/POP3 would write it: base64 on the wire, `*` cancels.

type Answer = Uint8Array | '*';
interface Client {
  readonly initial: Uint8Array | undefined;
  answer(challenge: Uint8Array): Answer;
  /** Called with the success step's serverData, if any. */
  final?(serverData: Uint8Array | undefined): void;
}
type App = (credentials: SaslCredentials) => SaslVerifyResult;

function exchange(server: SaslServer, client: Client, app: App): { step: SaslStep; transcript: string[] } {
  const transcript: string[] = [];
  const line = (answer: Answer) => (answer === '*' ? '*' : encodeBase64(answer));
  let step: SaslStep;
  if (client.initial === undefined) {
    step = server.start(undefined);
  } else {
    const wire = client.initial.length === 0 ? '=' : encodeBase64(client.initial);
    transcript.push(`C: ${wire}`);
    const decoded = decodeSaslResponse(utf8(wire), { initial: true });
    if (decoded.type !== 'data') throw new Error('driver: bad initial response');
    step = server.start(decoded.data);
  }
  for (let rounds = 0; rounds < 10; rounds++) {
    if (step.type === 'challenge') {
      transcript.push(`S: + ${encodeBase64(step.challenge)}`);
      const wire = line(client.answer(step.challenge));
      transcript.push(`C: ${wire}`);
      const decoded = decodeSaslResponse(utf8(wire));
      if (decoded.type === 'cancel') return { step: { type: 'failure', reason: 'aborted' }, transcript };
      if (decoded.type === 'malformed') return { step: { type: 'failure', reason: 'malformed' }, transcript };
      step = server.respond(decoded.data);
    } else if (step.type === 'verify') {
      step = server.verified(app(step.credentials));
    } else {
      if (step.type === 'success') client.final?.(step.serverData);
      transcript.push(step.type === 'success' ? 'S: OK' : `S: NO ${step.reason}`);
      return { step, transcript };
    }
  }
  throw new Error('driver: too many rounds');
}

const PASSWORDS: Record<string, string> = { alice: 'wonderland', 'bob,=x': 'builder', user: 'pencil' };
const passwordApp: App = (c) =>
  c.mechanism === 'PLAIN' || c.mechanism === 'LOGIN'
    ? { ok: PASSWORDS[c.username] === c.password }
    : { ok: false };

function fixedRandom(bytes: number[]): (length: number) => Uint8Array {
  return (length) => Uint8Array.from({ length }, (_, i) => bytes[i % bytes.length]!);
}

// ---------------------------------------------------------------------------------------------

describe('createSaslServer', () => {
  it('knows the six mechanisms, case-insensitively, and nothing else', () => {
    for (const name of ['PLAIN', 'login', 'Cram-MD5', 'SCRAM-SHA-256', 'xoauth2', 'OAUTHBEARER']) {
      expect(createSaslServer(name)?.mechanism).toBe(name.toUpperCase());
    }
    expect(createSaslServer('SCRAM-SHA-1')).toBeUndefined();
    expect(createSaslServer('GSSAPI')).toBeUndefined();
    expect(createSaslServer('')).toBeUndefined();
  });

  it('calls out of turn are caller misuse', () => {
    const server = createSaslServer('PLAIN')!;
    expect(() => server.respond(utf8('x'))).toThrow(/respond\(\) called, expected start\(\)/);
    expect(() => server.verified({ ok: true })).toThrow(MailwireError);
    server.start(utf8('\0alice\0wonderland'));
    expect(() => server.start(undefined)).toThrow(/start\(\) called, expected verified\(\)/);
    expect(server.verified({ ok: true }).type).toBe('success');
    try {
      server.verified({ ok: true });
      expect.unreachable();
    } catch (error) {
      expect(MailwireError.isInstance(error)).toBe(true);
      expect((error as MailwireError).code).toBe('ERR_INVALID_STATE');
    }
  });
});

describe('decodeSaslResponse', () => {
  it('reads cancel, empty initial response, base64 and garbage', () => {
    expect(decodeSaslResponse(utf8('*'))).toEqual({ type: 'cancel' });
    expect(decodeSaslResponse(utf8('='), { initial: true })).toEqual({
      type: 'data',
      data: new Uint8Array(0),
    });
    expect(decodeSaslResponse(utf8(''))).toEqual({ type: 'data', data: new Uint8Array(0) });
    expect(decodeSaslResponse(utf8(''), { initial: true })).toEqual({ type: 'malformed' });
    expect(decodeSaslResponse(utf8('='))).toEqual({ type: 'malformed' });
    expect(decodeSaslResponse(utf8('dXNlcg=='))).toEqual({ type: 'data', data: utf8('user') });
    expect(decodeSaslResponse(utf8('dXNlcg'))).toEqual({ type: 'malformed' });
    expect(decodeSaslResponse(utf8('**'))).toEqual({ type: 'malformed' });
  });
});

// ---------------------------------------------------------------------------------------------

const plainClient = (message: Uint8Array, initial: boolean): Client => ({
  initial: initial ? message : undefined,
  answer: () => message,
});

describe('PLAIN (RFC 4616)', () => {
  it('authenticates with an initial response', () => {
    const { step, transcript } = exchange(
      createSaslServer('PLAIN')!,
      plainClient(utf8('\0alice\0wonderland'), true),
      passwordApp,
    );
    expect(step).toEqual({ type: 'success', username: 'alice', authzid: '' });
    expect(transcript).toEqual(['C: AGFsaWNlAHdvbmRlcmxhbmQ=', 'S: OK']);
  });

  it('authenticates after an empty challenge, with an authzid, in UTF-8', () => {
    let seen: SaslCredentials | undefined;
    const { step, transcript } = exchange(
      createSaslServer('PLAIN')!,
      plainClient(utf8('admin\0zoë\0pässword'), false),
      (c) => {
        seen = c;
        return { ok: true };
      },
    );
    expect(transcript[0]).toBe('S: + ');
    expect(seen).toEqual({ mechanism: 'PLAIN', authzid: 'admin', username: 'zoë', password: 'pässword' });
    expect(step).toEqual({ type: 'success', username: 'zoë', authzid: 'admin' });
  });

  it('fails a wrong password as invalid', () => {
    const { step } = exchange(
      createSaslServer('PLAIN')!,
      plainClient(utf8('\0alice\0nope'), true),
      passwordApp,
    );
    expect(step).toEqual({ type: 'failure', reason: 'invalid' });
  });

  it.each([
    ['no NUL', utf8('alice wonderland')],
    ['one NUL', utf8('alice\0wonderland')],
    ['three NULs', utf8('\0alice\0wonder\0land')],
    ['empty authcid', utf8('\0\0wonderland')],
    ['empty password', utf8('\0alice\0')],
    ['invalid UTF-8', Uint8Array.from([0, 0xc3, 0x28, 0, 0x61])],
    ['oversized password', utf8(`\0alice\0${'x'.repeat(1025)}`)],
    ['empty message', new Uint8Array(0)],
  ])('refuses %s as malformed', (_name, message) => {
    expect(exchange(createSaslServer('PLAIN')!, plainClient(message, true), passwordApp).step).toEqual({
      type: 'failure',
      reason: 'malformed',
    });
  });

  it('accepts 255-octet fields (RFC 4616 §2 minimum)', () => {
    const name = 'n'.repeat(255);
    const { step } = exchange(
      createSaslServer('PLAIN')!,
      plainClient(utf8(`${'z'.repeat(255)}\0${name}\0${'p'.repeat(255)}`), true),
      () => ({ ok: true }),
    );
    expect(step).toMatchObject({ type: 'success', username: name });
  });

  it('a cancelled exchange ends as aborted without reaching the application', () => {
    let asked = false;
    const { step, transcript } = exchange(
      createSaslServer('PLAIN')!,
      { initial: undefined, answer: () => '*' },
      () => {
        asked = true;
        return { ok: true };
      },
    );
    expect(step).toEqual({ type: 'failure', reason: 'aborted' });
    expect(transcript).toEqual(['S: + ', 'C: *']);
    expect(asked).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

function loginClient(username: string, password: string, initial: boolean): Client {
  return {
    initial: initial ? utf8(username) : undefined,
    answer: (challenge) => {
      const prompt = latin1(challenge);
      if (prompt === 'Username:') return utf8(username);
      if (prompt === 'Password:') return utf8(password);
      throw new Error(`unexpected prompt ${prompt}`);
    },
  };
}

describe('LOGIN', () => {
  it('prompts Username: then Password:', () => {
    const { step, transcript } = exchange(
      createSaslServer('LOGIN')!,
      loginClient('alice', 'wonderland', false),
      passwordApp,
    );
    expect(step).toEqual({ type: 'success', username: 'alice', authzid: '' });
    expect(transcript).toEqual([
      'S: + VXNlcm5hbWU6',
      'C: YWxpY2U=',
      'S: + UGFzc3dvcmQ6',
      'C: d29uZGVybGFuZA==',
      'S: OK',
    ]);
  });

  it('takes the user name as initial response', () => {
    const { step, transcript } = exchange(
      createSaslServer('LOGIN')!,
      loginClient('alice', 'wonderland', true),
      passwordApp,
    );
    expect(step.type).toBe('success');
    expect(transcript).toEqual(['C: YWxpY2U=', 'S: + UGFzc3dvcmQ6', 'C: d29uZGVybGFuZA==', 'S: OK']);
  });

  it('treats an empty initial response (AUTH LOGIN =) as none', () => {
    expect(createSaslServer('LOGIN')!.start(new Uint8Array(0))).toEqual({
      type: 'challenge',
      challenge: utf8('Username:'),
    });
  });

  it('fails a wrong password, an empty user name, invalid UTF-8 and cancel', () => {
    expect(exchange(createSaslServer('LOGIN')!, loginClient('alice', 'x', false), passwordApp).step).toEqual({
      type: 'failure',
      reason: 'invalid',
    });
    expect(exchange(createSaslServer('LOGIN')!, loginClient('', 'x', false), passwordApp).step).toEqual({
      type: 'failure',
      reason: 'malformed',
    });
    const bad: Client = { initial: undefined, answer: () => Uint8Array.from([0xff]) };
    expect(exchange(createSaslServer('LOGIN')!, bad, passwordApp).step.type).toBe('failure');
    const cancel: Client = { initial: utf8('alice'), answer: () => '*' };
    expect(exchange(createSaslServer('LOGIN')!, cancel, passwordApp).step).toEqual({
      type: 'failure',
      reason: 'aborted',
    });
  });
});

// ---------------------------------------------------------------------------------------------

function cramClient(username: string, secret: string): Client {
  return {
    initial: undefined,
    answer: (challenge) => utf8(`${username} ${createHmac('md5', secret).update(challenge).digest('hex')}`),
  };
}

const cramApp: App = (c) => ({ ok: c.mechanism === 'CRAM-MD5' && c.verify(PASSWORDS[c.username] ?? '') });

describe('CRAM-MD5 (RFC 2195)', () => {
  it('reproduces the RFC 2195 §2 example', () => {
    // 1896 and 697170952 as two big-endian 32-bit numbers.
    const server = createSaslServer('CRAM-MD5', {
      hostname: 'postoffice.reston.mci.net',
      randomBytes: () => Uint8Array.from([0, 0, 0x07, 0x68, 0x29, 0x8d, 0xfc, 0x8]),
    })!;
    const step = server.start(undefined);
    expect(step.type === 'challenge' && encodeBase64(step.challenge)).toBe(
      'PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+',
    );
    const verify = server.respond(decodeBase64('dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw')!);
    expect(verify.type).toBe('verify');
    if (verify.type !== 'verify' || verify.credentials.mechanism !== 'CRAM-MD5') return;
    expect(verify.credentials.username).toBe('tim');
    expect(verify.credentials.verify('tanstaafTANSTAAF')).toBe(false);
    expect(verify.credentials.verify('tanstaaftanstaaf')).toBe(true);
    expect(server.verified({ ok: true })).toEqual({ type: 'success', username: 'tim', authzid: '' });
  });

  it('runs a full exchange with random challenges', () => {
    const { step, transcript } = exchange(
      createSaslServer('CRAM-MD5')!,
      cramClient('alice', 'wonderland'),
      cramApp,
    );
    expect(step).toEqual({ type: 'success', username: 'alice', authzid: '' });
    expect(latin1(decodeBase64(transcript[0]!.slice(5))!)).toMatch(/^<\d+\.\d+@localhost>$/);
    const a = createSaslServer('CRAM-MD5')!.start(undefined);
    const b = createSaslServer('CRAM-MD5')!.start(undefined);
    expect(a).not.toEqual(b);
  });

  it('fails a wrong secret as invalid, garbage as malformed', () => {
    expect(exchange(createSaslServer('CRAM-MD5')!, cramClient('alice', 'nope'), cramApp).step).toEqual({
      type: 'failure',
      reason: 'invalid',
    });
    for (const answer of ['alice', 'alice 1234', ` ${'0'.repeat(32)}`, `alice ${'g'.repeat(32)}`, '']) {
      const client: Client = { initial: undefined, answer: () => utf8(answer) };
      expect(exchange(createSaslServer('CRAM-MD5')!, client, cramApp).step).toEqual({
        type: 'failure',
        reason: 'malformed',
      });
    }
    expect(createSaslServer('CRAM-MD5')!.start(utf8('tim'))).toEqual({
      type: 'failure',
      reason: 'malformed',
    });
  });

  it('refuses a host name that breaks the msg-id', () => {
    expect(() => createSaslServer('CRAM-MD5', { hostname: 'a>b' })).toThrow(/hostname/);
    expect(() => createSaslServer('CRAM-MD5', { hostname: '' })).toThrow(/hostname/);
  });
});

// ---------------------------------------------------------------------------------------------
// SCRAM-SHA-256 client written against node:crypto, independent of the server's own crypto.

interface ScramClientOptions {
  readonly username: string;
  readonly password: string;
  readonly gs2?: string;
  readonly nonce?: string;
  readonly tamper?: (clientFinal: string) => string;
}

function scramClient(options: ScramClientOptions): Client & { verifiedServer: boolean } {
  const gs2 = options.gs2 ?? 'n,,';
  const nonce = options.nonce ?? randomBytes(18).toString('base64');
  const bare = `n=${options.username.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${nonce}`;
  let serverSignature = '';
  const client = {
    verifiedServer: false,
    initial: utf8(gs2 + bare),
    answer(challenge: Uint8Array): Answer {
      const serverFirst = latin1(challenge);
      const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
      if (!attrs.r?.startsWith(nonce)) throw new Error('client: server nonce does not extend ours');
      const salted = pbkdf2Sync(
        options.password.normalize('NFKC'),
        Buffer.from(attrs.s!, 'base64'),
        Number(attrs.i),
        32,
        'sha256',
      );
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      const storedKey = createHash('sha256').update(clientKey).digest();
      const withoutProof = `c=${Buffer.from(gs2).toString('base64')},r=${attrs.r}`;
      const authMessage = `${bare},${serverFirst},${withoutProof}`;
      const signature = createHmac('sha256', storedKey).update(authMessage).digest();
      const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
      const serverKey = createHmac('sha256', salted).update('Server Key').digest();
      serverSignature = createHmac('sha256', serverKey).update(authMessage).digest('base64');
      const final = `${withoutProof},p=${proof}`;
      return utf8(options.tamper ? options.tamper(final) : final);
    },
    final(serverData: Uint8Array | undefined) {
      client.verifiedServer = serverData !== undefined && latin1(serverData) === `v=${serverSignature}`;
    },
  };
  return client;
}

const salt = randomBytes(16);
const SCRAM_KEYS: Record<string, ScramStoredKeys> = {
  user: deriveScramKeys('pencil', salt, 4096),
  'bob,=x': deriveScramKeys('builder', salt, 4096),
  IX: deriveScramKeys('IX', salt, 4096),
  zoë: deriveScramKeys('pässwörd', salt, 4096),
};
const scramApp: App = (c) => {
  const keys = c.mechanism === 'SCRAM-SHA-256' ? SCRAM_KEYS[c.username] : undefined;
  return keys ? { ok: true, scramKeys: keys } : { ok: false };
};

describe('SCRAM-SHA-256 (RFC 5802, RFC 7677)', () => {
  it('reproduces the RFC 7677 §3 example exchange byte for byte', () => {
    const keys = deriveScramKeys('pencil', decodeBase64('W22ZaJ0SNY7soEsUEjb6gQ==')!, 4096);
    const server = new ScramSha256Server({}, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    const verify = server.start(utf8('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(verify).toEqual({
      type: 'verify',
      credentials: { mechanism: 'SCRAM-SHA-256', authzid: '', username: 'user' },
    });
    const serverFirst = server.verified({ ok: true, scramKeys: keys });
    expect(serverFirst.type === 'challenge' && latin1(serverFirst.challenge)).toBe(
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    const final = server.respond(
      utf8(
        'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      ),
    );
    expect(final.type).toBe('success');
    if (final.type !== 'success') return;
    expect(final.username).toBe('user');
    expect(latin1(final.serverData!)).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('runs a full exchange, and the client can check the server signature', () => {
    const client = scramClient({ username: 'user', password: 'pencil' });
    const { step, transcript } = exchange(createSaslServer('SCRAM-SHA-256')!, client, scramApp);
    expect(step).toMatchObject({ type: 'success', username: 'user', authzid: '' });
    expect(client.verifiedServer).toBe(true);
    expect(transcript).toHaveLength(4);
  });

  it('works server-first (no initial response), with gs2 flag y and an authzid', () => {
    const inner = scramClient({ username: 'user', password: 'pencil', gs2: 'y,a=admin=2Croot,' });
    const client: Client = {
      initial: undefined,
      answer: (c) => (c.length === 0 ? inner.initial! : inner.answer(c)),
    };
    const { step } = exchange(createSaslServer('scram-sha-256')!, client, scramApp);
    expect(step).toMatchObject({ type: 'success', username: 'user', authzid: 'admin,root' });
  });

  it('decodes escaped names and prepares them with SASLprep', () => {
    expect(
      exchange(
        createSaslServer('SCRAM-SHA-256')!,
        scramClient({ username: 'bob,=x', password: 'builder' }),
        scramApp,
      ).step,
    ).toMatchObject({ type: 'success', username: 'bob,=x' });
    // U+2168 ROMAN NUMERAL NINE becomes "IX" under NFKC.
    expect(
      exchange(
        createSaslServer('SCRAM-SHA-256')!,
        scramClient({ username: '\u2168', password: 'IX' }),
        scramApp,
      ).step,
    ).toMatchObject({ type: 'success', username: 'IX' });
    expect(
      exchange(
        createSaslServer('SCRAM-SHA-256')!,
        scramClient({ username: 'zoë', password: 'pässwörd' }),
        scramApp,
      ).step,
    ).toMatchObject({ type: 'success', username: 'zoë' });
  });

  it('fails a wrong password and a tampered proof as invalid', () => {
    expect(
      exchange(
        createSaslServer('SCRAM-SHA-256')!,
        scramClient({ username: 'user', password: 'pencil2' }),
        scramApp,
      ).step,
    ).toEqual({ type: 'failure', reason: 'invalid' });
    const flip = (final: string) => {
      const proof = Buffer.from(final.slice(final.indexOf(',p=') + 3), 'base64');
      proof[0]! ^= 1;
      return `${final.slice(0, final.indexOf(',p=') + 3)}${proof.toString('base64')}`;
    };
    expect(
      exchange(
        createSaslServer('SCRAM-SHA-256')!,
        scramClient({ username: 'user', password: 'pencil', tamper: flip }),
        scramApp,
      ).step,
    ).toEqual({ type: 'failure', reason: 'invalid' });
  });

  it('fails an unknown user at the verify step', () => {
    expect(
      exchange(
        createSaslServer('SCRAM-SHA-256')!,
        scramClient({ username: 'nobody', password: 'x' }),
        scramApp,
      ).step,
    ).toEqual({ type: 'failure', reason: 'invalid' });
  });

  it.each([
    ['a changed nonce', (f: string) => f.replace(',r=', ',r=X')],
    ['a channel-binding header that differs from gs2', (f: string) => f.replace('c=biws', 'c=eSws')],
    ['a missing proof', (f: string) => f.slice(0, f.indexOf(',p='))],
    ['a short proof', (f: string) => `${f.slice(0, f.indexOf(',p='))},p=AAAA`],
    ['proof that is not base64', (f: string) => `${f.slice(0, f.indexOf(',p='))},p=!!!!`],
    ['attributes out of order', (f: string) => f.split(',').reverse().join(',')],
  ])('refuses %s in client-final as malformed', (_name, tamper) => {
    expect(
      exchange(
        createSaslServer('SCRAM-SHA-256')!,
        scramClient({ username: 'user', password: 'pencil', tamper }),
        scramApp,
      ).step,
    ).toEqual({ type: 'failure', reason: 'malformed' });
  });

  it.each([
    ['no gs2 header', 'n=user,r=abc'],
    ['an unknown gs2 flag', 'x,,n=user,r=abc'],
    ['a mandatory extension', 'n,,m=ext,n=user,r=abc'],
    ['a bad saslname escape', 'n,,n=us=2Aer,r=abc'],
    ['an empty user name', 'n,,n=,r=abc'],
    ['a control character in the name', 'n,,n=us\u0007er,r=abc'],
    ['a nonce with a non-printable', 'n,,n=user,r=ab c'],
    ['an empty nonce', 'n,,n=user,r='],
    ['a missing nonce', 'n,,n=user'],
    ['an authzid without a=', 'n,admin,n=user,r=abc'],
    ['invalid UTF-8', '\u00ff'],
  ])('refuses %s in client-first as malformed', (_name, message) => {
    const server = createSaslServer('SCRAM-SHA-256')!;
    const bytes = message === '\u00ff' ? Uint8Array.from([0x6e, 0x2c, 0x2c, 0xff]) : utf8(message);
    expect(server.start(bytes)).toEqual({ type: 'failure', reason: 'malformed' });
  });

  it('refuses channel binding (gs2 flag p) since it is not offered', () => {
    expect(createSaslServer('SCRAM-SHA-256')!.start(utf8('p=tls-unique,,n=user,r=abc'))).toEqual({
      type: 'failure',
      reason: 'invalid',
    });
  });

  it('accepts extensions it does not know after the nonce', () => {
    const step = createSaslServer('SCRAM-SHA-256')!.start(utf8('n,,n=user,r=abc,x=whatever'));
    expect(step.type).toBe('verify');
  });

  it('a cancelled exchange ends as aborted', () => {
    const client: Client = { initial: utf8('n,,n=user,r=abc'), answer: () => '*' };
    expect(exchange(createSaslServer('SCRAM-SHA-256')!, client, scramApp).step).toEqual({
      type: 'failure',
      reason: 'aborted',
    });
  });

  it('verified({ ok: true }) without keys is caller misuse', () => {
    const server = createSaslServer('SCRAM-SHA-256')!;
    server.start(utf8('n,,n=user,r=abc'));
    expect(() => server.verified({ ok: true })).toThrow(/scramKeys/);
  });

  it('uses options.randomBytes for the server nonce', () => {
    const server = createSaslServer('SCRAM-SHA-256', { randomBytes: fixedRandom([0xfb]) })!;
    server.start(utf8('n,,n=user,r=abc'));
    const step = server.verified({ ok: true, scramKeys: SCRAM_KEYS.user! });
    expect(step.type === 'challenge' && latin1(step.challenge)).toMatch(/^r=abc(\+\/v7){6},s=/);
  });
});

describe('deriveScramKeys', () => {
  it('matches node:crypto and keeps the salt and iteration count', () => {
    const s = Uint8Array.from([1, 2, 3, 4]);
    const keys = deriveScramKeys('pencil', s, 4096);
    const salted = pbkdf2Sync('pencil', s, 4096, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    expect(Buffer.from(keys.storedKey).toString('hex')).toBe(
      createHash('sha256').update(clientKey).digest('hex'),
    );
    expect(Buffer.from(keys.serverKey).toString('hex')).toBe(
      createHmac('sha256', salted).update('Server Key').digest('hex'),
    );
    expect(keys.iterations).toBe(4096);
    expect(keys.salt).toEqual(s);
  });

  it('applies SASLprep to the password and refuses prohibited ones', () => {
    const s = Uint8Array.from([9]);
    // U+00AD SOFT HYPHEN maps to nothing; U+2168 is "IX" under NFKC.
    expect(deriveScramKeys('I\u00adX', s, 1)).toEqual(deriveScramKeys('IX', s, 1));
    expect(deriveScramKeys('\u2168', s, 1)).toEqual(deriveScramKeys('IX', s, 1));
    expect(deriveScramKeys('a\u00a0b', s, 1)).toEqual(deriveScramKeys('a b', s, 1));
    expect(() => deriveScramKeys('a\u0007b', s, 1)).toThrow(/SASLprep/);
    expect(() => deriveScramKeys('a\ue000b', s, 1)).toThrow(/SASLprep/);
    expect(() => deriveScramKeys('pencil', s, 0)).toThrow(/iterations/);
  });
});

// ---------------------------------------------------------------------------------------------

function xoauth2(user: string, token: string): Uint8Array {
  return utf8(`user=${user}\x01auth=Bearer ${token}\x01\x01`);
}
function oauthbearer(authzid: string | undefined, token: string): Uint8Array {
  const a = authzid === undefined ? '' : `a=${authzid}`;
  return utf8(`n,${a},\x01host=server.example.com\x01port=143\x01auth=Bearer ${token}\x01\x01`);
}

const TOKENS: Record<string, string> = {
  'someuser@example.com': 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg',
};
const tokenApp: App = (c) => ({
  ok: (c.mechanism === 'XOAUTH2' || c.mechanism === 'OAUTHBEARER') && TOKENS[c.username] === c.token,
});

describe('XOAUTH2', () => {
  it('authenticates with the initial response', () => {
    const message = xoauth2('someuser@example.com', TOKENS['someuser@example.com']!);
    const { step, transcript } = exchange(createSaslServer('XOAUTH2')!, plainClient(message, true), tokenApp);
    expect(step).toEqual({ type: 'success', username: 'someuser@example.com', authzid: '' });
    // Google's documented example encoding of this exact message.
    expect(transcript[0]).toBe(
      'C: dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==',
    );
  });

  it('a rejected token gets a JSON error challenge, then fails after the empty reply', () => {
    const answers: string[] = [];
    const client: Client = {
      initial: xoauth2('someuser@example.com', 'expired'),
      answer: (challenge) => {
        answers.push(latin1(challenge));
        return new Uint8Array(0);
      },
    };
    const { step, transcript } = exchange(createSaslServer('XOAUTH2')!, client, tokenApp);
    expect(JSON.parse(answers[0]!)).toMatchObject({ status: '401' });
    expect(transcript.slice(1)).toEqual([`S: + ${encodeBase64(utf8(answers[0]!))}`, 'C: ', 'S: NO invalid']);
    expect(step).toEqual({ type: 'failure', reason: 'invalid' });
  });

  it.each([
    ['no auth', 'user=a@b\x01\x01'],
    ['no user', 'auth=Bearer abc\x01\x01'],
    ['not a bearer token', 'user=a@b\x01auth=Basic abc\x01\x01'],
    ['no trailing ^A^A', 'user=a@b\x01auth=Bearer abc'],
    ['a duplicate key', 'user=a@b\x01user=c@d\x01auth=Bearer abc\x01\x01'],
    ['an empty message', ''],
  ])('refuses %s as malformed', (_name, message) => {
    expect(exchange(createSaslServer('XOAUTH2')!, plainClient(utf8(message), false), tokenApp).step).toEqual({
      type: 'failure',
      reason: 'malformed',
    });
  });
});

describe('OAUTHBEARER (RFC 7628)', () => {
  it('authenticates the RFC 7628 §4.1 style message', () => {
    const { step } = exchange(
      createSaslServer('OAUTHBEARER')!,
      plainClient(oauthbearer('someuser@example.com', TOKENS['someuser@example.com']!), true),
      tokenApp,
    );
    expect(step).toEqual({ type: 'success', username: 'someuser@example.com', authzid: '' });
  });

  it('reports the token without an authzid, with username ""', () => {
    let seen: SaslCredentials | undefined;
    const { step } = exchange(
      createSaslServer('OAUTHBEARER')!,
      plainClient(oauthbearer(undefined, 'abc=='), true),
      (c) => {
        seen = c;
        return { ok: true };
      },
    );
    expect(seen).toEqual({ mechanism: 'OAUTHBEARER', authzid: '', username: '', token: 'abc==' });
    expect(step.type).toBe('success');
  });

  it("a rejected token gets the RFC 7628 §3.2.2 error, then fails after the client's ^A", () => {
    const client: Client = {
      initial: oauthbearer('someuser@example.com', 'expired'),
      answer: (challenge) => {
        expect(JSON.parse(latin1(challenge))).toEqual({ status: 'invalid_token' });
        return Uint8Array.from([1]);
      },
    };
    const { step, transcript } = exchange(createSaslServer('OAUTHBEARER')!, client, tokenApp);
    expect(step).toEqual({ type: 'failure', reason: 'invalid' });
    expect(transcript.at(-2)).toBe('C: AQ==');
  });

  it('a cancel after the error challenge is aborted', () => {
    const client: Client = { initial: oauthbearer('a@b', 'expired'), answer: () => '*' };
    expect(exchange(createSaslServer('OAUTHBEARER')!, client, tokenApp).step).toEqual({
      type: 'failure',
      reason: 'aborted',
    });
  });

  it.each([
    ['channel binding', 'p=tls-unique,,\x01auth=Bearer abc\x01\x01'],
    ['no gs2 header', '\x01auth=Bearer abc\x01\x01'],
    ['a lone kvsep', '\x01'],
    ['no auth', 'n,,\x01host=x\x01\x01'],
    ['a bad key', 'n,,\x01ho-st=x\x01auth=Bearer abc\x01\x01'],
    ['a control character in a value', 'n,,\x01host=x\x00y\x01auth=Bearer abc\x01\x01'],
    ['an empty authzid', 'n,a=,\x01auth=Bearer abc\x01\x01'],
    ['a token with spaces', 'n,,\x01auth=Bearer abc def\x01\x01'],
  ])('refuses %s as malformed', (_name, message) => {
    expect(
      exchange(createSaslServer('OAUTHBEARER')!, plainClient(utf8(message), true), tokenApp).step,
    ).toEqual({
      type: 'failure',
      reason: 'malformed',
    });
  });
});

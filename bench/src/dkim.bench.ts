/**
 * DKIM signing and verification: `@mailwire/auth` (with `node:crypto` through
 * `createNodeDkimCrypto()`) against mailauth 4.x (`dkimSign` / `dkimVerify`), on the same
 * messages, the same keys (RSA 2048 and Ed25519), relaxed/relaxed, in one process with
 * interleaved runs. Both verifiers get the key records from the same in-memory DNS answers, so
 * no network is involved.
 *
 * Then constant memory: a 10 MB and a 100 MB message are signed and verified as a stream of
 * 64 KiB chunks (never held whole), each library in a child process of its own, and the peak RSS
 * and heap growth are reported: the same figures for both sizes mean memory does not grow with
 * the message.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  type DkimAlgorithm,
  type DkimVerifyOptions,
  DkimSigner,
  DkimVerifier,
  signDkim,
  verifyDkim,
} from '@mailwire/auth';
import { createNodeDkimCrypto, dkimPublicKeyRecord } from '@mailwire/auth/node';
import { multipartMessage } from './corpus.js';
import { measure, table } from './harness.js';

// mailauth 4.x ships no type declarations: its two entry points, typed as far as we use them.
const require = createRequire(import.meta.url);
const { dkimSign } = require('mailauth/lib/dkim/sign.js') as {
  dkimSign(input: Buffer | Readable, options: object): Promise<{ signatures: string; errors?: unknown[] }>;
};
const { dkimVerify } = require('mailauth/lib/dkim/verify.js') as {
  dkimVerify(
    input: Buffer | Readable,
    options: object,
  ): Promise<{ results: { status: { result: string } }[] }>;
};

const DOMAIN = 'example.test';
const NOW = new Date('2026-11-28T12:00:00Z');

interface Key {
  readonly algorithm: DkimAlgorithm;
  readonly selector: string;
  readonly privateKey: string;
  readonly record: string;
}

function makeKeys(): Key[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ed = generateKeyPairSync('ed25519');
  return [
    { algorithm: 'rsa-sha256', key: rsa.privateKey, selector: 'rsa' },
    { algorithm: 'ed25519-sha256', key: ed.privateKey, selector: 'ed' },
  ].map(({ algorithm, key, selector }) => ({
    algorithm: algorithm as DkimAlgorithm,
    selector,
    privateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    record: dkimPublicKeyRecord(key),
  }));
}

/** The same DNS answers for both libraries: `<selector>._domainkey.example.test` TXT. */
function zone(keys: readonly Key[]): Map<string, string> {
  return new Map(keys.map((k) => [`${k.selector}._domainkey.${DOMAIN}`, k.record]));
}

function mailwireResolver(records: Map<string, string>): DkimVerifyOptions['resolver'] {
  const none = async () => ({
    ok: false as const,
    kind: 'nxdomain' as const,
    negativeTtl: 300,
    authenticated: false,
  });
  return {
    mx: none,
    a: none,
    aaaa: none,
    tlsa: none,
    async txt(name: string) {
      const text = records.get(name.toLowerCase().replace(/\.$/, ''));
      if (text === undefined) return none();
      // 255-octet character-strings, as DNS carries them.
      const strings = text.match(/.{1,255}/g) ?? [];
      return { ok: true as const, records: [{ strings, text }], ttl: 300, authenticated: false };
    },
  };
}

function mailauthResolver(records: Map<string, string>) {
  return async (name: string, type: string) => {
    const text = type === 'TXT' ? records.get(name.toLowerCase().replace(/\.$/, '')) : undefined;
    if (text === undefined)
      throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return [text.match(/.{1,255}/g) ?? []];
  };
}

const crypto = createNodeDkimCrypto();

/** The signing options both the one-shot and the streaming @mailwire/auth signer get. */
function signOptions(key: Key) {
  return {
    crypto,
    domain: DOMAIN,
    selector: key.selector,
    privateKey: key.privateKey,
    algorithm: key.algorithm,
    timestamp: NOW,
  };
}

function mailwireSign(message: Uint8Array, key: Key): Promise<string> {
  return signDkim(message, signOptions(key));
}

async function mailauthSign(message: Buffer | Readable, key: Key): Promise<string> {
  const result = await dkimSign(message, {
    canonicalization: 'relaxed/relaxed',
    signTime: NOW,
    signatureData: [
      {
        signingDomain: DOMAIN,
        selector: key.selector,
        privateKey: key.privateKey,
        algorithm: key.algorithm,
        canonicalization: 'relaxed/relaxed',
      },
    ],
  });
  if (result.errors?.length) throw new Error(`mailauth sign: ${JSON.stringify(result.errors)}`);
  return result.signatures;
}

async function checkVerified(
  signed: Buffer,
  resolver: DkimVerifyOptions['resolver'],
  mailauth: ReturnType<typeof mailauthResolver>,
): Promise<void> {
  const ours = await verifyDkim(signed, { resolver, crypto, now: NOW });
  const theirs = await dkimVerify(signed, { resolver: mailauth, curTime: NOW });
  const theirResults = theirs.results.map((r) => r.status.result);
  if (ours[0]?.result !== 'pass' || theirResults[0] !== 'pass')
    throw new Error(`verification sanity check failed: ours ${ours[0]?.result}, mailauth ${theirResults}`);
}

// ---------------------------------------------------------------------------------------------
// Constant memory, in a child process per library.

const CHUNK = 64 * 1024;
/** A message of `size` octets as 64 KiB chunks of text lines, generated as they are read. */
function* bigMessage(header: string, size: number): Generator<Uint8Array> {
  yield Buffer.from(
    `${header}From: alice@${DOMAIN}\r\nTo: bob@example.org\r\nSubject: big\r\nDate: Sat, 28 Nov 2026 09:00:00 +0000\r\nMessage-ID: <big@${DOMAIN}>\r\n\r\n`,
    'latin1',
  );
  const line = 'mail wire lorem ipsum dolor sit amet protocol message header body octet 0123456789\r\n';
  const chunk = Buffer.from(line.repeat(Math.floor(CHUNK / line.length)), 'latin1');
  for (let sent = 0; sent < size; sent += chunk.length) yield Buffer.from(chunk); // a fresh buffer each time, as a socket gives
}

interface MemoryResult {
  readonly library: string;
  readonly sizeMb: number;
  readonly signSeconds: number;
  readonly verifySeconds: number;
  readonly baselineRssMb: number;
  readonly peakRssMb: number;
  readonly peakHeapGrowthMb: number;
  readonly verified: boolean;
}

async function memoryChild(library: string, sizeMb: number): Promise<MemoryResult> {
  const size = sizeMb * 1024 * 1024;
  const keys = makeKeys();
  const key = keys[0]!;
  const records = zone(keys);
  const mb = (n: number) => n / 1024 / 1024;
  globalThis.gc?.();
  const baselineRss = process.memoryUsage().rss;
  const baselineHeap = process.memoryUsage().heapUsed;
  let peakHeap = baselineHeap;
  let peakRss = baselineRss;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
    if (m.rss > peakRss) peakRss = m.rss;
  };
  let field: string;
  let verified: boolean;
  const t0 = performance.now();
  if (library === 'mailwire') {
    const signer = new DkimSigner(signOptions(key));
    let n = 0;
    for (const chunk of bigMessage('', size)) {
      signer.update(chunk);
      if (++n % 64 === 0) sample();
    }
    field = await signer.finish();
  } else {
    const source = Readable.from(bigMessage('', size), { objectMode: false });
    const timer = setInterval(sample, 20);
    field = await mailauthSign(source, key);
    clearInterval(timer);
  }
  const t1 = performance.now();
  if (library === 'mailwire') {
    const verifier = new DkimVerifier({ resolver: mailwireResolver(records), crypto, now: NOW });
    let n = 0;
    for (const chunk of bigMessage(field, size)) {
      verifier.update(chunk);
      if (++n % 64 === 0) sample();
    }
    verified = (await verifier.finish())[0]?.result === 'pass';
  } else {
    const source = Readable.from(bigMessage(field, size), { objectMode: false });
    const timer = setInterval(sample, 20);
    const result = await dkimVerify(source, { resolver: mailauthResolver(records), curTime: NOW });
    clearInterval(timer);
    verified = result.results[0]?.status.result === 'pass';
  }
  const t2 = performance.now();
  sample();
  return {
    library,
    sizeMb,
    signSeconds: (t1 - t0) / 1000,
    verifySeconds: (t2 - t1) / 1000,
    baselineRssMb: mb(baselineRss),
    peakRssMb: Math.max(mb(peakRss), process.resourceUsage().maxRSS / 1024),
    peakHeapGrowthMb: mb(peakHeap - baselineHeap),
    verified,
  };
}

function runMemoryChild(
  library: string,
  sizeMb: number,
): Promise<MemoryResult | { library: string; error: string }> {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), ['--dkim-memory-child', library, String(sizeMb)], {
      execArgv: [...process.execArgv, '--expose-gc', '--max-old-space-size=4096'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let answer: MemoryResult | undefined;
    child.on('message', (m) => {
      answer = m as MemoryResult;
    });
    child.on('exit', (code) =>
      resolve(answer ?? { library, error: `child exited with ${code} before reporting` }),
    );
  });
}

if (process.argv[2] === '--dkim-memory-child' && process.send) {
  const library = process.argv[3] ?? 'mailwire';
  memoryChild(library, Number(process.argv[4] ?? 100)).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------

export async function run(): Promise<string> {
  const loadBefore = loadavg()[0]!;
  const keys = makeKeys();
  const records = zone(keys);
  const resolver = mailwireResolver(records);
  const mailauth = mailauthResolver(records);
  let out = '';
  for (const [label, size, reps] of [
    ['10 KB', 10 * 1024, 100],
    ['1 MB', 1024 * 1024, 4],
  ] as const) {
    const message = multipartMessage(size);
    for (const key of keys) {
      const signed = Buffer.concat([Buffer.from(await mailwireSign(message, key), 'latin1'), message]);
      await checkVerified(signed, resolver, mailauth);
      const sign = await measure(
        [
          {
            name: '@mailwire/auth',
            run: async () => {
              for (let i = 0; i < reps; i++) await mailwireSign(message, key);
            },
          },
          {
            name: 'mailauth',
            run: async () => {
              for (let i = 0; i < reps; i++) await mailauthSign(message, key);
            },
          },
        ],
        { ops: reps, bytes: reps * message.length, baseline: 'mailauth', warmup: 2, runs: 7 },
      );
      const verify = await measure(
        [
          {
            name: '@mailwire/auth',
            run: async () => {
              for (let i = 0; i < reps; i++) await verifyDkim(signed, { resolver, crypto, now: NOW });
            },
          },
          {
            name: 'mailauth',
            run: async () => {
              for (let i = 0; i < reps; i++) await dkimVerify(signed, { resolver: mailauth, curTime: NOW });
            },
          },
        ],
        { ops: reps, bytes: reps * message.length, baseline: 'mailauth', warmup: 2, runs: 7 },
      );
      const octets = message.length.toLocaleString('en-US');
      out += `${table(`Sign, ${key.algorithm}, ${label} message (${octets} octets)`, sign, 'messages/s')}\n`;
      out += `${table(`Verify, ${key.algorithm}, ${label} message (${octets} octets)`, verify, 'messages/s')}\n`;
    }
  }

  out +=
    '#### Constant memory: a message signed then verified as 64 KiB chunks (rsa-sha256), one child process each\n\n';
  out +=
    '| library | message | sign (s) | verify (s) | RSS before (MB) | peak RSS (MB) | peak heap growth (MB) | verified |\n';
  out += '|---|---:|---:|---:|---:|---:|---:|---|\n';
  for (const sizeMb of [10, 100])
    for (const library of ['mailwire', 'mailauth']) {
      const r = await runMemoryChild(library, sizeMb);
      const name = library === 'mailwire' ? '@mailwire/auth' : 'mailauth';
      if ('error' in r) out += `| ${name} | ${sizeMb} MB | — | — | — | — | — | ${r.error} |\n`;
      else
        out += `| ${name} | ${sizeMb} MB | ${r.signSeconds.toFixed(2)} | ${r.verifySeconds.toFixed(2)} | ${r.baselineRssMb.toFixed(0)} | ${r.peakRssMb.toFixed(0)} | ${r.peakHeapGrowthMb.toFixed(1)} | ${r.verified ? 'pass' : 'FAIL'} |\n`;
    }
  out +=
    '\nSame messages, same keys, relaxed/relaxed, one signature; both verifiers read the key from the same in-memory DNS answers. ' +
    'Each library signs its own default header list (`@mailwire/auth` also over-signs, RFC 6376 §8.15). ' +
    `Load average ${loadBefore.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end (2 cores shared with other builds): compare the ratios, not the absolute rates.\n`;
  return out;
}

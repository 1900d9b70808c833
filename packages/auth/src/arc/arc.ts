/**
 * ARC (RFC 8617): verifying a chain and adding a set, so that a forwarder (a mailing list)
 * passes on the authentication results it saw.
 *
 * A set is three fields with the same instance `i=`: ARC-Authentication-Results (AAR),
 * ARC-Message-Signature (AMS, a DKIM signature of the message as this hop saw it) and ARC-Seal
 * (AS, a signature over all the sets so far). Verification (§5.2): every instance 1..N exactly
 * once (N ≤ 50), cv=none on 1 and cv=pass above, the newest AMS verifies against the message,
 * and every AS verifies. The message streams through `update()` like DKIM.
 */

import { constantTimeEqual, encodeBase64, UsageError } from '@mailwire/core';
import type { Resolver } from '@mailwire/dns';
import { coreSha256, type DkimAlgorithm, type DkimCrypto, keyTypeOf } from '../crypto.js';
import {
  type Canonicalization,
  DEFAULT_MAX_HEADER_BYTES,
  HeaderSplitter,
  type RawHeaderField,
  relaxedHeader,
} from '../header.js';
import { DkimBodyHasher } from '../dkim/body-hasher.js';
import { signedHeaderData } from '../dkim/header-hash.js';
import { fold, foldBase64, lastLineLength, selectHeaders } from '../dkim/sign.js';
import { parseDkimKeyRecord, withoutSignatureValue } from '../dkim/signature.js';
import { parseTagList, stripWhitespace } from '../tag-list.js';
import { decodeBase64, fromLatin1 } from '@mailwire/core';

/** RFC 8617 §4.2.1: at most 50 sets. */
export const ARC_MAX_INSTANCES = 50;

export type ArcChainStatus = 'none' | 'pass' | 'fail';

export interface ArcResult {
  readonly result: ArcChainStatus;
  readonly reason?: string;
  /** Number of sets. */
  readonly instances: number;
  /** Signing domains of the seals, oldest first. */
  readonly sealers: readonly string[];
}

interface ArcSet {
  aar?: RawHeaderField;
  ams?: RawHeaderField;
  as?: RawHeaderField;
}

interface ParsedSig {
  readonly algorithm: DkimAlgorithm;
  readonly signature: Uint8Array;
  readonly domain: string;
  readonly selector: string;
  readonly tags: ReadonlyMap<string, string>;
}

function value(field: RawHeaderField): string {
  return field.raw.slice(field.raw.indexOf(':') + 1);
}

function instanceOf(field: RawHeaderField): number | undefined {
  const match = /^[ \t\r\n]*i[ \t\r\n]*=[ \t\r\n]*(\d{1,3})[ \t\r\n]*(?:;|$)/.exec(value(field));
  if (match) return Number(match[1]);
  const parsed = parseTagList(value(field));
  const i = parsed.ok ? parsed.tags.get('i') : undefined;
  return i !== undefined && /^\d{1,3}$/.test(i) ? Number(i) : undefined;
}

function parseSig(field: RawHeaderField, required: readonly string[]): ParsedSig | string {
  const parsed = parseTagList(value(field));
  if (!parsed.ok) return parsed.reason;
  for (const tag of required) if (!parsed.tags.has(tag)) return `${field.name} without ${tag}=`;
  const a = parsed.tags.get('a')!.toLowerCase();
  if (a !== 'rsa-sha256' && a !== 'ed25519-sha256') return `${field.name}: unsupported algorithm "${a}"`;
  const signature = decodeBase64(stripWhitespace(parsed.tags.get('b')!));
  if (signature === undefined || signature.length === 0) return `${field.name}: b= is not base64`;
  return {
    algorithm: a,
    signature,
    domain: parsed.tags.get('d')!.toLowerCase(),
    selector: parsed.tags.get('s')!,
    tags: parsed.tags,
  };
}

/** The ARC sets of a header, by instance; a string when the structure is broken (§5.2 steps 1–4). */
function collect(fields: readonly RawHeaderField[]): ArcSet[] | string {
  const sets: ArcSet[] = [];
  for (const field of fields) {
    const name = field.name.toLowerCase();
    const kind =
      name === 'arc-authentication-results'
        ? 'aar'
        : name === 'arc-message-signature'
          ? 'ams'
          : name === 'arc-seal'
            ? 'as'
            : undefined;
    if (kind === undefined) continue;
    const i = instanceOf(field);
    if (i === undefined || i < 1 || i > ARC_MAX_INSTANCES) return `${field.name} with a bad instance`;
    const set = (sets[i - 1] ??= {});
    if (set[kind] !== undefined) return `two ${field.name} fields with i=${i}`;
    set[kind] = field;
  }
  for (let i = 0; i < sets.length; i++) {
    const set = sets[i];
    if (!set?.aar || !set.ams || !set.as) return `ARC set ${i + 1} is incomplete`;
  }
  return sets;
}

/** RFC 8617 §5.1.1: the data an ARC-Seal of instance `upTo` signs. */
function sealData(sets: readonly ArcSet[], upTo: number, seal: RawHeaderField): Uint8Array {
  let text = '';
  for (let i = 0; i < upTo; i++) {
    const set = sets[i]!;
    text += relaxedHeader(set.aar!) + relaxedHeader(set.ams!);
    if (i < upTo - 1) text += relaxedHeader(set.as!);
  }
  text += relaxedHeader({ name: seal.name, raw: withoutSignatureValue(seal.raw) }).slice(0, -2);
  return fromLatin1(text);
}

async function keyFor(
  resolver: Resolver,
  sig: ParsedSig,
): Promise<{ ok: true; publicKey: Uint8Array } | { ok: false; reason: string }> {
  const answer = await resolver.txt(`${sig.selector}._domainkey.${sig.domain}`);
  if (!answer.ok)
    return { ok: false, reason: answer.kind === 'temporary' ? 'key look-up failed' : 'no key record' };
  for (const record of answer.records) {
    const key = parseDkimKeyRecord(record.text);
    if (!key.ok) continue;
    if (key.key.publicKey.length === 0) return { ok: false, reason: 'key revoked' };
    if (key.key.keyType !== keyTypeOf(sig.algorithm)) return { ok: false, reason: 'key type does not match' };
    return { ok: true, publicKey: key.key.publicKey };
  }
  return { ok: false, reason: 'no usable key record' };
}

async function verifySignature(
  crypto: DkimCrypto,
  resolver: Resolver,
  sig: ParsedSig,
  data: Uint8Array,
): Promise<string | undefined> {
  const key = await keyFor(resolver, sig);
  if (!key.ok) return key.reason;
  try {
    return (await crypto.verify(sig.algorithm, key.publicKey, data, sig.signature))
      ? undefined
      : 'signature did not verify';
  } catch (error) {
    return `unusable key: ${(error as Error)?.message ?? String(error)}`;
  }
}

export interface ArcVerifyOptions {
  readonly resolver: Resolver;
  readonly crypto: DkimCrypto;
  readonly maxHeaderBytes?: number;
}

/** Streams a message and verifies its ARC chain. */
export class ArcVerifier {
  private readonly splitter: HeaderSplitter;
  private sets: ArcSet[] | string | undefined;
  private fields: RawHeaderField[] = [];
  private hasher: DkimBodyHasher | undefined;
  private ams: ParsedSig | string | undefined;

  constructor(private readonly options: ArcVerifyOptions) {
    this.splitter = new HeaderSplitter(options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
  }

  update(chunk: Uint8Array): void {
    const body = this.splitter.push(chunk);
    if (this.splitter.complete && this.sets === undefined) this.start();
    if (body.length > 0) this.hasher?.update(body);
  }

  private start(): void {
    this.fields = this.splitter.tooLarge ? [] : this.splitter.fields();
    this.sets = this.splitter.tooLarge ? 'message header over the limit' : collect(this.fields);
    if (typeof this.sets === 'string' || this.sets.length === 0) return;
    const latest = this.sets[this.sets.length - 1]!;
    this.ams = parseSig(latest.ams!, ['a', 'b', 'bh', 'd', 'h', 's']);
    if (typeof this.ams === 'string') return;
    const c = (this.ams.tags.get('c') ?? 'simple/simple').toLowerCase().split('/');
    const bodyCanon: Canonicalization = c[1] === 'relaxed' ? 'relaxed' : 'simple';
    this.hasher = new DkimBodyHasher(bodyCanon, { hash: this.options.crypto.sha256?.() ?? coreSha256() });
  }

  async finish(): Promise<ArcResult> {
    if (this.sets === undefined) this.start();
    const sets = this.sets!;
    if (typeof sets === 'string') return { result: 'fail', reason: sets, instances: 0, sealers: [] };
    if (sets.length === 0) return { result: 'none', instances: 0, sealers: [] };
    const fail = (reason: string): ArcResult => ({
      result: 'fail',
      reason,
      instances: sets.length,
      sealers: [],
    });
    const seals: ParsedSig[] = [];
    for (let i = 0; i < sets.length; i++) {
      const seal = parseSig(sets[i]!.as!, ['a', 'b', 'cv', 'd', 's']);
      if (typeof seal === 'string') return fail(seal);
      // RFC 8617 §5.2 steps 2–4: the newest cv=fail fails; cv=none only on 1, pass above.
      const cv = seal.tags.get('cv')!.toLowerCase();
      if (cv === 'fail') return fail(`ARC-Seal i=${i + 1} says cv=fail`);
      if (cv !== (i === 0 ? 'none' : 'pass')) return fail(`ARC-Seal i=${i + 1} has cv=${cv}`);
      seals.push(seal);
    }
    const ams = this.ams!;
    if (typeof ams === 'string') return fail(ams);
    const bodyHash = decodeBase64(stripWhitespace(ams.tags.get('bh')!));
    if (bodyHash === undefined || !constantTimeEqual(bodyHash, this.hasher!.digest()))
      return fail('ARC-Message-Signature body hash did not verify');
    const headerCanon: Canonicalization = (ams.tags.get('c') ?? 'simple').toLowerCase().startsWith('relaxed')
      ? 'relaxed'
      : 'simple';
    const latest = sets[sets.length - 1]!.ams!;
    const names = ams.tags
      .get('h')!
      .split(':')
      .map((n) => n.replace(/[ \t\r\n]+/g, ''));
    const data = signedHeaderData(
      this.fields,
      names,
      headerCanon,
      { name: latest.name, raw: withoutSignatureValue(latest.raw) },
      latest,
    );
    const amsProblem = await verifySignature(this.options.crypto, this.options.resolver, ams, data);
    if (amsProblem !== undefined) return fail(`ARC-Message-Signature i=${sets.length}: ${amsProblem}`);
    for (let i = sets.length; i >= 1; i--) {
      const problem = await verifySignature(
        this.options.crypto,
        this.options.resolver,
        seals[i - 1]!,
        sealData(sets, i, sets[i - 1]!.as!),
      );
      if (problem !== undefined) return fail(`ARC-Seal i=${i}: ${problem}`);
    }
    return { result: 'pass', instances: sets.length, sealers: seals.map((seal) => seal.domain) };
  }
}

export async function verifyArc(
  message: Uint8Array | Iterable<Uint8Array>,
  options: ArcVerifyOptions,
): Promise<ArcResult> {
  const verifier = new ArcVerifier(options);
  if (message instanceof Uint8Array) verifier.update(message);
  else for (const chunk of message) verifier.update(chunk);
  return verifier.finish();
}

export interface ArcSealOptions {
  readonly crypto: DkimCrypto;
  readonly domain: string;
  readonly selector: string;
  readonly privateKey: unknown;
  readonly algorithm?: DkimAlgorithm;
  /** This host's authserv-id for the AAR. */
  readonly authservId: string;
  /** The results this hop found, RFC 8601 resinfo text: `spf=pass smtp.mailfrom=…; dkim=pass …`. */
  readonly results: string;
  /** The chain status this hop found (`verifyArc(...).result`): cv= of the new seal. */
  readonly chain: ArcChainStatus;
  readonly timestamp?: Date;
  /** Fields the AMS signs when present; default the DKIM defaults. */
  readonly headers?: readonly string[];
  readonly maxHeaderBytes?: number;
}

/** Streams a message and returns the three fields of the next ARC set (to put on top, AS first). */
export class ArcSealer {
  private readonly splitter: HeaderSplitter;
  private readonly body: DkimBodyHasher;

  constructor(private readonly options: ArcSealOptions) {
    if (!/^[A-Za-z0-9.-]+$/.test(options.domain) || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(options.selector)) {
      throw new UsageError('ERR_AUTH_INVALID_ARGUMENT', 'bad domain or selector');
    }
    this.splitter = new HeaderSplitter(options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
    this.body = new DkimBodyHasher('relaxed', { hash: options.crypto.sha256?.() ?? coreSha256() });
  }

  update(chunk: Uint8Array): void {
    const body = this.splitter.push(chunk);
    if (body.length > 0) this.body.update(body);
  }

  async finish(): Promise<string> {
    if (this.splitter.tooLarge)
      throw new UsageError('ERR_AUTH_HEADER_TOO_LARGE', 'message header over the limit');
    const fields = this.splitter.fields();
    const existing = collect(fields);
    const count = typeof existing === 'string' ? 0 : existing.length;
    // RFC 8617 §5.1: a broken or failed chain is sealed with cv=fail; nothing past 50.
    const instance = count + 1;
    if (instance > ARC_MAX_INSTANCES)
      throw new UsageError('ERR_AUTH_ARC_LIMIT', 'the ARC chain already has 50 sets');
    const cv =
      typeof existing === 'string'
        ? 'fail'
        : count === 0
          ? 'none'
          : this.options.chain === 'pass'
            ? 'pass'
            : 'fail';
    const algorithm = this.options.algorithm ?? 'rsa-sha256';
    const t =
      this.options.timestamp === undefined
        ? []
        : [`t=${Math.floor(this.options.timestamp.getTime() / 1000)}`];
    const aar: RawHeaderField = {
      name: 'ARC-Authentication-Results',
      raw: `ARC-Authentication-Results: i=${instance}; ${this.options.authservId};\r\n\t${this.options.results.replace(/;\s*/g, ';\r\n\t')}`,
    };
    const names = selectHeaders(
      fields.filter((field) => !/^arc-/i.test(field.name)),
      this.options.headers,
      [],
    );
    const amsUnsigned = fold(
      [
        `i=${instance}`,
        `a=${algorithm}`,
        'c=relaxed/relaxed',
        `d=${this.options.domain}`,
        `s=${this.options.selector}`,
        ...t,
      ],
      names,
      encodeBase64(this.body.digest()),
      'ARC-Message-Signature',
    );
    const amsData = signedHeaderData(fields, names, 'relaxed', {
      name: 'ARC-Message-Signature',
      raw: amsUnsigned,
    });
    const amsSig = await this.options.crypto.sign(algorithm, this.options.privateKey, amsData);
    const ams: RawHeaderField = {
      name: 'ARC-Message-Signature',
      raw: amsUnsigned + foldBase64(encodeBase64(amsSig), lastLineLength(amsUnsigned)),
    };
    const asUnsigned = fold(
      [
        `i=${instance}`,
        `a=${algorithm}`,
        ...t,
        `cv=${cv}`,
        `d=${this.options.domain}`,
        `s=${this.options.selector}`,
      ],
      [],
      undefined,
      'ARC-Seal',
    );
    const sets: ArcSet[] = [...(typeof existing === 'string' ? [] : existing), { aar, ams }];
    const seal: RawHeaderField = { name: 'ARC-Seal', raw: asUnsigned };
    let sealSig: Uint8Array;
    if (cv === 'fail') {
      // §5.1.2: with cv=fail only the new set is signed.
      sealSig = await this.options.crypto.sign(
        algorithm,
        this.options.privateKey,
        sealData([{ aar, ams }], 1, seal),
      );
    } else {
      sealSig = await this.options.crypto.sign(
        algorithm,
        this.options.privateKey,
        sealData(sets, instance, seal),
      );
    }
    const as = asUnsigned + foldBase64(encodeBase64(sealSig), lastLineLength(asUnsigned));
    return `${as}\r\n${ams.raw}\r\n${aar.raw}\r\n`;
  }
}

export async function sealArc(message: Uint8Array, options: ArcSealOptions): Promise<string> {
  const sealer = new ArcSealer(options);
  sealer.update(message);
  return sealer.finish();
}

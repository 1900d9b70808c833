/**
 * One DNS question asked of a recursive resolver, as a sans-I/O state machine.
 *
 * Theory of operation. The driver (e.g. `@mailwire/dns/node`) creates a `StubQuery` with a
 * random id, sends `datagram()` over UDP from a fresh random source port, and hands every
 * datagram that comes back from the server's address to `receiveDatagram()`:
 *
 * ```
 *            receiveDatagram(): forged, malformed or not ours → 'ignored' (keep waiting)
 *   ┌─────┐  receiveDatagram(): TC=1 → 'tcp'    ┌─────┐  receiveTcp(): whole answer → 'done'
 *   │ udp │ ─────────────────────────────────▶ │ tcp │ ─────────────────────────────────▶ done
 *   └─────┘ ── receiveDatagram(): answer ──────────────────────────────────────────────▶ done
 *      └──── timeout() / close() ──────────────────────────────────────────────────────▶ done
 * ```
 *
 * An answer is accepted only when it is a response (QR=1, opcode QUERY) with our id and exactly
 * our question echoed: name compared case-insensitively, type and class (RFC 5452 §9.1). Anything
 * else over UDP is ignored, not fatal — an off-path attacker must not be able to end the query by
 * sending garbage. After TC=1 the driver opens TCP to the same server, sends `tcpRequest()`
 * (2-octet length prefix, RFC 1035 §4.2.2, RFC 7766 §5) and feeds the stream, any split, to
 * `receiveTcp()`; there a mismatched answer ends the query as a temporary failure.
 *
 * The accepted answer becomes a `LookupResult` of wire records: the RRset of the question's type
 * found by following the CNAME chain inside the answer section from the question name (at most
 * `maxCnameChain` links), its TTL the smallest along the chain; RCODE NXDOMAIN → `nxdomain`,
 * NOERROR without the RRset → `nodata`, both with min(SOA TTL, SOA MINIMUM) of the authority
 * SOA as `negativeTtl` (RFC 2308 §5); SERVFAIL, REFUSED, FORMERR, NOTIMP and others →
 * `temporary`. `authenticated` is the AD bit, which means something only when the path to the
 * resolver is trusted (RFC 4035 §4.9.3, RFC 6698 §4.1).
 */

import { UsageError } from '@mailwire/core';
import type { LookupResult, TemporaryReason } from './resolver.js';
import { decodeMessage, encodeMessage, frameTcp, queryMessage, TcpFramer } from './wire/message.js';
import { parseName, sameName } from './wire/name.js';
import {
  CLASS_IN,
  type DnsMessage,
  type DnsRecord,
  Rcode,
  RecordType,
  type RecordTypeName,
  recordTypeCode,
} from './wire/types.js';

export interface StubQueryOptions {
  /** The name asked for, in A-labels. */
  readonly name: string;
  readonly type: RecordTypeName | number;
  /** The query id: must come from a cryptographically strong random source (RFC 5452 §9.2). */
  readonly id: number;
  /** EDNS(0); default `{ udpSize: 1232, dnssecOk: false }`; `false` sends none. */
  readonly edns?: { readonly udpSize?: number; readonly dnssecOk?: boolean } | false;
  /** Longest CNAME chain followed in an answer; default 8. */
  readonly maxCnameChain?: number;
}

export type StubState = 'udp' | 'tcp' | 'done';

/** What the driver does next: keep waiting, switch to TCP, or read `result`. */
export type StubStep = 'ignored' | 'pending' | 'tcp' | 'done';

export type StubResult = LookupResult<DnsRecord>;

const DEFAULT_MAX_CNAME_CHAIN = 8;

function codeOf(record: DnsRecord): number {
  return record.type === 'unknown' ? record.code : RecordType[record.type];
}

/**
 * @example
 * const query = new StubQuery({ name: 'example.com', type: 'MX', id: randomId() });
 * socket.send(query.datagram());
 * socket.on('message', (bytes) => {
 *   const step = query.receiveDatagram(bytes);
 *   if (step === 'tcp') connectAndSend(query.tcpRequest());
 *   if (step === 'done') finish(query.result);
 * });
 */
export class StubQuery {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  /** Why the last input was ignored (for logs). */
  lastIgnored: string | undefined;
  /**
   * The server answered FORMERR without an OPT record to our EDNS query: it does not speak EDNS
   * (RFC 6891 §7), and the driver may ask again without it.
   */
  ednsRefused = false;
  private readonly sentEdns: boolean;
  private current: StubState = 'udp';
  private outcome: StubResult | undefined;
  private readonly request: Uint8Array;
  private readonly maxChain: number;
  private readonly framer = new TcpFramer();

  constructor(options: StubQueryOptions) {
    if (!Number.isInteger(options.id) || options.id < 0 || options.id > 0xffff) {
      throw new UsageError('ERR_DNS_INVALID_ARGUMENT', `query id ${options.id} is not in 0..65535`);
    }
    parseName(options.name);
    this.id = options.id;
    this.name = options.name;
    this.type = recordTypeCode(options.type);
    this.maxChain = options.maxCnameChain ?? DEFAULT_MAX_CNAME_CHAIN;
    this.sentEdns = options.edns !== false;
    this.request = encodeMessage(
      queryMessage({ id: this.id, name: this.name, type: this.type, edns: options.edns ?? {} }),
    );
  }

  get state(): StubState {
    return this.current;
  }

  /** The outcome, once `state` is `done`. */
  get result(): StubResult | undefined {
    return this.outcome;
  }

  /** The query to send over UDP. */
  datagram(): Uint8Array {
    return this.request;
  }

  /** The query to send over TCP, length-prefixed. */
  tcpRequest(): Uint8Array {
    return frameTcp(this.request);
  }

  /** A UDP datagram from the server's address. */
  receiveDatagram(bytes: Uint8Array): StubStep {
    if (this.current !== 'udp') return this.ignore('not waiting for UDP');
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) return this.ignore(`malformed: ${decoded.error.message}`);
    const mismatch = this.mismatch(decoded.message);
    if (mismatch) return this.ignore(mismatch);
    if (decoded.message.flags.tc) {
      // RFC 1035 §4.2.1, RFC 7766 §5: a truncated answer is retried over TCP.
      this.current = 'tcp';
      return 'tcp';
    }
    return this.finish(this.interpret(decoded.message));
  }

  /** Bytes of the TCP stream, any split. */
  receiveTcp(chunk: Uint8Array): StubStep {
    if (this.current !== 'tcp') return this.ignore('not waiting for TCP');
    this.framer.push(chunk);
    const bytes = this.framer.next();
    if (bytes === undefined) return 'pending';
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) return this.finish(temporary('malformed', decoded.error.message));
    const mismatch = this.mismatch(decoded.message);
    if (mismatch) return this.finish(temporary('malformed', mismatch));
    return this.finish(this.interpret(decoded.message));
  }

  /** The driver's timer fired: the query ends as a temporary failure. */
  timeout(): StubStep {
    if (this.current === 'done') return 'done';
    return this.finish(temporary('timeout', `no answer over ${this.current.toUpperCase()}`));
  }

  /** The transport failed or the TCP peer closed before a whole answer; `detail` is for logs. */
  close(detail?: string): StubStep {
    if (this.current === 'done') return 'done';
    return this.finish(
      temporary('network', detail ?? `connection closed during ${this.current.toUpperCase()}`),
    );
  }

  private ignore(reason: string): StubStep {
    this.lastIgnored = reason;
    return this.current === 'done' ? 'done' : 'ignored';
  }

  private finish(result: StubResult): StubStep {
    this.outcome = result;
    this.current = 'done';
    return 'done';
  }

  /** RFC 5452 §9.1: accept only our id, a response, and exactly our question. */
  private mismatch(message: DnsMessage): string | undefined {
    if (message.id !== this.id) return `id ${message.id} is not ${this.id}`;
    if (!message.flags.qr) return 'not a response';
    if (message.flags.opcode !== 0) return `opcode ${message.flags.opcode}`;
    const question = message.questions[0];
    if (message.questions.length !== 1 || question === undefined) return 'question not echoed';
    if (question.type !== this.type || question.class !== CLASS_IN || !sameName(question.name, this.name)) {
      return `answer to another question (${question.name} ${question.type})`;
    }
    return undefined;
  }

  private interpret(message: DnsMessage): StubResult {
    const authenticated = message.flags.ad;
    switch (message.rcode) {
      case Rcode.NOERROR:
      case Rcode.NXDOMAIN:
        break;
      case Rcode.SERVFAIL:
        return temporary('servfail', 'SERVFAIL');
      case Rcode.REFUSED:
        return temporary('refused', 'REFUSED');
      case Rcode.FORMERR:
        this.ednsRefused = this.sentEdns && message.edns === undefined;
        return temporary('formerr', 'FORMERR');
      case Rcode.NOTIMP:
        return temporary('notimp', 'NOTIMP');
      default:
        return temporary('rcode', `RCODE ${message.rcode}`);
    }
    let owner = this.name;
    let ttl = Number.POSITIVE_INFINITY;
    for (let links = 0; ; links++) {
      const rrset = message.answers.filter(
        (r) => codeOf(r) === this.type && r.class === CLASS_IN && sameName(r.name, owner),
      );
      if (rrset.length > 0 && message.rcode === Rcode.NOERROR) {
        for (const r of rrset) ttl = Math.min(ttl, r.ttl);
        const result = { ok: true as const, records: rrset, ttl, authenticated };
        return owner === this.name ? result : { ...result, canonicalName: owner };
      }
      const alias = message.answers.find(
        (r) => r.type === 'CNAME' && r.class === CLASS_IN && sameName(r.name, owner),
      );
      if (alias === undefined || alias.type !== 'CNAME') break;
      if (links >= this.maxChain) return temporary('cname-chain', 'CNAME chain too long');
      ttl = Math.min(ttl, alias.ttl);
      owner = alias.target;
    }
    const soa = message.authorities.find((r) => r.type === 'SOA');
    const negativeTtl = soa?.type === 'SOA' ? Math.min(soa.ttl, soa.minimum) : undefined;
    const kind = message.rcode === Rcode.NXDOMAIN ? 'nxdomain' : 'nodata';
    if (kind === 'nodata' && soa === undefined && message.authorities.some((r) => r.type === 'NS')) {
      // A referral: the server is not recursive for us (RFC 2308 §2.2 "referral" form).
      return temporary('lame', 'referral from a non-recursive server');
    }
    return negativeTtl === undefined
      ? { ok: false, kind, authenticated }
      : { ok: false, kind, negativeTtl, authenticated };
  }
}

function temporary(reason: TemporaryReason, message: string): StubResult {
  return { ok: false, kind: 'temporary', reason, message };
}

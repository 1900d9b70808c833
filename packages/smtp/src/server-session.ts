/**
 * The sans-I/O SMTP/LMTP server session (RFC 5321, RFC 2033 and the ESMTP extensions).
 *
 * Theory of operation. `receive(bytes)` only buffers. `next()` parses lazily: it takes one line
 * (or one run of DATA/BDAT octets) at a time, queues the reply bytes that need no decision, and
 * returns events. An event with a `decision` stops the parser until it is settled, so pipelined
 * commands (RFC 2920) wait in the buffer and replies leave in command order. `output()` drains the
 * reply bytes. Time is input: `timeout()` (the transport's idle timer) and `tick(ms)` (elapsed time,
 * for the session deadline and the minimum data rate); the session never reads a clock.
 *
 * The states and the transition table live in `server-states.ts`; the events in
 * `server-events.ts`. Peer misbehaviour never throws: it becomes the protocol's reply and a
 * `protocolError` event. Caller misuse (settling twice, `tlsStarted()` out of turn) throws a
 * `UsageError`. A final `closed` event always ends the stream of events.
 *
 * Memory is bounded: a command line holds at most `maxCommandLine` octets, message bytes are
 * handed over as views of the input and never collected, and an oversized message is discarded
 * as it streams. While a decision is pending the session keeps what it was given: a driver stops
 * reading from the transport while `waiting` is true (that is how `serve()` does it).
 */

import {
  type ConnectionInfo,
  createSaslServer,
  decodeSaslResponse,
  encodeBase64,
  fromLatin1,
  LineReader,
  latin1,
  type SaslServer,
  type SaslServerOptions,
  type SaslStep,
  type ScramStoredKeys,
  concatBytes,
  type TlsInfo,
  UsageError,
  utf8,
} from '@mailwire/core';
import { type MailParams, parseCommand, type RcptParams, type SmtpCommand } from './command.js';
import { DataDecoder } from './dot-stuffing.js';
import { formatMailbox, type SmtpMailbox } from './path.js';
import { reply, type SmtpReply, serializeReply } from './reply.js';
import type {
  AuthDecision,
  ClosedReason,
  ConnectDecision,
  DataDecision,
  Decision,
  RecipientOutcome,
  SmtpServerErrorCode,
  SmtpServerEvent,
} from './server-events.js';
import { inSequence, type ServerState } from './server-states.js';

export interface SmtpAuthOptions {
  /** Mechanisms offered, in EHLO order, e.g. `['PLAIN', 'LOGIN']`. */
  readonly mechanisms: readonly string[];
  /** Offer and accept AUTH without TLS. Default false: AUTH is not advertised and gets 538. */
  readonly allowInsecure?: boolean;
  /** MAIL needs a successful AUTH first (530 5.7.0, RFC 4954 §6). Default false. */
  readonly required?: boolean;
  /** Failures before 421. Default 3. */
  readonly maxFailures?: number;
  /** Back-off after the first failure, doubled at each one. Default 1000 ms. */
  readonly failureDelayMs?: number;
  readonly sasl?: SaslServerOptions;
}

export interface SmtpServerOptions {
  /** Our host name, for the greeting, EHLO and 421 replies. */
  readonly hostname: string;
  /** LMTP (RFC 2033): LHLO, and one reply per recipient after the data. */
  readonly lmtp?: boolean;
  /** The connection, handed to the `connect` event; `secure` is taken from it. */
  readonly connection?: ConnectionInfo;
  /** Offer STARTTLS (RFC 3207). The driver must be able to upgrade. Default false. */
  readonly starttls?: boolean;
  /** Refuse MAIL and AUTH before TLS with 530 5.7.0 (RFC 3207 §4). Default false. */
  readonly requireTls?: boolean;
  readonly auth?: SmtpAuthOptions;
  /** Extensions advertised in EHLO; all default to true. */
  readonly extensions?: {
    readonly pipelining?: boolean;
    readonly size?: boolean;
    readonly eightBitMime?: boolean;
    readonly smtpUtf8?: boolean;
    readonly chunking?: boolean;
    readonly binaryMime?: boolean;
    readonly dsn?: boolean;
    /** RFC 8689; advertised only over TLS. */
    readonly requireTls?: boolean;
  };
  /** Largest message in octets. Default 25 MiB, the common maximum email size. */
  readonly maxMessageSize?: number;
  /** Recipients per transaction. Default 100, the minimum RFC 5321 §4.5.3.1.8 requires. */
  readonly maxRecipients?: number;
  /** Protocol errors before 421. Default 10 (Postfix's smtpd_soft_error_limit). */
  readonly maxErrors?: number;
  /**
   * One limit for every command line, in octets without CRLF. By default each command gets its
   * own: 512 octets with CRLF (RFC 5321 §4.5.3.1.4), MAIL plus the allowance of each enabled
   * extension (SIZE 26, BODY 16, SMTPUTF8 10, DSN 100, AUTH= 500, REQUIRETLS 11), RCPT plus 500
   * with DSN, and AUTH 12288 (long SASL initial responses such as OAuth tokens; RFC 4954 §4).
   */
  readonly maxCommandLine?: number;
  /** Commands allowed before AUTH when AUTH is required. Default 50. */
  readonly maxUnauthenticatedCommands?: number;
  /** Longest text line in DATA without CRLF. Default 998 (RFC 5321 §4.5.3.1.6). */
  readonly maxTextLine?: number;
  /** Over-long text lines: `'accept'` (default; never folded) or `'reject'` (550 5.3.4). */
  readonly textLinePolicy?: 'accept' | 'reject';
  /** Bare CR/LF in DATA: `'reject'` (default, 550 5.6.0) or `'normalize'` to CRLF. */
  readonly bareLineEndings?: 'reject' | 'normalize';
  /** Reply to VRFY. Default `252 2.5.0` (RFC 5321 §3.5.3). */
  readonly vrfyReply?: SmtpReply;
  /** Reply to EXPN. Default `252 2.5.0`. */
  readonly expnReply?: SmtpReply;
  /** Refuse (554, close) a client that talks before the greeting was written. Default false. */
  readonly rejectEarlyTalkers?: boolean;
  /** Whole-session limit in ms of `tick()` time. Default 30 minutes. */
  readonly sessionDeadlineMs?: number;
  /** Minimum average octets per second while receiving a message. Default 500 (Postfix's smtpd_min_data_rate). */
  readonly minDataRate?: number;
  /** Time in ms before the data rate is judged. Default 30 000. */
  readonly minDataRateGraceMs?: number;
}

const MIB = 1024 * 1024;
/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
const BASE_COMMAND_LINE = 512;
/** RFC 4954 §4: an AUTH exchange line may be 12288 octets (CRLF aside). */
const AUTH_LINE = 12288;
const OK = reply(250, '2.0.0', 'OK');
const MAIL_OK = reply(250, '2.1.0', 'OK');
const RCPT_OK = reply(250, '2.1.5', 'OK');
const START_DATA = reply(354, undefined, 'End data with <CR><LF>.<CR><LF>');
const ACCEPTED = reply(250, '2.0.0', 'OK: message accepted');
/** The replies of every transaction, serialized once. */
const HOT = new Set<SmtpReply>([OK, MAIL_OK, RCPT_OK, START_DATA, ACCEPTED]);
const WIRE = new Map<SmtpReply, Uint8Array>();
const CACHED = new Map<string, Uint8Array>();
const BYE = (host: string) => `${host} closing connection`;

interface Transaction {
  readonly from: SmtpMailbox | null;
  readonly params: MailParams;
  readonly recipients: SmtpMailbox[];
  rcptAttempts: number;
  bdat: boolean;
}

type Discard = 'size' | 'bare' | 'lineLength';

/**
 * @example
 * const session = new SmtpServerSession({ hostname: 'mx.example' });
 * session.receive(bytes);
 * for (let event = session.next(); event; event = session.next()) {
 *   if ('decision' in event) event.decision.accept();
 * }
 * const reply = session.output(); // bytes for the peer
 */
export class SmtpServerSession {
  private current: ServerState = 'connect';
  private reader: LineReader;
  private readonly events: SmtpServerEvent[] = [];
  private readonly out: Uint8Array[] = [];
  private pending = 0;
  private finished = false;
  private readonly options: SmtpServerOptions;
  private readonly maxCommandLine: number;
  private readonly maxMessageSize: number;
  private secure: boolean;
  private tls: TlsInfo | undefined;
  private esmtp = false;
  private identified = false;
  private heloDomain: string | undefined;
  private user: string | undefined;
  private transaction: Transaction | undefined;
  private errors = 0;
  private authFailures = 0;
  private unauthenticatedCommands = 0;
  private sasl: SaslServer | undefined;
  private saslFinal: { username: string; authzid: string; mechanism: string } | undefined;
  private decoder: DataDecoder | undefined;
  private dataSize = 0;
  private discard: Discard | undefined;
  private bdatLast = false;
  private bdatSize = 0;
  /** Set while a refused BDAT chunk is being skipped: the state to return to. */
  private bdatSkip: ServerState | undefined;
  private elapsed = 0;
  private dataElapsed = 0;
  private dataBytes = 0;
  private shuttingDown = false;
  private greetingQueued = false;
  private greetingFlushed = false;
  private earlyTalk = false;
  private tlsDiscarded = 0;

  constructor(options: SmtpServerOptions) {
    if (!options.hostname)
      throw new UsageError('ERR_INVALID_STATE', 'SmtpServerSession: hostname is required');
    this.options = options;
    this.maxCommandLine = options.maxCommandLine ?? AUTH_LINE;
    this.maxMessageSize = options.maxMessageSize ?? 25 * MIB;
    this.secure = options.connection?.secure ?? false;
    this.tls = options.connection?.tls;
    this.reader = new LineReader({ maxLineLength: this.maxCommandLine });
    this.pending++;
    const gate = this.gate();
    const decision: ConnectDecision = new GatedDecision(
      gate,
      (text?: string) =>
        gate.settle(() => {
          this.greetingQueued = true;
          this.sendCached(220, undefined, `${options.hostname} ${text ?? (options.lmtp ? 'LMTP' : 'ESMTP')}`);
          this.current = 'greeted';
        }),
      (code = 554, enhanced?: string, text = 'No SMTP service here') =>
        gate.settle(() => {
          this.greetingQueued = true;
          const r = reply(code, enhanced, `${options.hostname} ${text}`);
          if (code === 554) {
            this.send(r);
            this.current = 'refused';
          } else this.finish('refused', r);
        }),
    );
    this.events.push({ type: 'connect', info: options.connection, decision });
  }

  /** The current state (see `server-states.ts`). */
  get state(): ServerState {
    return this.current;
  }

  /** True while a decision is pending: a driver should stop reading input until it is settled. */
  get waiting(): boolean {
    return this.pending > 0;
  }

  /** Octets received and not yet processed. */
  get buffered(): number {
    return this.reader.buffered;
  }

  /** The authenticated user, once AUTH succeeded. */
  get authenticatedUser(): string | undefined {
    return this.user;
  }

  /** The EHLO/HELO/LHLO argument, once accepted. */
  get clientHostname(): string | undefined {
    return this.heloDomain;
  }

  /** True once TLS is active. */
  get isSecure(): boolean {
    return this.secure;
  }

  /** What the peer sent; any split, any size. Takes ownership of `bytes`. */
  receive(bytes: Uint8Array): void {
    if (this.finished || bytes.length === 0) return;
    if (this.current === 'tls') {
      // RFC 3207 §5 / CVE-2011-0411: nothing sent before the handshake may be acted upon.
      this.tlsDiscarded += bytes.length;
      return;
    }
    if (this.options.rejectEarlyTalkers && !this.greetingFlushed) this.earlyTalk = true;
    if (this.current === 'data' || this.current === 'bdat') this.dataBytes += bytes.length;
    this.reader.push(bytes);
  }

  /** The peer is gone. Idempotent. */
  close(): void {
    if (this.finished) {
      this.current = 'closed';
      return;
    }
    this.finished = true;
    this.current = 'closed';
    this.events.push({ type: 'closed', reason: 'peer' });
  }

  /** The transport's idle timer fired: 421 and close (RFC 5321 §4.5.3.2). */
  timeout(): void {
    if (this.finished) return;
    this.error('ERR_SMTP_TIMEOUT', 'idle timeout', undefined, false);
    this.finish(
      'timeout',
      reply(421, '4.4.2', `${this.options.hostname} Timeout, ${BYE(this.options.hostname)}`),
    );
  }

  /**
   * Time passed since the previous call (or the start), in ms. Enforces the session deadline and,
   * while a message is being received, the minimum data rate (slowloris defence).
   */
  tick(elapsedMs: number): void {
    if (this.finished || !(elapsedMs >= 0)) return;
    this.elapsed += elapsedMs;
    const deadline = this.options.sessionDeadlineMs ?? 30 * 60_000;
    if (this.elapsed > deadline) {
      this.error('ERR_SMTP_DEADLINE', 'session deadline exceeded', undefined, false);
      this.finish('deadline', reply(421, '4.4.2', `${this.options.hostname} Session time limit exceeded`));
      return;
    }
    if ((this.current === 'data' || this.current === 'bdat') && this.pending === 0) {
      this.dataElapsed += elapsedMs;
      const grace = this.options.minDataRateGraceMs ?? 30_000;
      const rate = this.options.minDataRate ?? 500;
      if (this.dataElapsed >= grace && (this.dataBytes * 1000) / this.dataElapsed < rate) {
        this.error('ERR_SMTP_SLOW_DATA', 'data rate too low', undefined, false);
        this.finish('slowData', reply(421, '4.4.2', `${this.options.hostname} Data rate too low`));
      }
    }
  }

  /** Ends the session with 421 at the next command boundary (at once when idle). */
  shutdown(): void {
    if (this.finished) return;
    this.shuttingDown = true;
    this.checkShutdown();
  }

  /** The TLS handshake after STARTTLS completed. */
  tlsStarted(info: TlsInfo = {}): void {
    if (this.current !== 'tls')
      throw new UsageError('ERR_INVALID_STATE', `tlsStarted() in state ${this.current}`);
    this.secure = true;
    this.tls = info;
    this.reader = new LineReader({ maxLineLength: this.maxCommandLine });
    if (this.tlsDiscarded > 0)
      this.error(
        'ERR_SMTP_STARTTLS_INJECTION',
        `${this.tlsDiscarded} octets before the TLS handshake discarded`,
        undefined,
        false,
      );
    this.tlsDiscarded = 0;
    this.current = 'greeted';
  }

  /** The TLS details, once TLS is active. */
  get tlsInfo(): TlsInfo | undefined {
    return this.tls;
  }

  next(): SmtpServerEvent | undefined {
    if (this.events.length === 0) this.pump();
    return this.events.shift();
  }

  output(): Uint8Array | undefined {
    if (this.out.length === 0) return undefined;
    const bytes = this.out.length === 1 ? this.out[0]! : concatBytes(this.out);
    this.out.length = 0;
    if (this.greetingQueued) this.greetingFlushed = true;
    return bytes;
  }

  // ——— machinery ———

  private pump(): void {
    while (this.events.length === 0 && this.pending === 0 && !this.finished) {
      if (this.current === 'tls' || this.current === 'connect') return;
      if (this.checkShutdown()) return;
      const frame = this.reader.next();
      if (frame === undefined) return;
      switch (this.current) {
        case 'data':
          if (frame.type === 'bytes') this.dataBytesIn(frame.bytes);
          break;
        case 'bdat':
          if (frame.type === 'bytes') this.bdatBytesIn(frame.bytes, frame.remaining);
          break;
        case 'auth':
          this.authLine(frame);
          break;
        default:
          this.commandLine(frame);
      }
    }
  }

  private checkShutdown(): boolean {
    if (!this.shuttingDown || this.finished || this.pending > 0) return false;
    if (this.current === 'data' || this.current === 'bdat' || this.current === 'auth') return false;
    this.finish('shutdown', reply(421, '4.3.2', `${this.options.hostname} Service shutting down`));
    return true;
  }

  private gate(): Gate {
    return new Gate(this.settleGate);
  }

  /** Runs a settled decision's effect and lets the parser go on. */
  private readonly settleGate = (fn: () => void): void => {
    this.pending--;
    if (this.finished) return;
    fn();
  };

  /** A decision with accept/reject that ends with one reply. */
  private decision(onAccept: () => void, onReject: (r: SmtpReply) => void): Decision {
    this.pending++;
    return new SimpleDecision(this.settleGate, onAccept, onReject);
  }

  /** `send` as a function value, made once (a refusal's reply for every decision). */
  private readonly sendReply = (r: SmtpReply): void => this.send(r);

  private send(r: SmtpReply): void {
    let bytes = WIRE.get(r);
    if (bytes === undefined) {
      bytes = serializeReply(r);
      if (HOT.has(r)) WIRE.set(r, bytes);
    }
    this.out.push(bytes);
  }

  /** Replies every connection sends (greeting, HELO, QUIT), serialized once per text. */
  private sendCached(code: number, enhanced: string | undefined, text: string): void {
    const key = `${code} ${enhanced ?? ''} ${text}`;
    let bytes = CACHED.get(key);
    if (bytes === undefined) {
      bytes = serializeReply(reply(code, enhanced, text));
      // Bounded: host names come from the application, but stay safe if they vary a lot.
      if (CACHED.size >= 256) CACHED.clear();
      CACHED.set(key, bytes);
    }
    this.out.push(bytes);
  }

  private emit(event: SmtpServerEvent): void {
    this.events.push(event);
  }

  private finish(reason: ClosedReason, last: SmtpReply | undefined): void {
    if (this.finished) return;
    if (last) this.send(last);
    this.reader.discardBuffered();
    this.finished = true;
    this.current = 'closing';
    this.emit({ type: 'closed', reason });
  }

  private error(code: SmtpServerErrorCode, message: string, r: SmtpReply | undefined, counts = true): void {
    if (r) this.send(r);
    this.emit({ type: 'protocolError', code, message, reply: r });
    if (!counts) return;
    this.errors++;
    if (this.errors >= (this.options.maxErrors ?? 10)) {
      this.emit({
        type: 'protocolError',
        code: 'ERR_SMTP_TOO_MANY_ERRORS',
        message: 'too many errors',
        reply: undefined,
      });
      this.finish(
        'errors',
        reply(421, '4.7.0', `${this.options.hostname} Too many errors, ${BYE(this.options.hostname)}`),
      );
    }
  }

  private sequence(message: string): void {
    this.error('ERR_SMTP_BAD_SEQUENCE', message, reply(503, '5.5.1', message));
  }

  private resetTransaction(): void {
    if (this.transaction) this.emit({ type: 'transactionReset' });
    this.transaction = undefined;
    if (this.current === 'mail' || this.current === 'rcpt')
      this.current = this.identified ? 'ready' : 'greeted';
  }

  // ——— commands ———

  private commandLine(frame: NonNullable<ReturnType<LineReader['next']>>): void {
    if (frame.type === 'overflow') {
      // RFC 5321 §4.5.3.1.4 / §4.2.2: 500 covers "command line too long".
      this.error(
        'ERR_SMTP_LINE_TOO_LONG',
        `command line of ${frame.length} octets`,
        reply(500, '5.5.2', 'Line too long'),
      );
      return;
    }
    if (frame.type !== 'line') return;
    if (frame.bytes.length > BASE_COMMAND_LINE - 2 && this.options.maxCommandLine === undefined) {
      const limit = this.commandLineLimit(frame.bytes);
      if (frame.bytes.length + 2 > limit) {
        this.error(
          'ERR_SMTP_LINE_TOO_LONG',
          `command line of ${frame.bytes.length + 2} octets (limit ${limit})`,
          reply(500, '5.5.2', 'Line too long'),
        );
        return;
      }
    }
    if (this.earlyTalk) {
      this.error('ERR_SMTP_EARLY_TALKER', 'client talked before the greeting', undefined, false);
      this.finish(
        'earlyTalker',
        reply(554, '5.5.1', `${this.options.hostname} Protocol error: talked before greeting`),
      );
      return;
    }
    if (frame.bareCr) {
      this.error(
        'ERR_SMTP_BARE_LINE_ENDING',
        'bare CR in command line',
        reply(500, '5.5.2', 'Bare CR not allowed'),
      );
      return;
    }
    const auth = this.options.auth;
    if (auth?.required && this.user === undefined) {
      this.unauthenticatedCommands++;
      if (this.unauthenticatedCommands > (this.options.maxUnauthenticatedCommands ?? 50)) {
        this.error('ERR_SMTP_AUTH_REQUIRED', 'too many commands before AUTH', undefined, false);
        this.finish(
          'errors',
          reply(421, '4.7.0', `${this.options.hostname} Too many commands before authentication`),
        );
        return;
      }
    }
    const parsed = parseCommand(frame.bytes);
    if (!parsed.ok && parsed.code === 'ERR_SMTP_UNKNOWN_COMMAND' && isHttpRequest(frame.bytes)) {
      this.error('ERR_SMTP_HTTP_REQUEST', 'HTTP request line', undefined, false);
      this.finish('http', reply(421, '4.7.0', `${this.options.hostname} This is an SMTP server, not HTTP`));
      return;
    }
    if (!parsed.ok) {
      // A syntactically bad BDAT still announces octets we cannot count: the error is the reply.
      this.error(
        parsed.code,
        `${parsed.verb ?? 'unknown command'}: ${parsed.reply.lines.join(' ')}`,
        parsed.reply,
      );
      return;
    }
    this.command(parsed.command);
  }

  private command(command: SmtpCommand): void {
    const lmtp = this.options.lmtp === true;
    const verb = command.verb;
    if (verb === 'BDAT') {
      this.bdat(command.size, command.last);
      return;
    }
    if ((verb === 'LHLO') !== lmtp && (verb === 'EHLO' || verb === 'HELO' || verb === 'LHLO')) {
      // RFC 2033 §4.1: LMTP uses LHLO only; SMTP does not know LHLO.
      this.error(
        'ERR_SMTP_UNKNOWN_COMMAND',
        `${verb} in ${lmtp ? 'LMTP' : 'SMTP'}`,
        reply(500, '5.5.1', lmtp ? 'Use LHLO' : 'Command unrecognized'),
      );
      return;
    }
    if (!inSequence(verb, this.current)) {
      this.outOfSequence(verb);
      return;
    }
    switch (command.verb) {
      case 'EHLO':
      case 'HELO':
      case 'LHLO':
        this.helo(command.verb, command.domain);
        return;
      case 'MAIL':
        this.mail(command.from, command.params);
        return;
      case 'RCPT':
        this.rcpt(command.to, command.params);
        return;
      case 'DATA':
        this.data();
        return;
      case 'RSET':
        this.resetTransaction();
        this.send(OK);
        return;
      case 'NOOP':
        this.send(OK);
        return;
      case 'HELP':
        this.send(reply(214, '2.0.0', 'See RFC 5321'));
        return;
      case 'VRFY':
        this.send(
          this.options.vrfyReply ??
            reply(252, '2.5.0', 'Cannot VRFY user, but will accept message and attempt delivery'),
        );
        return;
      case 'EXPN':
        this.send(this.options.expnReply ?? reply(252, '2.5.0', 'Cannot EXPN list'));
        return;
      case 'QUIT':
        this.sendCached(221, '2.0.0', BYE(this.options.hostname));
        this.finish('quit', undefined);
        return;
      case 'STARTTLS':
        this.starttls();
        return;
      case 'AUTH':
        this.authStart(command.mechanism, command.initialResponse);
        return;
    }
  }

  private outOfSequence(verb: SmtpCommand['verb']): void {
    const s = this.current;
    if (s === 'refused') {
      this.sequence('Service refused; only QUIT is accepted');
      return;
    }
    if (verb === 'STARTTLS' && !this.options.starttls) {
      this.notAvailable('STARTTLS');
      return;
    }
    if (verb === 'AUTH' && !this.options.auth) {
      this.notAvailable('AUTH');
      return;
    }
    if (s === 'greeted') {
      this.sequence(`Send ${this.options.lmtp ? 'LHLO' : 'EHLO/HELO'} first`);
      return;
    }
    if (verb === 'MAIL') {
      this.sequence('Nested MAIL command');
      return;
    }
    if (verb === 'RCPT' || verb === 'DATA') {
      this.sequence('Need MAIL command');
      return;
    }
    if (verb === 'AUTH' || verb === 'STARTTLS') {
      this.sequence(`${verb} not allowed during a transaction`);
      return;
    }
    this.sequence('Bad sequence of commands');
  }

  private notAvailable(what: string): void {
    this.error(
      'ERR_SMTP_NOT_IMPLEMENTED',
      `${what} not offered`,
      reply(502, '5.5.1', `${what} not available`),
    );
  }

  private helo(verb: 'EHLO' | 'HELO' | 'LHLO', domain: string): void {
    this.resetTransaction();
    const decision = this.decision(() => {
      this.esmtp = verb !== 'HELO';
      this.identified = true;
      this.heloDomain = domain;
      this.current = 'ready';
      if (verb === 'HELO') this.sendCached(250, undefined, this.options.hostname);
      else
        this.send(
          reply(
            250,
            undefined,
            [`${this.options.hostname} greets ${domain}`, ...this.extensions()].join('\n'),
          ),
        );
    }, this.sendReply);
    this.emit({ type: 'helo', verb, domain, decision });
  }

  /**
   * The longest line, CRLF included, this command may be: RFC 5321 §4.5.3.1.4's 512 plus the
   * allowance each enabled extension adds to the command it extends.
   */
  private commandLineLimit(line: Uint8Array): number {
    const verb =
      line.length >= 4 ? String.fromCharCode(line[0]!, line[1]!, line[2]!, line[3]!).toUpperCase() : '';
    const x = this.options.extensions ?? {};
    switch (verb) {
      case 'MAIL': {
        let limit = BASE_COMMAND_LINE;
        if (x.size !== false) limit += 26; // RFC 1870 §3 (5)
        if (x.eightBitMime !== false || (x.chunking !== false && x.binaryMime !== false)) limit += 16; // " BODY=BINARYMIME"
        if (x.smtpUtf8 !== false) limit += 10; // RFC 6531 §3.1 item 5
        if (x.dsn !== false) limit += 100; // RFC 3461 §4 (f): RET and ENVID
        if (this.options.auth !== undefined) limit += 500; // RFC 4954 §5 (7): AUTH=
        if (x.requireTls !== false && this.secure) limit += 11; // " REQUIRETLS"
        return limit;
      }
      case 'RCPT':
        // RFC 3461 §4 (e): NOTIFY and ORCPT.
        return BASE_COMMAND_LINE + (x.dsn !== false ? 500 : 0);
      case 'AUTH':
        // RFC 4954 §4 keeps AUTH within the command line limit, yet OAuth bearer tokens in an
        // XOAUTH2/OAUTHBEARER initial response run to kilobytes and clients send them anyway: the
        // AUTH line gets the 12288 octets (CRLF aside) of an exchange line.
        return AUTH_LINE + 2;
      default:
        return BASE_COMMAND_LINE;
    }
  }

  /** The EHLO keywords, each only when enabled (and meaningful on this channel). */
  extensions(): string[] {
    const x = this.options.extensions ?? {};
    const list: string[] = [];
    if (x.pipelining !== false || this.options.lmtp) list.push('PIPELINING');
    if (x.size !== false) list.push(`SIZE ${this.maxMessageSize}`);
    if (x.eightBitMime !== false) list.push('8BITMIME');
    if (x.smtpUtf8 !== false) list.push('SMTPUTF8');
    list.push('ENHANCEDSTATUSCODES');
    if (x.chunking !== false) {
      list.push('CHUNKING');
      if (x.binaryMime !== false) list.push('BINARYMIME');
    }
    if (x.dsn !== false) list.push('DSN');
    if (this.options.starttls && !this.secure) list.push('STARTTLS');
    if (this.authOffered()) list.push(`AUTH ${this.options.auth!.mechanisms.join(' ')}`);
    if (x.requireTls !== false && this.secure) list.push('REQUIRETLS');
    return list;
  }

  private authOffered(): boolean {
    const auth = this.options.auth;
    return (
      auth !== undefined &&
      auth.mechanisms.length > 0 &&
      this.user === undefined &&
      (this.secure || auth.allowInsecure === true)
    );
  }

  private starttls(): void {
    if (!this.options.starttls) {
      this.notAvailable('STARTTLS');
      return;
    }
    if (this.secure) {
      this.sequence('TLS already active');
      return;
    }
    // RFC 3207 §4.2: forget everything learnt before TLS.
    this.send(reply(220, '2.0.0', 'Ready to start TLS'));
    const discarded = this.reader.discardBuffered();
    this.resetTransaction();
    this.esmtp = false;
    this.identified = false;
    this.heloDomain = undefined;
    this.user = undefined;
    this.current = 'tls';
    if (discarded > 0)
      this.error(
        'ERR_SMTP_STARTTLS_INJECTION',
        `${discarded} octets after STARTTLS discarded`,
        undefined,
        false,
      );
    this.emit({ type: 'starttls', discarded });
  }

  private mail(from: SmtpMailbox | null, params: MailParams): void {
    if (this.options.requireTls && !this.secure) {
      this.tlsRequired();
      return;
    }
    if (this.options.auth?.required && this.user === undefined) {
      this.error(
        'ERR_SMTP_AUTH_REQUIRED',
        'MAIL before AUTH',
        reply(530, '5.7.0', 'Authentication required'),
      );
      return;
    }
    const x = this.options.extensions ?? NO_EXTENSIONS;
    if (!this.esmtp && hasKeys(params)) {
      this.unsupported('(parameters need EHLO)');
      return;
    }
    if (params.size !== undefined) {
      if (x.size === false) {
        this.unsupported('SIZE');
        return;
      }
      // RFC 1870 §6.1
      if (params.size > this.maxMessageSize) {
        this.error(
          'ERR_SMTP_MESSAGE_TOO_BIG',
          `declared size ${params.size}`,
          reply(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
        );
        return;
      }
    }
    if (params.body === '8BITMIME' && x.eightBitMime === false) {
      this.unsupported('BODY=8BITMIME');
      return;
    }
    if (params.body === 'BINARYMIME' && (x.binaryMime === false || x.chunking === false)) {
      this.unsupported('BODY=BINARYMIME');
      return;
    }
    if (params.smtpUtf8 && x.smtpUtf8 === false) {
      this.unsupported('SMTPUTF8');
      return;
    }
    if (params.auth !== undefined && !this.options.auth) {
      this.unsupported('AUTH');
      return;
    }
    if ((params.ret !== undefined || params.envid !== undefined) && x.dsn === false) {
      this.unsupported('RET/ENVID');
      return;
    }
    if (params.requireTls && (x.requireTls === false || !this.secure)) {
      this.unsupported('REQUIRETLS');
      return;
    }
    if (from?.utf8 && !params.smtpUtf8) {
      this.utf8Refused('sender');
      return;
    }
    const decision = this.decision(() => {
      this.transaction = { from, params, recipients: [], rcptAttempts: 0, bdat: false };
      this.current = 'mail';
      this.send(MAIL_OK);
    }, this.sendReply);
    this.emit({ type: 'mailFrom', from, params, decision });
  }

  private unsupported(name: string): void {
    this.error(
      'ERR_SMTP_UNKNOWN_PARAMETER',
      `${name} not offered`,
      reply(555, '5.5.4', `Unsupported parameter ${name}`),
    );
  }

  private tlsRequired(): void {
    // RFC 3207 §4
    this.error(
      'ERR_SMTP_TLS_REQUIRED',
      'TLS required',
      reply(530, '5.7.0', 'Must issue a STARTTLS command first'),
    );
  }

  private utf8Refused(who: string): void {
    // RFC 6531 §3.4: a non-ASCII address needs the SMTPUTF8 parameter.
    this.error(
      'ERR_SMTP_UTF8_NOT_ALLOWED',
      `non-ASCII ${who} without SMTPUTF8`,
      reply(553, '5.6.7', 'Non-ASCII address needs SMTPUTF8'),
    );
  }

  private rcpt(to: SmtpMailbox, params: RcptParams): void {
    const transaction = this.transaction!;
    if (transaction.recipients.length >= (this.options.maxRecipients ?? 100)) {
      // RFC 5321 §4.5.3.1.10
      transaction.rcptAttempts++;
      this.error(
        'ERR_SMTP_TOO_MANY_RECIPIENTS',
        'too many recipients',
        reply(452, '4.5.3', 'Too many recipients'),
        false,
      );
      return;
    }
    if (
      (params.notify !== undefined || params.orcpt !== undefined) &&
      this.options.extensions?.dsn === false
    ) {
      this.error(
        'ERR_SMTP_UNKNOWN_PARAMETER',
        'DSN not offered',
        reply(555, '5.5.4', 'Unsupported parameter'),
      );
      return;
    }
    if (!this.esmtp && hasKeys(params)) {
      this.error(
        'ERR_SMTP_UNKNOWN_PARAMETER',
        'parameters need EHLO',
        reply(555, '5.5.4', 'Unsupported parameter'),
      );
      return;
    }
    if (to.utf8 && !transaction.params.smtpUtf8) {
      this.utf8Refused('recipient');
      return;
    }
    transaction.rcptAttempts++;
    const decision = this.decision(() => {
      transaction.recipients.push(to);
      this.current = 'rcpt';
      this.send(RCPT_OK);
    }, this.sendReply);
    this.emit({ type: 'rcptTo', to, params, decision });
  }

  /** 503 or 554 for DATA/BDAT without an accepted recipient, or undefined when the message may begin. */
  private messageRefusal(): { code: SmtpServerErrorCode; reply: SmtpReply } | undefined {
    const t = this.transaction;
    if (!t) return { code: 'ERR_SMTP_BAD_SEQUENCE', reply: reply(503, '5.5.1', 'Need MAIL command') };
    if (t.recipients.length > 0) return undefined;
    if (t.rcptAttempts === 0)
      return { code: 'ERR_SMTP_BAD_SEQUENCE', reply: reply(503, '5.5.1', 'Need RCPT command') };
    // RFC 2033 §4.2: in LMTP, DATA with no successful RCPT fails with 503.
    if (this.options.lmtp)
      return { code: 'ERR_SMTP_BAD_SEQUENCE', reply: reply(503, '5.5.1', 'No valid recipients') };
    // RFC 2920 §3.1, RFC 5321 §3.3: all recipients were refused.
    return { code: 'ERR_SMTP_BAD_SEQUENCE', reply: reply(554, '5.5.1', 'No valid recipients') };
  }

  private data(): void {
    const refusal = this.messageRefusal();
    if (refusal) {
      this.error(refusal.code, 'DATA refused', refusal.reply, refusal.reply.code === 503);
      return;
    }
    const t = this.transaction!;
    if (t.bdat) {
      this.sequence('DATA not allowed after BDAT');
      return;
    }
    // RFC 3030 §3: BINARYMIME content is sent with BDAT only.
    if (t.params.body === 'BINARYMIME') {
      this.sequence('BODY=BINARYMIME requires BDAT');
      return;
    }
    this.decoder = new DataDecoder({
      bareLineEndings: this.options.bareLineEndings === 'normalize' ? 'normalize' : 'keep',
      maxLineLength: this.options.maxTextLine ?? 998,
    });
    this.startMessage();
    this.current = 'data';
    this.send(START_DATA);
    this.emit({ type: 'dataStart', mode: 'DATA' });
    this.reader.expect(Number.MAX_SAFE_INTEGER);
  }

  private startMessage(): void {
    this.dataSize = 0;
    this.discard = undefined;
    this.dataElapsed = 0;
    this.dataBytes = this.reader.buffered;
  }

  private dataBytesIn(bytes: Uint8Array): void {
    const decoder = this.decoder!;
    const result = decoder.push(bytes);
    if (this.discard === undefined) {
      if (decoder.size > this.maxMessageSize) this.discard = 'size';
      else if (this.options.bareLineEndings !== 'normalize' && decoder.bareLf + decoder.bareCr > 0)
        this.discard = 'bare';
      else if (this.options.textLinePolicy === 'reject' && decoder.longLines > 0) this.discard = 'lineLength';
      if (this.discard === undefined) for (const chunk of result.chunks) this.emit({ type: 'data', chunk });
    }
    this.dataSize = decoder.size;
    if (!result.done) return;
    this.resumeLines(bytes.subarray(result.consumed));
    this.decoder = undefined;
    this.endMessage();
  }

  /** Back to line mode after DATA: what followed the terminator is the next command. */
  private resumeLines(leftover: Uint8Array): void {
    const rest: Uint8Array[] = [leftover];
    for (let frame = this.reader.next(); frame; frame = this.reader.next())
      if (frame.type === 'bytes') rest.push(frame.bytes);
    this.reader = new LineReader({ maxLineLength: this.maxCommandLine });
    for (const chunk of rest) this.reader.push(chunk);
  }

  private rejectMessage(): void {
    const reason = this.discard!;
    const [code, r, message]: [SmtpServerErrorCode, SmtpReply, string] =
      reason === 'size'
        ? [
            'ERR_SMTP_MESSAGE_TOO_BIG',
            reply(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
            'message too big',
          ]
        : reason === 'bare'
          ? [
              'ERR_SMTP_BARE_LINE_ENDING',
              // RFC 5321 §2.3.8: CR and LF only as CRLF.
              reply(550, '5.6.0', 'Bare CR or LF not allowed in message; use CRLF'),
              'bare CR or LF in message',
            ]
          : [
              'ERR_SMTP_TEXT_LINE_TOO_LONG',
              reply(550, '5.3.4', 'Text line too long (RFC 5321 §4.5.3.1.6)'),
              'text line too long',
            ];
    this.emit({ type: 'protocolError', code, message, reply: r });
    this.emit({ type: 'dataRejected', code, reply: r });
    this.replyPerRecipient(() => r);
    this.finishTransaction();
  }

  private replyPerRecipient(make: (index: number) => SmtpReply): void {
    if (!this.options.lmtp) {
      this.send(make(0));
      return;
    }
    // RFC 2033 §4.2: one reply per recipient that was accepted, in order.
    const n = this.transaction?.recipients.length ?? 0;
    for (let i = 0; i < n; i++) this.send(make(i));
  }

  private finishTransaction(): void {
    this.transaction = undefined;
    this.discard = undefined;
    this.current = this.identified ? 'ready' : 'greeted';
  }

  private endMessage(): void {
    this.current = 'rcpt';
    if (this.discard !== undefined) {
      this.rejectMessage();
      return;
    }
    const t = this.transaction!;
    const recipients = [...t.recipients];
    this.pending++;
    const gate = this.gate();
    const lmtp = this.options.lmtp === true;
    const done = () => this.finishTransaction();
    const decision: DataDecision = new DataGatedDecision(
      gate,
      (text?: string) =>
        gate.settle(() => {
          this.replyPerRecipient((i) =>
            text === undefined && !lmtp
              ? ACCEPTED
              : reply(250, '2.0.0', text ?? `<${formatMailbox(recipients[i]!)}> delivered`),
          );
          done();
        }),
      (code: number, enhanced: string, text: string) => {
        checkReject(code, enhanced);
        gate.settle(() => {
          this.replyPerRecipient(() => reply(code, enhanced, text));
          done();
        });
      },
      (outcomes: readonly RecipientOutcome[]) => {
        if (!lmtp) throw new UsageError('ERR_INVALID_STATE', 'perRecipient() is for LMTP sessions');
        if (outcomes.length !== recipients.length)
          throw new UsageError('ERR_INVALID_STATE', `perRecipient() needs ${recipients.length} outcomes`);
        for (const o of outcomes) if (o !== 'accept') checkReject(o.code, o.enhanced);
        gate.settle(() => {
          this.replyPerRecipient((i) => {
            const o = outcomes[i]!;
            return o === 'accept'
              ? reply(250, '2.0.0', `<${formatMailbox(recipients[i]!)}> delivered`)
              : reply(o.code, o.enhanced, o.text);
          });
          done();
        });
      },
    );
    this.emit({ type: 'dataEnd', size: this.dataSize, recipients, decision });
  }

  private bdat(size: number, last: boolean): void {
    const x = this.options.extensions ?? {};
    let refusal: { code: SmtpServerErrorCode; reply: SmtpReply } | undefined;
    if (x.chunking === false)
      refusal = { code: 'ERR_SMTP_NOT_IMPLEMENTED', reply: reply(502, '5.5.1', 'BDAT not available') };
    else if (this.current === 'refused')
      refusal = { code: 'ERR_SMTP_BAD_SEQUENCE', reply: reply(503, '5.5.1', 'Service refused') };
    else if (this.current === 'greeted')
      refusal = { code: 'ERR_SMTP_BAD_SEQUENCE', reply: reply(503, '5.5.1', 'Send EHLO first') };
    else refusal = this.messageRefusal();
    if (refusal) {
      // RFC 3030 §2: the chunk's octets follow regardless; skip them so they are never read as commands.
      this.error(refusal.code, 'BDAT refused', refusal.reply, refusal.reply.code !== 554);
      if (this.finished || size === 0) return;
      this.bdatSkip = this.current;
      this.current = 'bdat';
      this.reader.expect(size);
      return;
    }
    const t = this.transaction!;
    if (!t.bdat) {
      t.bdat = true;
      this.startMessage();
      this.emit({ type: 'dataStart', mode: 'BDAT' });
    }
    this.bdatLast = last;
    this.bdatSize = size;
    this.current = 'bdat';
    if (size === 0) {
      this.bdatChunkDone();
      return;
    }
    this.reader.expect(size);
  }

  private bdatBytesIn(bytes: Uint8Array, remaining: number): void {
    if (this.bdatSkip === undefined) {
      this.dataSize += bytes.length;
      if (this.discard === undefined && this.dataSize > this.maxMessageSize) this.discard = 'size';
      if (this.discard === undefined) this.emit({ type: 'data', chunk: bytes });
    }
    if (remaining === 0) this.bdatChunkDone();
  }

  private bdatChunkDone(): void {
    if (this.bdatSkip !== undefined) {
      this.current = this.bdatSkip;
      this.bdatSkip = undefined;
      return;
    }
    this.current = 'rcpt';
    if (this.discard !== undefined) {
      this.rejectMessage();
      return;
    }
    if (this.bdatLast) {
      this.endMessage();
      return;
    }
    this.send(reply(250, '2.0.0', `${this.bdatSize} octets received`));
  }

  // ——— AUTH (RFC 4954) ———

  private authStart(mechanism: string, initial: string | undefined): void {
    const auth = this.options.auth;
    if (!auth) {
      this.notAvailable('AUTH');
      return;
    }
    if (!this.esmtp) {
      this.sequence('Send EHLO first');
      return;
    }
    // RFC 4954 §4: AUTH is not permitted once authenticated.
    if (this.user !== undefined) {
      this.sequence('Already authenticated');
      return;
    }
    if (this.options.requireTls && !this.secure) {
      this.tlsRequired();
      return;
    }
    if (!this.secure && !auth.allowInsecure) {
      // RFC 4954 §6
      this.error(
        'ERR_SMTP_TLS_REQUIRED',
        'AUTH without TLS',
        reply(538, '5.7.11', 'Encryption required for requested authentication mechanism'),
      );
      return;
    }
    const server = auth.mechanisms.some((m) => m.toUpperCase() === mechanism)
      ? createSaslServer(mechanism, auth.sasl)
      : undefined;
    if (!server) {
      this.error(
        'ERR_SMTP_BAD_PARAMETER',
        `mechanism ${mechanism}`,
        reply(504, '5.5.4', 'Unrecognized authentication type'),
      );
      return;
    }
    let data: Uint8Array | undefined;
    if (initial !== undefined) {
      const decoded = decodeSaslResponse(fromLatin1(initial), { initial: true });
      if (decoded.type === 'cancel') {
        this.authCancelled();
        return;
      }
      if (decoded.type === 'malformed') {
        this.authMalformed();
        return;
      }
      data = decoded.data;
    }
    this.sasl = server;
    this.saslFinal = undefined;
    this.reader.maxLineLength = AUTH_LINE; // RFC 4954 §4
    this.saslStep(server.start(data));
  }

  private saslStep(step: SaslStep): void {
    const server = this.sasl!;
    switch (step.type) {
      case 'challenge':
        this.current = 'auth';
        this.out.push(utf8(`334 ${encodeBase64(step.challenge)}\r\n`));
        return;
      case 'verify': {
        this.current = 'auth';
        this.pending++;
        const gate = this.gate();
        const decision: AuthDecision = new GatedDecision(
          gate,
          (result?: { readonly scramKeys?: ScramStoredKeys }) =>
            gate.settle(() =>
              this.saslStep(
                server.verified(result?.scramKeys ? { ok: true, scramKeys: result.scramKeys } : { ok: true }),
              ),
            ),
          (code = 535, enhanced = '5.7.8', text = 'Authentication credentials invalid') => {
            checkReject(code, enhanced);
            gate.settle(() => {
              server.verified({ ok: false });
              this.authFailed(reply(code, enhanced, text));
            });
          },
        );
        this.emit({ type: 'auth', mechanism: server.mechanism, credentials: step.credentials, decision });
        return;
      }
      case 'success':
        if (step.serverData !== undefined && this.saslFinal === undefined) {
          // RFC 4954 §4: data with success goes in a last 334, answered by an empty line.
          this.saslFinal = { username: step.username, authzid: step.authzid, mechanism: server.mechanism };
          this.current = 'auth';
          this.out.push(utf8(`334 ${encodeBase64(step.serverData)}\r\n`));
          return;
        }
        this.authSucceeded(step.username, step.authzid, server.mechanism);
        return;
      case 'failure':
        if (step.reason === 'malformed') {
          this.authMalformed();
          return;
        }
        if (step.reason === 'aborted') {
          this.authCancelled();
          return;
        }
        this.authFailed(reply(535, '5.7.8', 'Authentication credentials invalid'));
        return;
    }
  }

  private authLine(frame: NonNullable<ReturnType<LineReader['next']>>): void {
    if (frame.type !== 'line') {
      this.authDone();
      this.error(
        'ERR_SMTP_LINE_TOO_LONG',
        'AUTH line too long',
        reply(500, '5.5.6', 'Authentication Exchange line is too long'),
      );
      return;
    }
    const decoded = decodeSaslResponse(frame.bytes);
    if (decoded.type === 'cancel') {
      this.authCancelled();
      return;
    }
    if (decoded.type === 'malformed') {
      this.authMalformed();
      return;
    }
    const final = this.saslFinal;
    if (final) {
      if (decoded.data.length === 0) {
        this.authSucceeded(final.username, final.authzid, final.mechanism);
        return;
      }
      this.authMalformed();
      return;
    }
    this.saslStep(this.sasl!.respond(decoded.data));
  }

  private authDone(): void {
    this.sasl = undefined;
    this.saslFinal = undefined;
    this.reader.maxLineLength = this.maxCommandLine;
    this.current = 'ready';
  }

  private authSucceeded(username: string, authzid: string, mechanism: string): void {
    this.authDone();
    this.user = username;
    this.send(reply(235, '2.7.0', 'Authentication successful'));
    this.emit({ type: 'authenticated', mechanism, username, authzid });
  }

  private authCancelled(): void {
    this.authDone();
    // RFC 4954 §4: "*" cancels with 501.
    this.send(reply(501, '5.0.0', 'Authentication cancelled'));
  }

  private authMalformed(): void {
    this.authDone();
    this.error('ERR_SMTP_SYNTAX', 'malformed AUTH response', reply(501, '5.5.2', 'Cannot decode response'));
  }

  private authFailed(r: SmtpReply): void {
    this.authDone();
    const auth = this.options.auth!;
    if (r.code === 535) {
      this.authFailures++;
      this.emit({
        type: 'protocolError',
        code: 'ERR_SMTP_AUTH_FAILED',
        message: 'authentication failed',
        reply: r,
      });
      if (this.authFailures >= (auth.maxFailures ?? 3)) {
        this.send(r);
        this.finish(
          'authFailures',
          reply(421, '4.7.0', `${this.options.hostname} Too many authentication failures`),
        );
        return;
      }
      this.emit({
        type: 'delay',
        ms: (auth.failureDelayMs ?? 1000) * 2 ** (this.authFailures - 1),
        reason: 'authFailure',
      });
    }
    this.send(r);
  }
}

const NO_EXTENSIONS: NonNullable<SmtpServerOptions['extensions']> = {};

function hasKeys(value: object): boolean {
  for (const _ in value) return true;
  return false;
}

/** Settles exactly once: a second call is the caller's bug. */
class Gate {
  private done = false;

  constructor(private readonly run: (fn: () => void) => void) {}

  get settled(): boolean {
    return this.done;
  }

  settle(fn: () => void): void {
    if (this.done) throw new UsageError('ERR_DECISION_SETTLED', 'decision already settled');
    this.done = true;
    this.run(fn);
  }
}

/**
 * A decision made of its accept/reject functions, with `settled` on the prototype: an object
 * literal with a getter would cost a new hidden class per decision (about 1 µs, and megamorphic
 * property access wherever decisions are used).
 */
class GatedDecision<A, R> {
  readonly #gate: Gate;

  constructor(
    gate: Gate,
    readonly accept: A,
    readonly reject: R,
  ) {
    this.#gate = gate;
  }

  get settled(): boolean {
    return this.#gate.settled;
  }
}

class DataGatedDecision<A, R, P> extends GatedDecision<A, R> {
  constructor(
    gate: Gate,
    accept: A,
    reject: R,
    readonly perRecipient: P,
  ) {
    super(gate, accept, reject);
  }
}

/** accept/reject as bound functions (they may be passed around detached). */
class SimpleDecision extends Gate implements Decision {
  constructor(
    run: (fn: () => void) => void,
    private readonly onAccept: () => void,
    private readonly onReject: (r: SmtpReply) => void,
  ) {
    super(run);
  }

  readonly accept = (): void => this.settle(this.onAccept);

  readonly reject = (code: number, enhanced: string, text: string): void => {
    checkReject(code, enhanced);
    this.settle(() => this.onReject(reply(code, enhanced, text)));
  };
}

function checkReject(code: number, enhanced: string | undefined): void {
  if (!Number.isInteger(code) || code < 400 || code > 599)
    throw new UsageError('ERR_INVALID_STATE', `reject() needs a 4xx or 5xx code, got ${code}`);
  if (enhanced !== undefined && enhanced[0] !== String(code)[0])
    throw new UsageError('ERR_INVALID_STATE', `enhanced code ${enhanced} does not match ${code}`);
}

/** An HTTP request line (cross-protocol attack or a confused client). */
function isHttpRequest(line: Uint8Array): boolean {
  return /^(?:GET|POST|HEAD|PUT|DELETE|OPTIONS|CONNECT|PATCH|TRACE) \S+ HTTP\/\d/i.test(
    latin1(line.subarray(0, 200)),
  );
}

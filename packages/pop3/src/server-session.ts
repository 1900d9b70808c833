/**
 * `Pop3ServerSession`: a sans-I/O POP3 server (RFC 1939 with RFC 2449 CAPA and response codes,
 * RFC 2595 STLS, RFC 5034 SASL AUTH, RFC 6856 UTF8).
 *
 * Theory of operation. `receive()` only buffers. `next()` and `output()` first run the queued
 * input through the state machine, one command at a time, until a command needs the application
 * (an event with a `decision`), TLS, or a message body: then later input waits, so replies always
 * leave in command order even when the client pipelines (RFC 2449 §6.6). The application drains
 * `next()` (events) and `output()` (bytes) until both are `undefined`.
 *
 * The states and transitions are in `server-states.ts`. Message bodies (RETR, TOP) never pass
 * through the session whole: the application accepts a `retrieve` event with a chunk source, and
 * the driver pumps it through `pendingBody()`, one chunk at a time, into the byte-stuffing
 * encoder.
 *
 * Nothing here reads a clock or touches I/O: the greeting's APOP timestamp is an option, idle
 * time arrives as `timeout()`, the peer's departure as `close()`.
 */
import {
  createSaslServer as coreSaslServer,
  decodeBase64,
  decodeSaslResponse,
  encodeBase64,
  LineReader,
  MailwireError,
  md5,
  toHex,
  UsageError,
  utf8,
} from '@mailwire/core';
import { type Pop3Command, parseCommand } from './command.js';
import type { Pop3ErrorCode } from './errors.js';
import { MultilineEncoder } from './byte-stuffing.js';
import { type Pop3ResponseCode, serializeMultiline, serializeResponse } from './response.js';
import { PLAINTEXT_MECHANISMS, type Pop3SaslServer, type Pop3SaslStep, type Pop3ScramKeys } from './sasl.js';
import type {
  Pop3ChunkSource,
  Pop3CloseReason,
  Pop3Credentials,
  Pop3MessageInfo,
  Pop3Numbered,
  Pop3Refusal,
  Pop3ServerEvent,
  Pop3TlsInfo,
} from './server-events.js';
import { COMMANDS_BY_STATE, type Pop3State, type Pop3Transition, transition } from './server-states.js';

/** Any non-ASCII character (RFC 6856 §2 gates UTF-8 in USER/PASS on the UTF8 command). */
const NON_ASCII = /[^\x00-\x7f]/;

export interface Pop3ServerSessionOptions {
  /** Greeting text after `+OK`. */
  readonly greeting?: string;
  /**
   * Enables APOP (RFC 1939 §7): the unique `<…@…>` timestamp for this connection's greeting. The
   * caller supplies it (process id, clock, random), the session never reads a clock.
   */
  readonly apopTimestamp?: string;
  /** The connection is already TLS (port 995, RFC 8314). */
  readonly secure?: boolean;
  /** Offer STLS (RFC 2595 §4); the driver must be able to upgrade. */
  readonly starttls?: boolean;
  /** Allow USER/PASS and plaintext SASL mechanisms without TLS (RFC 2595 §2.2: off by default). */
  readonly allowInsecureAuth?: boolean;
  /** Offer USER/PASS at all (default true). */
  readonly userPass?: boolean;
  /**
   * SASL mechanisms to offer, in order (RFC 5034), e.g. `['SCRAM-SHA-256', 'PLAIN']`. Default none.
   * Plaintext ones (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) are offered only under TLS unless
   * `allowInsecureAuth`.
   */
  readonly saslMechanisms?: readonly string[];
  /** Creates a mechanism by name. Default: `@mailwire/core`'s `createSaslServer`. */
  readonly createSaslServer?: (mechanism: string) => Pop3SaslServer | undefined;
  /** Host name for CRAM-MD5 challenges when the default `createSaslServer` is used. */
  readonly hostname?: string;
  /** CAPA IMPLEMENTATION text (RFC 2449 §6.9); `false` to omit. Default `Mailwire`. */
  readonly implementation?: string | false;
  /** CAPA EXPIRE (RFC 2449 §6.7): days a message stays on the server, or `NEVER`. */
  readonly expire?: number | 'NEVER';
  /** CAPA LOGIN-DELAY (RFC 2449 §6.8): minimum seconds between logins. */
  readonly loginDelay?: number;
  /** Offer the UTF8 command (RFC 6856 §2). Default true. */
  readonly utf8?: boolean;
  /**
   * Languages for the LANG command (RFC 6856 §3), the first being the default; `false` turns LANG
   * off. Default English only: the session's own texts are English, so list more only if you
   * translate the replies you control (`reject({ text })`).
   */
  readonly languages?: readonly { readonly tag: string; readonly description: string }[] | false;
  /** Erroneous commands before the session closes. Default 10. */
  readonly maxErrors?: number;
  /** Failed authentications before the session closes. Default 3. */
  readonly maxAuthFailures?: number;
  /** Longest command line, CRLF included. Default 255 (RFC 2449 §4). */
  readonly maxLineLength?: number;
  /**
   * Longest SASL response line, CRLF included. RFC 5034 §4 exempts these from the 255-octet limit;
   * the default 12,288 leaves room for OAuth bearer tokens.
   */
  readonly maxSaslLineLength?: number;
  /** Unprocessed input the session holds before it gives up on the peer. Default 64 KiB. */
  readonly maxBufferedInput?: number;
}

/** The body the driver must pump now (see `Pop3ServerSession.pendingBody()`). */
export interface Pop3BodyPump {
  readonly source: Pop3ChunkSource;
  /** Encodes one chunk into the output; `false` once no more is wanted (TOP has its lines). */
  push(chunk: Uint8Array): boolean;
  /** The source is exhausted: ends the multi-line response. */
  end(): void;
  /** The source failed mid-way: the response cannot be completed, so the session closes. */
  fail(error?: unknown): void;
}

type Blocked = 'decision' | 'body' | 'tls' | undefined;

interface SaslExchange {
  readonly server: Pop3SaslServer;
  /** `response`: the next line answers a challenge; `final`: the client acknowledges server data. */
  awaiting: 'response' | 'final' | 'verify';
  user?: string | undefined;
}

/** Which row of the transition table each way of ending takes (`server-states.ts`). */
const CLOSE_TRANSITION: Readonly<Record<Pop3CloseReason, Pop3Transition>> = {
  quit: 'closed',
  'peer-closed': 'closed',
  'source-failed': 'closed',
  timeout: 'timed-out',
  'too-many-errors': 'too-many-errors',
  'too-many-auth-failures': 'too-many-errors',
  'input-overflow': 'too-many-errors',
};

function messageCount(n: number): string {
  return n === 1 ? '1 message' : `${n} messages`;
}

const DEFAULTS = {
  maxErrors: 10,
  maxAuthFailures: 3,
  maxLineLength: 255,
  maxSaslLineLength: 12_288,
  maxBufferedInput: 65_536,
};

/**
 * The POP3 server session.
 *
 * @example
 * const session = new Pop3ServerSession({ allowInsecureAuth: true });
 * session.receive(utf8('USER alice\r\nPASS secret\r\n'));
 * for (let e = session.next(); e; e = session.next()) {
 *   if (e.type === 'auth') e.decision.accept();
 *   if (e.type === 'maildrop') e.decision.accept([{ size: 120, uidl: '1.1' }]);
 * }
 * for (let b = session.output(); b; b = session.output()) socket.write(b);
 */
export class Pop3ServerSession<M extends Pop3MessageInfo = Pop3MessageInfo> {
  private readonly options: Pop3ServerSessionOptions;
  private readonly reader: LineReader;
  private readonly events: Pop3ServerEvent<M>[] = [];
  private readonly out: Uint8Array[] = [];
  private current: Pop3State = 'AUTHORIZATION';
  private blocked: Blocked;
  /** The peer is gone (close/timeout): nothing more is sent. */
  private gone = false;
  private closedEmitted = false;
  private secureNow: boolean;
  private utf8Mode = false;
  private language: string | undefined;
  private pendingUser: string | undefined;
  private sasl: SaslExchange | undefined;
  private owner: string | undefined;
  private messages: readonly M[] = [];
  private deleted: boolean[] = [];
  private maildropOpen = false;
  private errors = 0;
  private authFailures = 0;
  private body: { encoder: MultilineEncoder; source: Pop3ChunkSource; pump: Pop3BodyPump } | undefined;
  /** A pending maildrop or commit decision keeps `closed` waiting (the lock must be released first). */
  private holdClose = false;
  private closeReason: Pop3CloseReason | undefined;

  constructor(options: Pop3ServerSessionOptions = {}) {
    this.options = options;
    if (
      options.apopTimestamp !== undefined &&
      !/^<[\x21-\x3d\x3f-\x7e]+@[\x21-\x3d\x3f-\x7e]+>$/.test(options.apopTimestamp)
    )
      throw new UsageError(
        'ERR_POP3_USAGE_ARGUMENT',
        'apopTimestamp must look like <unique@host> (RFC 1939 §7)',
      );
    this.secureNow = options.secure ?? false;
    this.reader = new LineReader({ maxLineLength: this.limit('maxLineLength') - 2 });
    let greeting = `${options.greeting ?? 'POP3 server ready'}`;
    if (options.apopTimestamp !== undefined) greeting += ` ${options.apopTimestamp}`;
    this.send(serializeResponse({ type: 'status', ok: true, text: greeting }));
  }

  /** `AUTHORIZATION`, `TRANSACTION`, `UPDATE` or `CLOSED`. */
  get state(): Pop3State {
    return this.current;
  }

  /** True once TLS is active (from the start, or after STLS). */
  get secure(): boolean {
    return this.secureNow;
  }

  /** The language picked with LANG (RFC 6856 §3), or the default. */
  get currentLanguage(): string | undefined {
    return this.language ?? this.languages()[0]?.tag;
  }

  /** The maildrop owner once authenticated. */
  get user(): string | undefined {
    return this.owner;
  }

  /** Octets received and not yet processed. */
  get buffered(): number {
    return this.reader.buffered;
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  /** What the peer sent, split anyhow. Only buffers. */
  receive(bytes: Uint8Array): void {
    if (this.current === 'CLOSED' || this.gone) return;
    if (this.blocked === 'tls') {
      // RFC 2595 §4 / STARTTLS injection: plaintext after STLS never reaches the TLS session.
      if (bytes.length > 0) this.protocolError('ERR_POP3_STLS_INJECTION', 'plaintext after STLS discarded');
      return;
    }
    this.reader.push(bytes.slice());
    if (this.reader.buffered > this.limit('maxBufferedInput')) this.process();
    if (this.reader.buffered > this.limit('maxBufferedInput')) {
      this.reader.discardBuffered();
      this.protocolError('ERR_POP3_TOO_MANY_ERRORS', 'too much unprocessed input');
      this.finish('input-overflow');
    }
  }

  /** The peer is gone. Idempotent. Nothing is deleted (RFC 1939 §6: no UPDATE without QUIT). */
  close(): void {
    if (this.gone) return;
    this.gone = true;
    this.out.length = 0;
    this.body = undefined;
    this.finish(this.closeReason ?? 'peer-closed');
  }

  /**
   * The idle timer fired: RFC 1939 §3 says close without entering UPDATE and without a response.
   * Ignored while the commit of a QUIT is in progress.
   */
  timeout(): void {
    if (this.gone || this.current === 'CLOSED' || this.current === 'UPDATE') return;
    this.gone = true;
    this.out.length = 0;
    this.body = undefined;
    this.finish('timeout');
  }

  /** TLS is up after a `starttls` event; the session forgets everything said in plaintext. */
  tlsStarted(_info?: Pop3TlsInfo): void {
    if (this.blocked !== 'tls')
      throw new UsageError('ERR_INVALID_STATE', 'tlsStarted() without a pending STLS');
    this.blocked = undefined;
    this.secureNow = true;
    // RFC 2595 §4: the server forgets what the client said before TLS.
    this.pendingUser = undefined;
    this.utf8Mode = false;
    this.reader.discardBuffered();
  }

  // ---------------------------------------------------------------------------------------------
  // Outputs

  next(): Pop3ServerEvent<M> | undefined {
    this.process();
    return this.events.shift();
  }

  output(): Uint8Array | undefined {
    this.process();
    return this.out.shift();
  }

  /**
   * The message body waiting to be sent, after a `retrieve` event was accepted. The driver
   * iterates `source` and passes each chunk to `push()` (stop early when it returns `false`), then
   * calls `end()`, or `fail()` if the source threw. Drain `output()` between chunks so that only
   * one chunk is ever held.
   */
  pendingBody(): Pop3BodyPump | undefined {
    return this.body?.pump;
  }

  // ---------------------------------------------------------------------------------------------
  // The machine

  private limit(name: keyof typeof DEFAULTS): number {
    return this.options[name] ?? DEFAULTS[name];
  }

  private process(): void {
    while (this.blocked === undefined && !this.gone && this.current !== 'CLOSED') {
      const frame = this.reader.next();
      if (frame === undefined) return;
      if (frame.type === 'bytes') continue; // never expect()ed
      if (frame.type === 'overflow') {
        this.sasl = undefined;
        this.reader.maxLineLength = this.limit('maxLineLength') - 2;
        this.fail('ERR_POP3_LINE_TOO_LONG', 'line too long');
        continue;
      }
      if (frame.bareCr || frame.bytes.includes(0)) {
        this.sasl = undefined;
        this.fail('ERR_POP3_BAD_OCTETS', 'bare CR or NUL in command');
        continue;
      }
      if (this.sasl !== undefined) this.saslLine(frame.bytes);
      else this.commandLine(frame.bytes);
    }
  }

  private send(bytes: Uint8Array): void {
    if (!this.gone) this.out.push(bytes);
  }

  private ok(text: string, code?: Pop3ResponseCode): void {
    this.send(
      serializeResponse(
        code === undefined ? { type: 'status', ok: true, text } : { type: 'status', ok: true, code, text },
      ),
    );
  }

  private err(text: string, code?: Pop3ResponseCode): void {
    this.send(
      serializeResponse(
        code === undefined ? { type: 'status', ok: false, text } : { type: 'status', ok: false, code, text },
      ),
    );
  }

  private emit(event: Pop3ServerEvent<M>): void {
    this.events.push(event);
  }

  private protocolError(code: Pop3ErrorCode, message: string): void {
    this.emit({ type: 'protocolError', error: new MailwireError(code, message) });
  }

  /** A peer error: `-ERR`, a `protocolError` event, and the error budget. */
  private fail(code: Pop3ErrorCode, text: string, respCode?: Pop3ResponseCode): void {
    this.err(text, respCode);
    this.protocolError(code, text);
    this.errors += 1;
    if (this.errors >= this.limit('maxErrors')) {
      this.protocolError('ERR_POP3_TOO_MANY_ERRORS', 'too many errors');
      this.finish('too-many-errors');
    }
  }

  private move(on: Pop3Transition): void {
    this.current = transition(this.current, on);
  }

  /** Ends the session: releases an open maildrop (without commit) and emits `closed`, once. */
  private finish(reason: Pop3CloseReason): void {
    this.closeReason ??= reason;
    this.blocked = this.blocked === 'decision' ? 'decision' : undefined;
    if (this.current !== 'CLOSED') this.move(CLOSE_TRANSITION[reason]);
    if (this.holdClose || this.closedEmitted) return;
    if (this.maildropOpen) {
      this.maildropOpen = false;
      this.emit({ type: 'release', user: this.owner ?? '', committed: false });
    }
    this.closedEmitted = true;
    this.emit({ type: 'closed', reason: this.closeReason });
  }

  /** A decision object that can be settled once; after the session ended it is silently ignored. */
  private settleOnce(): () => boolean {
    let settled = false;
    return () => {
      if (settled) throw new UsageError('ERR_DECISION_SETTLED', 'decision already settled');
      settled = true;
      return this.current !== 'CLOSED' && !this.gone;
    };
  }

  private commandLine(line: Uint8Array): void {
    const parsed = parseCommand(line);
    const previousUser = this.pendingUser;
    this.pendingUser = undefined;
    if (!parsed.ok) {
      this.fail(parsed.error === 'unknown' ? 'ERR_POP3_UNKNOWN_COMMAND' : 'ERR_POP3_SYNTAX', parsed.message);
      return;
    }
    const command = parsed.command;
    if (!this.offered(command.name)) {
      this.fail('ERR_POP3_UNKNOWN_COMMAND', 'unknown command');
      return;
    }
    if (!COMMANDS_BY_STATE[this.current].has(command.name)) {
      this.fail('ERR_POP3_WRONG_STATE', `${command.name} not allowed in ${this.current} state`);
      return;
    }
    this.dispatch(command, previousUser);
  }

  /** Commands this configuration does not offer at all are unknown to the client. */
  private offered(name: Pop3Command['name']): boolean {
    switch (name) {
      case 'APOP':
        return this.options.apopTimestamp !== undefined;
      case 'USER':
      case 'PASS':
        return this.options.userPass ?? true;
      case 'STLS':
        return this.options.starttls === true;
      case 'UTF8':
        return this.options.utf8 ?? true;
      case 'LANG':
        return this.languages().length > 0;
      default:
        return true;
    }
  }

  private languages(): readonly { readonly tag: string; readonly description: string }[] {
    const configured = this.options.languages;
    if (configured === false) return [];
    return configured ?? [{ tag: 'en', description: 'English' }];
  }

  /** RFC 6856 §3: LANG lists the languages, or picks one (`*` for the default). */
  private lang(requested: string | undefined): void {
    const languages = this.languages();
    if (requested === undefined) {
      const lines = languages.map((l) => `${l.tag} ${l.description}`);
      this.send(serializeMultiline({ type: 'status', ok: true, text: 'Language listing follows' }, lines));
      return;
    }
    const wanted = requested.toLowerCase();
    const match =
      wanted === '*'
        ? languages[0]
        : (languages.find((l) => l.tag.toLowerCase() === wanted) ??
          languages.find((l) => wanted.startsWith(`${l.tag.toLowerCase()}-`)));
    if (match === undefined) {
      this.fail('ERR_POP3_SYNTAX', 'invalid language');
      return;
    }
    this.language = match.tag;
    this.ok(`${match.tag} Language changed`);
  }

  private plaintextAllowed(): boolean {
    return this.secureNow || this.options.allowInsecureAuth === true;
  }

  private dispatch(command: Pop3Command, previousUser: string | undefined): void {
    switch (command.name) {
      case 'CAPA':
        this.send(
          serializeMultiline(
            { type: 'status', ok: true, text: 'Capability list follows' },
            this.capabilities(),
          ),
        );
        return;
      case 'QUIT':
        this.quit();
        return;
      case 'STLS':
        this.stls();
        return;
      case 'LANG':
        this.lang(command.language);
        return;
      case 'UTF8':
        this.utf8Mode = true;
        this.ok('UTF8 enabled');
        return;
      case 'USER':
        if (!this.plaintextAllowed()) {
          // RFC 2595 §2.2: clear-text passwords only under TLS unless the administrator allows it.
          this.fail('ERR_POP3_INSECURE_AUTH', 'Plaintext authentication disallowed without TLS', 'AUTH');
          return;
        }
        if (!this.utf8Mode && NON_ASCII.test(command.user)) {
          // RFC 6856 §2: UTF-8 user names only after UTF8 (advertised as `UTF8 USER`).
          this.fail('ERR_POP3_SYNTAX', 'UTF8 command required for a non-ASCII user name', 'UTF8');
          return;
        }
        this.pendingUser = command.user;
        this.ok('send PASS');
        return;
      case 'PASS':
        if (previousUser === undefined) {
          // RFC 1939 §7: PASS only directly after a successful USER.
          this.fail('ERR_POP3_BAD_SEQUENCE', 'USER first');
          return;
        }
        if (!this.utf8Mode && NON_ASCII.test(command.password)) {
          // RFC 6856 §2: UTF-8 passwords only after UTF8.
          this.fail('ERR_POP3_SYNTAX', 'UTF8 command required for a non-ASCII password', 'UTF8');
          return;
        }
        this.authenticate({
          mechanism: 'USER',
          authzid: '',
          username: previousUser,
          password: command.password,
        });
        return;
      case 'APOP': {
        const timestamp = this.options.apopTimestamp!;
        const digest = command.digest;
        this.authenticate({
          mechanism: 'APOP',
          authzid: '',
          username: command.user,
          digest,
          timestamp,
          verify: (secret: string) => toHex(md5(utf8(timestamp + secret))) === digest,
        });
        return;
      }
      case 'AUTH':
        this.auth(command.mechanism, command.initialResponse);
        return;
      default:
        this.transaction(command);
    }
  }

  private capabilities(): string[] {
    const o = this.options;
    const caps = ['TOP', 'UIDL', 'RESP-CODES', 'PIPELINING'];
    if (this.current === 'AUTHORIZATION') {
      if ((o.userPass ?? true) && this.plaintextAllowed()) caps.push('USER');
      const mechanisms = this.mechanisms();
      if (mechanisms.length > 0) caps.push(`SASL ${mechanisms.join(' ')}`);
      if (o.starttls === true && !this.secureNow) caps.push('STLS');
    }
    if (o.utf8 ?? true) caps.push('UTF8 USER');
    if (this.languages().length > 0) caps.push('LANG');
    if (o.expire !== undefined) caps.push(`EXPIRE ${o.expire}`);
    if (o.loginDelay !== undefined) caps.push(`LOGIN-DELAY ${o.loginDelay}`);
    if (o.implementation !== false) caps.push(`IMPLEMENTATION ${o.implementation ?? 'Mailwire'}`);
    return caps;
  }

  /** SASL mechanisms usable now: plaintext ones only under TLS unless allowed (RFC 2595 §2.2). */
  private mechanisms(): string[] {
    const all = (this.options.saslMechanisms ?? []).map((m) => m.toUpperCase());
    return this.plaintextAllowed() ? all : all.filter((m) => !PLAINTEXT_MECHANISMS.has(m));
  }

  private quit(): void {
    if (this.current === 'AUTHORIZATION') {
      this.ok('POP3 server signing off');
      this.move('quit-before-login');
      this.finish('quit');
      return;
    }
    this.move('quit');
    const deleted: Pop3Numbered<M>[] = [];
    this.messages.forEach((message, i) => {
      if (this.deleted[i]) deleted.push({ number: i + 1, message });
    });
    const left = this.messages.length - deleted.length;
    const settle = this.settleOnce();
    const done = (committed: boolean, refusal?: Pop3Refusal) => {
      const live = settle();
      this.holdClose = false;
      if (live) {
        if (committed) this.ok(`POP3 server signing off (${messageCount(left)} left)`);
        else this.err(refusal?.text ?? 'some deleted messages not removed', refusal?.code ?? 'SYS/TEMP');
      }
      this.maildropOpen = false;
      this.emit({ type: 'release', user: this.owner ?? '', committed });
      this.blocked = undefined;
      if (this.current === 'UPDATE') this.move('committed');
      this.finish(this.closeReason ?? 'quit');
    };
    this.holdClose = true;
    this.blocked = 'decision';
    this.emit({
      type: 'commit',
      deleted,
      decision: { accept: () => done(true), reject: (refusal?: Pop3Refusal) => done(false, refusal) },
    });
  }

  private stls(): void {
    if (this.secureNow) {
      this.fail('ERR_POP3_WRONG_STATE', 'TLS already active');
      return;
    }
    this.ok('Begin TLS negotiation');
    // RFC 2595 §4 and the STARTTLS injection defence: nothing pipelined after STLS survives.
    const dropped = this.reader.discardBuffered();
    if (dropped > 0) this.protocolError('ERR_POP3_STLS_INJECTION', `${dropped} octets after STLS discarded`);
    this.blocked = 'tls';
    this.emit({ type: 'starttls' });
  }

  // ---------------------------------------------------------------------------------------------
  // Authentication

  private authenticate(
    credentials: Pop3Credentials,
    onAccept?: (scramKeys: Pop3ScramKeys | undefined) => void,
  ): void {
    const settle = this.settleOnce();
    this.blocked = 'decision';
    this.emit({
      type: 'auth',
      credentials,
      decision: {
        accept: (options = {}) => {
          if (!settle()) return;
          this.blocked = undefined;
          if (onAccept) {
            if (this.sasl) this.sasl.user = options.user;
            onAccept(options.scramKeys);
            return;
          }
          this.openMaildrop(options.user ?? credentials.username);
        },
        reject: (refusal = {}) => {
          if (!settle()) return;
          this.blocked = undefined;
          this.authFailed(refusal.text ?? 'authentication failed', refusal.code ?? 'AUTH');
        },
      },
    });
  }

  private authFailed(
    text: string,
    code: Pop3ResponseCode | undefined,
    error: Pop3ErrorCode = 'ERR_POP3_AUTH_FAILED',
  ): void {
    this.sasl = undefined;
    this.reader.maxLineLength = this.limit('maxLineLength') - 2;
    this.err(text, code);
    this.protocolError(error, text);
    this.authFailures += 1;
    if (this.authFailures >= this.limit('maxAuthFailures')) {
      this.protocolError('ERR_POP3_TOO_MANY_AUTH_FAILURES', 'too many authentication failures');
      this.finish('too-many-auth-failures');
    }
  }

  private auth(mechanism: string | undefined, initialResponse: string | undefined): void {
    const available = this.mechanisms();
    if (mechanism === undefined) {
      // RFC 1734 legacy, still sent by clients: AUTH alone lists the mechanisms.
      this.send(serializeMultiline({ type: 'status', ok: true, text: 'SASL mechanisms follow' }, available));
      return;
    }
    if (!available.includes(mechanism)) {
      const configured = (this.options.saslMechanisms ?? []).some((m) => m.toUpperCase() === mechanism);
      if (configured) this.fail('ERR_POP3_INSECURE_AUTH', `${mechanism} requires TLS`, 'AUTH');
      else this.fail('ERR_POP3_SYNTAX', 'unrecognized authentication type');
      return;
    }
    const create =
      this.options.createSaslServer ??
      ((name: string) =>
        coreSaslServer(name, this.options.hostname === undefined ? {} : { hostname: this.options.hostname }));
    const server = create(mechanism);
    if (server === undefined) {
      this.fail('ERR_POP3_SYNTAX', 'unrecognized authentication type');
      return;
    }
    let initial: Uint8Array | undefined;
    if (initialResponse !== undefined) {
      // RFC 5034 §4: "=" is an empty initial response.
      initial = initialResponse === '=' ? new Uint8Array(0) : decodeBase64(initialResponse);
      if (initial === undefined) {
        this.authFailed('malformed initial response', undefined);
        return;
      }
    }
    this.sasl = { server, awaiting: 'response' };
    this.saslStep(server.start(initial));
  }

  private saslLine(line: Uint8Array): void {
    const exchange = this.sasl!;
    const response = decodeSaslResponse(line);
    if (response.type === 'cancel') {
      // RFC 5034 §4: "*" cancels; the server MUST answer -ERR.
      this.authFailed('authentication cancelled', undefined, 'ERR_POP3_AUTH_CANCELLED');
      return;
    }
    if (exchange.awaiting === 'final') {
      if (line.length !== 0) {
        this.authFailed('expected an empty response', undefined);
        return;
      }
      this.sasl = undefined;
      this.reader.maxLineLength = this.limit('maxLineLength') - 2;
      this.openMaildrop(exchange.user ?? '');
      return;
    }
    if (response.type === 'malformed') {
      this.authFailed('malformed response', undefined);
      return;
    }
    this.saslStep(exchange.server.respond(response.data));
  }

  private saslStep(step: Pop3SaslStep): void {
    const exchange = this.sasl;
    if (exchange === undefined) return;
    switch (step.type) {
      case 'challenge':
        exchange.awaiting = 'response';
        this.reader.maxLineLength = this.limit('maxSaslLineLength') - 2;
        this.send(serializeResponse({ type: 'continuation', base64: encodeBase64(step.challenge) }));
        return;
      case 'verify':
        exchange.awaiting = 'verify';
        this.authenticate(step.credentials, (scramKeys) => {
          this.saslStep(
            exchange.server.verified(scramKeys === undefined ? { ok: true } : { ok: true, scramKeys }),
          );
        });
        return;
      case 'success': {
        const user = exchange.user ?? (step.authzid !== '' ? step.authzid : step.username);
        if (step.serverData !== undefined && step.serverData.length > 0) {
          // Server data with success goes out as one more challenge, answered by an empty line
          // (RFC 4422 §5 allows this for any protocol).
          exchange.user = user;
          exchange.awaiting = 'final';
          this.send(serializeResponse({ type: 'continuation', base64: encodeBase64(step.serverData) }));
          return;
        }
        this.sasl = undefined;
        this.reader.maxLineLength = this.limit('maxLineLength') - 2;
        this.openMaildrop(user);
        return;
      }
      case 'failure':
        this.authFailed(
          step.reason === 'malformed' ? 'malformed response' : 'authentication failed',
          step.reason === 'invalid' ? 'AUTH' : undefined,
        );
        return;
    }
  }

  private openMaildrop(user: string): void {
    const settle = this.settleOnce();
    this.blocked = 'decision';
    this.holdClose = true;
    this.emit({
      type: 'maildrop',
      user,
      utf8: this.utf8Mode,
      decision: {
        accept: (messages: readonly M[]) => {
          for (const m of messages) {
            if (!Number.isSafeInteger(m.size) || m.size < 0)
              throw new UsageError('ERR_POP3_USAGE_ARGUMENT', 'message size must be a non-negative integer');
            if (!/^[\x21-\x7e]{1,70}$/.test(m.uidl))
              throw new UsageError(
                'ERR_POP3_USAGE_ARGUMENT',
                'uidl must be 1-70 characters 0x21-0x7E (RFC 1939 §7)',
              );
          }
          const live = settle();
          this.holdClose = false;
          this.blocked = undefined;
          this.owner = user;
          this.maildropOpen = true;
          if (!live) {
            this.finish(this.closeReason ?? 'peer-closed');
            return;
          }
          this.messages = [...messages];
          this.deleted = messages.map(() => false);
          this.move('authenticated');
          const { count, octets } = this.totals();
          this.ok(`maildrop locked and ready, ${messageCount(count)} (${octets} octets)`);
        },
        reject: (refusal: Pop3Refusal = {}) => {
          const live = settle();
          this.holdClose = false;
          this.blocked = undefined;
          if (!live) {
            this.finish(this.closeReason ?? 'peer-closed');
            return;
          }
          // RFC 2449 §8.1.1: [IN-USE] when another session holds the maildrop.
          this.err(refusal.text ?? 'maildrop already locked', refusal.code ?? 'IN-USE');
        },
      },
    });
  }

  // ---------------------------------------------------------------------------------------------
  // TRANSACTION

  private totals(): { count: number; octets: number } {
    let count = 0;
    let octets = 0;
    this.messages.forEach((m, i) => {
      if (!this.deleted[i]) {
        count += 1;
        octets += m.size;
      }
    });
    return { count, octets };
  }

  /** The message numbered `n`, unless it does not exist or is marked deleted (RFC 1939 §5). */
  private lookup(n: number): M | undefined {
    if (n < 1 || n > this.messages.length || this.deleted[n - 1]) {
      this.fail('ERR_POP3_NO_SUCH_MESSAGE', 'no such message');
      return undefined;
    }
    return this.messages[n - 1];
  }

  private transaction(command: Pop3Command): void {
    switch (command.name) {
      case 'STAT': {
        const { count, octets } = this.totals();
        this.ok(`${count} ${octets}`);
        return;
      }
      case 'LIST':
      case 'UIDL': {
        const field = (m: M) => (command.name === 'LIST' ? String(m.size) : m.uidl);
        if (command.message !== undefined) {
          const m = this.lookup(command.message);
          if (m) this.ok(`${command.message} ${field(m)}`);
          return;
        }
        const lines: string[] = [];
        this.messages.forEach((m, i) => {
          if (!this.deleted[i]) lines.push(`${i + 1} ${field(m)}`);
        });
        const { count, octets } = this.totals();
        const text =
          command.name === 'LIST' ? `${messageCount(count)} (${octets} octets)` : 'unique-id listing follows';
        this.send(serializeMultiline({ type: 'status', ok: true, text }, lines));
        return;
      }
      case 'RETR':
      case 'TOP': {
        const n = command.message;
        const message = this.lookup(n);
        if (!message) return;
        this.retrieve(n, message, command.name === 'TOP' ? command.lines : undefined);
        return;
      }
      case 'DELE': {
        const n = command.message;
        if (n >= 1 && n <= this.messages.length && this.deleted[n - 1]) {
          this.fail('ERR_POP3_NO_SUCH_MESSAGE', `message ${n} already deleted`);
          return;
        }
        if (!this.lookup(n)) return;
        this.deleted[n - 1] = true;
        this.ok(`message ${n} deleted`);
        return;
      }
      case 'RSET': {
        this.deleted = this.messages.map(() => false);
        const { count, octets } = this.totals();
        this.ok(`maildrop has ${messageCount(count)} (${octets} octets)`);
        return;
      }
      case 'NOOP':
        this.ok('');
        return;
      default:
        this.fail('ERR_POP3_WRONG_STATE', `${command.name} not allowed in ${this.current} state`);
    }
  }

  private retrieve(number: number, message: M, lines: number | undefined): void {
    const settle = this.settleOnce();
    this.blocked = 'decision';
    const accept = (source: Pop3ChunkSource) => {
      if (!settle()) return;
      this.ok(lines === undefined ? `${message.size} octets` : 'top of message follows');
      const encoder = new MultilineEncoder(lines === undefined ? {} : { bodyLines: lines });
      let finished = false;
      const check = () => {
        if (finished) throw new UsageError('ERR_INVALID_STATE', 'body already ended');
      };
      const pump: Pop3BodyPump = {
        source,
        push: (chunk) => {
          check();
          if (this.gone) return false;
          const bytes = encoder.encode(chunk);
          if (bytes.length > 0) this.send(bytes);
          return !encoder.done;
        },
        end: () => {
          check();
          finished = true;
          this.body = undefined;
          if (this.gone) return;
          this.send(encoder.end());
          this.blocked = undefined;
        },
        fail: () => {
          check();
          finished = true;
          this.body = undefined;
          if (this.gone) return;
          // A multi-line response cannot be taken back: closing is the only honest end.
          this.blocked = undefined;
          this.finish('source-failed');
        },
      };
      this.body = { encoder, source, pump };
      this.blocked = 'body';
    };
    this.emit({
      type: 'retrieve',
      command: lines === undefined ? 'RETR' : 'TOP',
      ...(lines === undefined ? {} : { lines }),
      number,
      message,
      decision: {
        accept,
        reject: (refusal: Pop3Refusal = {}) => {
          if (!settle()) return;
          this.blocked = undefined;
          this.err(refusal.text ?? 'unable to read message', refusal.code ?? 'SYS/TEMP');
        },
      },
    });
  }
}

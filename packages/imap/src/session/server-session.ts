import { latin1, MailwireError, type TlsInfo, UsageError } from '@mailwire/core';
import type { Account, MailStore } from '@mailwire/store';
import { parseCommand } from '../codec/command-parser.js';
import { type CommandFrame, type Fragment, Fragmentizer } from '../codec/fragmentizer.js';
import type { LiteralSource, Response, ResponseCode, StatusName } from '../codec/response.js';
import { serializeResponseParts, serializeResponses } from '../codec/response.js';
import type { Command } from '../codec/types.js';
import { HANDLERS } from '../commands/index.js';
import type { CommandContext, SessionState } from '../commands/context.js';
import { StreamingAppend } from './append-stream.js';
import { capabilities } from './capabilities.js';
import type { MailboxView } from './mailbox-view.js';
import type { AuthenticateDecision, ImapServerEvent, LoginDecision } from './server-events.js';
import { decodeMailboxUtf7, encodeMailboxUtf7 } from './utf7.js';

/**
 * The IMAP4rev2/IMAP4rev1 server session (RFC 9051, RFC 3501), sans-I/O.
 *
 * Theory of operation: `receive()` only buffers into the fragmentizer, which splits the stream into
 * complete commands (lines plus literals). Commands run one at a time, in order, through an async
 * executor: each is parsed, checked against the state table (`ALLOWED` below), and handed to its
 * handler under `src/commands/`. Handlers talk to the `MailStore` interface (the store is the only
 * thing that does I/O, and it is the caller's) and to the application through events with
 * decisions (LOGIN, AUTHENTICATE). Replies are queued as bytes in command order; `output()`
 * drains them, `next()` drains events, and `changed()` resolves whenever either has something or
 * the session is ready for more input, so a driver (`serve()`) can await it.
 *
 * Large FETCH literals are produced from the store's streaming reads: a handler queues a
 * `LiteralSource` and its chunks are pulled only as fast as the driver drains `output()`.
 *
 * States: not-authenticated → authenticated ⇄ selected → logout (RFC 9051 §3). While a command
 * runs, further input stays buffered (bounded by `maxBuffered`: the driver stops reading), except
 * the lines a running command asks for itself (AUTHENTICATE responses, IDLE's DONE).
 */

export interface ImapServerSessionOptions {
  readonly store: MailStore;
  /** Host name for the greeting. */
  readonly hostname?: string;
  /** The connection is already TLS (implicit TLS port). */
  readonly secure?: boolean;
  /** STARTTLS is offered (the transport can upgrade). Default true when not secure. */
  readonly starttls?: boolean;
  /** Allow LOGIN and plaintext SASL without TLS (RFC 9051 §6.2.3 LOGINDISABLED otherwise). Default false. */
  readonly allowInsecureAuth?: boolean;
  /** SASL mechanisms offered. Default PLAIN and LOGIN. */
  readonly saslMechanisms?: readonly string[];
  /** APPENDLIMIT (RFC 7889) and the largest literal accepted. Default: the store's limit, else 25 MiB. */
  readonly appendLimit?: number;
  /** Longest command line. Default 64 KiB (RFC 9051 §4 asks for at least 8000 octets). */
  readonly maxLineLength?: number;
  /** Largest literal before authentication. Default 8 KiB. */
  readonly maxPreauthLiteral?: number;
  /** Bad commands in a row before the session says BYE. Default 20. */
  readonly maxErrors?: number;
  /** APPEND message literals above this go to the store as they arrive, not buffered. Default 64 KiB. */
  readonly appendStreamThreshold?: number;
  /** Literal sizes above this are streamed from the store, not buffered. Default 64 KiB. */
  readonly streamThreshold?: number;
  /** Extra `* ID` fields. */
  readonly id?: Readonly<Record<string, string>>;
  /**
   * The current time in milliseconds, for the INTERNALDATE of an APPEND without a date. The
   * session never reads the clock itself; pass `Date.now`. Default: 0 (the epoch).
   */
  readonly now?: () => number;
  /** Random bytes for SASL nonces. */
  readonly randomBytes?: (length: number) => Uint8Array;
}

type WaitingLine = (line: Uint8Array | undefined) => void;

export class ImapServerSession implements CommandContext {
  readonly store: MailStore;
  readonly options: ImapServerSessionOptions;
  readonly appendLimit: number;
  stateName: SessionState = 'not-authenticated';
  private accountValue: Account | undefined;
  selected: MailboxView | undefined;
  secure: boolean;
  readonly enabled = new Set<string>();
  /** SEARCHRES (RFC 5182): the UIDs of the last `SAVE`. */
  savedSearch: number[] | undefined;
  /** The command running now (for the EXPUNGE rule of RFC 9051 §7.5.1). */
  current: Command | undefined;

  private readonly fragmentizer: Fragmentizer;
  private readonly events: ImapServerEvent[] = [];
  private readonly out: Uint8Array[] = [];
  private outBytes = 0;
  private busy = false;
  private closedFlag = false;
  private tlsPending = false;
  private errors = 0;
  private waitingLine: WaitingLine | undefined;
  private waiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private unsubscribe: (() => void) | undefined;
  private idleWake: (() => void) | undefined;
  private streaming: StreamingAppend | undefined;

  constructor(options: ImapServerSessionOptions) {
    this.store = options.store;
    this.options = options;
    this.secure = options.secure ?? false;
    this.appendLimit = options.appendLimit ?? options.store.limits.maxMessageSize ?? 25 * 1024 * 1024;
    this.fragmentizer = new Fragmentizer({
      maxLineLength: options.maxLineLength ?? 65536,
      maxLiteralSize: this.appendLimit,
      streamAbove: options.appendStreamThreshold ?? 65536,
    });
    // Before authentication, only small literals and commands: memory stays bounded for strangers.
    this.fragmentizer.maxLiteralSize = options.maxPreauthLiteral ?? 8192;
    this.fragmentizer.maxCommandSize = 65536;
    const caps = capabilities(this).join(' ');
    this.send({
      type: 'status',
      tag: '*',
      status: 'OK',
      code: { name: 'CAPABILITY', data: caps },
      text: `${options.hostname ?? 'Mailwire'} IMAP4rev2 ready`,
    });
  }

  get account(): Account | undefined {
    return this.accountValue;
  }

  set account(account: Account | undefined) {
    this.accountValue = account;
    if (account !== undefined) {
      this.fragmentizer.maxLiteralSize = this.appendLimit;
      this.fragmentizer.maxCommandSize = this.appendLimit + 65536;
    }
  }

  // ------------------------------------------------------------------ inputs

  get state(): string {
    return this.closedFlag ? 'closed' : this.stateName;
  }

  /** Bytes received and not yet processed; a driver stops reading above its own bound. */
  get buffered(): number {
    return this.fragmentizer.buffered;
  }

  /** True when the session can use more input now. */
  get wantsInput(): boolean {
    if (this.closedFlag || this.tlsPending) return false;
    if (this.waitingLine !== undefined) return true;
    if (this.streaming !== undefined && this.streaming.backlog > 1024 * 1024) return false;
    return this.fragmentizer.buffered < 1024 * 1024;
  }

  receive(bytes: Uint8Array): void {
    if (this.closedFlag) throw new UsageError('ERR_INVALID_STATE', 'receive() after the session closed');
    if (this.tlsPending) return; // RFC 9051 §6.2.1: nothing may follow STARTTLS before the handshake.
    this.fragmentizer.push(bytes);
    this.pump();
  }

  close(): void {
    this.finish('peer');
  }

  timeout(): void {
    if (this.closedFlag) return;
    this.send({ type: 'status', tag: '*', status: 'BYE', text: 'Autologout; idle for too long' });
    this.finish('timeout');
  }

  /** The transport finished the TLS handshake after a `starttls` event. */
  tlsStarted(_info?: TlsInfo): void {
    if (!this.tlsPending) throw new UsageError('ERR_INVALID_STATE', 'tlsStarted() without a starttls event');
    this.tlsPending = false;
    this.secure = true;
    this.notify();
  }

  // ------------------------------------------------------------------ outputs

  next(): ImapServerEvent | undefined {
    return this.events.shift();
  }

  output(): Uint8Array | undefined {
    const chunk = this.out.shift();
    if (chunk !== undefined) {
      this.outBytes -= chunk.length;
      if (this.outBytes < 256 * 1024) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    }
    return chunk;
  }

  /** Resolves when there is output, an event, or the session can take input. */
  changed(): Promise<void> {
    if (this.out.length > 0 || this.events.length > 0 || this.closedFlag) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  // ------------------------------------------------------------------ context for handlers

  get utf8Names(): boolean {
    return this.enabled.has('UTF8=ACCEPT') || this.enabled.has('IMAP4REV2');
  }

  get rev2(): boolean {
    return this.enabled.has('IMAP4REV2');
  }

  get loginAllowed(): boolean {
    return this.secure || (this.options.allowInsecureAuth ?? false);
  }

  emit(event: ImapServerEvent): void {
    this.events.push(event);
    this.notify();
  }

  send(response: Response): void {
    for (const part of serializeResponseParts(response)) {
      if (part instanceof Uint8Array) this.push(part);
      else throw new UsageError('ERR_INVALID_STATE', 'send() with a streamed literal: use sendStreaming()');
    }
  }

  sendMany(responses: readonly Response[]): void {
    if (responses.length === 1) this.send(responses[0]!);
    else if (responses.length > 1) this.push(serializeResponses(responses));
  }

  sendRaw(bytes: Uint8Array): void {
    this.push(bytes);
  }

  /** Sends a response whose literals may be streamed from the store, with backpressure. */
  async sendStreaming(response: Response): Promise<void> {
    for (const part of serializeResponseParts(response)) {
      if (part instanceof Uint8Array) this.push(part);
      else await this.streamLiteral(part);
    }
    await this.drained();
  }

  private async streamLiteral(source: LiteralSource): Promise<void> {
    let sent = 0;
    for await (const chunk of source.chunks()) {
      const take = chunk.subarray(0, Math.max(0, source.size - sent));
      if (take.length > 0) this.push(take);
      sent += take.length;
      await this.drained();
    }
    // The literal's length was announced: pad if the store gave fewer octets than it promised.
    if (sent < source.size) this.push(new Uint8Array(source.size - sent).fill(0x20));
  }

  get backlogged(): boolean {
    return this.outBytes >= 256 * 1024 && !this.closedFlag;
  }

  drained(): Promise<void> {
    if (!this.backlogged) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  tagged(tag: string, status: StatusName, text: string, code?: ResponseCode): void {
    this.send(
      code === undefined
        ? { type: 'status', tag, status, text }
        : { type: 'status', tag, status, code, text },
    );
  }

  continuation(text: string): void {
    this.send({ type: 'continuation', text });
  }

  /** Waits for the next client line (AUTHENTICATE responses, DONE); `undefined` if the session closed. */
  readLine(): Promise<Uint8Array | undefined> {
    if (this.closedFlag) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waitingLine = resolve;
      this.pump();
      this.notify();
    });
  }

  /** Resolves when the selected mailbox has news, or a line arrives (IDLE). */
  waitIdle(): Promise<'line' | 'change'> {
    return new Promise((resolve) => {
      this.waitingLine = () => resolve('line');
      this.idleWake = () => resolve('change');
      this.pump();
      this.notify();
    });
  }

  /** In IDLE: the pending line consumed by `waitIdle()`. */
  private idleLine: Uint8Array | undefined;

  takeIdleLine(): Uint8Array | undefined {
    const line = this.idleLine;
    this.idleLine = undefined;
    return line;
  }

  cancelIdleWait(): void {
    this.waitingLine = undefined;
    this.idleWake = undefined;
  }

  decideLogin(username: string, password: string): Promise<Account | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = () => {
        if (settled) throw new UsageError('ERR_DECISION_SETTLED', 'login decision already settled');
        settled = true;
      };
      const decision: LoginDecision = {
        accept: (account) => {
          settle();
          resolve(account);
        },
        reject: () => {
          settle();
          resolve(undefined);
        },
      };
      this.emit({ type: 'login', username, password, decision });
    });
  }

  decideAuthenticate(
    credentials: Parameters<CommandContext['decideAuthenticate']>[0],
  ): ReturnType<CommandContext['decideAuthenticate']> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = () => {
        if (settled) throw new UsageError('ERR_DECISION_SETTLED', 'authenticate decision already settled');
        settled = true;
      };
      const decision: AuthenticateDecision = {
        accept: (account, scramKeys) => {
          settle();
          resolve(scramKeys === undefined ? { account } : { account, scramKeys });
        },
        reject: () => {
          settle();
          resolve(undefined);
        },
      };
      this.emit({ type: 'authenticate', credentials, decision });
    });
  }

  startTls(): void {
    this.fragmentizer.discard();
    this.tlsPending = true;
    this.emit({ type: 'starttls' });
  }

  setSelected(view: MailboxView | undefined): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.selected = view;
    this.stateName =
      view === undefined ? (this.account === undefined ? 'not-authenticated' : 'authenticated') : 'selected';
    if (view !== undefined) {
      this.unsubscribe = this.store.subscribe(view.mailboxId, (change) => {
        if (this.selected !== view) return;
        view.onChange(change);
        const wake = this.idleWake;
        if (wake !== undefined) {
          this.idleWake = undefined;
          this.waitingLine = undefined;
          wake();
        }
      });
    }
  }

  /** Mailbox name as the client writes it → store name (`undefined`: not valid modified UTF-7). */
  decodeName(name: string): string | undefined {
    if (name === 'INBOX') return name;
    if (this.utf8Names) return name;
    return decodeMailboxUtf7(name);
  }

  encodeName(name: string): string {
    return this.utf8Names ? name : encodeMailboxUtf7(name);
  }

  /** Sends the view's pending updates where RFC 9051 §7.5.1 allows. */
  flushUpdates(expunges: boolean): void {
    const view = this.selected;
    if (view === undefined) return;
    for (const r of view.flush({ expunges, rev1: !this.rev2, uidInFetch: true })) this.send(r);
  }

  logout(): void {
    this.stateName = 'logout';
  }

  // ------------------------------------------------------------------ internals

  private push(bytes: Uint8Array): void {
    if (this.closedFlag || bytes.length === 0) return;
    this.out.push(bytes);
    this.outBytes += bytes.length;
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private finish(reason: 'logout' | 'peer' | 'timeout' | 'errors' | 'mailbox-deleted'): void {
    if (this.closedFlag) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.events.push({ type: 'closed', reason });
    this.closedFlag = true;
    const line = this.waitingLine;
    this.waitingLine = undefined;
    line?.(undefined);
    const drain = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of drain) w();
    this.notify();
  }

  private peerError(code: string, message: string): void {
    this.emit({ type: 'protocolError', error: new MailwireError(code, message) });
    this.errors += 1;
    if (this.errors >= (this.options.maxErrors ?? 20)) {
      this.send({ type: 'status', tag: '*', status: 'BYE', text: 'Too many errors' });
      this.finish('errors');
    }
  }

  private pump(): void {
    while (!this.closedFlag && !this.tlsPending) {
      if (this.busy && this.waitingLine === undefined && this.streaming === undefined) return;
      const fragment = this.fragmentizer.next();
      if (fragment === undefined) return;
      if (this.waitingLine !== undefined) {
        // A running command asked for a line (AUTHENTICATE, IDLE).
        const waiter = this.waitingLine;
        this.waitingLine = undefined;
        this.idleWake = undefined;
        if (fragment.type === 'command') {
          this.idleLine = fragment.frame.lines[0];
          waiter(fragment.frame.lines[0]);
        } else {
          // A literal where a plain line was due: refuse it (skipped exactly when non-synchronising).
          if (fragment.type === 'continue' || fragment.type === 'literal-start') this.fragmentizer.refuse();
          this.idleLine = undefined;
          waiter(new Uint8Array(0));
        }
        continue;
      }
      if (fragment.type === 'literal-start') {
        this.startStreaming(fragment.tag ?? '*', fragment.frame, fragment.size, fragment.sync);
        return;
      }
      if (fragment.type === 'literal-data') {
        this.streaming?.data(fragment.bytes, fragment.end);
        continue;
      }
      if (this.streaming !== undefined && (fragment.type === 'command' || fragment.type === 'error')) {
        this.finishStreaming(this.streaming, fragment);
        return;
      }
      switch (fragment.type) {
        case 'continue': {
          const preauth = this.options.maxPreauthLiteral ?? 8192;
          if (this.account === undefined && fragment.size > preauth) {
            this.fragmentizer.refuse();
            this.send({
              type: 'status',
              tag: fragment.tag ?? '*',
              status: 'NO',
              code: { name: 'TOOBIG' },
              text: 'Literal too large before authentication',
            });
            this.peerError('ERR_IMAP_LITERAL_TOO_LARGE', 'literal too large before authentication');
            break;
          }
          // RFC 9051 §7.5: exactly "+ " and text; some clients fail on a bare "+".
          this.continuation('Ready for literal data');
          this.fragmentizer.accept();
          break;
        }
        case 'error': {
          const tag = fragment.tag ?? '*';
          if (fragment.reason === 'line-too-long') {
            this.send({ type: 'status', tag, status: 'BAD', text: 'Command line too long' });
            this.peerError('ERR_IMAP_LINE_TOO_LONG', 'command line too long');
          } else {
            // RFC 7889 §4: TOOBIG for a literal over APPENDLIMIT.
            this.send({
              type: 'status',
              tag,
              status: tag === '*' ? 'BAD' : 'NO',
              code: { name: 'TOOBIG' },
              text: 'Literal too large',
            });
            this.peerError('ERR_IMAP_LITERAL_TOO_LARGE', 'literal too large');
          }
          break;
        }
        case 'command': {
          const parsed = parseCommand(fragment.frame);
          if (!parsed.ok) {
            const first = fragment.frame.lines[0];
            // A stray DONE (sent after IDLE already ended) is harmless: ignore it quietly.
            if (first !== undefined && latin1(first).toUpperCase() === 'DONE') break;
            this.send({ type: 'status', tag: parsed.tag ?? '*', status: 'BAD', text: parsed.message });
            this.peerError('ERR_IMAP_SYNTAX', parsed.message);
            break;
          }
          this.errors = 0;
          this.busy = true;
          void this.run(parsed.command).then(() => {
            this.busy = false;
            this.current = undefined;
            this.notify();
            this.pump();
          });
          return;
        }
      }
    }
  }

  private startStreaming(tag: string, frame: CommandFrame, size: number, sync: boolean): void {
    const stream = this.streaming ?? new StreamingAppend(this, tag);
    this.streaming = stream;
    this.busy = true;
    void stream
      .start(frame, size)
      .catch((error: unknown) => {
        this.failCommand(tag, error);
        return false;
      })
      .then(async (ok) => {
        if (this.closedFlag) return;
        if (ok) {
          if (sync) this.continuation('Ready for literal data');
          this.fragmentizer.accept();
          this.pump();
          return;
        }
        this.fragmentizer.refuse();
        await stream.abort();
        this.endStreaming();
      });
  }

  private finishStreaming(stream: StreamingAppend, fragment: Fragment): void {
    void (async () => {
      try {
        if (fragment.type === 'command') {
          const parsed = parseCommand(fragment.frame);
          if (parsed.ok) {
            this.current = parsed.command;
            await stream.finish(parsed.command);
          } else {
            await stream.abort();
            this.tagged(stream.tag, 'BAD', parsed.message);
          }
        } else {
          await stream.abort();
          this.tagged(stream.tag, 'NO', 'Command too large', { name: 'TOOBIG' });
        }
      } catch (error) {
        this.failCommand(stream.tag, error);
      }
      this.endStreaming();
    })();
  }

  private endStreaming(): void {
    this.streaming = undefined;
    this.busy = false;
    this.current = undefined;
    this.notify();
    this.pump();
  }

  /** Answers a command whose handler threw: RFC 5530 codes for store errors. */
  private failCommand(tag: string, error: unknown): void {
    if (this.closedFlag) return;
    const code = (error as { code?: unknown } | undefined)?.code;
    if (MailwireError.isInstance(error) && typeof code === 'string' && code.startsWith('ERR_STORE_')) {
      const [name, text] = storeErrorReply(code, error.message);
      this.tagged(tag, 'NO', text, name === undefined ? undefined : { name });
    } else {
      this.emit({ type: 'internalError', error });
      this.tagged(tag, 'NO', 'Internal server error', { name: 'SERVERBUG' });
    }
  }

  private async run(command: Command): Promise<void> {
    const allowed = ALLOWED[command.name];
    if (!allowed.includes(this.stateName)) {
      this.tagged(command.tag, 'BAD', `${command.name} not allowed now`);
      this.peerError('ERR_IMAP_STATE', `${command.name} in state ${this.stateName}`);
      return;
    }
    this.current = command;
    const handler = HANDLERS[command.name];
    try {
      await handler(this, command as never);
    } catch (error) {
      if (this.closedFlag) return;
      this.failCommand(command.tag, error);
    }
    if (this.stateName === 'logout') this.finish('logout');
    else if (this.selected?.deleted) {
      this.send({ type: 'status', tag: '*', status: 'BYE', text: 'Selected mailbox was deleted' });
      this.finish('mailbox-deleted');
    }
  }
}

/** RFC 5530 response codes for store failures. */
function storeErrorReply(code: string, message: string): [string | undefined, string] {
  switch (code) {
    case 'ERR_STORE_NOT_FOUND':
      return ['NONEXISTENT', message];
    case 'ERR_STORE_EXISTS':
      return ['ALREADYEXISTS', message];
    case 'ERR_STORE_QUOTA':
      return ['OVERQUOTA', message];
    case 'ERR_STORE_LOCKED':
      return ['INUSE', message];
    case 'ERR_STORE_NOT_ALLOWED':
      return ['CANNOT', message];
    case 'ERR_STORE_TOO_LARGE':
      return ['TOOBIG', message];
    case 'ERR_STORE_INVALID':
      return ['CANNOT', message];
    default:
      return ['UNAVAILABLE', 'Temporary server failure'];
  }
}

const ANY: readonly SessionState[] = ['not-authenticated', 'authenticated', 'selected'];
const NOT_AUTH: readonly SessionState[] = ['not-authenticated'];
const AUTH: readonly SessionState[] = ['authenticated', 'selected'];
const SELECTED: readonly SessionState[] = ['selected'];

/** The state table (RFC 9051 §3, §6): where each command may run. */
const ALLOWED: Record<Command['name'], readonly SessionState[]> = {
  CAPABILITY: ANY,
  NOOP: ANY,
  LOGOUT: ANY,
  ID: ANY,
  STARTTLS: NOT_AUTH,
  LOGIN: NOT_AUTH,
  AUTHENTICATE: NOT_AUTH,
  ENABLE: AUTH,
  SELECT: AUTH,
  EXAMINE: AUTH,
  CREATE: AUTH,
  DELETE: AUTH,
  RENAME: AUTH,
  SUBSCRIBE: AUTH,
  UNSUBSCRIBE: AUTH,
  LIST: AUTH,
  LSUB: AUTH,
  STATUS: AUTH,
  APPEND: AUTH,
  NAMESPACE: AUTH,
  IDLE: AUTH,
  CLOSE: SELECTED,
  UNSELECT: SELECTED,
  EXPUNGE: SELECTED,
  'UID EXPUNGE': SELECTED,
  CHECK: SELECTED,
  SEARCH: SELECTED,
  FETCH: SELECTED,
  STORE: SELECTED,
  COPY: SELECTED,
  MOVE: SELECTED,
};

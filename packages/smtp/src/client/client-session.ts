/**
 * `SmtpClientSession`: the sending side of SMTP (RFC 5321), sans-I/O, for relaying to an MX or a
 * smarthost. Same contract as the server session: `receive(bytes)`, `close()`, `timeout()` in;
 * `next()` events and `output()` bytes out.
 *
 * Theory of operation. Every command the session writes pushes what it expects onto a FIFO;
 * every reply pops the head, so pipelined batches (RFC 2920) are matched in order. The
 * connection goes greeting → EHLO (HELO on 500/502, RFC 5321 §3.2) → STARTTLS when offered
 * (RFC 3207; `tls: 'required'` fails instead of sending in clear) → EHLO again → AUTH PLAIN or
 * LOGIN when credentials are given (RFC 4954) → `ready`. Each `send(envelope)` is one
 * transaction: MAIL FROM with SIZE/BODY/SMTPUTF8/RET/ENVID where offered, one RCPT TO per
 * recipient with NOTIFY/ORCPT where DSN is offered, then DATA (dot-stuffed, RFC 5321 §4.5.2) or,
 * with CHUNKING and PIPELINING, BDAT (RFC 3030). With PIPELINING, MAIL, the RCPTs and DATA leave
 * in one batch. A message that needs 8BITMIME or SMTPUTF8 is never sent to a server without it:
 * the transaction fails permanently (5.6.3 / 5.6.7) before MAIL; there is no 8bit→7bit
 * conversion. A transaction that did not end with the final data reply is followed by RSET.
 *
 * Time is input: the driver arms its timer with `timeoutMs` (RFC 5321 §4.5.3.2 for the phase the
 * session waits in) and calls `timeout()` when it fires; open transactions then fail temporarily.
 */

import { concatBytes, encodeBase64, type TlsInfo, UsageError, utf8 } from '@mailwire/core';
import {
  type BodyType,
  type DsnNotify,
  type RcptParams,
  serializeCommand,
  type SmtpCommand,
} from '../command.js';
import { DotStuffer } from '../dot-stuffing.js';
import { parseMailbox, type SmtpMailbox } from '../path.js';
import { ReplyParser, type SmtpReply } from '../reply.js';
import type {
  RecipientResult,
  SmtpClientClosedReason,
  SmtpClientEnvelope,
  SmtpClientErrorCode,
  SmtpClientEvent,
  SmtpClientRecipient,
  SmtpClientStage,
} from './client-events.js';

export interface SmtpClientOptions {
  /** Our host name for EHLO/HELO (RFC 5321 §4.1.1.1: the FQDN, or an address literal). */
  readonly hostname: string;
  /**
   * `'opportunistic'` (default): STARTTLS when offered; `'required'`: fail with 451 4.7.0 when it
   * is not; `'none'`: never.
   */
  readonly tls?: 'none' | 'opportunistic' | 'required';
  /** The transport is already TLS (implicit TLS, RFC 8314). */
  readonly secure?: boolean;
  /** Smarthost credentials; PLAIN or LOGIN, whichever the server offers (PLAIN first). */
  readonly auth?: { readonly username: string; readonly password: string };
  /** Send credentials over a connection without TLS. Default false. */
  readonly allowInsecureAuth?: boolean;
  /** Use PIPELINING when offered. Default true. */
  readonly pipelining?: boolean;
  /** Use BDAT when CHUNKING and PIPELINING are offered. Default true. */
  readonly chunking?: boolean;
  /** Longest reply line accepted; default 4096. */
  readonly maxReplyLine?: number;
}

export type SmtpClientState =
  | 'greeting'
  | 'ehlo'
  | 'starttls'
  | 'tls'
  | 'auth'
  | 'ready'
  | 'mail'
  | 'body'
  | 'dataEnd'
  | 'quit'
  | 'closed';

/** RFC 5321 §4.5.3.2 timeouts, milliseconds. */
export const SMTP_CLIENT_TIMEOUTS = {
  /** §4.5.3.2.1 initial 220 message: 5 minutes. */
  greeting: 300_000,
  /** §4.5.3.2.2 MAIL command: 5 minutes (also used for EHLO, STARTTLS, AUTH, RSET, QUIT). */
  mail: 300_000,
  /** §4.5.3.2.3 RCPT command: 5 minutes. */
  rcpt: 300_000,
  /** §4.5.3.2.4 DATA initiation: 2 minutes. */
  data: 120_000,
  /** §4.5.3.2.5 data block: 3 minutes (each write of the body). */
  block: 180_000,
  /** §4.5.3.2.6 DATA termination: 10 minutes. */
  dataEnd: 600_000,
} as const;

type Expect =
  | { kind: 'greeting' | 'ehlo' | 'helo' | 'starttls' | 'rset' | 'quit' | 'ignore' }
  | { kind: 'auth'; step: 'plain' | 'login-user' | 'login-pass' | 'login-done' }
  | { kind: 'mail'; tx: Transaction }
  | { kind: 'rcpt'; tx: Transaction; index: number }
  | { kind: 'data'; tx: Transaction }
  | { kind: 'dataEnd'; tx: Transaction }
  | { kind: 'bdat'; tx: Transaction; last: boolean };

interface Transaction {
  readonly envelope: SmtpClientEnvelope;
  readonly recipients: readonly { to: string; mailbox: SmtpMailbox; params: RcptParams }[];
  readonly from: SmtpMailbox | null;
  readonly results: (RecipientResult | undefined)[];
  mailReply?: SmtpReply;
  /** The first failing BDAT reply. */
  chunkFailure?: SmtpReply;
  accepted: number;
  useBdat: boolean;
  bodyStarted: boolean;
  done: boolean;
}

const TEMP = (enhanced: string, text: string): SmtpReply => ({ code: 451, enhanced, lines: [text] });

function status(code: number): RecipientResult['status'] {
  return code < 400 ? 'sent' : code < 500 ? 'temporary' : 'permanent';
}

function isAsciiString(value: string): boolean {
  return !/[^\x00-\x7f]/.test(value);
}

/**
 * The sending side of an SMTP connection, without I/O.
 *
 * @example
 * const client = new SmtpClientSession({ hostname: 'mta.example.org' });
 * client.receive(bytesFromServer);
 * for (let e = client.next(); e; e = client.next()) {
 *   if (e.type === 'ready') client.send({ from: 'a@example.org', to: ['b@example.com'] });
 *   if (e.type === 'body') { client.writeBody(message); client.endBody(); }
 *   if (e.type === 'result') console.log(e.result.recipients);
 * }
 * for (let out = client.output(); out; out = client.output()) socket.write(out);
 */
export class SmtpClientSession {
  private readonly options: SmtpClientOptions;
  private parser: ReplyParser;
  private readonly events: SmtpClientEvent[] = [];
  private readonly out: Uint8Array[] = [];
  private readonly expects: Expect[] = [];
  private readonly queued: SmtpClientEnvelope[] = [];
  private current: Transaction | undefined;
  private stuffer: DotStuffer | undefined;
  private currentState: SmtpClientState = 'greeting';
  private ext = new Map<string, string>();
  private secure: boolean;
  private tlsInfo: TlsInfo | undefined;
  private triedTls = false;
  private authenticated = false;
  private quitting = false;
  private needRset = false;
  private readyAnnounced = false;
  /** Set when the connection cannot be used (a failure before `ready`). */
  private fatal: { reply: SmtpReply; stage: SmtpClientStage } | undefined;

  constructor(options: SmtpClientOptions) {
    if (!options.hostname || /[\s\r\n]/.test(options.hostname))
      throw new UsageError('ERR_INVALID_ARGUMENT', 'hostname is required and must not contain blanks');
    this.options = options;
    this.secure = options.secure ?? false;
    this.parser = new ReplyParser({ maxLineLength: options.maxReplyLine ?? 4096 });
    this.expects.push({ kind: 'greeting' });
  }

  get state(): SmtpClientState {
    return this.currentState;
  }

  /** ESMTP keywords the server offered (upper case) with their parameters. */
  get extensions(): ReadonlyMap<string, string> {
    return this.ext;
  }

  /** Why the connection became unusable before a transaction could start (greeting, EHLO, TLS, AUTH). */
  get failure(): { readonly reply: SmtpReply; readonly stage: SmtpClientStage } | undefined {
    return this.fatal;
  }

  get isSecure(): boolean {
    return this.secure;
  }

  /** The RFC 5321 §4.5.3.2 timeout for what the session is waiting for, in milliseconds. */
  get timeoutMs(): number {
    const head = this.expects[0];
    if (this.currentState === 'body') return SMTP_CLIENT_TIMEOUTS.block;
    switch (head?.kind) {
      case 'greeting':
        return SMTP_CLIENT_TIMEOUTS.greeting;
      case 'rcpt':
        return SMTP_CLIENT_TIMEOUTS.rcpt;
      case 'data':
        return SMTP_CLIENT_TIMEOUTS.data;
      case 'dataEnd':
        return SMTP_CLIENT_TIMEOUTS.dataEnd;
      case 'bdat':
        return head.last ? SMTP_CLIENT_TIMEOUTS.dataEnd : SMTP_CLIENT_TIMEOUTS.block;
      default:
        return SMTP_CLIENT_TIMEOUTS.mail;
    }
  }

  private stopped(): boolean {
    return this.currentState === 'closed' || this.currentState === 'tls';
  }

  // ---- inputs -------------------------------------------------------------------------------

  receive(bytes: Uint8Array): void {
    if (this.currentState === 'closed') return;
    // RFC 3207 §4.2 (injection defence): nothing may follow the 220 to STARTTLS in clear.
    if (this.currentState === 'tls') return;
    this.parser.push(bytes);
    for (let r = this.parser.next(); r; r = this.parser.next()) {
      if (r.type === 'error') {
        this.protocolError(r.code, `malformed reply: ${r.line.slice(0, 200)}`);
        return;
      }
      this.onReply(r.reply);
      if (this.stopped()) return;
    }
  }

  close(): void {
    if (this.currentState === 'closed') return;
    const quitAnswered = this.quitting && !this.expects.some((e) => e.kind === 'quit');
    this.finish(quitAnswered ? 'quit' : 'peer', TEMP('4.4.2', 'Connection closed by the server'));
  }

  timeout(): void {
    if (this.currentState === 'closed') return;
    this.finish('timeout', TEMP('4.4.2', 'Timed out waiting for the server'));
  }

  /** The transport is TLS now (after the `starttls` event). */
  tlsStarted(info?: TlsInfo): void {
    if (this.currentState !== 'tls')
      throw new UsageError('ERR_INVALID_STATE', 'tlsStarted() without STARTTLS');
    this.secure = true;
    this.tlsInfo = info;
    // RFC 3207 §4.2: forget what the server said before TLS, and say EHLO again.
    this.parser = new ReplyParser({ maxLineLength: this.options.maxReplyLine ?? 4096 });
    this.ext = new Map();
    this.sendEhlo();
  }

  /** Queues a message; it starts when the connection is ready and earlier messages are done. */
  send(envelope: SmtpClientEnvelope): void {
    if (this.quitting || this.currentState === 'closed')
      throw new UsageError('ERR_INVALID_STATE', 'send() after quit() or close');
    if (envelope.to.length === 0) throw new UsageError('ERR_INVALID_ARGUMENT', 'no recipients');
    this.queued.push(envelope);
    this.readyAnnounced = false;
    this.advance();
  }

  /** Sends QUIT once queued messages are done. */
  quit(): void {
    if (this.currentState === 'closed' || this.quitting) return;
    this.quitting = true;
    this.advance();
  }

  /** One chunk of the message body, after the `body` event. */
  writeBody(chunk: Uint8Array): void {
    const tx = this.bodyTx();
    if (chunk.length === 0) return;
    if (tx.useBdat) {
      this.write(utf8(`BDAT ${chunk.length}\r\n`));
      this.out.push(chunk.slice());
      this.expects.push({ kind: 'bdat', tx, last: false });
    } else {
      for (const piece of this.stuffer!.push(chunk)) this.out.push(piece.slice());
    }
  }

  /** The end of the body: the terminator or `BDAT 0 LAST`. */
  endBody(): void {
    const tx = this.bodyTx();
    this.currentState = 'dataEnd';
    if (tx.useBdat) {
      this.write(utf8('BDAT 0 LAST\r\n'));
      this.expects.push({ kind: 'bdat', tx, last: true });
    } else {
      this.out.push(this.stuffer!.end());
      this.stuffer = undefined;
      this.expects.push({ kind: 'dataEnd', tx });
    }
  }

  // ---- outputs ------------------------------------------------------------------------------

  next(): SmtpClientEvent | undefined {
    return this.events.shift();
  }

  output(): Uint8Array | undefined {
    if (this.out.length === 0) return undefined;
    if (this.out.length === 1) return this.out.shift();
    const all = concatBytes(this.out);
    this.out.length = 0;
    return all;
  }

  // ---- internals ----------------------------------------------------------------------------

  private bodyTx(): Transaction {
    const tx = this.current;
    if (this.currentState !== 'body' || !tx)
      throw new UsageError('ERR_INVALID_STATE', 'no body expected now');
    return tx;
  }

  private write(bytes: Uint8Array): void {
    this.out.push(bytes);
  }

  private command(command: SmtpCommand, expect: Expect): void {
    this.write(serializeCommand(command));
    this.expects.push(expect);
  }

  private sendEhlo(): void {
    this.currentState = 'ehlo';
    this.command({ verb: 'EHLO', domain: this.options.hostname }, { kind: 'ehlo' });
  }

  private protocolError(code: SmtpClientErrorCode, message: string): void {
    this.events.push({ type: 'protocolError', code, message });
    this.finish('protocol', TEMP('4.5.0', 'Invalid reply from the server'));
  }

  /** Fails what is open and queued, and ends the session. */
  private finish(
    reason: SmtpClientClosedReason,
    why: SmtpReply,
    stage: SmtpClientStage = 'connection',
  ): void {
    this.currentState = 'closed';
    if (this.current && !this.current.done) this.failTransaction(this.current, why, stage);
    for (const envelope of this.queued.splice(0))
      this.failTransaction(this.newTransaction(envelope), why, stage);
    this.expects.length = 0;
    this.events.push({ type: 'closed', reason, tls: this.tlsInfo });
  }

  /** A failure before the connection was usable: queued messages fail, QUIT is sent. */
  private connectionFailed(reply: SmtpReply, stage: SmtpClientStage): void {
    this.fatal = { reply, stage };
    for (const envelope of this.queued.splice(0))
      this.failTransaction(this.newTransaction(envelope), reply, stage);
    if (reply.code === 421) {
      this.finish('failed', reply, stage);
      return;
    }
    this.quitting = true;
    this.currentState = 'quit';
    this.command({ verb: 'QUIT' }, { kind: 'quit' });
  }

  private onReply(r: SmtpReply): void {
    const head = this.expects.shift();
    if (!head) {
      this.protocolError('ERR_SMTP_UNEXPECTED_REPLY', `unexpected reply ${r.code}`);
      return;
    }
    // RFC 5321 §3.8: 421 means the server is closing the channel.
    if (r.code === 421 && head.kind !== 'quit') {
      this.expects.unshift(head);
      const stage = this.stageOf(head);
      this.finish('failed', r, stage);
      return;
    }
    switch (head.kind) {
      case 'greeting':
        // RFC 5321 §3.1: anything but 220 (554 usually) means no mail here.
        if (r.code !== 220) {
          this.connectionFailed(r, 'greeting');
          return;
        }
        this.sendEhlo();
        return;
      case 'ehlo':
        if (r.code === 250) {
          this.onEhlo(r);
          return;
        }
        // RFC 5321 §3.2: a server that does not know EHLO answers 500/502; fall back to HELO.
        if ((r.code === 500 || r.code === 502) && !this.secure) {
          this.command({ verb: 'HELO', domain: this.options.hostname }, { kind: 'helo' });
          return;
        }
        this.connectionFailed(r, 'ehlo');
        return;
      case 'helo':
        if (r.code !== 250) {
          this.connectionFailed(r, 'ehlo');
          return;
        }
        this.ext = new Map();
        this.afterHello();
        return;
      case 'starttls':
        if (r.code === 220) {
          this.currentState = 'tls';
          this.events.push({ type: 'starttls' });
          return;
        }
        if (this.options.tls === 'required') {
          this.connectionFailed(r, 'starttls');
          return;
        }
        this.afterTls();
        return;
      case 'auth': {
        this.onAuth(head.step, r);
        return;
      }
      case 'rset':
        if (r.code !== 250) {
          this.connectionFailed(r, 'mail');
          return;
        }
        this.advance();
        return;
      case 'quit':
        this.finish('quit', TEMP('4.4.2', 'Connection closed'));
        return;
      case 'ignore': {
        this.advance();
        return;
      }
      case 'mail':
        head.tx.mailReply = r;
        if (r.code !== 250) this.needRset = true;
        this.afterEnvelopeReply(head.tx);
        return;
      case 'rcpt': {
        this.onRcpt(head.tx, head.index, r);
        return;
      }
      case 'data': {
        this.onData(head.tx, r);
        return;
      }
      case 'dataEnd': {
        this.completeTransaction(head.tx, r);
        return;
      }
      case 'bdat':
        if (r.code !== 250 && head.tx.chunkFailure === undefined) head.tx.chunkFailure = r;
        if (head.last) this.completeTransaction(head.tx, head.tx.chunkFailure ?? r);
        return;
    }
  }

  private stageOf(head: Expect): SmtpClientStage {
    switch (head.kind) {
      case 'greeting':
        return 'greeting';
      case 'ehlo':
      case 'helo':
        return 'ehlo';
      case 'starttls':
        return 'starttls';
      case 'auth':
        return 'auth';
      case 'mail':
      case 'rset':
      case 'ignore':
        return 'mail';
      case 'rcpt':
        return 'rcpt';
      case 'quit':
        return 'connection';
      default:
        return 'data';
    }
  }

  private onEhlo(r: SmtpReply): void {
    const ext = new Map<string, string>();
    // RFC 5321 §4.1.1.1: the first line is the domain, each further line a keyword and its params.
    for (const line of r.lines.slice(1)) {
      const match = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:[ =](.*))?$/.exec(line.trim());
      if (match) ext.set(match[1]!.toUpperCase(), match[2] ?? '');
    }
    this.ext = ext;
    this.afterHello();
  }

  private afterHello(): void {
    const policy = this.options.tls ?? 'opportunistic';
    if (!this.secure && !this.triedTls && policy !== 'none') {
      if (this.ext.has('STARTTLS')) {
        this.triedTls = true;
        this.currentState = 'starttls';
        this.command({ verb: 'STARTTLS' }, { kind: 'starttls' });
        return;
      }
      if (policy === 'required') {
        this.connectionFailed(
          TEMP('4.7.0', 'TLS required but the server does not offer STARTTLS'),
          'starttls',
        );
        return;
      }
    }
    this.afterTls();
  }

  private afterTls(): void {
    const auth = this.options.auth;
    if (auth && !this.authenticated) {
      if (!this.secure && !this.options.allowInsecureAuth) {
        this.connectionFailed(TEMP('4.7.0', 'Refusing to send credentials without TLS'), 'auth');
        return;
      }
      const mechanisms = (this.ext.get('AUTH') ?? '').toUpperCase().split(/\s+/);
      this.currentState = 'auth';
      if (mechanisms.includes('PLAIN')) {
        // RFC 4616 §2: message = [authzid] NUL authcid NUL passwd
        const initial = encodeBase64(utf8(`\0${auth.username}\0${auth.password}`));
        this.command(
          { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: initial },
          { kind: 'auth', step: 'plain' },
        );
        return;
      }
      if (mechanisms.includes('LOGIN')) {
        this.command({ verb: 'AUTH', mechanism: 'LOGIN' }, { kind: 'auth', step: 'login-user' });
        return;
      }
      this.connectionFailed(
        { code: 530, enhanced: '5.7.0', lines: ['The server offers no usable AUTH mechanism'] },
        'auth',
      );
      return;
    }
    this.currentState = 'ready';
    this.advance();
  }

  private onAuth(step: 'plain' | 'login-user' | 'login-pass' | 'login-done', r: SmtpReply): void {
    const auth = this.options.auth!;
    if (r.code === 235) {
      this.authenticated = true;
      this.currentState = 'ready';
      this.advance();
      return;
    }
    if (r.code === 334 && step === 'login-user') {
      this.write(utf8(`${encodeBase64(utf8(auth.username))}\r\n`));
      this.expects.push({ kind: 'auth', step: 'login-pass' });
      return;
    }
    if (r.code === 334 && step === 'login-pass') {
      this.write(utf8(`${encodeBase64(utf8(auth.password))}\r\n`));
      this.expects.push({ kind: 'auth', step: 'login-done' });
      return;
    }
    if (r.code === 334) {
      // RFC 4954 §4: cancel an exchange we cannot continue.
      this.write(utf8('*\r\n'));
      this.expects.push({ kind: 'auth', step: 'login-done' });
      return;
    }
    this.connectionFailed(r, 'auth');
  }

  /** Starts the next queued transaction, or announces `ready`, or quits. */
  private advance(): void {
    if (this.currentState !== 'ready' || this.expects.length > 0) return;
    if (this.fatal) return;
    if (this.needRset) {
      this.needRset = false;
      this.command({ verb: 'RSET' }, { kind: 'rset' });
      return;
    }
    const envelope = this.queued.shift();
    if (envelope) {
      this.start(envelope);
      return;
    }
    if (this.quitting) {
      this.currentState = 'quit';
      this.command({ verb: 'QUIT' }, { kind: 'quit' });
      return;
    }
    if (!this.readyAnnounced) {
      this.readyAnnounced = true;
      this.events.push({ type: 'ready', extensions: this.ext });
    }
  }

  private newTransaction(envelope: SmtpClientEnvelope): Transaction {
    const recipients: Transaction['recipients'][number][] = [];
    let invalid = false;
    for (const item of envelope.to) {
      const r: SmtpClientRecipient = typeof item === 'string' ? { address: item } : item;
      const mailbox = parseMailbox(r.address);
      if (!mailbox) invalid = true;
      const params: { notify?: readonly DsnNotify[]; orcpt?: { addrType: string; address: string } } = {};
      if (this.ext.has('DSN')) {
        if (r.notify !== undefined) params.notify = r.notify;
        if (r.orcpt !== undefined) params.orcpt = { addrType: 'rfc822', address: r.orcpt };
      }
      recipients.push({
        to: r.address,
        mailbox: mailbox ?? { localPart: r.address, domain: '', domainType: 'name', utf8: false },
        params,
      });
    }
    const from = envelope.from === '' ? null : (parseMailbox(envelope.from) ?? null);
    const tx: Transaction = {
      envelope,
      recipients,
      from,
      results: recipients.map(() => undefined),
      accepted: 0,
      useBdat: false,
      bodyStarted: false,
      done: false,
    };
    if (invalid || (envelope.from !== '' && from === null)) {
      // Caller input, but per message: fail that message, not the connection.
      tx.mailReply = { code: 553, enhanced: '5.1.3', lines: ['Invalid address syntax'] };
    }
    return tx;
  }

  private start(envelope: SmtpClientEnvelope): void {
    const tx = this.newTransaction(envelope);
    this.current = tx;
    if (tx.mailReply) {
      this.failTransaction(tx, tx.mailReply, 'mail');
      return;
    }
    const ext = this.ext;
    const needsUtf8 =
      envelope.smtpUtf8 === true ||
      !isAsciiString(envelope.from) ||
      tx.recipients.some((r) => !isAsciiString(r.to));
    // RFC 6531: without SMTPUTF8 offered, the message must not be sent; X.6.7 "non-ASCII addresses
    // not permitted" (RFC 5248 registry, as RFC 6531 uses it).
    if (needsUtf8 && !ext.has('SMTPUTF8')) {
      this.failTransaction(
        tx,
        {
          code: 553,
          enhanced: '5.6.7',
          lines: ['The server does not support SMTPUTF8 and the message needs it'],
        },
        'mail',
      );
      return;
    }
    // RFC 6152 §3: 8-bit data only to a server that offered 8BITMIME; X.6.3 "conversion required but
    // not supported" (RFC 3463 §3.7).
    if (envelope.eightBit === true && !ext.has('8BITMIME')) {
      this.failTransaction(
        tx,
        {
          code: 554,
          enhanced: '5.6.3',
          lines: ['The server does not support 8BITMIME and the message needs it'],
        },
        'mail',
      );
      return;
    }
    // RFC 1870 §4: do not send a message larger than the advertised fixed maximum.
    const max = Number(ext.get('SIZE') ?? '0');
    if (envelope.size !== undefined && Number.isFinite(max) && max > 0 && envelope.size > max) {
      this.failTransaction(
        tx,
        { code: 552, enhanced: '5.3.4', lines: [`Message too big for the server (limit ${max} octets)`] },
        'mail',
      );
      return;
    }
    const params: {
      size?: number;
      body?: BodyType;
      smtpUtf8?: true;
      ret?: 'FULL' | 'HDRS';
      envid?: string;
    } = {};
    if (ext.has('SIZE') && envelope.size !== undefined) params.size = envelope.size;
    if (envelope.eightBit === true || (needsUtf8 && ext.has('8BITMIME'))) params.body = '8BITMIME';
    if (needsUtf8) params.smtpUtf8 = true;
    if (ext.has('DSN')) {
      if (envelope.ret !== undefined) params.ret = envelope.ret;
      if (envelope.envid !== undefined) params.envid = envelope.envid;
    }
    const pipelining = (this.options.pipelining ?? true) && ext.has('PIPELINING');
    tx.useBdat = (this.options.chunking ?? true) && pipelining && ext.has('CHUNKING');
    this.currentState = 'mail';
    this.command({ verb: 'MAIL', from: tx.from, params }, { kind: 'mail', tx });
    if (!pipelining) return;
    // RFC 2920 §3.1: MAIL, RCPT and DATA may go in one batch; DATA is the last of the group.
    tx.recipients.forEach((r, index) => {
      this.command({ verb: 'RCPT', to: r.mailbox, params: r.params }, { kind: 'rcpt', tx, index });
    });
    if (!tx.useBdat) this.command({ verb: 'DATA' }, { kind: 'data', tx });
  }

  /** After the MAIL reply without pipelining: the first RCPT, or the failure. */
  private afterEnvelopeReply(tx: Transaction): void {
    const pipelined = this.expects.some((e) => e.kind === 'rcpt' && e.tx === tx);
    if (pipelined) return;
    if (tx.mailReply!.code !== 250) {
      this.failTransaction(tx, tx.mailReply!, 'mail');
      return;
    }
    const first = tx.recipients[0]!;
    this.command({ verb: 'RCPT', to: first.mailbox, params: first.params }, { kind: 'rcpt', tx, index: 0 });
  }

  private onRcpt(tx: Transaction, index: number, r: SmtpReply): void {
    const recipient = tx.recipients[index]!;
    const mailFailed = tx.mailReply !== undefined && tx.mailReply.code !== 250;
    let result: RecipientResult;
    if (mailFailed) {
      // After a refused MAIL the server's 503 to RCPT says nothing: the MAIL reply is the answer.
      result = { to: recipient.to, status: status(tx.mailReply!.code), reply: tx.mailReply!, stage: 'mail' };
    } else {
      const ok = r.code === 250 || r.code === 251;
      if (ok) tx.accepted++;
      result = {
        to: recipient.to,
        status: ok ? 'sent' : r.code >= 500 ? 'permanent' : 'temporary',
        reply: r,
        stage: 'rcpt',
      };
    }
    tx.results[index] = result;
    this.events.push({ type: 'recipient', result });
    const pipelined = this.expects.some((e) => 'tx' in e && e.tx === tx);
    const last = index === tx.recipients.length - 1;
    if (!last) {
      if (!pipelined) {
        const nextR = tx.recipients[index + 1]!;
        this.command(
          { verb: 'RCPT', to: nextR.mailbox, params: nextR.params },
          { kind: 'rcpt', tx, index: index + 1 },
        );
      }
      return;
    }
    if (mailFailed) {
      this.needRset = !pipelined || tx.useBdat;
      if (!pipelined) {
        this.failTransaction(tx, tx.mailReply!, 'mail');
        return;
      }
      if (tx.useBdat) {
        this.failTransaction(tx, tx.mailReply!, 'mail');
        return;
      }
      return; // the DATA reply (503) is still to come
    }
    if (tx.accepted === 0) {
      this.needRset = true;
      if (pipelined && !tx.useBdat) return; // wait for the DATA replythis.failTransaction(tx, r, 'rcpt'); return;
    }
    if (tx.useBdat) {
      this.startBody(tx);
      return;
    }
    if (!pipelined) this.command({ verb: 'DATA' }, { kind: 'data', tx });
  }

  private onData(tx: Transaction, r: SmtpReply): void {
    if (tx.accepted === 0 || (tx.mailReply !== undefined && tx.mailReply.code !== 250)) {
      const why = tx.mailReply && tx.mailReply.code !== 250 ? tx.mailReply : r;
      if (r.code === 354) {
        // RFC 2920 §3.1: DATA accepted with no valid recipient: end it with a lone dot.
        this.write(utf8('.\r\n'));
        this.expects.push({ kind: 'ignore' });
      }
      this.needRset = true;
      this.failTransaction(tx, why, tx.mailReply?.code === 250 ? 'rcpt' : 'mail');
      return;
    }
    if (r.code !== 354) {
      this.needRset = true;
      this.failTransaction(tx, r, 'data');
      return;
    }
    this.startBody(tx);
  }

  private startBody(tx: Transaction): void {
    tx.bodyStarted = true;
    this.currentState = 'body';
    if (!tx.useBdat) this.stuffer = new DotStuffer();
    this.events.push({ type: 'body', chunking: tx.useBdat });
  }

  private completeTransaction(tx: Transaction, r: SmtpReply): void {
    const recipients = tx.recipients.map((rcpt, i): RecipientResult => {
      const earlier = tx.results[i]!;
      if (earlier.status !== 'sent') return earlier;
      return { to: rcpt.to, status: status(r.code), reply: r, stage: 'data' };
    });
    tx.done = true;
    this.events.push({ type: 'result', envelope: tx.envelope, result: { recipients, reply: r } });
    this.current = undefined;
    this.currentState = 'ready';
    this.advance();
  }

  /** Ends a transaction without a final data reply: every recipient not yet refused gets `why`. */
  private failTransaction(tx: Transaction, why: SmtpReply, stage: SmtpClientStage): void {
    if (tx.done) return;
    tx.done = true;
    const recipients = tx.recipients.map((rcpt, i): RecipientResult => {
      const earlier = tx.results[i];
      if (earlier && earlier.status !== 'sent') return earlier;
      return { to: rcpt.to, status: status(why.code), reply: why, stage };
    });
    this.events.push({ type: 'result', envelope: tx.envelope, result: { recipients, reply: why } });
    if (this.current === tx) this.current = undefined;
    if (this.currentState === 'closed' || this.fatal) return;
    this.currentState = 'ready';
    this.advance();
  }
}

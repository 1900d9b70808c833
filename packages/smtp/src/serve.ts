/**
 * `serve(transport, hooks)`: the async driver over `SmtpServerSession`, for applications that
 * prefer promise-returning hooks to an event loop.
 *
 * The driver reads from the transport only when the session has nothing left to do, and awaits
 * each hook before it reads on, so a slow hook (or a slow `onData` consumer) pushes back on the
 * peer through the transport. Message bytes reach `onData` as an async iterable; at most
 * `highWaterMark` octets wait in it before the driver stops reading.
 *
 * No timers and no clock here either: pass `sleep` (for the AUTH failure back-off) and `now`
 * (for the session deadline and minimum data rate) from the runtime — `@mailwire/node` does.
 */

import {
  type ConnectionInfo,
  MailwireError,
  type ReadResult,
  type SaslCredentials,
  type ScramStoredKeys,
  type TlsInfo,
  type Transport,
} from '@mailwire/core';
import type { MailParams, RcptParams } from './command.js';
import type { SmtpMailbox } from './path.js';
import type { ClosedReason, RecipientOutcome, SmtpServerEvent } from './server-events.js';
import { SmtpServerSession, type SmtpServerOptions } from './server-session.js';

/** A refusal: `{ code: 550, enhanced: '5.7.1', text: 'Relaying denied' }`. */
export interface SmtpHookReply {
  readonly code: number;
  readonly enhanced: string;
  readonly text: string;
}

/** Nothing (`undefined`, or no `return`) accepts; a reply refuses. */
// biome-ignore lint/suspicious/noConfusingVoidType: hooks written as `async () => {}` return void.
export type HookResult = void | undefined | SmtpHookReply;
type Awaitable<T> = T | Promise<T>;

export interface SmtpEnvelope {
  readonly from: SmtpMailbox | null;
  readonly mailParams: MailParams;
  readonly recipients: readonly { readonly to: SmtpMailbox; readonly params: RcptParams }[];
  readonly helo: string | undefined;
  readonly user: string | undefined;
  readonly secure: boolean;
  readonly tls: TlsInfo | undefined;
  readonly remoteAddress: string;
}

/** The message body: iterate it once; chunks are views, copy them to keep them. */
export interface SmtpMessageStream extends AsyncIterable<Uint8Array> {
  /** Octets delivered so far. */
  readonly size: number;
}

export interface SmtpServeContext {
  readonly session: SmtpServerSession;
  readonly transport: Transport;
}

export interface SmtpHooks {
  onConnect?(info: ConnectionInfo, ctx: SmtpServeContext): Awaitable<HookResult>;
  onHelo?(domain: string, ctx: SmtpServeContext): Awaitable<HookResult>;
  /** Called once TLS is active after STARTTLS. */
  onStartTls?(info: TlsInfo, ctx: SmtpServeContext): Awaitable<void>;
  /**
   * Check credentials: `true` (or `{ scramKeys }` for SCRAM-SHA-256) accepts, `false` refuses with
   * 535 5.7.8, a reply refuses with it. Absent: every attempt fails.
   */
  onAuth?(
    credentials: SaslCredentials,
    ctx: SmtpServeContext,
  ): Awaitable<boolean | { readonly scramKeys: ScramStoredKeys } | SmtpHookReply>;
  onMailFrom?(from: SmtpMailbox | null, params: MailParams, ctx: SmtpServeContext): Awaitable<HookResult>;
  onRcptTo?(to: SmtpMailbox, params: RcptParams, ctx: SmtpServeContext): Awaitable<HookResult>;
  /**
   * Receives the message while it streams; resolve once it is safely stored. Absent: the message
   * is refused with 451 4.3.0 (nothing is acknowledged that nobody kept). In LMTP, may resolve
   * with one outcome per recipient.
   */
  onData?(
    message: SmtpMessageStream,
    envelope: SmtpEnvelope,
    ctx: SmtpServeContext,
  ): Awaitable<HookResult | readonly RecipientOutcome[]>;
  /** Peer errors, for logs. */
  onProtocolError?(event: Extract<SmtpServerEvent, { type: 'protocolError' }>, ctx: SmtpServeContext): void;
  /** A hook threw; the client got 451 4.3.0. */
  onHookError?(error: unknown, ctx: SmtpServeContext): void;
  onClose?(reason: ClosedReason, ctx: SmtpServeContext): Awaitable<void>;
}

export interface ServeOptions extends Omit<SmtpServerOptions, 'connection'> {
  /** Waits `ms` (AUTH failure back-off). Without it the back-off is skipped. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Monotonic milliseconds, for the session deadline and the minimum data rate. */
  readonly now?: () => number;
  /** Octets queued for `onData` before the driver stops reading. Default 256 KiB. */
  readonly highWaterMark?: number;
}

const LOCAL_ERROR: SmtpHookReply = {
  code: 451,
  enhanced: '4.3.0',
  text: 'Temporary local problem, try again later',
};
const NO_HANDLER: SmtpHookReply = { code: 451, enhanced: '4.3.0', text: 'Message handling not configured' };

/**
 * Runs one SMTP/LMTP session over `transport` until it ends.
 *
 * @example
 * await serve(transport, {
 *   onRcptTo: (to) => (to.domain === 'example.org' ? undefined : { code: 550, enhanced: '5.7.1', text: 'Relaying denied' }),
 *   async onData(message, envelope) {
 *     for await (const chunk of message) store.write(chunk);
 *   },
 * }, { hostname: 'mx.example.org' });
 */
export async function serve(
  transport: Transport,
  hooks: SmtpHooks,
  options: ServeOptions,
): Promise<ClosedReason> {
  const { sleep, now, highWaterMark = 256 * 1024, ...sessionOptions } = options;
  const session = new SmtpServerSession({ ...sessionOptions, connection: transport.info });
  const ctx: SmtpServeContext = { session, transport };
  let last = now?.();
  let envelope:
    | {
        from: SmtpMailbox | null;
        mailParams: MailParams;
        recipients: { to: SmtpMailbox; params: RcptParams }[];
      }
    | undefined;
  let message: MessageQueue | undefined;
  let handler: Promise<HookResult | undefined | readonly RecipientOutcome[]> | undefined;
  let reason: ClosedReason | undefined;
  // Early-talker check without a fixed pause: read while the connect hook runs; input that is
  // already there when the greeting is about to be written came before it.
  let pendingRead: Promise<ReadResult> | undefined;
  let early: ReadResult | undefined;
  if (sessionOptions.rejectEarlyTalkers) {
    pendingRead = transport.read();
    pendingRead.then(
      (r) => {
        early = r;
      },
      () => undefined,
    );
  }

  const call = async <T>(fn: () => Awaitable<T>): Promise<{ ok: true; value: T } | { ok: false }> => {
    try {
      return { ok: true, value: await fn() };
    } catch (error) {
      hooks.onHookError?.(error, ctx);
      return { ok: false };
    }
  };
  const settle = (
    decision: { accept(): void; reject(code: number, enhanced: string, text: string): void },
    r: HookResult | undefined,
  ) => {
    if (r === undefined) decision.accept();
    else decision.reject(r.code, r.enhanced, r.text);
  };
  const flush = async () => {
    for (let bytes = session.output(); bytes; bytes = session.output()) {
      try {
        await transport.write(bytes);
      } catch {
        session.close();
        return;
      }
    }
  };
  const abortMessage = async (error: Error) => {
    message?.fail(error);
    message = undefined;
    if (handler) await handler.catch(() => undefined);
    handler = undefined;
  };

  const handle = async (event: SmtpServerEvent): Promise<void> => {
    switch (event.type) {
      case 'connect': {
        const r = await call(() => hooks.onConnect?.(transport.info, ctx));
        if (pendingRead) {
          await Promise.resolve();
          if (early !== undefined) {
            pendingRead = undefined;
            if (early.type === 'data') session.receive(early.bytes);
            else if (early.type === 'end') session.close();
          }
        }
        if (!r.ok) event.decision.reject(421, '4.3.0', 'Temporary local problem');
        else if (r.value) event.decision.reject(r.value.code, r.value.enhanced, r.value.text);
        else event.decision.accept();
        return;
      }
      case 'helo': {
        const r = await call(() => hooks.onHelo?.(event.domain, ctx));
        settle(event.decision, r.ok ? r.value : LOCAL_ERROR);
        return;
      }
      case 'starttls': {
        await flush();
        try {
          const info = await transport.startTls();
          session.tlsStarted(info);
        } catch {
          // The client now speaks TLS; there is no going back to plaintext.
          session.close();
          reason = 'tlsFailed';
          return;
        }
        await call(() => hooks.onStartTls?.(session.tlsInfo ?? {}, ctx));
        return;
      }
      case 'auth': {
        if (!hooks.onAuth) {
          event.decision.reject();
          return;
        }
        const r = await call(() => hooks.onAuth!(event.credentials, ctx));
        if (!r.ok) event.decision.reject(454, '4.7.0', 'Temporary authentication failure');
        else if (r.value === true) event.decision.accept();
        else if (r.value === false) event.decision.reject();
        else if ('scramKeys' in r.value) event.decision.accept({ scramKeys: r.value.scramKeys });
        else event.decision.reject(r.value.code, r.value.enhanced, r.value.text);
        return;
      }
      case 'mailFrom': {
        const r = await call(() => hooks.onMailFrom?.(event.from, event.params, ctx));
        const value = r.ok ? r.value : LOCAL_ERROR;
        settle(event.decision, value);
        if (value === undefined) envelope = { from: event.from, mailParams: event.params, recipients: [] };
        return;
      }
      case 'rcptTo': {
        const r = await call(() => hooks.onRcptTo?.(event.to, event.params, ctx));
        const value = r.ok ? r.value : LOCAL_ERROR;
        settle(event.decision, value);
        if (value === undefined) envelope?.recipients.push({ to: event.to, params: event.params });
        return;
      }
      case 'transactionReset':
        envelope = undefined;
        await abortMessage(new MailwireError('ERR_SMTP_TRANSACTION_RESET', 'transaction reset'));
        return;
      case 'dataStart': {
        const env = envelope ?? { from: null, mailParams: {}, recipients: [] };
        const queue = new MessageQueue(highWaterMark);
        message = queue;
        const onData = hooks.onData;
        if (!onData) {
          queue.abandon();
          handler = Promise.resolve(NO_HANDLER);
          return;
        }
        const full: SmtpEnvelope = {
          ...env,
          helo: session.clientHostname,
          user: session.authenticatedUser,
          secure: session.isSecure,
          tls: session.tlsInfo,
          remoteAddress: transport.info.remoteAddress,
        };
        handler = Promise.resolve()
          .then(() => onData(queue, full, ctx))
          .finally(() => queue.abandon());
        handler.catch(() => undefined);
        return;
      }
      case 'data':
        await message?.push(event.chunk);
        return;
      case 'dataEnd': {
        const queue = message;
        const pendingHandler = handler;
        message = undefined;
        handler = undefined;
        queue?.end();
        let result: HookResult | undefined | readonly RecipientOutcome[];
        try {
          result = pendingHandler ? await pendingHandler : NO_HANDLER;
        } catch (error) {
          hooks.onHookError?.(error, ctx);
          result = LOCAL_ERROR;
        }
        envelope = undefined;
        if (Array.isArray(result)) {
          if (sessionOptions.lmtp && result.length === event.recipients.length)
            event.decision.perRecipient(result);
          else {
            hooks.onHookError?.(
              new MailwireError('ERR_SMTP_HOOK_RESULT', 'onData returned outcomes that do not fit'),
              ctx,
            );
            event.decision.reject(LOCAL_ERROR.code, LOCAL_ERROR.enhanced, LOCAL_ERROR.text);
          }
        } else settle(event.decision, result as HookResult);
        return;
      }
      case 'dataRejected':
        envelope = undefined;
        await abortMessage(new MailwireError(event.code, event.reply.lines.join(' ')));
        return;
      case 'delay':
        if (sleep) await sleep(event.ms);
        return;
      case 'protocolError':
        hooks.onProtocolError?.(event, ctx);
        return;
      case 'closed':
        reason ??= event.reason;
        return;
      default:
        return;
    }
  };

  try {
    while (reason === undefined) {
      for (let event = session.next(); event; event = session.next()) {
        await handle(event);
        if (reason !== undefined) break;
      }
      await flush();
      if (reason !== undefined) break;
      // Events the flush produced (a failed write closes the session).
      if (session.state === 'closed') continue;
      const input = await (pendingRead ?? transport.read());
      pendingRead = undefined;
      if (now) {
        const t = now();
        session.tick(t - (last ?? t));
        last = t;
      }
      if (input.type === 'data') session.receive(input.bytes);
      else if (input.type === 'end') session.close();
      else session.timeout();
    }
    await flush();
  } finally {
    await abortMessage(new MailwireError('ERR_TRANSPORT_CLOSED', 'connection closed'));
    if (reason === 'peer' || reason === 'tlsFailed') transport.destroy();
    else await transport.end().catch(() => undefined);
    await call(() => hooks.onClose?.(reason ?? 'peer', ctx));
  }
  return reason ?? 'peer';
}

/** A bounded async queue between the driver (push) and the `onData` consumer (iterate). */
class MessageQueue implements SmtpMessageStream {
  size = 0;
  private readonly chunks: Uint8Array[] = [];
  private queued = 0;
  private done = false;
  private error: Error | undefined;
  private abandoned = false;
  private wakeReader: (() => void) | undefined;
  private wakeWriter: (() => void) | undefined;

  constructor(private readonly highWaterMark: number) {}

  /** Resolves once the consumer has room for more. */
  async push(chunk: Uint8Array): Promise<void> {
    if (this.abandoned || this.done) return;
    this.chunks.push(chunk);
    this.queued += chunk.length;
    this.size += chunk.length;
    this.wake();
    while (this.queued > this.highWaterMark && !this.abandoned) {
      await new Promise<void>((resolve) => {
        this.wakeWriter = resolve;
      });
    }
  }

  end(): void {
    this.done = true;
    this.wake();
  }

  fail(error: Error): void {
    this.error = error;
    this.done = true;
    this.wake();
  }

  /** The consumer went away: drop what comes. */
  abandon(): void {
    this.abandoned = true;
    this.chunks.length = 0;
    this.queued = 0;
    this.wakeWriter?.();
    this.wakeWriter = undefined;
  }

  private wake(): void {
    this.wakeReader?.();
    this.wakeReader = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        this.queued -= chunk.length;
        if (this.queued <= this.highWaterMark) {
          this.wakeWriter?.();
          this.wakeWriter = undefined;
        }
        yield chunk;
        continue;
      }
      if (this.error) throw this.error;
      if (this.done) return;
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }
}

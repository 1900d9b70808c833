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
  UsageError,
  WRITTEN,
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
/** A hook threw (or its promise rejected). */
const FAILED: unique symbol = Symbol('failed');

function isPromiseLike<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

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

  const hookFailed = (error: unknown): typeof FAILED => {
    hooks.onHookError?.(error, ctx);
    return FAILED;
  };
  /**
   * Runs a hook and hands its value (or `FAILED`) to `done`. Synchronous when the hook is absent
   * or returns a plain value: no promise, no microtask on the hot path.
   */
  const invoke = <T>(
    fn: (() => Awaitable<T>) | undefined,
    done: (value: T | undefined | typeof FAILED) => void,
  ): Promise<void> | undefined => {
    if (fn === undefined) {
      done(undefined);
      return undefined;
    }
    let value: Awaitable<T>;
    try {
      value = fn();
    } catch (error) {
      done(hookFailed(error));
      return undefined;
    }
    if (isPromiseLike(value)) return Promise.resolve(value).then(done, (error) => done(hookFailed(error)));
    done(value);
    return undefined;
  };
  const settle = (
    decision: { accept(): void; reject(code: number, enhanced: string, text: string): void },
    r: HookResult | undefined,
  ) => {
    if (r === undefined) decision.accept();
    else decision.reject(r.code, r.enhanced, r.text);
  };
  const writeFailed = () => {
    session.close();
  };
  /**
   * Writes what the session queued; `undefined` when it is all written and the transport can take
   * more (a transport that returns `WRITTEN` costs no promise and no microtask turn here).
   */
  const flush = (): Promise<void> | undefined => {
    for (;;) {
      const bytes = session.output();
      if (bytes === undefined) return undefined;
      let written: Promise<void>;
      try {
        written = transport.write(bytes);
      } catch {
        writeFailed();
        return undefined;
      }
      if (written !== WRITTEN) return written.then(flush, writeFailed);
    }
  };
  const abortMessage = async (error: Error) => {
    message?.fail(error);
    message = undefined;
    if (handler) await handler.catch(() => undefined);
    handler = undefined;
  };

  const handle = (event: SmtpServerEvent): Promise<void> | undefined => {
    switch (event.type) {
      case 'connect':
        if (hooks.onConnect === undefined && pendingRead === undefined) {
          // Nothing to wait for: the greeting goes out in this turn.
          event.decision.accept();
          return undefined;
        }
        return connect(event.decision);
      case 'helo': {
        const hook = hooks.onHelo;
        if (hook === undefined) {
          event.decision.accept();
          return undefined;
        }
        return invoke(
          () => hook(event.domain, ctx),
          (r) => settle(event.decision, r === FAILED ? LOCAL_ERROR : r),
        );
      }
      case 'starttls':
        return startTls();
      case 'auth': {
        const onAuth = hooks.onAuth;
        if (!onAuth) {
          event.decision.reject();
          return undefined;
        }
        return invoke(
          () => onAuth(event.credentials, ctx),
          (r) => {
            if (r === FAILED || r === undefined)
              event.decision.reject(454, '4.7.0', 'Temporary authentication failure');
            else if (r === true) event.decision.accept();
            else if (r === false) event.decision.reject();
            else if ('scramKeys' in r) event.decision.accept({ scramKeys: r.scramKeys });
            else event.decision.reject(r.code, r.enhanced, r.text);
          },
        );
      }
      case 'mailFrom': {
        const hook = hooks.onMailFrom;
        if (hook === undefined) {
          event.decision.accept();
          envelope = { from: event.from, mailParams: event.params, recipients: [] };
          return undefined;
        }
        return invoke(
          () => hook(event.from, event.params, ctx),
          (r) => {
            const value = r === FAILED ? LOCAL_ERROR : r;
            settle(event.decision, value);
            if (value === undefined)
              envelope = { from: event.from, mailParams: event.params, recipients: [] };
          },
        );
      }
      case 'rcptTo': {
        const hook = hooks.onRcptTo;
        if (hook === undefined) {
          // No hook accepts: the same as `invoke()` with an absent hook, without its closures.
          event.decision.accept();
          envelope?.recipients.push({ to: event.to, params: event.params });
          return undefined;
        }
        return invoke(
          () => hook(event.to, event.params, ctx),
          (r) => {
            const value = r === FAILED ? LOCAL_ERROR : r;
            settle(event.decision, value);
            if (value === undefined) envelope?.recipients.push({ to: event.to, params: event.params });
          },
        );
      }
      case 'transactionReset':
        envelope = undefined;
        if (message === undefined && handler === undefined) return undefined;
        return abortMessage(new MailwireError('ERR_SMTP_TRANSACTION_RESET', 'transaction reset'));
      case 'dataStart':
        dataStart();
        return undefined;
      case 'data':
        return message?.push(event.chunk);
      case 'dataEnd':
        return dataEnd(event);
      case 'dataRejected':
        envelope = undefined;
        return abortMessage(new MailwireError(event.code, event.reply.lines.join(' ')));
      case 'delay':
        return sleep?.(event.ms);
      case 'protocolError':
        hooks.onProtocolError?.(event, ctx);
        return undefined;
      case 'closed':
        reason ??= event.reason;
        return undefined;
      default:
        return undefined;
    }
  };

  const connect = async (decision: Extract<SmtpServerEvent, { type: 'connect' }>['decision']) => {
    let r: HookResult | undefined | typeof FAILED;
    try {
      r = await hooks.onConnect?.(transport.info, ctx);
    } catch (error) {
      r = hookFailed(error);
    }
    if (pendingRead) {
      await Promise.resolve();
      if (early !== undefined) {
        pendingRead = undefined;
        if (early.type === 'data') session.receive(early.bytes);
        else if (early.type === 'end') session.close();
      }
    }
    if (r === FAILED) decision.reject(421, '4.3.0', 'Temporary local problem');
    else if (r) decision.reject(r.code, r.enhanced, r.text);
    else decision.accept();
  };

  const startTls = async () => {
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
    try {
      await hooks.onStartTls?.(session.tlsInfo ?? {}, ctx);
    } catch (error) {
      hookFailed(error);
    }
  };

  const dataStart = () => {
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
      from: env.from,
      mailParams: env.mailParams,
      recipients: env.recipients,
      helo: session.clientHostname,
      user: session.authenticatedUser,
      secure: session.isSecure,
      tls: session.tlsInfo,
      remoteAddress: transport.info.remoteAddress,
    };
    // The consumer starts at once; its result is awaited at the end of the data.
    let started: Promise<HookResult | undefined | readonly RecipientOutcome[]>;
    try {
      started = Promise.resolve(onData(queue, full, ctx));
    } catch (error) {
      started = Promise.reject(error);
    }
    handler = started.then(
      (value) => {
        queue.abandon();
        return value;
      },
      (error: unknown) => {
        queue.abandon();
        throw error;
      },
    );
    handler.catch(() => undefined);
  };

  const dataEnd = (event: Extract<SmtpServerEvent, { type: 'dataEnd' }>): Promise<void> | undefined => {
    const queue = message;
    const pendingHandler = handler;
    message = undefined;
    handler = undefined;
    queue?.end();
    if (pendingHandler === undefined) {
      answerData(event, NO_HANDLER);
      return undefined;
    }
    return pendingHandler.then(
      (result) => answerData(event, result),
      (error: unknown) => {
        hooks.onHookError?.(error, ctx);
        answerData(event, LOCAL_ERROR);
      },
    );
  };

  const answerData = (
    event: Extract<SmtpServerEvent, { type: 'dataEnd' }>,
    result: HookResult | undefined | readonly RecipientOutcome[],
  ) => {
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
  };

  // The driver loop, written with callbacks rather than `await`: it runs until it must wait (for a
  // hook, a blocked write or input) and resumes from that promise or callback. With a transport
  // that has `readNext()`, input is handled and answered within the turn it arrived in — no
  // promise and no microtask per command.
  return new Promise<ClosedReason>((resolve, reject) => {
    let finished = false;
    /** Set while `readNext()` runs: input handed over synchronously is kept here, not stepped. */
    let inReadNext = false;
    let syncInput: ReadResult | undefined;

    const cleanup = async () => {
      // An error (and its stack trace) only when a message was cut off.
      if (message !== undefined || handler !== undefined)
        await abortMessage(new MailwireError('ERR_TRANSPORT_CLOSED', 'connection closed'));
      if (reason === 'peer' || reason === 'tlsFailed') transport.destroy();
      else await transport.end().catch(() => undefined);
      try {
        await hooks.onClose?.(reason ?? 'peer', ctx);
      } catch (error) {
        hookFailed(error);
      }
    };
    const finish = (error: unknown, failed: boolean) => {
      if (finished) return;
      finished = true;
      cleanup().then(() => (failed ? reject(error) : resolve(reason ?? 'peer')), reject);
    };
    const fail = (error: unknown) => finish(error, true);
    /** The session is over: flush the last replies, then clean up. */
    const done = () => {
      const writing = flush();
      if (writing) writing.then(() => finish(undefined, false), fail);
      else finish(undefined, false);
    };
    const feed = (input: ReadResult) => {
      if (now) {
        const t = now();
        session.tick(t - (last ?? t));
        last = t;
      }
      if (input.type === 'data') session.receive(input.bytes);
      else if (input.type === 'end') session.close();
      else session.timeout();
    };
    const onInput = (input: ReadResult) => {
      if (inReadNext) {
        syncInput = input;
        return;
      }
      if (finished) return;
      try {
        feed(input);
      } catch (error) {
        fail(error);
        return;
      }
      step();
    };
    const step = (): void => {
      if (finished) return;
      try {
        for (;;) {
          if (reason !== undefined) {
            done();
            return;
          }
          for (let event = session.next(); event; event = session.next()) {
            const pending = handle(event);
            if (pending) {
              pending.then(step, fail);
              return;
            }
            if (reason !== undefined) {
              done();
              return;
            }
          }
          const writing = flush();
          if (writing) {
            writing.then(step, fail);
            return;
          }
          if (reason !== undefined) {
            done();
            return;
          }
          // Events the flush produced (a failed write closes the session).
          if (session.state === 'closed') continue;
          if (pendingRead !== undefined) {
            const early = pendingRead;
            pendingRead = undefined;
            early.then(onInput, fail);
            return;
          }
          if (transport.readNext === undefined) {
            transport.read().then(onInput, fail);
            return;
          }
          inReadNext = true;
          try {
            transport.readNext(onInput);
          } finally {
            inReadNext = false;
          }
          const input = syncInput;
          if (input === undefined) return; // onInput steps on when the input comes
          syncInput = undefined;
          feed(input);
        }
      } catch (error) {
        fail(error);
      }
    };
    step();
  });
}

/** A bounded async queue between the driver (push) and the `onData` consumer (iterate). */
class MessageQueue implements SmtpMessageStream, AsyncIterator<Uint8Array> {
  size = 0;
  private chunks: Uint8Array[] = [];
  private head = 0;
  private queued = 0;
  private done = false;
  private error: Error | undefined;
  private abandoned = false;
  private reader:
    | { resolve(result: IteratorResult<Uint8Array>): void; reject(error: Error): void }
    | undefined;
  private wakeWriter: (() => void) | undefined;

  constructor(private readonly highWaterMark: number) {}

  /** Takes the chunk; resolves once the consumer has room for more (`undefined`: room already). */
  push(chunk: Uint8Array): Promise<void> | undefined {
    if (this.abandoned || this.done) return undefined;
    this.size += chunk.length;
    const reader = this.reader;
    if (reader !== undefined && this.head === this.chunks.length) {
      // The consumer is waiting: hand the chunk over directly.
      this.reader = undefined;
      reader.resolve({ value: chunk, done: false });
      return undefined;
    }
    this.chunks.push(chunk);
    this.queued += chunk.length;
    if (this.queued <= this.highWaterMark) return undefined;
    return this.room();
  }

  private async room(): Promise<void> {
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
    this.chunks = [];
    this.head = 0;
    this.queued = 0;
    this.wakeWriter?.();
    this.wakeWriter = undefined;
  }

  private wake(): void {
    const reader = this.reader;
    if (reader === undefined) return;
    this.reader = undefined;
    if (this.error) reader.reject(this.error);
    else reader.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.head < this.chunks.length) {
      const chunk = this.chunks[this.head]!;
      this.head++;
      if (this.head === this.chunks.length) {
        this.chunks.length = 0;
        this.head = 0;
      }
      this.queued -= chunk.length;
      if (this.queued <= this.highWaterMark) {
        this.wakeWriter?.();
        this.wakeWriter = undefined;
      }
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    if (this.reader)
      return Promise.reject(new UsageError('ERR_INVALID_STATE', 'next() while a next() is pending'));
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
    });
  }

  /** The consumer stopped early (`break` in `for await`): what follows is dropped. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.abandon();
    return Promise.resolve({ value: undefined, done: true });
  }
}

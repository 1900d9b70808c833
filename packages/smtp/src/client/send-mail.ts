/**
 * The async driver over `SmtpClientSession`: `SmtpClient` keeps one connection for several
 * messages (connection reuse), `sendMail()` sends one message and quits.
 *
 * Writes are awaited chunk by chunk, so a slow server pushes back on the message source. When the
 * transport has `setIdleTimeout(ms)` (as `@mailwire/node`'s does), the driver arms it with the
 * RFC 5321 §4.5.3.2 timeout of the phase before each read; the transport's `timeout` read result
 * becomes `session.timeout()`.
 */

import { type TlsInfo, type Transport, UsageError } from '@mailwire/core';
import type { SmtpClientEnvelope, SmtpClientEvent, TransactionResult } from './client-events.js';
import { SmtpClientSession, type SmtpClientOptions } from './client-session.js';

export type MessageSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface SmtpClientDriverOptions extends SmtpClientOptions {
  /**
   * Upgrades the transport to TLS as a client after STARTTLS. Default: `transport.startTls()`
   * (which only works for transports that upgrade as a client, such as the in-memory pair).
   */
  readonly startTls?: (transport: Transport) => Promise<TlsInfo>;
  /** Called with every session event, for logs. */
  readonly onEvent?: (event: SmtpClientEvent) => void;
}

export interface SendMailOptions extends SmtpClientDriverOptions, SmtpClientEnvelope {
  readonly message: MessageSource;
}

interface IdleTimeoutTransport extends Transport {
  setIdleTimeout(ms: number): void;
}

function hasIdle(t: Transport): t is IdleTimeoutTransport {
  return typeof (t as Partial<IdleTimeoutTransport>).setIdleTimeout === 'function';
}

async function* chunks(source: MessageSource): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  yield* source as AsyncIterable<Uint8Array>;
}

/**
 * One SMTP client connection over a transport.
 *
 * @example
 * const client = new SmtpClient(transport, { hostname: 'mta.example.org' });
 * const first = await client.send({ from: 'a@example.org', to: ['b@example.com'] }, bytes);
 * const second = await client.send({ from: 'a@example.org', to: ['c@example.com'] }, other);
 * await client.quit();
 */
export class SmtpClient {
  readonly session: SmtpClientSession;
  private readonly transport: Transport;
  private readonly options: SmtpClientDriverOptions;
  private ended = false;
  private tlsError: unknown;

  constructor(transport: Transport, options: SmtpClientDriverOptions) {
    this.transport = transport;
    this.options = options;
    this.session = new SmtpClientSession({ secure: transport.info.secure, ...options });
  }

  /** The error of a failed STARTTLS upgrade (the connection is then closed), if any. */
  get tlsFailure(): unknown {
    return this.tlsError;
  }

  /** True once the session ended (closed event seen). */
  get closed(): boolean {
    return this.ended || this.session.state === 'closed';
  }

  /** Waits for the greeting, EHLO, TLS and AUTH; resolves with the extensions, or the failure. */
  async connect(): Promise<
    { ok: true; extensions: ReadonlyMap<string, string> } | { ok: false; result: TransactionResult }
  > {
    for (;;) {
      const event = await this.nextEvent();
      if (event === undefined) {
        const failure = this.session.failure;
        return { ok: false, result: failure ? { recipients: [], reply: failure.reply } : lost() };
      }
      if (event.type === 'ready') return { ok: true, extensions: event.extensions };
      if (event.type === 'result') return { ok: false, result: event.result };
    }
  }

  /** Sends one message on this connection. Never throws for server or network failures. */
  async send(envelope: SmtpClientEnvelope, message: MessageSource): Promise<TransactionResult> {
    if (this.ended || this.session.state === 'closed')
      return failAll(envelope, this.session.failure?.reply ?? lost().reply);
    this.session.send(envelope);
    for (;;) {
      const event = await this.nextEvent();
      if (event === undefined) return failAll(envelope, lost().reply);
      if (event.type === 'body') {
        try {
          for await (const chunk of chunks(message)) {
            if (this.session.state !== 'body') break;
            this.session.writeBody(chunk);
            await this.flush();
          }
        } catch (error) {
          // The message source failed: we cannot end the body honestly, so drop the connection.
          this.transport.destroy();
          this.session.close();
          throw error;
        }
        if (this.session.state === 'body') this.session.endBody();
        continue;
      }
      if (event.type === 'result' && event.envelope === envelope) return event.result;
    }
  }

  /** QUIT, then the transport is ended. */
  async quit(): Promise<void> {
    if (!this.ended) {
      this.session.quit();
      while (!this.ended) if ((await this.nextEvent()) === undefined) break;
    }
    await this.transport.end().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    for (let bytes = this.session.output(); bytes; bytes = this.session.output()) {
      try {
        await this.transport.write(bytes);
      } catch {
        this.session.close();
        return;
      }
    }
  }

  /** The next event; reads from the transport when the session has none. */
  private async nextEvent(): Promise<SmtpClientEvent | undefined> {
    for (;;) {
      const event = this.session.next();
      if (event) {
        this.options.onEvent?.(event);
        if (event.type === 'closed') {
          this.ended = true;
          await this.flush();
          this.transport.destroy();
        }
        if (event.type === 'starttls') {
          const start = this.options.startTls ?? ((t: Transport) => t.startTls());
          try {
            const info = await start(this.transport);
            this.session.tlsStarted(info);
          } catch (error) {
            this.tlsError = error ?? new Error('TLS failed');
            this.transport.destroy();
            this.session.close();
          }
        }
        return event;
      }
      if (this.ended) return undefined;
      await this.flush();
      if (hasIdle(this.transport)) this.transport.setIdleTimeout(this.session.timeoutMs);
      const r = await this.transport.read();
      if (r.type === 'data') this.session.receive(r.bytes);
      else if (r.type === 'timeout') this.session.timeout();
      else this.session.close();
    }
  }
}

function lost(): TransactionResult {
  return { recipients: [], reply: { code: 451, enhanced: '4.4.2', lines: ['Connection lost'] } };
}

function failAll(envelope: SmtpClientEnvelope, reply: TransactionResult['reply']): TransactionResult {
  return {
    recipients: envelope.to.map((r) => ({
      to: typeof r === 'string' ? r : r.address,
      status: 'temporary',
      reply,
      stage: 'connection',
    })),
    reply,
  };
}

/**
 * Sends one message over `transport` and quits.
 *
 * @example
 * const result = await sendMail(transport, {
 *   hostname: 'mta.example.org',
 *   from: 'alice@example.org',
 *   to: ['bob@example.com'],
 *   message: utf8('Subject: hi\r\n\r\nHello\r\n'),
 * });
 * result.recipients[0].status; // 'sent' | 'temporary' | 'permanent'
 */
export async function sendMail(transport: Transport, options: SendMailOptions): Promise<TransactionResult> {
  const { message, from, to, size, eightBit, smtpUtf8, ret, envid, ...driver } = options;
  if (to.length === 0) throw new UsageError('ERR_INVALID_ARGUMENT', 'no recipients');
  const envelope: SmtpClientEnvelope = {
    from,
    to,
    ...(size !== undefined ? { size } : message instanceof Uint8Array ? { size: message.length } : {}),
    ...(eightBit !== undefined ? { eightBit } : {}),
    ...(smtpUtf8 !== undefined ? { smtpUtf8 } : {}),
    ...(ret !== undefined ? { ret } : {}),
    ...(envid !== undefined ? { envid } : {}),
  };
  const client = new SmtpClient(transport, driver);
  try {
    return await client.send(envelope, message);
  } finally {
    await client.quit();
  }
}

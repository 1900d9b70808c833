import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CertificatePair, listen, type MailwireServer } from '@mailwire/node';
import { type SmtpHooks, serve } from '@mailwire/smtp';
import type { Queue } from '../src/queue.js';
import { createSqliteQueue } from '../src/sqlite-queue.js';

export interface SinkMessage {
  from: string;
  to: string[];
  body: string;
  secure?: boolean;
}

export interface Sink {
  server: MailwireServer;
  port: number;
  messages: SinkMessage[];
  connections: number;
  close(): Promise<void>;
}

/** An SMTP sink on 127.0.0.1 built from the smtp package's `serve()`; `hooks` override the defaults. */
export async function startSink(
  hooks: (sink: Sink) => SmtpHooks = () => ({}),
  tls?: CertificatePair,
): Promise<Sink> {
  const sink = { messages: [] as SinkMessage[], connections: 0 } as Sink;
  const server = await listen({
    port: 0,
    ...(tls ? { tls } : {}),
    onConnection: async (transport) => {
      sink.connections++;
      await serve(
        transport,
        {
          async onData(message, envelope) {
            let body = '';
            for await (const chunk of message) body += Buffer.from(chunk).toString('latin1');
            sink.messages.push({
              from: envelope.from ? `${envelope.from.localPart}@${envelope.from.domain}` : '',
              to: envelope.recipients.map((r) => `${r.to.localPart}@${r.to.domain}`),
              body,
              secure: envelope.secure,
            });
            return undefined;
          },
          ...hooks(sink),
        },
        { hostname: 'sink.test', starttls: tls !== undefined },
      );
    },
  });
  sink.server = server;
  sink.port = server.port;
  sink.close = () => server.close({ graceMs: 100 });
  return sink;
}

const dirs: string[] = [];
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mw-delivery-'));
  dirs.push(d);
  return d;
}
export function cleanTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export const bytes = (s: string) => new TextEncoder().encode(s);

/** A settable clock starting 2026-11-28 10:00 UTC and a queue in a fresh directory that reads it. */
export function clockAndQueue(): {
  clock: { get(): number; advance(ms: number): void };
  queue: Queue;
} {
  let now = Date.UTC(2026, 10, 28, 10, 0, 0);
  const clock = {
    get: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
  return { clock, queue: createSqliteQueue({ path: tempDir(), now: clock.get, fsync: false }) };
}

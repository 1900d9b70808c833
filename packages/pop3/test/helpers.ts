/** Test helpers: drive a `Pop3ServerSession` with synchronous handlers and C:/S: transcripts. */
import { latin1 } from '@mailwire/core';
import {
  Pop3ServerSession,
  type Pop3ServerEvent,
  type Pop3ServerSessionOptions,
  Pop3SizeCounter,
} from '../src/index.js';

export interface FixtureMessage {
  readonly size: number;
  readonly uidl: string;
  readonly bytes: Uint8Array;
}

export function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export function fixture(raw: readonly string[]): FixtureMessage[] {
  return raw.map((text, i) => {
    const bytes = bytesOf(text);
    const counter = new Pop3SizeCounter();
    counter.push(bytes);
    return { size: counter.size, uidl: `7.${i + 1}`, bytes };
  });
}

export const MESSAGES = fixture([
  'Subject: one\r\n\r\nHello\r\n.dot line\r\nbye\r\n',
  'Subject: two\n\nline1\nline2',
  'Subject: three\r\nFrom: a@b\r\n\r\n1\r\n2\r\n3\r\n4\r\n',
]);

export interface Handlers {
  readonly password?: string;
  readonly messages?: readonly FixtureMessage[];
  /** Chunk size used to hand message bodies to the session. */
  readonly chunk?: number;
  readonly onEvent?: (event: Pop3ServerEvent<FixtureMessage>) => boolean | undefined;
  readonly lock?: { held: boolean };
}

/** Answers every event synchronously the way a simple application would; returns the event types seen. */
export function drive(
  session: Pop3ServerSession<FixtureMessage>,
  handlers: Handlers = {},
): Pop3ServerEvent<FixtureMessage>[] {
  const seen: Pop3ServerEvent<FixtureMessage>[] = [];
  for (;;) {
    const event = session.next();
    if (event === undefined) {
      const pump = session.pendingBody();
      if (pump === undefined) break;
      for (const chunk of pump.source as Iterable<Uint8Array>) if (!pump.push(chunk)) break;
      pump.end();
      continue;
    }
    seen.push(event);
    if (handlers.onEvent?.(event)) continue;
    switch (event.type) {
      case 'auth': {
        const c = event.credentials;
        const password = handlers.password ?? 'secret';
        const good =
          (c.mechanism === 'USER' || c.mechanism === 'PLAIN' || c.mechanism === 'LOGIN'
            ? c.password === password
            : c.mechanism === 'APOP' || c.mechanism === 'CRAM-MD5'
              ? c.verify(password)
              : false) && c.username === 'alice';
        if (good) event.decision.accept();
        else event.decision.reject();
        break;
      }
      case 'maildrop':
        if (handlers.lock?.held) event.decision.reject();
        else {
          if (handlers.lock) handlers.lock.held = true;
          event.decision.accept(handlers.messages ?? MESSAGES);
        }
        break;
      case 'retrieve': {
        const size = handlers.chunk ?? 4;
        const bytes = event.message.bytes;
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
        event.decision.accept(chunks);
        break;
      }
      case 'commit':
        event.decision.accept();
        break;
      case 'release':
        if (handlers.lock) handlers.lock.held = false;
        break;
      case 'starttls':
        session.tlsStarted({ protocol: 'TLSv1.3' });
        break;
      default:
        break;
    }
  }
  return seen;
}

export function drainOutput(session: Pop3ServerSession<FixtureMessage>): string {
  let text = '';
  for (let b = session.output(); b; b = session.output()) text += latin1(b);
  return text;
}

/** Splits a C:/S: transcript into what the client sends and what the server must answer. */
export function parseTranscript(script: string): { client: string; server: string } {
  let client = '';
  let server = '';
  for (const raw of script.split('\n')) {
    const line = raw.replace(/^\s+/, '').replace(/\r$/, '');
    if (line.startsWith('C: ')) client += `${line.slice(3)}\r\n`;
    else if (line === 'C:') client += '\r\n';
    else if (line.startsWith('S: ')) server += `${line.slice(3)}\r\n`;
    else if (line === 'S:') server += '\r\n';
  }
  return { client, server };
}

/** Runs the client side in the given pieces and returns everything the server said. */
export function run(
  pieces: readonly Uint8Array[],
  options: Pop3ServerSessionOptions = {},
  handlers: Handlers = {},
): { output: string; events: Pop3ServerEvent<FixtureMessage>[]; session: Pop3ServerSession<FixtureMessage> } {
  const session = new Pop3ServerSession<FixtureMessage>(options);
  let output = '';
  const events: Pop3ServerEvent<FixtureMessage>[] = [];
  for (const piece of pieces) {
    session.receive(piece);
    events.push(...drive(session, handlers));
    output += drainOutput(session);
  }
  events.push(...drive(session, handlers));
  output += drainOutput(session);
  return { output, events, session };
}

/** Checks a transcript whole, then split in two at every byte. */
export function checkTranscript(
  script: string,
  options: Pop3ServerSessionOptions,
  expectEqual: (actual: string, expected: string, where: string) => void,
  handlers: Handlers = {},
  mode: 'split' | 'per-line' = 'split',
): void {
  const { client, server } = parseTranscript(script);
  const bytes = bytesOf(client);
  if (mode === 'per-line') {
    // Each command in its own read, as a client waiting for each reply sends them (needed around STLS).
    const pieces = client.split(/(?<=\r\n)/).map(bytesOf);
    expectEqual(run(pieces, options, handlers).output, server, 'per line');
    return;
  }
  expectEqual(run([bytes], options, handlers).output, server, 'whole');
  for (let i = 1; i < bytes.length; i++) {
    const pieces = [bytes.subarray(0, i), bytes.subarray(i)];
    expectEqual(run(pieces, options, handlers).output, server, `split at ${i}`);
  }
}

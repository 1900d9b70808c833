/**
 * Test helpers (`@mailwire/smtp/testing`): run `C:`/`S:` transcripts through an
 * `SmtpServerSession` without a network.
 *
 * @example
 * const { output, expected } = runTranscript({ hostname: 'mx.example' }, `
 *   S: 220 mx.example ESMTP
 *   C: NOOP
 *   S: 250 2.0.0 OK`);
 * // output === expected
 */

import { latin1, utf8 } from '@mailwire/core';
import { SmtpServerSession, type SmtpServerOptions } from '../server-session.js';
import type { SmtpServerEvent } from '../server-events.js';

export type Handler = (event: SmtpServerEvent, session: SmtpServerSession) => void;

/** Accepts every decision; STARTTLS completes at once. */
export const acceptAll: Handler = (event, session) => {
  if (event.type === 'starttls') session.tlsStarted({ protocol: 'TLSv1.3' });
  else if ('decision' in event) event.decision.accept();
};

export interface Parsed {
  /** Client input grouped in packets: consecutive `C:` lines travel together. */
  readonly packets: string[];
  readonly server: string;
}

export function parseTranscript(text: string): Parsed {
  const packets: string[] = [];
  let server = '';
  let packet: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('C:')) {
      packet = `${packet ?? ''}${line.slice(3)}\r\n`;
    } else if (line.startsWith('S:')) {
      if (packet !== undefined) packets.push(packet);
      packet = undefined;
      server += `${line.slice(3)}\r\n`;
    } else throw new Error(`bad transcript line: ${line}`);
  }
  if (packet !== undefined) packets.push(packet);
  return { packets, server };
}

export interface Run {
  readonly session: SmtpServerSession;
  readonly output: string;
  readonly events: SmtpServerEvent[];
}

/** Drains events (answering them with `handler`) and output. */
export function drain(session: SmtpServerSession, handler: Handler, events: SmtpServerEvent[]): string {
  let out = '';
  for (;;) {
    const event = session.next();
    if (!event) break;
    events.push(event);
    handler(event, session);
  }
  for (let bytes = session.output(); bytes; bytes = session.output()) out += latin1(bytes);
  return out;
}

export function run(
  options: SmtpServerOptions,
  packets: readonly (string | Uint8Array)[],
  handler: Handler = acceptAll,
): Run {
  const session = new SmtpServerSession(options);
  const events: SmtpServerEvent[] = [];
  let output = drain(session, handler, events);
  for (const packet of packets) {
    session.receive(typeof packet === 'string' ? utf8(packet) : packet);
    output += drain(session, handler, events);
  }
  return { session, output, events };
}

/** Runs a transcript packet by packet and returns the actual server output (to compare with `server`). */
export function runTranscript(options: SmtpServerOptions, text: string, handler: Handler = acceptAll) {
  const parsed = parseTranscript(text);
  return { ...run(options, parsed.packets, handler), expected: parsed.server };
}

/** Runs all client bytes in two pieces split at `at`. */
export function runSplit(
  options: SmtpServerOptions,
  text: string,
  at: number,
  handler: Handler = acceptAll,
): string {
  const bytes = utf8(parseTranscript(text).packets.join(''));
  return run(options, [bytes.slice(0, at), bytes.slice(at)], handler).output;
}

export const types = (events: readonly SmtpServerEvent[]) => events.map((e) => e.type);

import { LineReader, latin1 } from '@mailwire/core';
import type { NodeTransport } from '../src/node-transport.js';
import { delay } from './helpers.js';

export interface MiniOptions {
  /** Wait this long after reading STARTTLS before replying (lets pipelined bytes arrive). */
  readonly replyDelayMs?: number;
  /** Wait this long between the STARTTLS reply and `startTls()` (a driver busy with a hook). */
  readonly tlsDelayMs?: number;
  readonly seen?: string[];
  readonly onTls?: (result: unknown) => void;
}

/**
 * A tiny line protocol standing in for SMTP/IMAP: greets, answers each line with
 * `250 <line> secure=<bool>`, and upgrades on STARTTLS / COMPRESS the way a session driver does
 * (the session discards its own buffered input, the transport the rest).
 */
export async function miniProtocol(transport: NodeTransport, options: MiniOptions = {}): Promise<void> {
  const reader = new LineReader({ maxLineLength: 2000 });
  const write = (text: string) => transport.write(new TextEncoder().encode(text));
  await write('220 ready\r\n');
  for (;;) {
    let frame = reader.next();
    while (!frame) {
      const result = await transport.read();
      if (result.type === 'end') return;
      if (result.type === 'timeout') continue;
      reader.push(result.bytes);
      frame = reader.next();
    }
    if (frame.type !== 'line') continue;
    const line = latin1(frame.bytes);
    options.seen?.push(line);
    if (line === 'STARTTLS') {
      reader.discardBuffered();
      if (options.replyDelayMs) await delay(options.replyDelayMs);
      await write('220 go\r\n');
      if (options.tlsDelayMs) await delay(options.tlsDelayMs);
      try {
        const info = await transport.startTls();
        options.onTls?.(info);
      } catch (error) {
        options.onTls?.(error);
        if (transport.isClosed) return;
        await write('454 TLS not available\r\n');
      }
    } else if (line === 'COMPRESS') {
      reader.discardBuffered();
      await write('OK\r\n');
      await transport.compress();
    } else if (line === 'QUIT') {
      await write('221 bye\r\n');
      return;
    } else {
      await write(`250 ${line} secure=${transport.info.secure}\r\n`);
    }
  }
}

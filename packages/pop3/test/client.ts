/** A minimal POP3 client over a `Transport`, for driver tests: one command, one response. */
import { latin1, type Transport, utf8 } from '@mailwire/core';
import { MultilineDecoder } from '../src/index.js';

export class TestClient {
  private buffer: Uint8Array = new Uint8Array(0);
  ended = false;

  constructor(private readonly transport: Transport) {}

  private async fill(): Promise<boolean> {
    const input = await this.transport.read();
    if (input.type !== 'data') {
      this.ended = true;
      return false;
    }
    const next = new Uint8Array(this.buffer.length + input.bytes.length);
    next.set(this.buffer);
    next.set(input.bytes, this.buffer.length);
    this.buffer = next;
    return true;
  }

  /** The next line without CRLF, or undefined at the end of the stream. */
  async line(): Promise<string | undefined> {
    for (;;) {
      const lf = this.buffer.indexOf(10);
      if (lf !== -1) {
        const line = latin1(this.buffer.subarray(0, lf)).replace(/\r$/, '');
        this.buffer = this.buffer.slice(lf + 1);
        return line;
      }
      if (!(await this.fill())) return undefined;
    }
  }

  async send(line: string): Promise<void> {
    await this.transport.write(utf8(`${line}\r\n`));
  }

  async command(line: string): Promise<string | undefined> {
    await this.send(line);
    return this.line();
  }

  /** Sends a command whose +OK is followed by a multi-line body; returns the status and the unstuffed body. */
  async multi(line: string): Promise<{ status: string | undefined; body: Uint8Array }> {
    const status = await this.command(line);
    if (!status?.startsWith('+OK')) return { status, body: new Uint8Array(0) };
    const decoder = new MultilineDecoder();
    const parts: Uint8Array[] = [];
    let pending = this.buffer;
    this.buffer = new Uint8Array(0);
    for (;;) {
      parts.push(decoder.push(pending));
      if (decoder.done) break;
      if (!(await this.fill())) break;
      pending = this.buffer;
      this.buffer = new Uint8Array(0);
    }
    this.buffer = decoder.rest;
    let length = 0;
    for (const p of parts) length += p.length;
    const body = new Uint8Array(length);
    let offset = 0;
    for (const p of parts) {
      body.set(p, offset);
      offset += p.length;
    }
    return { status, body };
  }

  async close(): Promise<void> {
    await this.transport.end();
  }
}

/**
 * A raw-socket IMAP client for benchmarks: no library, no parsing beyond framing. It sends one
 * tagged command and reads until the tagged completion, skipping literal bytes (`{n}` at the end of
 * a line announces n bytes that may contain anything, CRLF included) and counting the untagged
 * responses we compare between servers.
 */
import { connect, type Socket } from 'node:net';

export interface Reply {
  /** Tagged status: OK, NO or BAD. */
  readonly status: string;
  /** The tagged line. */
  readonly text: string;
  /** Bytes received for this command, literals included. */
  readonly bytes: number;
  /** Untagged `* n FETCH` responses. */
  readonly fetches: number;
  /** Numbers in untagged `* SEARCH` responses. */
  readonly searchHits: number;
  /** The n of `* n EXISTS`, or -1. */
  readonly exists: number;
}

const LF = 0x0a;
const LITERAL_TAIL = /\{(\d+)\+?\}\r?$/;

export class RawImapClient {
  private readonly socket: Socket;
  private pending: Buffer = Buffer.alloc(0);
  /** Literal bytes still to skip. */
  private skip = 0;
  /** The next line starts a new response (it does not continue one after a literal). */
  private atStart = true;
  private counter = 0;
  private waiting: ((error?: Error) => void) | undefined;
  private closed: Error | undefined;
  private current = { tag: '', bytes: 0, fetches: 0, searchHits: 0, exists: -1, status: '', text: '' };

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (error?: Error) => {
      this.closed ??= error ?? new Error('connection closed');
      this.waiting?.(this.closed);
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
  }

  /** Connects and waits for the greeting (an untagged OK carrying CAPABILITY or the server's name). */
  static async connect(port: number): Promise<RawImapClient> {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const client = new RawImapClient(socket);
    client.current.tag = '*greeting*';
    await new Promise<void>((ok, fail) => {
      client.waiting = (error) => (error ? fail(error) : ok());
    });
    return client;
  }

  /** Sends `command` with a fresh tag and resolves with the tagged reply. */
  async command(command: string): Promise<Reply> {
    if (this.closed) throw this.closed;
    const tag = `b${++this.counter}`;
    this.current = { tag, bytes: 0, fetches: 0, searchHits: 0, exists: -1, status: '', text: '' };
    const done = new Promise<void>((ok, fail) => {
      this.waiting = (error) => (error ? fail(error) : ok());
    });
    this.socket.write(`${tag} ${command}\r\n`);
    await done;
    const { status, text, bytes, fetches, searchHits, exists } = this.current;
    return { status, text, bytes, fetches, searchHits, exists };
  }

  async close(): Promise<void> {
    if (!this.closed) await this.command('LOGOUT').catch(() => undefined);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.current.bytes += chunk.length;
    let data = chunk;
    let offset = 0;
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.length);
      this.skip -= n;
      offset = n;
      if (offset === data.length) return;
    }
    if (this.pending.length > 0) {
      data = Buffer.concat([this.pending, data.subarray(offset)]);
      offset = 0;
      this.pending = Buffer.alloc(0);
    }
    while (offset < data.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length - offset);
        this.skip -= n;
        offset += n;
        continue;
      }
      const lf = data.indexOf(LF, offset);
      if (lf === -1) {
        this.pending = Buffer.from(data.subarray(offset));
        return;
      }
      const line = data.toString('latin1', offset, lf + 1);
      offset = lf + 1;
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    const start = this.atStart;
    const literal = LITERAL_TAIL.exec(line.endsWith('\n') ? line.slice(0, -1) : line);
    if (literal) {
      this.skip = Number(literal[1]);
      this.atStart = false;
    } else {
      this.atStart = true;
    }
    if (!start) return;
    if (line.startsWith('* ')) {
      if (this.current.tag === '*greeting*' && /^\* OK\b/.test(line) && !line.includes('Waiting for')) {
        this.finish('OK', line);
        return;
      }
      const m = /^\* (\d+) (FETCH|EXISTS)\b/.exec(line);
      if (m) {
        if (m[2] === 'FETCH') this.current.fetches++;
        else this.current.exists = Number(m[1]);
      } else if (line.startsWith('* SEARCH')) {
        const numbers = line.slice(8).trim();
        this.current.searchHits += numbers === '' ? 0 : numbers.split(/\s+/).length;
      }
      return;
    }
    if (line.startsWith(`${this.current.tag} `)) {
      const rest = line.slice(this.current.tag.length + 1).trimEnd();
      this.finish(rest.split(' ', 1)[0]!, rest);
    }
  }

  private finish(status: string, text: string): void {
    this.current.status = status;
    this.current.text = text;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}

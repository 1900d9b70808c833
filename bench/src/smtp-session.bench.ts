/**
 * What an SMTP message costs inside the process, with warm caches and with cold ones: the input
 * smtp-source sends for one message (MAIL, RCPT, DATA, a 10 KB body ending in "."), handed over
 * one piece at a time like socket reads.
 *
 * - "hot": the pieces back to back, as a micro-benchmark sees them.
 * - "cold caches": 4 MiB of other memory is touched between pieces (untimed), evicting the code
 *   and data the previous piece used from the CPU caches — what happens in a server, where the
 *   kernel's TCP work and the peer process run between two reads on the same core.
 *
 * Rows: the canned dialogue the Node floor sink answers with (line splitting only, the reference),
 * `SmtpServerSession` with a bare accept-everything loop, and `serve()` with a consumer that
 * iterates every message (input through `readNext()`, writes taken at once: no I/O). Timed from
 * handing over a piece to the driver asking for the next one, microtasks included.
 */
import { type ReadResult, type Transport, WRITTEN } from '@mailwire/core';
import { SmtpServerSession, serve } from '@mailwire/smtp';
import { CannedDialogue } from './sinks/canned-dialogue.mjs';

const INFO = {
  localAddress: '127.0.0.1',
  localPort: 25,
  remoteAddress: '127.0.0.1',
  remotePort: 40000,
  secure: false,
} as const;

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
// smtp-source's message: a few headers and 78-octet lines of X, 10,355 octets with the dot.
const BODY = bytes(
  `From: <foo@vm>\r\nTo: <foo@vm>\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\nMessage-Id: <1@vm>\r\n\r\n${`${'X'.repeat(78)}\r\n`.repeat(128)}.\r\n`,
);
const MESSAGE = [bytes('MAIL FROM:<foo@vm>\r\n'), bytes('RCPT TO:<foo@vm>\r\n'), bytes('DATA\r\n'), BODY];
const HELO = bytes('HELO vm\r\n');

const FLUSH = new Int32Array((4 * 1024 * 1024) / 4);
/** Writes one int per 64-octet cache line of 4 MiB. */
function flushCaches(): void {
  for (let i = 0; i < FLUSH.length; i += 16) FLUSH[i]!++;
}

/** A fresh copy per piece, as a socket read gives a fresh buffer. */
function piece(i: number): Uint8Array {
  return MESSAGE[i % MESSAGE.length]!.slice();
}

interface Driver {
  /** Hands over one piece; resolves when the driver asks for more. */
  feed(bytes: Uint8Array): Promise<void> | undefined;
}

function cannedDriver(): Driver {
  const dialogue = new CannedDialogue();
  dialogue.feed(HELO);
  return {
    feed(input) {
      dialogue.feed(input);
      return undefined;
    },
  };
}

function sessionDriver(): Driver {
  const session = new SmtpServerSession({
    hostname: 'sink.mailwire.test',
    maxRecipients: 1000,
    connection: INFO,
  });
  const drain = () => {
    for (let event = session.next(); event; event = session.next()) {
      const decision = (event as { decision?: { settled: boolean; accept(): void } }).decision;
      if (decision && !decision.settled) decision.accept();
    }
    session.output();
  };
  drain();
  session.receive(HELO);
  drain();
  return {
    feed(input) {
      session.receive(input);
      drain();
      return undefined;
    },
  };
}

async function serveDriver(): Promise<Driver> {
  let waiting: ((result: ReadResult) => void) | undefined;
  let asked: (() => void) | undefined;
  const transport: Transport = {
    info: INFO,
    read: () => new Promise((resolve) => transport.readNext!(resolve)),
    readNext(callback) {
      waiting = callback;
      asked?.();
    },
    write: () => WRITTEN,
    end: () => Promise.resolve(),
    destroy: () => undefined,
    startTls: () => Promise.reject(new Error('no TLS')),
  };
  void serve(
    transport,
    {
      async onData(message) {
        for await (const _chunk of message) {
          // discard
        }
      },
    },
    { hostname: 'sink.mailwire.test', maxRecipients: 1000 },
  );
  const give = (input: Uint8Array): Promise<void> | undefined => {
    const callback = waiting!;
    waiting = undefined;
    callback({ type: 'data', bytes: input });
    if (waiting !== undefined) return undefined;
    return new Promise<void>((resolve) => {
      asked = () => {
        asked = undefined;
        resolve();
      };
    });
  };
  while (waiting === undefined) await new Promise((r) => setImmediate(r));
  await give(HELO);
  return { feed: give };
}

/** µs per message over `messages` messages; `cold` flushes the caches before every piece. */
async function perMessage(driver: Driver, messages: number, cold: boolean): Promise<number> {
  let total = 0;
  for (let i = 0; i < messages * MESSAGE.length; i++) {
    const input = piece(i);
    if (cold) flushCaches();
    const started = performance.now();
    const pending = driver.feed(input);
    if (pending) await pending;
    total += performance.now() - started;
  }
  return (total * 1000) / messages;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1]!;
}

export async function run(): Promise<string> {
  const rows: [string, () => Promise<Driver> | Driver][] = [
    ['canned dialogue (the Node floor sink, reference)', cannedDriver],
    ['SmtpServerSession, bare accept-everything loop', sessionDriver],
    ['serve() with an iterating onData (readNext, no I/O)', serveDriver],
  ];
  let out = '| input handling per message | hot, µs | cold caches, µs | cold / hot |\n|---|---:|---:|---:|\n';
  for (const [name, make] of rows) {
    const hot: number[] = [];
    const cold: number[] = [];
    for (let round = 0; round < 3; round++) {
      const warm = await make();
      await perMessage(warm, 2_000, false); // JIT warm-up
      hot.push(await perMessage(warm, 20_000, false));
      cold.push(await perMessage(await make(), 1_500, true));
    }
    const h = median(hot);
    const c = median(cold);
    out += `| ${name} | ${h.toFixed(1)} | ${c.toFixed(1)} | ${(c / h).toFixed(1)}× |\n`;
  }
  out +=
    '\nMedian of 3 rounds; "cold caches": 4 MiB written (untimed) before each of the 4 pieces of a message.\n';
  return out;
}

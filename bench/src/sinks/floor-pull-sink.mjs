// Layer analysis (run with MAILWIRE_BENCH_SMTP_LAYERS=1): the Node floor's canned replies, driven like
// serve() drives a Transport — a pull read() promise per chunk, every write awaited. Prints its port.
import net from 'node:net';
import { CannedDialogue, GREETING } from './canned-dialogue.mjs';

/** A minimal pull transport over a socket, shaped like @mailwire/core's Transport. */
class PullSocket {
  constructor(socket) {
    this.socket = socket;
    this.queue = [];
    this.waiter = undefined;
    socket.on('data', (c) =>
      this.push({ type: 'data', bytes: new Uint8Array(c.buffer, c.byteOffset, c.byteLength) }),
    );
    socket.on('end', () => this.push({ type: 'end' }));
    socket.on('close', () => this.push({ type: 'end' }));
  }
  push(result) {
    const waiter = this.waiter;
    if (waiter === undefined) this.queue.push(result);
    else {
      this.waiter = undefined;
      waiter(result);
    }
  }
  read() {
    const result = this.queue.shift();
    if (result) return Promise.resolve(result);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
  write(bytes) {
    return this.socket.write(bytes) ? Promise.resolve() : new Promise((r) => this.socket.once('drain', r));
  }
}

async function serve(t) {
  const dialogue = new CannedDialogue();
  await t.write(GREETING);
  for (;;) {
    const input = await t.read();
    if (input.type !== 'data') return;
    for (const reply of dialogue.feed(input.bytes)) await t.write(reply);
    if (dialogue.quit) {
      t.socket.end();
      return;
    }
  }
}
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {});
  void serve(new PullSocket(socket));
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () =>
  process.stdout.write(`${server.address().port}\n`),
);
process.on('SIGTERM', () => process.exit(0));

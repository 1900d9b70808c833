// Layer analysis (run with MAILWIRE_BENCH_SMTP_LAYERS=1): the Node floor's canned replies, driven like
// serve() drives a Transport — a pull read() promise per chunk, every write awaited. Prints its port.
import net from 'node:net';
const GREETING = Buffer.from('220 floor.mailwire.test ESMTP\r\n');
const OK = Buffer.from('250 2.0.0 Ok\r\n');
const GO_AHEAD = Buffer.from('354 End data with <CR><LF>.<CR><LF>\r\n');
const BYE = Buffer.from('221 2.0.0 Bye\r\n');
class T {
  constructor(s) {
    this.s = s;
    this.q = [];
    this.w = undefined;
    s.on('data', (c) => {
      const r = { type: 'data', bytes: new Uint8Array(c.buffer, c.byteOffset, c.byteLength) };
      if (this.w) {
        const w = this.w;
        this.w = undefined;
        w(r);
      } else this.q.push(r);
    });
    s.on('end', () => {
      const r = { type: 'end' };
      if (this.w) {
        const w = this.w;
        this.w = undefined;
        w(r);
      } else this.q.push(r);
    });
    s.on('close', () => {
      const r = { type: 'end' };
      if (this.w) {
        const w = this.w;
        this.w = undefined;
        w(r);
      } else this.q.push(r);
    });
  }
  read() {
    const r = this.q.shift();
    if (r) return Promise.resolve(r);
    return new Promise((res) => {
      this.w = res;
    });
  }
  write(b) {
    return this.s.write(b) ? Promise.resolve() : new Promise((r) => this.s.once('drain', r));
  }
}
async function serve(t) {
  let inData = false;
  let partial;
  await t.write(GREETING);
  for (;;) {
    const input = await t.read();
    if (input.type !== 'data') return;
    const chunk = input.bytes;
    const bytes = partial === undefined ? chunk : Buffer.concat([partial, chunk]);
    partial = undefined;
    const out = [];
    let quit = false;
    let start = 0;
    for (let lf = bytes.indexOf(10); lf !== -1; lf = bytes.indexOf(10, start)) {
      const length = lf + 1 - start;
      if (inData) {
        if (bytes[start] === 0x2e && (length === 2 || (length === 3 && bytes[start + 1] === 0x0d))) {
          inData = false;
          out.push(OK);
        }
      } else {
        const c0 = bytes[start] | 0x20,
          c1 = bytes[start + 1] | 0x20;
        if (c0 === 0x64 && c1 === 0x61) {
          inData = true;
          out.push(GO_AHEAD);
        } else if (c0 === 0x71 && c1 === 0x75) {
          quit = true;
          out.push(BYE);
        } else out.push(OK);
      }
      start = lf + 1;
    }
    if (start < bytes.length) partial = bytes.subarray(start);
    for (const o of out) await t.write(o);
    if (quit) {
      t.s.end();
      return;
    }
  }
}
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {});
  void serve(new T(socket));
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () =>
  process.stdout.write(`${server.address().port}\n`),
);
process.on('SIGTERM', () => process.exit(0));

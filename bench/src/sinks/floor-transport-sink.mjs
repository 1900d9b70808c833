// Layer analysis (run with MAILWIRE_BENCH_SMTP_LAYERS=1): canned replies over @mailwire/node listen()
// and NodeTransport (built packages), no session. Prints its port.
import { listen } from '@mailwire/node';
const enc = (s) => new TextEncoder().encode(s);
const GREETING = enc('220 floor.mailwire.test ESMTP\r\n'),
  OK = enc('250 2.0.0 Ok\r\n'),
  GO = enc('354 go\r\n'),
  BYE = enc('221 2.0.0 Bye\r\n');
const server = await listen({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  limits: { maxConnections: 10000, maxConnectionsPerIp: 10000 },
  async onConnection(t) {
    let inData = false;
    let partial;
    await t.write(GREETING);
    for (;;) {
      const input = await t.read();
      if (input.type !== 'data') return;
      let bytes = input.bytes;
      if (partial) {
        const b = new Uint8Array(partial.length + bytes.length);
        b.set(partial);
        b.set(bytes, partial.length);
        bytes = b;
        partial = undefined;
      }
      let quit = false,
        start = 0;
      for (let lf = bytes.indexOf(10); lf !== -1; lf = bytes.indexOf(10, start)) {
        const length = lf + 1 - start;
        if (inData) {
          if (bytes[start] === 0x2e && (length === 2 || (length === 3 && bytes[start + 1] === 0x0d))) {
            inData = false;
            await t.write(OK);
          }
        } else {
          const c0 = bytes[start] | 0x20,
            c1 = bytes[start + 1] | 0x20;
          if (c0 === 0x64 && c1 === 0x61) {
            inData = true;
            await t.write(GO);
          } else if (c0 === 0x71 && c1 === 0x75) {
            quit = true;
            await t.write(BYE);
          } else await t.write(OK);
        }
        start = lf + 1;
      }
      if (start < bytes.length) partial = bytes.slice(start);
      if (quit) return;
    }
  },
});
process.stdout.write(`${server.port}\n`);
process.on('SIGTERM', () => process.exit(0));

// Layer analysis (run with MAILWIRE_BENCH_SMTP_LAYERS=1): canned replies (canned-dialogue.mjs) over
// @mailwire/node listen() and NodeTransport (built packages), no session: input through readNext()
// and answered in the same turn, as serve() drives a transport. Prints its port.
import { listen } from '@mailwire/node';
import { CannedDialogue, GREETING } from './canned-dialogue.mjs';

const server = await listen({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  limits: { maxConnections: 10000, maxConnectionsPerIp: 10000 },
  onConnection(t) {
    return new Promise((done) => {
      const dialogue = new CannedDialogue();
      t.write(GREETING);
      const onInput = (input) => {
        if (input.type !== 'data') return done();
        for (const reply of dialogue.feed(input.bytes)) t.write(reply);
        if (dialogue.quit) return done();
        t.readNext(onInput);
      };
      t.readNext(onInput);
    });
  },
});
process.stdout.write(`${server.port}\n`);
process.on('SIGTERM', () => process.exit(0));

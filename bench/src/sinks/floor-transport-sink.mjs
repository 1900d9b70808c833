// Layer analysis (run with MAILWIRE_BENCH_SMTP_LAYERS=1): canned replies (canned-dialogue.mjs) over
// @mailwire/node listen() and NodeTransport (built packages), no session. Prints its port.
import { listen } from '@mailwire/node';
import { CannedDialogue, GREETING } from './canned-dialogue.mjs';

const server = await listen({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  limits: { maxConnections: 10000, maxConnectionsPerIp: 10000 },
  async onConnection(t) {
    const dialogue = new CannedDialogue();
    await t.write(GREETING);
    for (;;) {
      const input = await t.read();
      if (input.type !== 'data') return;
      for (const reply of dialogue.feed(input.bytes)) await t.write(reply);
      if (dialogue.quit) return;
    }
  },
});
process.stdout.write(`${server.port}\n`);
process.on('SIGTERM', () => process.exit(0));

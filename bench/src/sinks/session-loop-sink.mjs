// Layer analysis (run with MAILWIRE_BENCH_SMTP_LAYERS=1): SmtpServerSession over NodeTransport with a bare
// loop instead of serve(), accepting everything (built packages). Prints its port.
import { listen } from '@mailwire/node';
import { SmtpServerSession } from '@mailwire/smtp';
const server = await listen({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  limits: { maxConnections: 10000, maxConnectionsPerIp: 10000 },
  async onConnection(t) {
    const s = new SmtpServerSession({
      hostname: 'sink.mailwire.test',
      maxMessageSize: 50 * 1024 * 1024,
      maxRecipients: 1000,
      connection: t.info,
    });
    for (;;) {
      for (let e = s.next(); e; e = s.next()) {
        const d = e.decision;
        if (d && !d.settled) d.accept();
        if (e.type === 'closed') {
          const o = s.output();
          if (o) await t.write(o);
          return;
        }
      }
      const o = s.output();
      if (o) await t.write(o);
      const input = await t.read();
      if (input.type === 'data') s.receive(input.bytes);
      else s.close();
    }
  },
});
process.stdout.write(`${server.port}\n`);
process.on('SIGTERM', () => process.exit(0));

// Layer analysis (run with MAILWIRE_BENCH_SMTP_LAYERS=1): SmtpServerSession over NodeTransport with a
// bare loop instead of serve(), accepting everything, input through readNext() (built packages).
// Prints its port.
import { listen } from '@mailwire/node';
import { SmtpServerSession } from '@mailwire/smtp';

const server = await listen({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  limits: { maxConnections: 10000, maxConnectionsPerIp: 10000 },
  onConnection(t) {
    return new Promise((done) => {
      const s = new SmtpServerSession({
        hostname: 'sink.mailwire.test',
        maxMessageSize: 50 * 1024 * 1024,
        maxRecipients: 1000,
        connection: t.info,
      });
      /** Answers what the session has; false once it closed. */
      const run = () => {
        for (let e = s.next(); e; e = s.next()) {
          const d = e.decision;
          if (d && !d.settled) d.accept();
          if (e.type === 'closed') {
            const o = s.output();
            if (o) t.write(o);
            done();
            return false;
          }
        }
        const o = s.output();
        if (o) t.write(o);
        return true;
      };
      const onInput = (input) => {
        if (input.type === 'data') s.receive(input.bytes);
        else s.close();
        if (run()) t.readNext(onInput);
      };
      if (run()) t.readNext(onInput);
    });
  },
});
process.stdout.write(`${server.port}\n`);
process.on('SIGTERM', () => process.exit(0));

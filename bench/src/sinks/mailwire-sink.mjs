// A sink on @mailwire/smtp over @mailwire/node, from the built packages (run `pnpm build` first):
// accepts every message and discards it. Prints its port.
import { listen } from '@mailwire/node';
import { serve } from '@mailwire/smtp';

const server = await listen({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  limits: { maxConnections: 10_000, maxConnectionsPerIp: 10_000 },
  async onConnection(transport) {
    await serve(
      transport,
      {
        async onData(message) {
          for await (const _chunk of message) {
            // discard
          }
          return undefined;
        },
      },
      { hostname: 'sink.mailwire.test', maxMessageSize: 50 * 1024 * 1024, maxRecipients: 1000 },
    );
  },
});
process.stdout.write(`${server.port}\n`);
process.on('SIGTERM', () => {
  void server.close({ graceMs: 100 }).then(() => process.exit(0));
});

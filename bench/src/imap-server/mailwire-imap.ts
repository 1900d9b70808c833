// The Mailwire IMAP server for the benchmark: `@mailwire/imap` serve() over `@mailwire/node`
// listen(), on the SQLite store in the directory given as the first argument. Prints its port.
import { serve } from '@mailwire/imap';
import { listen } from '@mailwire/node';
import { createScryptHasher } from '@mailwire/store/node';
import { createSqliteStore } from '@mailwire/store-sqlite';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: mailwire-imap.ts <store directory>');
// The hasher must match the one the store was populated with (src/imap-server/populate.ts).
// Otherwise the store's defaults (the MIME index cache holds 20,000 parsed indexes, fewer than the
// 100,000-message mailbox). MAILWIRE_BENCH_MIME_CACHE sets mimeCacheEntries, to compare.
const cache = process.env.MAILWIRE_BENCH_MIME_CACHE;
const store = createSqliteStore({
  path,
  hasher: createScryptHasher({ cost: 1024 }),
  ...(cache === undefined || cache === '' ? {} : { mimeCacheEntries: Number(cache) }),
});
const server = await listen({
  host: '127.0.0.1',
  port: 0,
  onConnection: (transport) =>
    serve(transport, { store, hostname: 'bench.mailwire.test', allowInsecureAuth: true, now: Date.now }),
  onError: (error) => console.error(error),
});
process.stdout.write(`${server.port}\n`);
process.on('SIGTERM', () => {
  void server
    .close({ graceMs: 100 })
    .then(() => store.close())
    .then(() => process.exit(0));
});

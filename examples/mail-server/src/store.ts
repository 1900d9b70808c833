/**
 * Opens the configured store: SQLite under `<dataDir>/store` (the embedded default), Maildir++
 * under `<dataDir>/maildir` (or `store.url`), PostgreSQL at `store.url` (schema `store.schema`), or
 * memory (tests; nothing persists).
 */
import { join } from 'node:path';
import type { MailStore } from '@mailwire/store';
import { createMemoryStore } from '@mailwire/store';
import { createScryptHasher } from '@mailwire/store/node';
import { createMaildirStore } from '@mailwire/store-maildir';
import { createPostgresStore } from '@mailwire/store-postgres';
import { createSqliteStore } from '@mailwire/store-sqlite';
import { type Config, ConfigError } from './config.js';

export async function openStore(config: Config): Promise<MailStore> {
  const maxMessageSize = config.limits.maxMessageSize;
  switch (config.store.kind) {
    case 'sqlite':
      return createSqliteStore({ path: config.store.url ?? join(config.dataDir, 'store'), maxMessageSize });
    case 'maildir':
      return createMaildirStore({
        path: config.store.url ?? join(config.dataDir, 'maildir'),
        maxMessageSize,
      });
    case 'postgres':
      if (!config.store.url) throw new ConfigError('store kind postgres needs MAILWIRE_STORE_URL');
      return createPostgresStore({
        connectionString: config.store.url,
        schema: config.store.schema ?? 'mailwire',
        maxMessageSize,
      });
    case 'memory':
      return createMemoryStore({ hasher: createScryptHasher(), maxMessageSize });
    default:
      throw new ConfigError(`unknown store kind ${String(config.store.kind)}`);
  }
}

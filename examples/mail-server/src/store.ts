/** Opens the configured store. The embedded default is SQLite under `<dataDir>/store`. */
import { join } from 'node:path';
import type { MailStore } from '@mailwire/store';
import { createMemoryStore } from '@mailwire/store';
import { createScryptHasher } from '@mailwire/store/node';
import { createSqliteStore } from '@mailwire/store-sqlite';
import { type Config, ConfigError } from './config.js';

export async function openStore(config: Config): Promise<MailStore> {
  switch (config.store.kind) {
    case 'sqlite':
      return createSqliteStore({
        path: config.store.url ?? join(config.dataDir, 'store'),
        maxMessageSize: config.limits.maxMessageSize,
      });
    case 'memory':
      return createMemoryStore({
        hasher: createScryptHasher(),
        maxMessageSize: config.limits.maxMessageSize,
      });
    default:
      throw new ConfigError(
        `store kind ${config.store.kind} is not available in this build (use sqlite or memory)`,
      );
  }
}

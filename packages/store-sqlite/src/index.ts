export { createSqliteStore, SqliteStore } from './sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export {
  createScryptHasher,
  DEFAULT_SCRAM_ITERATIONS,
  DEFAULT_SCRYPT,
  hashPassword,
  scramKeys,
  verifyPassword,
} from './credentials.js';
export type { ScryptHasherOptions, ScryptParams } from './credentials.js';

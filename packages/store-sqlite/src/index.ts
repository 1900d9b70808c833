export { createSqliteStore, SqliteStore } from './sqlite-store.js';
export type { SqliteStoreOptions, VerifyReport } from './sqlite-store.js';

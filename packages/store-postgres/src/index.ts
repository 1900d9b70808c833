export { createPostgresStore, PostgresStore } from './postgres-store.js';
export type { PostgresStoreOptions } from './postgres-store.js';
export { BlobTooLargeError, createDatabaseBlobStore } from './blob-store.js';
export type { BlobStore, DatabaseBlobStoreOptions, Queryable, StoredBlob } from './blob-store.js';
export { MIGRATIONS, migrate } from './schema.js';

/**
 * Test plumbing: every store gets a schema of its own (`mw_test_<random>`), dropped after the test,
 * so runs never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import type { MailStore } from '@mailwire/store';
import { createScryptHasher } from '@mailwire/store/node';
import pg from 'pg';
import { createPostgresStore, PostgresStore, type PostgresStoreOptions } from '../src/index.js';

/** CI exports MAILWIRE_TEST_POSTGRES_URL; locally the same default. */
export const POSTGRES_URL =
  process.env.MAILWIRE_TEST_POSTGRES_URL ?? 'postgres://mailwire:mailwire@127.0.0.1:5432/mailwire';

/** Cheap scrypt so tests stay fast; production uses N=16384. */
export const testHasher = createScryptHasher({ cost: 1024 });

export function freshSchema(): string {
  return `mw_test_${randomBytes(6).toString('hex')}`;
}

export function openStore(schema: string, options: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> {
  return createPostgresStore({
    connectionString: POSTGRES_URL,
    poolSize: 6,
    hasher: testHasher,
    ...options,
    schema,
  });
}

export function schemaOf(store: MailStore): string {
  if (!(store instanceof PostgresStore)) throw new Error('not a PostgresStore');
  return store.schema;
}

/** Drops a test schema with everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

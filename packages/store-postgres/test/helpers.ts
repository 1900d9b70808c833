/**
 * Test plumbing: every store gets a schema of its own (`mw_test_<random>`), dropped after the test,
 * so runs never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import type { MailStore } from '@mailwire/store';
import { createScryptHasher } from '@mailwire/store/node';
import pg from 'pg';
import { createPostgresStore, migrate, PostgresStore, type PostgresStoreOptions } from '../src/index.js';

/** CI exports MAILWIRE_TEST_POSTGRES_URL; locally the same default. */
export const POSTGRES_URL =
  process.env.MAILWIRE_TEST_POSTGRES_URL ?? 'postgres://mailwire:mailwire@127.0.0.1:5432/mailwire';

/** Cheap scrypt so tests stay fast; production uses N=16384. */
export const testHasher = createScryptHasher({ cost: 1024 });

export function freshSchema(): string {
  return `mw_test_${randomBytes(6).toString('hex')}`;
}

export function openStore(
  schema: string,
  options: Partial<PostgresStoreOptions> = {},
): Promise<PostgresStore> {
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

// Creating and dropping a schema costs a few hundred ms of DDL; the conformance run prepares the
// next schema and drops the last one in the background while a test runs.
const ready: Promise<string>[] = [];
const dropping: Promise<void>[] = [];

async function prepareSchema(): Promise<string> {
  const schema = freshSchema();
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await migrate(client, schema);
  } finally {
    await client.end();
  }
  return schema;
}

/** A migrated, empty schema (prepared ahead), with the next one already on its way. */
export async function takeSchema(): Promise<string> {
  const next = ready.shift() ?? prepareSchema();
  ready.push(prepareSchema().catch(() => freshSchema()));
  return next;
}

/** Drops the schema in the background; `settleSchemas()` waits for every drop and preparation. */
export function dropLater(schema: string): void {
  dropping.push(dropSchema(schema).catch(() => undefined));
}

export async function settleSchemas(): Promise<void> {
  const prepared = await Promise.all(ready.splice(0));
  for (const schema of prepared) dropLater(schema);
  await Promise.all(dropping.splice(0));
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScryptHasher } from '@mailwire/store/node';
import { createSqliteStore, type SqliteStoreOptions } from '../src/sqlite-store.js';

/** Cheap scrypt so tests stay fast; production uses N=16384. */
export const testHasher = createScryptHasher({ cost: 1024 });

const dirs: string[] = [];

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mailwire-sqlite-'));
  dirs.push(d);
  return d;
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function openStore(path: string, options: Partial<SqliteStoreOptions> = {}) {
  return createSqliteStore({ hasher: testHasher, ...options, path });
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScryptHasher } from '@mailwire/store/node';
import { createMaildirStore, type MaildirStoreOptions } from '../src/index.js';

/** Cheap scrypt so tests stay fast. */
export const testHasher = createScryptHasher({ cost: 1024 });

const dirs: string[] = [];

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mailwire-maildir-'));
  dirs.push(d);
  return d;
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function openStore(path: string, options: Partial<MaildirStoreOptions> = {}) {
  return createMaildirStore({ hasher: testHasher, ...options, path });
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

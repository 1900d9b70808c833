/**
 * The account registry, `<root>/mailwire-accounts.json`: addresses, aliases, password hashes
 * (from the `PasswordHasher`, never clear text), SCRAM-SHA-256 stored keys, quotas, and the last
 * UIDVALIDITY handed out. Replaced whole, atomically (temp file, fsync, rename, directory fsync).
 */
import type { QuotaLimits, ScramStoredKeys } from '@mailwire/store';

export interface AccountRecord {
  readonly id: string;
  address: string;
  aliases: string[];
  passwordHash?: string;
  scram?: ScramStoredKeys;
  quota?: QuotaLimits;
}

export interface Registry {
  lastUidValidity: number;
  accounts: AccountRecord[];
}

interface ScramJson {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

interface AccountJson {
  id: string;
  address: string;
  aliases: string[];
  passwordHash?: string;
  scram?: ScramJson;
  quota?: QuotaLimits;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

export function serializeRegistry(registry: Registry): string {
  const accounts: AccountJson[] = registry.accounts.map((a) => ({
    id: a.id,
    address: a.address,
    aliases: a.aliases,
    ...(a.passwordHash === undefined ? {} : { passwordHash: a.passwordHash }),
    ...(a.scram === undefined
      ? {}
      : {
          scram: {
            salt: b64(a.scram.salt),
            iterations: a.scram.iterations,
            storedKey: b64(a.scram.storedKey),
            serverKey: b64(a.scram.serverKey),
          },
        }),
    ...(a.quota === undefined ? {} : { quota: a.quota }),
  }));
  return `${JSON.stringify({ version: 1, lastUidValidity: registry.lastUidValidity, accounts }, null, 2)}\n`;
}

export function parseRegistry(text: string): Registry {
  const json = JSON.parse(text) as { lastUidValidity?: number; accounts?: AccountJson[] };
  return {
    lastUidValidity: json.lastUidValidity ?? 0,
    accounts: (json.accounts ?? []).map((a) => ({
      id: a.id,
      address: a.address,
      aliases: [...a.aliases],
      ...(a.passwordHash === undefined ? {} : { passwordHash: a.passwordHash }),
      ...(a.scram === undefined
        ? {}
        : {
            scram: {
              salt: unb64(a.scram.salt),
              iterations: a.scram.iterations,
              storedKey: unb64(a.scram.storedKey),
              serverKey: unb64(a.scram.serverKey),
            },
          }),
      ...(a.quota === undefined ? {} : { quota: a.quota }),
    })),
  };
}

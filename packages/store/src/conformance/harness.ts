/** Shared plumbing of the conformance suites: options, per-test fixtures, byte generators. */
import { afterEach, expect } from 'vitest';
import { MailwireError, utf8 } from '@mailwire/core';
import type { StoreErrorCode } from '../errors.js';
import type { Account, AppendResult, MailboxInfo, MailStore, MessageSource } from '../types.js';

/** Runs appends in other processes (or other nodes) against the same data as `store`. */
export interface MultiProcessHooks {
  /**
   * Starts `processes` workers at once, each appending `perProcess` messages
   * (`conformanceMessage(worker * perProcess + i)`) to the named mailbox of the account, and
   * resolves with every UID the workers were acknowledged.
   */
  appendConcurrently(params: {
    readonly store: MailStore;
    readonly address: string;
    readonly mailbox: string;
    readonly processes: number;
    readonly perProcess: number;
  }): Promise<number[]>;
}

/** Item 12: a writer killed with SIGKILL at a random point. */
export interface CrashHooks {
  /**
   * Starts a child process that appends `conformanceMessage(i)` for i = 0…count-1, one after the
   * other, to the named mailbox, reporting each acknowledged append (index and UID) to the parent
   * as it happens; kills it with SIGKILL after a random delay derived from `seed`; resolves with
   * what was acknowledged before the kill. `store` stays open in the parent.
   */
  appendAndKill(params: {
    readonly store: MailStore;
    readonly address: string;
    readonly mailbox: string;
    readonly count: number;
    readonly seed: number;
  }): Promise<{ index: number; uid: number }[]>;
}

export interface ConformanceCapabilities {
  /** Identical content shares one `blobId` (item 7). Default true. */
  readonly dedup?: boolean;
  /** POP3 maildrop locks (item 11). Default true. */
  readonly maildrop?: boolean;
  /** Accounts may have passwords (`verifyPassword`). Default true. */
  readonly passwords?: boolean;
  /** Passwords also yield SCRAM-SHA-256 keys. Default true. */
  readonly scram?: boolean;
  /**
   * The per-mailbox expunge history `create()` configures; when given, the kit expunges more than
   * that and expects `changesSince` from before to answer `trimmed: true`.
   */
  readonly expungeHistory?: number;
  /** Size of the large-message test in octets (default 64 MiB; the full run uses 1 GiB; 0 skips). */
  readonly bigMessageSize?: number;
  /** Memory growth allowed while reading (and appending) the large message. Default 32 MiB + size/8. */
  readonly memoryBound?: number;
  /** The adapter keeps blobs in process memory, so appending the large message may grow memory. */
  readonly blobsInMemory?: boolean;
  /** Parallel appenders in the concurrency test (default 100). */
  readonly concurrency?: number;
}

export interface StoreConformanceOptions {
  /** Shown in the suite names. */
  readonly name: string;
  /** A new, empty store for each test. */
  readonly create: () => Promise<MailStore>;
  /**
   * Closes `old` and opens the same data again, as after a restart. Enables the restart checks.
   */
  readonly reopen?: (old: MailStore) => Promise<MailStore>;
  /**
   * Opens a second, independent store instance on the same data (another server node). Enables
   * the cross-instance UID and change-feed checks.
   */
  readonly openPeer?: (store: MailStore) => Promise<MailStore>;
  /** Cleans up after a test (default: `store.close()`). */
  readonly destroy?: (store: MailStore) => Promise<void>;
  readonly multiProcess?: MultiProcessHooks;
  readonly crash?: CrashHooks;
  readonly capabilities?: ConformanceCapabilities;
}

export interface Fixture {
  readonly store: MailStore;
  readonly account: Account;
  readonly inbox: MailboxInfo;
}

export class Harness {
  readonly caps: Required<Omit<ConformanceCapabilities, 'expungeHistory' | 'memoryBound'>> &
    Pick<ConformanceCapabilities, 'expungeHistory' | 'memoryBound'>;
  private readonly open = new Set<MailStore>();
  private accounts = 0;

  constructor(readonly options: StoreConformanceOptions) {
    const caps = options.capabilities ?? {};
    this.caps = {
      dedup: caps.dedup ?? true,
      maildrop: caps.maildrop ?? true,
      passwords: caps.passwords ?? true,
      scram: caps.scram ?? true,
      bigMessageSize: caps.bigMessageSize ?? 64 * 1024 * 1024,
      blobsInMemory: caps.blobsInMemory ?? false,
      concurrency: caps.concurrency ?? 100,
      ...(caps.expungeHistory === undefined ? {} : { expungeHistory: caps.expungeHistory }),
      ...(caps.memoryBound === undefined ? {} : { memoryBound: caps.memoryBound }),
    };
    afterEach(async () => {
      const stores = [...this.open];
      this.open.clear();
      for (const store of stores) await (this.options.destroy ?? ((s: MailStore) => s.close()))(store);
    });
  }

  /** A new store, closed after the test. */
  async createStore(): Promise<MailStore> {
    return this.track(await this.options.create());
  }

  track(store: MailStore): MailStore {
    this.open.add(store);
    return store;
  }

  async reopen(store: MailStore): Promise<MailStore> {
    this.open.delete(store);
    return this.track(await this.options.reopen!(store));
  }

  async peer(store: MailStore): Promise<MailStore> {
    return this.track(await this.options.openPeer!(store));
  }

  /** A new account (unique address) in `store`. */
  async account(store: MailStore, password?: string): Promise<Account> {
    const n = ++this.accounts;
    return store.accounts.createAccount({
      address: `user${n}@conformance.example`,
      ...(password === undefined ? {} : { password }),
    });
  }

  /** A store with one account and its INBOX. */
  async fixture(): Promise<Fixture> {
    const store = await this.createStore();
    const account = await this.account(store);
    const inbox = await store.getMailbox(account.id, 'INBOX');
    expect(inbox).toBeDefined();
    return { store, account, inbox: inbox! };
  }
}

/** Asserts that `promise` rejects with a store error of `code`, and returns the error. */
export async function expectStoreError(
  promise: Promise<unknown> | (() => unknown),
  code: StoreErrorCode,
): Promise<MailwireError> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (caught) {
    error = caught;
  }
  expect(MailwireError.isInstance(error), `expected a MailwireError ${code}, got ${String(error)}`).toBe(
    true,
  );
  expect((error as MailwireError).code).toBe(code);
  return error as MailwireError;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, size >>> 2);
  let x = seed | 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  for (let i = words.length * 4; i < size; i++) out[i] = (x = Math.imul(x, 0x01000193) + i) & 0xff;
  return out;
}

/**
 * A deterministic RFC 5322 message for index `i`, 1–9 KB: what the multi-process and crash hooks
 * must append, so the kit can check every byte afterwards.
 */
export function conformanceMessage(i: number): Uint8Array {
  const random = prng(i + 1);
  const lines = 20 + Math.floor(random() * 140);
  let text = `From: sender@conformance.example\r\nTo: user@conformance.example\r\nSubject: conformance ${i}\r\nMessage-ID: <${i}@conformance.example>\r\n\r\n`;
  for (let l = 0; l < lines; l++) text += `${i}:${l} ${random().toString(36).slice(2)} ${'x'.repeat(30)}\r\n`;
  return utf8(text);
}

export function text(value: string): Uint8Array {
  return utf8(value);
}

/** A short message with a unique subject. */
export function message(subject: string, body = 'Hello.\r\n'): Uint8Array {
  return utf8(`Subject: ${subject}\r\n\r\n${body}`);
}

export async function readAll(
  store: MailStore,
  ...args: Parameters<MailStore['readMessage']>
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of await store.readMessage(...args)) {
    parts.push(chunk.slice());
    length += chunk.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Appends with a fixed internal date. */
export function append(
  store: MailStore,
  mailboxId: string,
  source: MessageSource,
  flags: readonly string[] = [],
): Promise<AppendResult> {
  return store.append(mailboxId, source, { internalDate: 1_700_000_000_000, flags });
}

export async function uidsOf(store: MailStore, mailboxId: string): Promise<number[]> {
  return (await store.fetchMessages(mailboxId, [[1, Number.POSITIVE_INFINITY]])).map((m) => m.uid);
}

export const ALL = [[1, Number.POSITIVE_INFINITY]] as const;

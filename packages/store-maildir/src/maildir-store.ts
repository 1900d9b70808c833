/**
 * `MaildirStore`: a `MailStore` on Maildir++ directories that other Maildir tools (Dovecot, mutt,
 * mbsync, Courier) can read and change underneath.
 *
 * Theory of operation
 *
 * - Layout: `<root>/mailwire-accounts.json` (the account registry), `<root>/<account id>/` a
 *   Maildir++ root whose `cur/new/tmp` are INBOX, folders as `.<level>.<level>/` (see `names.ts`),
 *   a `subscriptions` file, and per folder `mailwire-uidlist` (UIDs, MODSEQs, internal dates,
 *   content hashes; see `uidlist.ts`) and `dovecot-keywords` (keyword letters). Cached MIME indexes
 *   live in `<root>/mailwire-mime/<sha-256>.json`.
 * - The file system is the truth. Flags live in file names (`:2,DFRST` + keyword letters); the
 *   uidlist maps each message's base name (the part before `:`) to its UID. Before every operation
 *   a folder is *refreshed*: when its uidlist changed on disk it is re-read, and when `new/` or
 *   `cur/` changed (or changed too recently for their mtime to be trusted) the directories are
 *   *reconciled*: a file that moved from `new/` to `cur/` or changed flags keeps its UID (and
 *   takes a new MODSEQ when its flags changed), a vanished file is expunged, an unknown file gets a
 *   fresh UID above every UID ever given. UIDs are never reused.
 * - Writes: an append streams into `tmp/` outside any lock (hashing as it goes), then under the
 *   store's mutex and the folder's `mailwire-uidlist.lock` file: quota check, rename into `new/`
 *   (or `cur/` with flags), fsync of the directory, uidlist replaced atomically (temp, fsync,
 *   rename, fsync). Only then does the promise resolve and the change feed fire. A crash at any
 *   point leaves either no message or a complete one that the next reconcile numbers.
 * - Blobs: `blobId` is the SHA-256 of the content, so identical messages share one id. COPY is a
 *   hard link (one inode for both); separate deliveries of identical content are separate files.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { copyFile, link, open, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Account,
  type AccountStore,
  AlreadyExistsError,
  type AppendItem,
  type AppendOptions,
  type AppendResult,
  applyFlags,
  type ByteRange,
  type ChangeListener,
  type ChangesSince,
  ClosedError,
  type CopyResult,
  type CreateAccountInput,
  type CreateMailboxOptions,
  type DeliverOptions,
  type DeliverResult,
  type ExpungeOptions,
  type ExpungeResult,
  type FetchOptions,
  type FlagChange,
  flagKey,
  INBOX,
  InvalidError,
  isInferior,
  isSystemFlag,
  LockedError,
  type MailboxChange,
  type MailboxInfo,
  type Maildrop,
  type MailStore,
  type MessageMeta,
  type MessageRef,
  type MessageSource,
  type MoveResult,
  NotAllowedError,
  NotFoundError,
  normalizeFlags,
  normalizeMailboxName,
  normalizeUidSet,
  type PasswordHasher,
  QuotaExceededError,
  type QuotaLimits,
  type QuotaUsage,
  resolveRange,
  type ScramStoredKeys,
  type SetFlagsOptions,
  type SetFlagsResult,
  type SpecialUse,
  type StoreLimits,
  sourceChunks,
  superiorNames,
  TooLargeError,
  type UidMapping,
  type UidSet,
  uidSetHas,
} from '@mailwire/store';
import { createScryptHasher } from '@mailwire/store/node';
import {
  baseOf,
  LETTER_FLAGS,
  lettersOf,
  SYSTEM_LETTERS,
  sizeOf,
  uniqueName,
  withLetters,
} from './filename.js';
import {
  acquireLockFile,
  backend,
  ensureDir,
  fsyncDir,
  isCode,
  Mutex,
  readTextIfExists,
  writeFileAtomic,
} from './fs-util.js';
import { indexOfLetter, letterOf, MAX_KEYWORDS, parseKeywords, serializeKeywords } from './keywords.js';
import { folderDirName, folderNameOf } from './names.js';
import { type AccountRecord, parseRegistry, type Registry, serializeRegistry } from './registry.js';
import { parseDovecotUidlist, parseUidlist, serializeUidlist, type Uidlist } from './uidlist.js';

export interface MaildirStoreOptions {
  /** The root directory (created when missing). */
  readonly path: string;
  /** Password hashing (default: scrypt from `@mailwire/store/node`, with SCRAM-SHA-256 keys). */
  readonly hasher?: PasswordHasher;
  /** Largest message accepted, octets (default 1 GiB). */
  readonly maxMessageSize?: number;
  /** Expunge records kept per folder for `changesSince()` (default 10,000). */
  readonly expungeHistory?: number;
  /** fsync files and directories before acknowledging (default true). */
  readonly fsync?: boolean;
  /**
   * Directory mtimes closer to "now" than this (ms) are not trusted, so the folder is reconciled
   * again on its next use (file systems with coarse timestamps; default 2000).
   */
  readonly dirtyWindowMs?: number;
  /**
   * Watch subscribed folders (`fs.watch`) so changes by other processes or tools reach listeners
   * promptly (default true); without it they show at the folder's next operation.
   */
  readonly watch?: boolean;
}

const REGISTRY_FILE = 'mailwire-accounts.json';
const UIDLIST_FILE = 'mailwire-uidlist';
const UIDLIST_LOCK = 'mailwire-uidlist.lock';
const KEYWORDS_FILE = 'dovecot-keywords';
const DOVECOT_UIDLIST = 'dovecot-uidlist';
const SUBSCRIPTIONS_FILE = 'subscriptions';
const POP3_LOCK = 'mailwire-pop3.lock';
const MIME_DIR = 'mailwire-mime';
const DELETED_PREFIX = 'mailwire-deleted.';

type Sub = 'new' | 'cur';

interface Msg {
  readonly uid: number;
  modseq: number;
  /** The MODSEQ at which it appeared in this folder. */
  added: number;
  internalDate: number;
  size: number;
  hash: string;
  sub: Sub;
  fileName: string;
  folder: Folder;
}

interface Stamp {
  uidlist: string;
  newMtime: bigint;
  curMtime: bigint;
  trusted: boolean;
}

interface Folder {
  account: AccountState;
  name: string;
  /** Absolute path of the Maildir (the account root for INBOX). */
  dir: string;
  list: Omit<Uidlist, 'entries'>;
  messages: Map<number, Msg>;
  byBase: Map<string, Msg>;
  keywords: (string | undefined)[];
  stamp?: Stamp;
  deleted: boolean;
}

interface AccountState {
  record: AccountRecord;
  dir: string;
  folders: Map<string, Folder>;
}

function toAccount(record: AccountRecord): Account {
  return {
    id: record.id,
    address: record.address,
    aliases: [...record.aliases],
    ...(record.quota === undefined ? {} : { quota: { ...record.quota } }),
  };
}

function checkQuota(quota: QuotaLimits | undefined): QuotaLimits | undefined {
  if (quota === undefined) return undefined;
  const out: { storage?: number; messages?: number } = {};
  for (const key of ['storage', 'messages'] as const) {
    const value = quota[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0) throw new InvalidError(`Invalid quota ${key}: ${value}`);
    out[key] = value;
  }
  return out;
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path, { bigint: true });
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

export class MaildirStore implements MailStore {
  readonly delimiter = '/' as const;
  readonly limits: StoreLimits;
  readonly accounts: AccountStore;
  /** The root directory. */
  readonly path: string;

  private readonly hasher: PasswordHasher;
  private readonly maxMessageSize: number;
  private readonly expungeHistory: number;
  private readonly sync: boolean;
  private readonly dirtyWindowMs: number;
  private readonly mutex = new Mutex();
  private readonly ready: Promise<void>;
  private registry: Registry = { lastUidValidity: 0, accounts: [] };
  private readonly accountStates = new Map<string, AccountState>();
  private readonly byAddress = new Map<string, AccountState>();
  private readonly folderById = new Map<string, Folder>();
  private readonly blobs = new Map<string, Set<Msg>>();
  private readonly listeners = new Map<string, Set<ChangeListener>>();
  private readonly maildrops = new Set<string>();
  /** Releases of the maildrop locks this instance holds, so `close()` can drop them. */
  private readonly maildropReleases = new Set<() => Promise<void>>();
  private readonly watchers = new Map<
    string,
    { watchers: FSWatcher[]; timer?: NodeJS.Timeout | undefined }
  >();
  private readonly watch: boolean;
  /** Folders whose uidlist lock file this instance holds right now. */
  private readonly held = new Set<Folder>();
  private closed = false;

  constructor(options: MaildirStoreOptions) {
    this.path = options.path;
    this.hasher = options.hasher ?? createScryptHasher();
    this.maxMessageSize = options.maxMessageSize ?? 1024 * 1024 * 1024;
    this.expungeHistory = options.expungeHistory ?? 10_000;
    this.sync = options.fsync ?? true;
    this.dirtyWindowMs = options.dirtyWindowMs ?? 2000;
    this.watch = options.watch ?? true;
    this.limits = { maxMessageSize: this.maxMessageSize, maxKeywords: MAX_KEYWORDS };
    this.accounts = this.accountStore();
    this.ready = this.mutex.run(() => this.load());
    this.ready.catch(() => undefined);
  }

  /** Resolves once the store has read its root (every method waits for this by itself). */
  async opened(): Promise<this> {
    await this.ready;
    return this;
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  /** Runs `task` under the store mutex once the store is open. */
  private run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError());
    return this.ready.then(() =>
      this.mutex.run(async () => {
        if (this.closed) throw new ClosedError();
        try {
          return await task();
        } catch (error) {
          throw backend(error, 'maildir');
        }
      }),
    );
  }

  private async load(): Promise<void> {
    await ensureDir(this.path);
    const text = await readTextIfExists(join(this.path, REGISTRY_FILE));
    if (text !== undefined) this.registry = parseRegistry(text);
    for (const record of this.registry.accounts) {
      const state: AccountState = { record, dir: join(this.path, record.id), folders: new Map() };
      this.accountStates.set(record.id, state);
      this.indexAddresses(state);
      await this.discoverFolders(state);
    }
    // Leftovers of a crash during a delete.
    for (const entry of await readdir(this.path)) {
      if (entry.startsWith(DELETED_PREFIX))
        await rm(join(this.path, entry), { recursive: true, force: true });
    }
  }

  private indexAddresses(state: AccountState): void {
    this.byAddress.set(state.record.address.toLowerCase(), state);
    for (const alias of state.record.aliases) this.byAddress.set(alias.toLowerCase(), state);
  }

  private async saveRegistry(): Promise<void> {
    await writeFileAtomic(join(this.path, REGISTRY_FILE), serializeRegistry(this.registry), this.sync);
  }

  private async nextUidValidity(): Promise<number> {
    const now = Math.floor(Date.now() / 1000) >>> 0;
    const value = Math.max(now, this.registry.lastUidValidity + 1);
    this.registry.lastUidValidity = value;
    await this.saveRegistry();
    return value;
  }

  private account(accountId: string): AccountState {
    const state = this.accountStates.get(accountId);
    if (state === undefined) throw new NotFoundError(`No account ${accountId}`);
    return state;
  }

  private emit(change: MailboxChange): void {
    const set = this.listeners.get(change.mailboxId);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(change);
      } catch {
        // A listener's bug must not affect the writer or other listeners.
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Folders on disk

  private folderPath(account: AccountState, name: string): string {
    return name === INBOX ? account.dir : join(account.dir, folderDirName(name));
  }

  /** Finds the account's folders on disk; drops vanished ones, loads new ones, notices renames. */
  private async discoverFolders(account: AccountState): Promise<void> {
    const onDisk = new Map<string, string>([[INBOX, account.dir]]);
    let entries: string[] = [];
    try {
      entries = await readdir(account.dir);
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw error;
    }
    for (const entry of entries) {
      const name = folderNameOf(entry);
      if (name === undefined) continue;
      let canonical: string;
      try {
        canonical = normalizeMailboxName(name);
      } catch {
        continue;
      }
      if (canonical === INBOX) continue;
      if ((await statOrUndefined(join(account.dir, entry, 'cur'))) === undefined) continue;
      onDisk.set(canonical, join(account.dir, entry));
    }
    const gone = new Map<string, Folder>();
    for (const [name, folder] of account.folders) {
      if (onDisk.get(name) !== folder.dir) {
        account.folders.delete(name);
        // Free its id, so a directory another tool renamed is recognised by its uidlist.
        this.folderById.delete(folder.list.mailboxId);
        gone.set(folder.list.mailboxId, folder);
      }
    }
    for (const [name, dir] of onDisk) {
      if (account.folders.has(name)) continue;
      const folder = await this.loadFolder(account, name, dir);
      const before = gone.get(folder.list.mailboxId);
      if (before !== undefined) {
        gone.delete(folder.list.mailboxId);
        this.forgetFolder(before, false);
        this.emit({
          type: 'mailboxRenamed',
          mailboxId: folder.list.mailboxId,
          modseq: folder.list.highestModseq,
          name,
        });
      }
    }
    for (const folder of gone.values()) this.forgetFolder(folder, true);
  }

  private forgetFolder(folder: Folder, notify: boolean): void {
    folder.deleted = true;
    if (folder.account.folders.get(folder.name) === folder) folder.account.folders.delete(folder.name);
    if (this.folderById.get(folder.list.mailboxId) === folder) this.folderById.delete(folder.list.mailboxId);
    for (const msg of folder.messages.values()) this.unindexBlob(msg);
    if (notify)
      this.emit({
        type: 'mailboxDeleted',
        mailboxId: folder.list.mailboxId,
        modseq: folder.list.highestModseq,
      });
  }

  /** Loads (creating the Maildir and uidlist where missing) and reconciles one folder. */
  private async loadFolder(account: AccountState, name: string, dir: string): Promise<Folder> {
    for (const sub of ['cur', 'new', 'tmp']) await ensureDir(join(dir, sub));
    // The uidlist is read under its lock, so no other writer is between its rename and its write.
    const release = await acquireLockFile(join(dir, UIDLIST_LOCK), { wait: true });
    let loaded: Folder | undefined;
    try {
      return await this.loadFolderLocked(account, name, dir, (folder) => {
        loaded = folder;
        this.held.add(folder);
      });
    } finally {
      if (loaded !== undefined) this.held.delete(loaded);
      await release();
    }
  }

  private async loadFolderLocked(
    account: AccountState,
    name: string,
    dir: string,
    onFolder: (folder: Folder) => void,
  ): Promise<Folder> {
    const text = await readTextIfExists(join(dir, UIDLIST_FILE));
    let list = text === undefined ? undefined : parseUidlist(text);
    let imported: Map<string, number> | undefined;
    if (list === undefined) {
      const dovecot = await readTextIfExists(join(dir, DOVECOT_UIDLIST));
      const parsed = dovecot === undefined ? undefined : parseDovecotUidlist(dovecot);
      if (parsed !== undefined) imported = parsed.uids;
      list = {
        mailboxId: randomUUID(),
        uidValidity: parsed?.uidValidity ?? (await this.nextUidValidity()),
        nextUid: parsed?.nextUid ?? 1,
        highestModseq: 1,
        expungeFloor: 0,
        entries: [],
        expunges: [],
      };
    }
    // Two folders claiming one id (a copied directory): the second gets a new identity.
    if (this.folderById.has(list.mailboxId)) {
      list.mailboxId = randomUUID();
      list.uidValidity = await this.nextUidValidity();
      list.nextUid = 1;
      list.entries = [];
      list.expunges = [];
      imported = undefined;
    }
    const { entries, ...header } = list;
    const folder: Folder = {
      account,
      name,
      dir,
      list: header,
      messages: new Map(),
      byBase: new Map(),
      keywords: [],
      deleted: false,
    };
    this.setEntries(folder, entries);
    account.folders.set(name, folder);
    this.folderById.set(folder.list.mailboxId, folder);
    if (name !== INBOX && (await statOrUndefined(join(dir, 'maildirfolder'))) === undefined) {
      await writeFileAtomic(join(dir, 'maildirfolder'), '', this.sync);
    }
    onFolder(folder);
    await sweepStale(dir);
    await this.reconcile(folder, imported);
    if (text === undefined) await this.saveUidlist(folder);
    return folder;
  }

  private setEntries(folder: Folder, entries: Uidlist['entries']): void {
    for (const msg of folder.messages.values()) this.unindexBlob(msg);
    folder.messages.clear();
    folder.byBase.clear();
    for (const e of entries) {
      const msg: Msg = {
        uid: e.uid,
        modseq: e.modseq,
        added: e.added ?? e.modseq,
        internalDate: e.internalDate,
        size: e.size,
        hash: e.hash,
        sub: e.fileName.includes(':') ? 'cur' : 'new',
        fileName: e.fileName,
        folder,
      };
      folder.messages.set(msg.uid, msg);
      folder.byBase.set(baseOf(msg.fileName), msg);
      this.indexBlob(msg);
    }
  }

  private indexBlob(msg: Msg): void {
    let set = this.blobs.get(msg.hash);
    if (set === undefined) this.blobs.set(msg.hash, (set = new Set()));
    set.add(msg);
  }

  private unindexBlob(msg: Msg): void {
    const set = this.blobs.get(msg.hash);
    if (set === undefined) return;
    set.delete(msg);
    if (set.size === 0) this.blobs.delete(msg.hash);
  }

  /** Deletes cached MIME indexes of blobs nothing references any more. */
  private async dropOrphanMime(hashes: Iterable<string>): Promise<void> {
    for (const hash of hashes) {
      if (!this.blobs.has(hash))
        await unlink(join(this.path, MIME_DIR, `${hash}.json`)).catch(() => undefined);
    }
  }

  private async readKeywords(folder: Folder): Promise<void> {
    const text = await readTextIfExists(join(folder.dir, KEYWORDS_FILE));
    folder.keywords = text === undefined ? [] : parseKeywords(text);
  }

  private async stampOf(folder: Folder): Promise<Stamp> {
    const [ul, n, c] = await Promise.all([
      statOrUndefined(join(folder.dir, UIDLIST_FILE)),
      stat(join(folder.dir, 'new'), { bigint: true }),
      stat(join(folder.dir, 'cur'), { bigint: true }),
    ]);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const window = BigInt(this.dirtyWindowMs) * 1_000_000n;
    return {
      uidlist: ul === undefined ? '' : `${ul.ino}:${ul.mtimeNs}:${ul.size}`,
      newMtime: n.mtimeNs,
      curMtime: c.mtimeNs,
      trusted: nowNs - n.mtimeNs > window && nowNs - c.mtimeNs > window,
    };
  }

  /**
   * Brings a folder up to date with the disk (see the theory of operation). Throws
   * `ERR_STORE_NOT_FOUND` when the folder vanished.
   */
  private async refresh(folder: Folder, force = false): Promise<void> {
    if (folder.deleted) throw new NotFoundError(`No mailbox ${folder.list.mailboxId}`);
    let now: Stamp;
    try {
      now = await this.stampOf(folder);
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw error;
      this.forgetFolder(folder, true);
      throw new NotFoundError(`Mailbox ${folder.name} vanished`);
    }
    const old = folder.stamp;
    const reload = old !== undefined && now.uidlist !== old.uidlist;
    const stale =
      force ||
      reload ||
      old === undefined ||
      !old.trusted ||
      now.newMtime !== old.newMtime ||
      now.curMtime !== old.curMtime;
    if (!stale) return;
    // Reloading and reconciling write the uidlist: only under its lock file.
    if (!this.held.has(folder)) {
      await this.locked([folder], async () => (force ? this.refresh(folder, true) : undefined));
      return;
    }
    if (reload) {
      // Another process (another Mailwire instance) rewrote it: its version is the truth.
      const text = await readTextIfExists(join(folder.dir, UIDLIST_FILE));
      const list = text === undefined ? undefined : parseUidlist(text);
      if (list !== undefined && list.mailboxId === folder.list.mailboxId) {
        const before = new Map([...folder.messages].map(([uid, m]) => [uid, m.modseq]));
        const { entries, ...header } = list;
        folder.list = header;
        this.setEntries(folder, entries);
        await this.readKeywords(folder);
        this.announce(folder, before);
      }
    }
    await this.reconcile(folder);
  }

  /** Tells subscribers what another process changed, one event per MODSEQ and kind, in order. */
  private announce(folder: Folder, before: ReadonlyMap<number, number>): void {
    const groups = new Map<number, { exists: Msg[]; flags: Msg[]; expunged: number[] }>();
    const group = (modseq: number) => {
      let g = groups.get(modseq);
      if (g === undefined) groups.set(modseq, (g = { exists: [], flags: [], expunged: [] }));
      return g;
    };
    for (const msg of [...folder.messages.values()].sort((a, b) => a.uid - b.uid)) {
      const previous = before.get(msg.uid);
      if (previous === undefined) {
        // New to us: announced at the MODSEQ it appeared (with its current flags), and a later
        // flag change at its own MODSEQ.
        group(Math.min(msg.added, msg.modseq)).exists.push(msg);
        if (msg.added < msg.modseq) group(msg.modseq).flags.push(msg);
      } else if (previous !== msg.modseq) group(msg.modseq).flags.push(msg);
    }
    for (const uid of [...before.keys()].sort((a, b) => a - b)) {
      if (folder.messages.has(uid)) continue;
      const record = folder.list.expunges.find((x) => x.uid === uid);
      group(record?.modseq ?? folder.list.highestModseq).expunged.push(uid);
    }
    const mailboxId = folder.list.mailboxId;
    for (const modseq of [...groups.keys()].sort((a, b) => a - b)) {
      const g = groups.get(modseq)!;
      if (g.expunged.length > 0) this.emit({ type: 'expunge', mailboxId, modseq, uids: g.expunged });
      if (g.flags.length > 0)
        this.emit({ type: 'flags', mailboxId, modseq, messages: this.changes(folder, g.flags) });
      if (g.exists.length > 0)
        this.emit({ type: 'exists', mailboxId, modseq, messages: this.changes(folder, g.exists) });
    }
  }

  /** Matches the files in `new/` and `cur/` with the uidlist; records what changed as one MODSEQ. */
  private async reconcile(folder: Folder, imported?: Map<string, number>): Promise<void> {
    await this.readKeywords(folder);
    const found = new Map<string, { sub: Sub; fileName: string }>();
    for (const sub of ['new', 'cur'] as const) {
      for (const fileName of await readdir(join(folder.dir, sub))) {
        if (fileName.startsWith('.') || fileName.includes('\n') || fileName.includes('/')) continue;
        const base = baseOf(fileName);
        if (sub === 'new' && found.has(base)) continue;
        found.set(base, { sub, fileName });
      }
    }
    const vanished: Msg[] = [];
    const changed: Msg[] = [];
    for (const [base, msg] of folder.byBase) {
      const file = found.get(base);
      if (file === undefined) {
        vanished.push(msg);
        continue;
      }
      found.delete(base);
      if (file.fileName !== msg.fileName || file.sub !== msg.sub) {
        const before = this.flagsOf(folder, msg.fileName);
        msg.fileName = file.fileName;
        msg.sub = file.sub;
        if (before.join(' ') !== this.flagsOf(folder, msg.fileName).join(' ')) changed.push(msg);
      }
    }
    const fresh: { base: string; sub: Sub; fileName: string; uid?: number }[] = [];
    for (const [base, file] of found) {
      const uid = imported?.get(base);
      fresh.push({ base, ...file, ...(uid === undefined ? {} : { uid }) });
    }
    // Imported UIDs first (in their order), then unknown files in name (delivery time) order.
    fresh.sort((a, b) =>
      a.uid !== undefined && b.uid !== undefined
        ? a.uid - b.uid
        : a.uid !== undefined
          ? -1
          : b.uid !== undefined
            ? 1
            : a.fileName < b.fileName
              ? -1
              : 1,
    );
    const added: Msg[] = [];
    for (const file of fresh) {
      const path = join(folder.dir, file.sub, file.fileName);
      let info: Awaited<ReturnType<typeof stat>>;
      let hash: string;
      try {
        info = await stat(path);
        if (!info.isFile()) continue;
        hash = await hashFile(path);
      } catch (error) {
        if (isCode(error, 'ENOENT')) continue;
        throw error;
      }
      const usable =
        file.uid !== undefined &&
        !folder.messages.has(file.uid) &&
        (added.length === 0 || file.uid > added[added.length - 1]!.uid);
      const uid = usable ? file.uid! : folder.list.nextUid;
      folder.list.nextUid = Math.max(folder.list.nextUid, uid + 1);
      added.push({
        uid,
        modseq: 0,
        added: 0,
        internalDate: Math.floor(Number(info.mtimeMs)),
        size: sizeOf(file.fileName) ?? Number(info.size),
        hash,
        sub: file.sub,
        fileName: file.fileName,
        folder,
      });
    }
    if (vanished.length + changed.length + added.length > 0) {
      const modseq = ++folder.list.highestModseq;
      for (const msg of vanished) this.removeMsg(folder, msg, modseq);
      for (const msg of changed) msg.modseq = modseq;
      for (const msg of added) {
        msg.modseq = modseq;
        msg.added = modseq;
        folder.messages.set(msg.uid, msg);
        folder.byBase.set(baseOf(msg.fileName), msg);
        this.indexBlob(msg);
      }
      // Imported UIDs may sit below ones already known: keep the map in UID order.
      if (added.length > 0) sortMessages(folder);
      this.trimHistory(folder);
      await this.saveUidlist(folder);
      await this.dropOrphanMime(vanished.map((m) => m.hash));
      const id = folder.list.mailboxId;
      if (vanished.length > 0)
        this.emit({
          type: 'expunge',
          mailboxId: id,
          modseq,
          uids: vanished.map((m) => m.uid).sort((a, b) => a - b),
        });
      if (changed.length > 0)
        this.emit({
          type: 'flags',
          mailboxId: id,
          modseq,
          messages: this.changes(
            folder,
            changed.sort((a, b) => a.uid - b.uid),
          ),
        });
      if (added.length > 0)
        this.emit({ type: 'exists', mailboxId: id, modseq, messages: this.changes(folder, added) });
    } else {
      folder.stamp = await this.stampOf(folder);
    }
  }

  private removeMsg(folder: Folder, msg: Msg, modseq: number): void {
    folder.messages.delete(msg.uid);
    folder.byBase.delete(baseOf(msg.fileName));
    folder.list.expunges.push({ uid: msg.uid, modseq });
    this.unindexBlob(msg);
  }

  private trimHistory(folder: Folder): void {
    const extra = folder.list.expunges.length - this.expungeHistory;
    if (extra <= 0) return;
    const dropped = folder.list.expunges.splice(0, extra);
    folder.list.expungeFloor = Math.max(folder.list.expungeFloor, dropped[dropped.length - 1]!.modseq);
  }

  private async saveUidlist(folder: Folder): Promise<void> {
    const list: Uidlist = {
      ...folder.list,
      entries: [...folder.messages.values()].map((m) => ({
        uid: m.uid,
        modseq: m.modseq,
        internalDate: m.internalDate,
        size: m.size,
        hash: m.hash,
        added: m.added,
        fileName: m.fileName,
      })),
    };
    await writeFileAtomic(join(folder.dir, UIDLIST_FILE), serializeUidlist(list), this.sync);
    folder.stamp = await this.stampOf(folder);
  }

  /** Runs a write on folders under their uidlist lock files (sorted, so processes cannot deadlock). */
  private async locked<T>(folders: readonly Folder[], task: () => Promise<T>): Promise<T> {
    const unique = [...new Set(folders)].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
    const releases: (() => Promise<void>)[] = [];
    const mine: Folder[] = [];
    try {
      for (const folder of unique) {
        if (folder.deleted) throw new NotFoundError(`No mailbox ${folder.list.mailboxId}`);
        if (this.held.has(folder)) continue;
        releases.push(await acquireLockFile(join(folder.dir, UIDLIST_LOCK), { wait: true }));
        this.held.add(folder);
        mine.push(folder);
      }
      for (const folder of unique) await this.refresh(folder);
      return await task();
    } finally {
      for (const folder of mine) this.held.delete(folder);
      for (const release of releases.reverse()) await release();
    }
  }

  private flagsOf(folder: Folder, fileName: string): string[] {
    const letters = lettersOf(fileName);
    const flags: string[] = [];
    for (const letter of letters) {
      const system = LETTER_FLAGS[letter];
      if (system !== undefined) flags.push(system);
      else if (letter >= 'a' && letter <= 'z') {
        const keyword = folder.keywords[indexOfLetter(letter)];
        if (keyword !== undefined) flags.push(keyword);
      }
    }
    return flags;
  }

  /** Keyword letters that the folder's file cannot name (foreign letters) are kept as they are. */
  private foreignLetters(folder: Folder, fileName: string): string[] {
    return [...lettersOf(fileName)].filter(
      (l) =>
        LETTER_FLAGS[l] === undefined &&
        !(l >= 'a' && l <= 'z' && folder.keywords[indexOfLetter(l)] !== undefined),
    );
  }

  /** Letters for normalised flags, adding keywords to `dovecot-keywords` (max 26) as needed. */
  private async lettersFor(folder: Folder, flags: readonly string[]): Promise<string[]> {
    const letters: string[] = [];
    let added = false;
    for (const flag of flags) {
      const system = SYSTEM_LETTERS[flag];
      if (system !== undefined) {
        letters.push(system);
        continue;
      }
      const key = flagKey(flag);
      let index = folder.keywords.findIndex((k) => k !== undefined && flagKey(k) === key);
      if (index === -1) {
        index = 0;
        while (index < folder.keywords.length && folder.keywords[index] !== undefined) index++;
        if (index >= MAX_KEYWORDS)
          throw new InvalidError(`A Maildir folder holds at most ${MAX_KEYWORDS} keywords`);
        folder.keywords[index] = flag;
        added = true;
      }
      letters.push(letterOf(index));
    }
    // Written before any file name uses the new letters.
    if (added)
      await writeFileAtomic(join(folder.dir, KEYWORDS_FILE), serializeKeywords(folder.keywords), this.sync);
    return letters;
  }

  /** Checks that `flags` fit in the folder's keyword file without changing anything. */
  private checkKeywordRoom(folder: Folder, flags: readonly string[]): void {
    const known = new Set(folder.keywords.filter((k) => k !== undefined).map(flagKey));
    const used = folder.keywords.filter((k) => k !== undefined).length;
    const fresh = new Set(flags.filter((f) => !isSystemFlag(f) && !known.has(flagKey(f))).map(flagKey));
    if (used + fresh.size > MAX_KEYWORDS)
      throw new InvalidError(`A Maildir folder holds at most ${MAX_KEYWORDS} keywords`);
  }

  private changes(folder: Folder, msgs: readonly Msg[]): FlagChange[] {
    return msgs.map((m) => ({ uid: m.uid, flags: this.flagsOf(folder, m.fileName), modseq: m.modseq }));
  }

  private msgPath(msg: Msg): string {
    return join(msg.folder.dir, msg.sub, msg.fileName);
  }

  private info(folder: Folder): MailboxInfo {
    let unseen = 0;
    let deleted = 0;
    let size = 0;
    for (const msg of folder.messages.values()) {
      const letters = lettersOf(msg.fileName);
      if (!letters.includes('S')) unseen++;
      if (letters.includes('T')) deleted++;
      size += msg.size;
    }
    return {
      id: folder.list.mailboxId,
      accountId: folder.account.record.id,
      name: folder.name,
      delimiter: '/',
      ...(folder.list.specialUse === undefined ? {} : { specialUse: folder.list.specialUse }),
      subscribed: false,
      uidValidity: folder.list.uidValidity,
      uidNext: folder.list.nextUid,
      highestModseq: folder.list.highestModseq,
      messages: folder.messages.size,
      unseen,
      deleted,
      size,
      keywords: folder.keywords.filter((k): k is string => k !== undefined),
    };
  }

  private async infoWithSubscription(folder: Folder): Promise<MailboxInfo> {
    const subscribed = (await this.readSubscriptions(folder.account)).includes(folder.name);
    return { ...this.info(folder), subscribed };
  }

  private folderOf(mailboxId: string): Folder {
    const folder = this.folderById.get(mailboxId);
    if (folder === undefined || folder.deleted) throw new NotFoundError(`No mailbox ${mailboxId}`);
    return folder;
  }

  private async findFolder(account: AccountState, name: string): Promise<Folder | undefined> {
    let folder = account.folders.get(name);
    if (folder === undefined || (await statOrUndefined(join(folder.dir, 'cur'))) === undefined) {
      await this.discoverFolders(account);
      folder = account.folders.get(name);
    }
    return folder;
  }

  private async readSubscriptions(account: AccountState): Promise<string[]> {
    const text = await readTextIfExists(join(account.dir, SUBSCRIPTIONS_FILE));
    if (text === undefined) return [];
    const out = new Set<string>();
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      try {
        out.add(normalizeMailboxName(line));
      } catch {
        // A line another tool wrote that is no mailbox name.
      }
    }
    return [...out].sort();
  }

  private async writeSubscriptions(account: AccountState, names: Iterable<string>): Promise<void> {
    const sorted = [...new Set(names)].sort();
    await writeFileAtomic(
      join(account.dir, SUBSCRIPTIONS_FILE),
      sorted.map((n) => `${n}\n`).join(''),
      this.sync,
    );
  }

  private usage(account: AccountState): QuotaUsage {
    let storage = 0;
    let messages = 0;
    for (const folder of account.folders.values()) {
      for (const msg of folder.messages.values()) storage += msg.size;
      messages += folder.messages.size;
    }
    return { storage, messages };
  }

  /** RFC 9208 §5: refuses what would take the account over a limit, before anything changes. */
  private async checkQuota(account: AccountState, addMessages: number, addOctets: number): Promise<void> {
    const limits = account.record.quota;
    if (limits === undefined || (limits.storage === undefined && limits.messages === undefined)) return;
    // The folders being written are fresh (their locks are held); the others count as this
    // instance last saw them: taking their locks here could deadlock with another process.
    const usage = this.usage(account);
    if (limits.messages !== undefined && addMessages > 0 && usage.messages + addMessages > limits.messages) {
      throw new QuotaExceededError({
        resource: 'MESSAGE',
        limit: limits.messages,
        usage: usage.messages,
        requested: addMessages,
      });
    }
    if (limits.storage !== undefined && addOctets > 0 && usage.storage + addOctets > limits.storage) {
      throw new QuotaExceededError({
        resource: 'STORAGE',
        limit: limits.storage,
        usage: usage.storage,
        requested: addOctets,
      });
    }
  }

  private async newFolder(account: AccountState, name: string, specialUse?: SpecialUse): Promise<Folder> {
    const dir = this.folderPath(account, name);
    if ((await statOrUndefined(dir)) !== undefined && name !== INBOX) {
      // A stray directory without a Maildir inside: take it over.
    }
    for (const sub of ['cur', 'new', 'tmp']) await ensureDir(join(dir, sub));
    if (name !== INBOX) await writeFileAtomic(join(dir, 'maildirfolder'), '', this.sync);
    const folder: Folder = {
      account,
      name,
      dir,
      list: {
        mailboxId: randomUUID(),
        uidValidity: await this.nextUidValidity(),
        nextUid: 1,
        highestModseq: 1,
        expungeFloor: 0,
        ...(specialUse === undefined ? {} : { specialUse }),
        expunges: [],
      },
      messages: new Map(),
      byBase: new Map(),
      keywords: [],
      deleted: false,
    };
    await this.readKeywords(folder);
    await this.saveUidlist(folder);
    await fsyncDir(account.dir, this.sync);
    account.folders.set(name, folder);
    this.folderById.set(folder.list.mailboxId, folder);
    return folder;
  }

  // -------------------------------------------------------------------------------------------
  // Accounts

  private accountStore(): AccountStore {
    const store = this;
    return {
      lookup: (address) => store.run(async () => lookupRecord(address)),
      get: (accountId) =>
        store.run(async () => {
          const state = store.accountStates.get(accountId);
          return state === undefined ? undefined : toAccount(state.record);
        }),
      async verifyPassword(address, password) {
        const record = await store.run(async () => store.byAddress.get(address.toLowerCase())?.record);
        if (record?.passwordHash === undefined) return undefined;
        return (await store.hasher.verify(password, record.passwordHash)) ? toAccount(record) : undefined;
      },
      scramKeys: (address) => store.run(async () => store.byAddress.get(address.toLowerCase())?.record.scram),
      async createAccount(input: CreateAccountInput) {
        const quota = checkQuota(input.quota);
        const aliases = [...new Set(input.aliases ?? [])];
        for (const a of [input.address, ...aliases])
          if (typeof a !== 'string' || a.trim().length === 0) throw new InvalidError(`Invalid address: ${a}`);
        const secrets = input.password === undefined ? undefined : await store.secrets(input.password);
        return store.run(async () => {
          for (const a of [input.address, ...aliases])
            if (store.byAddress.has(a.toLowerCase())) throw new AlreadyExistsError(`Address taken: ${a}`);
          const lower = new Set([input.address, ...aliases].map((a) => a.toLowerCase()));
          if (lower.size !== aliases.length + 1) throw new AlreadyExistsError('An alias repeats the address');
          const record: AccountRecord = {
            id: randomUUID().replaceAll('-', ''),
            address: input.address,
            aliases,
            ...(secrets ?? {}),
            ...(quota === undefined ? {} : { quota }),
          };
          const state: AccountState = { record, dir: join(store.path, record.id), folders: new Map() };
          await ensureDir(state.dir);
          await store.newFolder(state, INBOX);
          store.registry.accounts.push(record);
          await store.saveRegistry();
          store.accountStates.set(record.id, state);
          store.indexAddresses(state);
          return toAccount(record);
        });
      },
      async setPassword(accountId, password) {
        const secrets = password === undefined ? undefined : await store.secrets(password);
        await store.run(async () => {
          const { record } = store.account(accountId);
          delete record.passwordHash;
          delete record.scram;
          if (secrets !== undefined) Object.assign(record, secrets);
          await store.saveRegistry();
        });
      },
      setAliases: (accountId, aliases) =>
        store.run(async () => {
          const state = store.account(accountId);
          const unique = [...new Set(aliases)];
          for (const a of unique) {
            const owner = store.byAddress.get(a.toLowerCase());
            if (owner !== undefined && owner !== state) throw new AlreadyExistsError(`Address taken: ${a}`);
            if (a.toLowerCase() === state.record.address.toLowerCase())
              throw new AlreadyExistsError('An alias repeats the address');
          }
          for (const a of state.record.aliases) store.byAddress.delete(a.toLowerCase());
          state.record.aliases = unique;
          store.indexAddresses(state);
          await store.saveRegistry();
          return toAccount(state.record);
        }),
      setQuota: (accountId, quota) =>
        store.run(async () => {
          const state = store.account(accountId);
          const checked = checkQuota(quota);
          if (checked === undefined) delete state.record.quota;
          else state.record.quota = checked;
          await store.saveRegistry();
          return toAccount(state.record);
        }),
      getQuota: (accountId) =>
        store.run(async () => {
          const state = store.account(accountId);
          for (const folder of [...state.folders.values()])
            await store.refresh(folder).catch(() => undefined);
          return { limits: { ...(state.record.quota ?? {}) }, usage: store.usage(state) };
        }),
      listAccounts: () =>
        store.run(async () =>
          [...store.accountStates.values()]
            .map((s) => toAccount(s.record))
            .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)),
        ),
      deleteAccount: (accountId) =>
        store.run(async () => {
          const state = store.account(accountId);
          store.registry.accounts = store.registry.accounts.filter((r) => r.id !== accountId);
          await store.saveRegistry();
          store.accountStates.delete(accountId);
          for (const [address, owner] of [...store.byAddress])
            if (owner === state) store.byAddress.delete(address);
          const hashes = [...state.folders.values()].flatMap((f) =>
            [...f.messages.values()].map((m) => m.hash),
          );
          for (const folder of [...state.folders.values()]) store.forgetFolder(folder, true);
          const aside = join(store.path, `${DELETED_PREFIX}${accountId}`);
          await rename(state.dir, aside).catch(() => undefined);
          await fsyncDir(store.path, store.sync);
          await rm(aside, { recursive: true, force: true });
          await store.dropOrphanMime(hashes);
        }),
    };

    function lookupRecord(address: string): Account | undefined {
      const state = store.byAddress.get(address.toLowerCase());
      return state === undefined ? undefined : toAccount(state.record);
    }
  }

  private async secrets(password: string): Promise<{ passwordHash: string; scram?: ScramStoredKeys }> {
    const passwordHash = await this.hasher.hash(password);
    const scram = await this.hasher.deriveScramKeys?.(password);
    return { passwordHash, ...(scram === undefined ? {} : { scram }) };
  }

  // -------------------------------------------------------------------------------------------
  // Mailboxes

  listMailboxes(accountId: string): Promise<MailboxInfo[]> {
    return this.run(async () => {
      const account = this.account(accountId);
      await this.discoverFolders(account);
      const subscribed = new Set(await this.readSubscriptions(account));
      const out: MailboxInfo[] = [];
      for (const folder of [...account.folders.values()]) {
        try {
          await this.refresh(folder);
        } catch (error) {
          if (error instanceof NotFoundError) continue;
          throw error;
        }
        out.push({ ...this.info(folder), subscribed: subscribed.has(folder.name) });
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  getMailbox(accountId: string, name: string): Promise<MailboxInfo | undefined> {
    return this.run(async () => {
      const account = this.account(accountId);
      const folder = await this.findFolder(account, normalizeMailboxName(name));
      if (folder === undefined) return undefined;
      await this.refresh(folder);
      return this.infoWithSubscription(folder);
    });
  }

  getMailboxById(mailboxId: string): Promise<MailboxInfo | undefined> {
    return this.run(async () => {
      const folder = this.folderById.get(mailboxId);
      if (folder === undefined || folder.deleted) return undefined;
      try {
        await this.refresh(folder);
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
      return this.infoWithSubscription(folder);
    });
  }

  createMailbox(accountId: string, name: string, options: CreateMailboxOptions = {}): Promise<MailboxInfo> {
    return this.run(async () => {
      const account = this.account(accountId);
      const canonical = normalizeMailboxName(name);
      await this.discoverFolders(account);
      if (account.folders.has(canonical)) throw new AlreadyExistsError(`Mailbox exists: ${canonical}`);
      for (const superior of superiorNames(canonical))
        if (!account.folders.has(superior)) await this.newFolder(account, superior);
      const folder = await this.newFolder(account, canonical, options.specialUse);
      if (options.subscribe === true)
        await this.writeSubscriptions(account, [...(await this.readSubscriptions(account)), canonical]);
      return this.infoWithSubscription(folder);
    });
  }

  deleteMailbox(accountId: string, name: string): Promise<void> {
    return this.run(async () => {
      const account = this.account(accountId);
      const canonical = normalizeMailboxName(name);
      // RFC 9051 §6.3.5: deleting INBOX is an error.
      if (canonical === INBOX) throw new NotAllowedError('INBOX cannot be deleted');
      const folder = await this.findFolder(account, canonical);
      if (folder === undefined) throw new NotFoundError(`No mailbox ${canonical}`);
      if (this.maildrops.has(folder.list.mailboxId)) throw new LockedError('The mailbox is locked by POP3');
      const hashes = [...folder.messages.values()].map((m) => m.hash);
      const aside = join(account.dir, `${DELETED_PREFIX}${folder.list.mailboxId}`);
      await rename(folder.dir, aside);
      await fsyncDir(account.dir, this.sync);
      this.forgetFolder(folder, true);
      await rm(aside, { recursive: true, force: true });
      await this.dropOrphanMime(hashes);
    });
  }

  renameMailbox(accountId: string, from: string, to: string): Promise<MailboxInfo> {
    return this.run(async () => {
      const account = this.account(accountId);
      const source = normalizeMailboxName(from);
      const target = normalizeMailboxName(to);
      await this.discoverFolders(account);
      const folder = account.folders.get(source);
      if (folder === undefined) throw new NotFoundError(`No mailbox ${source}`);
      if (account.folders.has(target)) throw new AlreadyExistsError(`Mailbox exists: ${target}`);
      if (target === source || isInferior(target, source))
        throw new InvalidError('Cannot rename a mailbox into itself');
      if (source === INBOX) return this.renameInbox(account, folder, target);
      const moving = [...account.folders.values()].filter(
        (f) => f.name === source || isInferior(f.name, source),
      );
      const renames = moving.map((f) => ({ folder: f, name: target + f.name.slice(source.length) }));
      for (const r of renames)
        if (account.folders.has(r.name)) throw new AlreadyExistsError(`Mailbox exists: ${r.name}`);
      for (const superior of superiorNames(target))
        if (!account.folders.has(superior) && !renames.some((r) => r.name === superior))
          await this.newFolder(account, superior);
      for (const r of renames) {
        const dir = this.folderPath(account, r.name);
        await rename(r.folder.dir, dir);
        account.folders.delete(r.folder.name);
        r.folder.dir = dir;
      }
      await fsyncDir(account.dir, this.sync);
      for (const r of renames) {
        r.folder.name = r.name;
        account.folders.set(r.name, r.folder);
      }
      // Subscriptions follow the rename (as the memory adapter does).
      const subs = await this.readSubscriptions(account);
      if (subs.some((s) => s === source || isInferior(s, source)))
        await this.writeSubscriptions(
          account,
          subs.map((s) => (s === source || isInferior(s, source) ? target + s.slice(source.length) : s)),
        );
      for (const r of renames)
        this.emit({
          type: 'mailboxRenamed',
          mailboxId: r.folder.list.mailboxId,
          modseq: r.folder.list.highestModseq,
          name: r.name,
        });
      await this.refresh(folder);
      return this.infoWithSubscription(folder);
    });
  }

  /** RFC 9051 §6.3.6: renaming INBOX moves its messages to a new mailbox; INBOX stays, empty. */
  private async renameInbox(account: AccountState, inbox: Folder, target: string): Promise<MailboxInfo> {
    for (const superior of superiorNames(target))
      if (!account.folders.has(superior)) await this.newFolder(account, superior);
    const dest = await this.newFolder(account, target);
    await this.locked([inbox, dest], () => this.moveLocked(inbox, [...inbox.messages.keys()], dest, false));
    return this.infoWithSubscription(dest);
  }

  setSpecialUse(accountId: string, name: string, specialUse: SpecialUse | undefined): Promise<MailboxInfo> {
    return this.run(async () => {
      const account = this.account(accountId);
      const folder = await this.findFolder(account, normalizeMailboxName(name));
      if (folder === undefined) throw new NotFoundError(`No mailbox ${name}`);
      await this.locked([folder], async () => {
        if (specialUse === undefined) delete folder.list.specialUse;
        else folder.list.specialUse = specialUse;
        await this.saveUidlist(folder);
      });
      return this.infoWithSubscription(folder);
    });
  }

  setSubscribed(accountId: string, name: string, subscribed: boolean): Promise<void> {
    return this.run(async () => {
      const account = this.account(accountId);
      const canonical = normalizeMailboxName(name);
      const subs = new Set(await this.readSubscriptions(account));
      if (subs.has(canonical) === subscribed) return;
      if (subscribed) subs.add(canonical);
      else subs.delete(canonical);
      await this.writeSubscriptions(account, subs);
    });
  }

  listSubscriptions(accountId: string): Promise<string[]> {
    return this.run(async () => this.readSubscriptions(this.account(accountId)));
  }

  // -------------------------------------------------------------------------------------------
  // Messages

  /** Streams a source into `tmp/`, hashing; the caller renames or deletes the file. */
  private async spool(
    folder: Folder,
    source: MessageSource,
    internalDate: number,
  ): Promise<{ path: string; size: number; hash: string }> {
    const path = join(folder.dir, 'tmp', uniqueName(Date.now()));
    const hash = createHash('sha256');
    let size = 0;
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'wx', 0o600);
    } catch (error) {
      if (isCode(error, 'ENOENT')) throw new NotFoundError(`No mailbox ${folder.list.mailboxId}`);
      throw error;
    }
    try {
      for await (const chunk of sourceChunks(source)) {
        size += chunk.length;
        if (size > this.maxMessageSize) throw new TooLargeError(this.maxMessageSize);
        hash.update(chunk);
        let at = 0;
        while (at < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, at, chunk.length - at);
          at += bytesWritten;
        }
      }
      if (this.sync) await handle.sync();
      await handle.close();
      const seconds = internalDate / 1000;
      await utimes(path, seconds, seconds);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw error;
    }
    return { path, size, hash: hash.digest('hex') };
  }

  private async writeMime(hash: string, index: unknown): Promise<void> {
    const dir = join(this.path, MIME_DIR);
    await ensureDir(dir);
    await writeFileAtomic(join(dir, `${hash}.json`), JSON.stringify(index ?? null), false);
  }

  private validateAppend(options: AppendOptions): string[] {
    if (typeof options !== 'object' || options === null) throw new InvalidError('Append options required');
    if (!Number.isFinite(options.internalDate) || options.internalDate < 0)
      throw new InvalidError(`Invalid internal date: ${options.internalDate}`);
    return normalizeFlags(options.flags ?? []);
  }

  append(mailboxId: string, source: MessageSource, options: AppendOptions): Promise<AppendResult> {
    return this.appendItems(mailboxId, [{ ...options, source }]).then((r) => r[0]!);
  }

  appendMany(mailboxId: string, items: readonly AppendItem[]): Promise<AppendResult[]> {
    return this.appendItems(mailboxId, items);
  }

  private async appendItems(mailboxId: string, items: readonly AppendItem[]): Promise<AppendResult[]> {
    if (this.closed) throw new ClosedError();
    await this.ready;
    const flagLists = items.map((item) => this.validateAppend(item));
    const folder = await this.run(async () => this.folderOf(mailboxId));
    const spooled: { path: string; size: number; hash: string }[] = [];
    try {
      for (const item of items) spooled.push(await this.spool(folder, item.source, item.internalDate));
    } catch (error) {
      for (const s of spooled) await unlink(s.path).catch(() => undefined);
      throw backend(error, 'append');
    }
    const indexes = items.map((item) => item.mimeIndex?.());
    try {
      return await this.run(() =>
        this.locked([this.folderOf(mailboxId)], async () => {
          const account = folder.account;
          this.checkKeywordRoom(folder, flagLists.flat());
          await this.checkQuota(
            account,
            items.length,
            spooled.reduce((sum, s) => sum + s.size, 0),
          );
          const placed: { msg: Msg; from: string; to: string }[] = [];
          for (const [i, s] of spooled.entries()) {
            const letters = await this.lettersFor(folder, flagLists[i]!);
            const base = `${baseOf(s.path.slice(s.path.lastIndexOf('/') + 1))},S=${s.size}`;
            const sub: Sub = letters.length > 0 ? 'cur' : 'new';
            const fileName = sub === 'cur' ? withLetters(base, letters) : base;
            placed.push({
              msg: {
                uid: 0,
                modseq: 0,
                added: 0,
                internalDate: Math.floor(items[i]!.internalDate),
                size: s.size,
                hash: s.hash,
                sub,
                fileName,
                folder,
              },
              from: s.path,
              to: join(folder.dir, sub, fileName),
            });
          }
          for (const p of placed) await rename(p.from, p.to);
          for (const sub of new Set(placed.map((p) => p.msg.sub)))
            await fsyncDir(join(folder.dir, sub), this.sync);
          const modseq = ++folder.list.highestModseq;
          const msgs = placed.map((p) => {
            const msg: Msg = { ...p.msg, uid: folder.list.nextUid++, modseq, added: modseq };
            folder.messages.set(msg.uid, msg);
            folder.byBase.set(baseOf(msg.fileName), msg);
            this.indexBlob(msg);
            return msg;
          });
          await this.saveUidlist(folder);
          for (const [i, msg] of msgs.entries())
            if (indexes[i] !== undefined) await this.writeMime(msg.hash, indexes[i]);
          this.emit({ type: 'exists', mailboxId, modseq, messages: this.changes(folder, msgs) });
          return msgs.map((msg) => ({
            mailboxId,
            uidValidity: folder.list.uidValidity,
            uid: msg.uid,
            modseq,
            size: msg.size,
            blobId: msg.hash,
          }));
        }),
      );
    } finally {
      for (const s of spooled) await unlink(s.path).catch(() => undefined);
    }
  }

  private selectMsgs(folder: Folder, uids: UidSet): Msg[] {
    const ranges = normalizeUidSet(uids);
    return [...folder.messages.values()]
      .filter((m) => uidSetHas(ranges, m.uid))
      .sort((a, b) => a.uid - b.uid);
  }

  copy(sourceMailboxId: string, uids: UidSet, destMailboxId: string): Promise<CopyResult> {
    return this.run(async () => {
      const source = this.folderOf(sourceMailboxId);
      const dest = this.folderOf(destMailboxId);
      normalizeUidSet(uids);
      return this.locked([source, dest], async () => {
        const msgs = this.selectMsgs(source, uids);
        if (msgs.length === 0)
          return {
            destMailboxId,
            uidValidity: dest.list.uidValidity,
            mapping: [],
            modseq: dest.list.highestModseq,
          };
        await this.checkQuota(
          dest.account,
          msgs.length,
          msgs.reduce((s, m) => s + m.size, 0),
        );
        const flagLists = msgs.map((m) => this.flagsOf(source, m.fileName));
        this.checkKeywordRoom(dest, flagLists.flat());
        const placed: { from: Msg; msg: Msg }[] = [];
        for (const [i, from] of msgs.entries()) {
          const letters = await this.lettersFor(dest, flagLists[i]!);
          const base = `${uniqueName(Date.now())},S=${from.size}`;
          const sub: Sub = letters.length > 0 || from.sub === 'cur' ? 'cur' : 'new';
          const fileName = sub === 'cur' ? withLetters(base, letters) : base;
          const to = join(dest.dir, sub, fileName);
          await linkOrCopy(this.msgPath(from), to);
          placed.push({ from, msg: { ...from, uid: 0, sub, fileName, folder: dest } });
        }
        for (const sub of new Set(placed.map((p) => p.msg.sub)))
          await fsyncDir(join(dest.dir, sub), this.sync);
        const modseq = ++dest.list.highestModseq;
        const mapping: UidMapping[] = [];
        const added: Msg[] = [];
        for (const p of placed) {
          const msg: Msg = { ...p.msg, uid: dest.list.nextUid++, modseq, added: modseq };
          dest.messages.set(msg.uid, msg);
          dest.byBase.set(baseOf(msg.fileName), msg);
          this.indexBlob(msg);
          mapping.push({ sourceUid: p.from.uid, destUid: msg.uid });
          added.push(msg);
        }
        await this.saveUidlist(dest);
        this.emit({ type: 'exists', mailboxId: destMailboxId, modseq, messages: this.changes(dest, added) });
        return { destMailboxId, uidValidity: dest.list.uidValidity, mapping, modseq };
      });
    });
  }

  move(sourceMailboxId: string, uids: UidSet, destMailboxId: string): Promise<MoveResult> {
    return this.run(async () => {
      const source = this.folderOf(sourceMailboxId);
      const dest = this.folderOf(destMailboxId);
      normalizeUidSet(uids);
      return this.locked([source, dest], async () =>
        this.moveLocked(
          source,
          this.selectMsgs(source, uids).map((m) => m.uid),
          dest,
          source.account !== dest.account,
        ),
      );
    });
  }

  /** Moves by renaming files (same file system: atomic per file), then records both folders. */
  private async moveLocked(
    source: Folder,
    uids: readonly number[],
    dest: Folder,
    quota: boolean,
  ): Promise<MoveResult> {
    const msgs = uids.map((u) => source.messages.get(u)).filter((m): m is Msg => m !== undefined);
    const destMailboxId = dest.list.mailboxId;
    if (msgs.length === 0 || source === dest) {
      return {
        destMailboxId,
        uidValidity: dest.list.uidValidity,
        mapping: [],
        modseq: dest.list.highestModseq,
        expunged: [],
        sourceModseq: source.list.highestModseq,
      };
    }
    if (quota)
      await this.checkQuota(
        dest.account,
        msgs.length,
        msgs.reduce((s, m) => s + m.size, 0),
      );
    const flagLists = msgs.map((m) => this.flagsOf(source, m.fileName));
    this.checkKeywordRoom(dest, flagLists.flat());
    const placed: { from: Msg; sub: Sub; fileName: string }[] = [];
    for (const [i, from] of msgs.entries()) {
      const letters = await this.lettersFor(dest, flagLists[i]!);
      let base = baseOf(from.fileName);
      if (dest.byBase.has(base)) base = `${uniqueName(Date.now())},S=${from.size}`;
      const sub: Sub = letters.length > 0 || from.sub === 'cur' ? 'cur' : 'new';
      const fileName = sub === 'cur' ? withLetters(base, letters) : base;
      await rename(this.msgPath(from), join(dest.dir, sub, fileName));
      placed.push({ from, sub, fileName });
    }
    for (const sub of new Set(placed.map((p) => p.sub))) await fsyncDir(join(dest.dir, sub), this.sync);
    for (const sub of new Set(placed.map((p) => p.from.sub)))
      await fsyncDir(join(source.dir, sub), this.sync);
    const modseq = ++dest.list.highestModseq;
    const sourceModseq = ++source.list.highestModseq;
    const mapping: UidMapping[] = [];
    const added: Msg[] = [];
    for (const p of placed) {
      this.removeMsg(source, p.from, sourceModseq);
      const msg: Msg = {
        ...p.from,
        uid: dest.list.nextUid++,
        modseq,
        added: modseq,
        sub: p.sub,
        fileName: p.fileName,
        folder: dest,
      };
      dest.messages.set(msg.uid, msg);
      dest.byBase.set(baseOf(msg.fileName), msg);
      this.indexBlob(msg);
      mapping.push({ sourceUid: p.from.uid, destUid: msg.uid });
      added.push(msg);
    }
    this.trimHistory(source);
    await this.saveUidlist(dest);
    await this.saveUidlist(source);
    const expunged = placed.map((p) => p.from.uid);
    this.emit({ type: 'exists', mailboxId: destMailboxId, modseq, messages: this.changes(dest, added) });
    this.emit({ type: 'expunge', mailboxId: source.list.mailboxId, modseq: sourceModseq, uids: expunged });
    return { destMailboxId, uidValidity: dest.list.uidValidity, mapping, modseq, expunged, sourceModseq };
  }

  expunge(mailboxId: string, options: ExpungeOptions = {}): Promise<ExpungeResult> {
    return this.run(async () => {
      const folder = this.folderOf(mailboxId);
      if (options.uids !== undefined) normalizeUidSet(options.uids);
      return this.locked([folder], async () => {
        const candidates =
          options.uids === undefined ? [...folder.messages.values()] : this.selectMsgs(folder, options.uids);
        const doomed = candidates.filter((m) => lettersOf(m.fileName).includes('T')).map((m) => m.uid);
        return this.expungeLocked(folder, doomed);
      });
    });
  }

  private async expungeLocked(folder: Folder, uids: readonly number[]): Promise<ExpungeResult> {
    const msgs = uids
      .map((u) => folder.messages.get(u))
      .filter((m): m is Msg => m !== undefined)
      .sort((a, b) => a.uid - b.uid);
    if (msgs.length === 0) return { expunged: [], modseq: folder.list.highestModseq };
    for (const msg of msgs)
      await unlink(this.msgPath(msg)).catch((error) => {
        if (!isCode(error, 'ENOENT')) throw error;
      });
    for (const sub of new Set(msgs.map((m) => m.sub))) await fsyncDir(join(folder.dir, sub), this.sync);
    const modseq = ++folder.list.highestModseq;
    for (const msg of msgs) this.removeMsg(folder, msg, modseq);
    this.trimHistory(folder);
    await this.saveUidlist(folder);
    await this.dropOrphanMime(msgs.map((m) => m.hash));
    const expunged = msgs.map((m) => m.uid);
    this.emit({ type: 'expunge', mailboxId: folder.list.mailboxId, modseq, uids: expunged });
    return { expunged, modseq };
  }

  setFlags(mailboxId: string, uids: UidSet, options: SetFlagsOptions): Promise<SetFlagsResult> {
    return this.run(async () => {
      const folder = this.folderOf(mailboxId);
      if (!['add', 'remove', 'replace'].includes(options.mode))
        throw new InvalidError(`Invalid mode ${options.mode}`);
      const flags = normalizeFlags(options.flags);
      normalizeUidSet(uids);
      const since = options.unchangedSince;
      if (since !== undefined && (!Number.isInteger(since) || since < 0))
        throw new InvalidError(`Invalid UNCHANGEDSINCE ${since}`);
      return this.locked([folder], async () => {
        const modified: number[] = [];
        const plans: { msg: Msg; next: readonly string[] }[] = [];
        for (const msg of this.selectMsgs(folder, uids)) {
          if (since !== undefined && msg.modseq > since) {
            modified.push(msg.uid);
            continue;
          }
          const next = applyFlags(this.flagsOf(folder, msg.fileName), options.mode, flags);
          if (next !== undefined) plans.push({ msg, next });
        }
        if (plans.length === 0) return { changed: [], modified, modseq: folder.list.highestModseq };
        if (options.mode !== 'remove') this.checkKeywordRoom(folder, flags);
        const subs = new Set<Sub>();
        for (const plan of plans) {
          const letters = [
            ...(await this.lettersFor(folder, plan.next)),
            ...this.foreignLetters(folder, plan.msg.fileName),
          ];
          const fileName = withLetters(baseOf(plan.msg.fileName), letters);
          await rename(this.msgPath(plan.msg), join(folder.dir, 'cur', fileName));
          subs.add(plan.msg.sub).add('cur');
          plan.msg.sub = 'cur';
          plan.msg.fileName = fileName;
        }
        for (const sub of subs) await fsyncDir(join(folder.dir, sub), this.sync);
        const modseq = ++folder.list.highestModseq;
        for (const plan of plans) plan.msg.modseq = modseq;
        await this.saveUidlist(folder);
        const changed = this.changes(
          folder,
          plans.map((p) => p.msg),
        );
        this.emit({ type: 'flags', mailboxId, modseq, messages: changed });
        return { changed, modified, modseq };
      });
    });
  }

  fetchMessages(mailboxId: string, uids: UidSet, options: FetchOptions = {}): Promise<MessageMeta[]> {
    return this.run(async () => {
      const folder = this.folderOf(mailboxId);
      const ranges = normalizeUidSet(uids);
      await this.refresh(folder);
      const out: MessageMeta[] = [];
      for (const msg of [...folder.messages.values()].sort((a, b) => a.uid - b.uid)) {
        if (!uidSetHas(ranges, msg.uid)) continue;
        if (options.changedSince !== undefined && msg.modseq <= options.changedSince) continue;
        const meta: MessageMeta = {
          uid: msg.uid,
          modseq: msg.modseq,
          flags: this.flagsOf(folder, msg.fileName),
          internalDate: msg.internalDate,
          size: msg.size,
          blobId: msg.hash,
        };
        if (options.mimeIndex === true) {
          const index = await this.readMime(msg.hash);
          out.push(index === undefined ? meta : { ...meta, mimeIndex: index });
        } else out.push(meta);
      }
      return out;
    });
  }

  async readMessage(ref: MessageRef, range?: ByteRange): Promise<AsyncIterable<Uint8Array>> {
    const opened = await this.run(async () => {
      for (let attempt = 0; attempt < 2; attempt++) {
        let msg: Msg | undefined;
        if ('blobId' in ref) {
          const set = this.blobs.get(ref.blobId);
          msg = set === undefined ? undefined : set.values().next().value;
          if (msg !== undefined && attempt > 0) await this.refresh(msg.folder, true);
        } else {
          const folder = this.folderOf(ref.mailboxId);
          await this.refresh(folder, attempt > 0);
          msg = folder.messages.get(ref.uid);
        }
        if (msg === undefined) break;
        const { start, end } = resolveRange(range, msg.size);
        try {
          const handle = await open(this.msgPath(msg), 'r');
          return { handle, start, end };
        } catch (error) {
          if (!isCode(error, 'ENOENT')) throw error;
        }
      }
      if (range !== undefined) resolveRange(range, 0);
      throw new NotFoundError('No such message');
    });
    return streamRange(opened.handle, opened.start, opened.end);
  }

  private async readMime(hash: string): Promise<unknown> {
    const text = await readTextIfExists(join(this.path, MIME_DIR, `${hash}.json`));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }

  getMimeIndex(blobId: string): Promise<unknown> {
    return this.run(async () => {
      if (!this.blobs.has(blobId)) throw new NotFoundError(`No blob ${blobId}`);
      return this.readMime(blobId);
    });
  }

  setMimeIndex(blobId: string, index: unknown): Promise<void> {
    return this.run(async () => {
      if (!this.blobs.has(blobId)) throw new NotFoundError(`No blob ${blobId}`);
      await this.writeMime(blobId, index);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Change feed

  subscribe(mailboxId: string, listener: ChangeListener): () => void {
    let set = this.listeners.get(mailboxId);
    if (set === undefined) {
      this.listeners.set(mailboxId, (set = new Set()));
      if (this.watch) this.ready.then(() => this.startWatching(mailboxId)).catch(() => undefined);
    }
    const entry: ChangeListener = (c) => listener(c);
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.listeners.get(mailboxId) === set) {
        this.listeners.delete(mailboxId);
        this.stopWatching(mailboxId);
      }
    };
  }

  /**
   * Watches a subscribed folder (its uidlist, `new/` and `cur/`), so changes by another Mailwire
   * instance or another Maildir tool reach listeners without waiting for the next operation.
   */
  private startWatching(mailboxId: string): void {
    const folder = this.folderById.get(mailboxId);
    if (this.closed || folder === undefined || this.watchers.has(mailboxId) || !this.listeners.has(mailboxId))
      return;
    const entry: { watchers: FSWatcher[]; timer?: NodeJS.Timeout | undefined } = { watchers: [] };
    const poke = () => {
      if (entry.timer !== undefined || this.closed) return;
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        this.run(async () => {
          const current = this.folderById.get(mailboxId);
          if (current !== undefined) await this.refresh(current);
        }).catch(() => undefined);
      }, 10);
      entry.timer.unref();
    };
    for (const dir of [folder.dir, join(folder.dir, 'new'), join(folder.dir, 'cur')]) {
      try {
        const watcher = watch(dir, { persistent: false }, poke);
        watcher.on('error', () => undefined);
        entry.watchers.push(watcher);
      } catch {
        // No watching on this file system: changes show at the next operation instead.
      }
    }
    this.watchers.set(mailboxId, entry);
  }

  private stopWatching(mailboxId: string): void {
    const entry = this.watchers.get(mailboxId);
    if (entry === undefined) return;
    this.watchers.delete(mailboxId);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    for (const watcher of entry.watchers) watcher.close();
  }

  changesSince(mailboxId: string, modseq: number): Promise<ChangesSince> {
    return this.run(async () => {
      if (!Number.isInteger(modseq) || modseq < 0) throw new InvalidError(`Invalid MODSEQ ${modseq}`);
      const folder = this.folderOf(mailboxId);
      await this.refresh(folder);
      const highestModseq = folder.list.highestModseq;
      if (modseq < folder.list.expungeFloor) return { trimmed: true, highestModseq };
      const changed = [...folder.messages.values()]
        .filter((m) => m.modseq > modseq)
        .sort((a, b) => a.uid - b.uid);
      const expunged = folder.list.expunges
        .filter((x) => x.modseq > modseq)
        .map((x) => x.uid)
        .sort((a, b) => a - b);
      return { trimmed: false, highestModseq, changed: this.changes(folder, changed), expunged };
    });
  }

  /**
   * Re-reads the disk now for one account (or all): new folders, vanished folders, files other
   * tools added, renamed or removed. Operations do this by themselves when a directory's mtime
   * changed; call it after bulk changes by another tool.
   */
  rescan(accountId?: string): Promise<void> {
    return this.run(async () => {
      const accounts = accountId === undefined ? [...this.accountStates.values()] : [this.account(accountId)];
      for (const account of accounts) {
        await this.discoverFolders(account);
        for (const folder of [...account.folders.values()]) {
          await this.locked([folder], async () => this.refresh(folder, true)).catch((error) => {
            if (!(error instanceof NotFoundError)) throw error;
          });
        }
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // POP3 and delivery

  async lockMaildrop(accountId: string, mailbox = INBOX): Promise<Maildrop> {
    const { folder, release, messages } = await this.run(async () => {
      const account = this.account(accountId);
      const folder = await this.findFolder(account, normalizeMailboxName(mailbox));
      if (folder === undefined) throw new NotFoundError(`No mailbox ${mailbox}`);
      const id = folder.list.mailboxId;
      if (this.maildrops.has(id)) throw new LockedError('The maildrop is locked');
      // RFC 1939 §4: an exclusive-access lock, also against other processes.
      const release = await acquireLockFile(join(folder.dir, POP3_LOCK), {
        wait: false,
        staleMs: Number.POSITIVE_INFINITY,
      });
      this.maildrops.add(id);
      try {
        await this.refresh(folder);
      } catch (error) {
        this.maildrops.delete(id);
        await release();
        throw error;
      }
      const messages = [...folder.messages.values()]
        .sort((a, b) => a.uid - b.uid)
        .map((m) => ({ uid: m.uid, size: m.size, uidl: `${folder.list.uidValidity}.${m.uid}` }));
      return { folder, release, messages };
    });
    const store = this;
    const deleted = new Set<number>();
    const known = new Set(messages.map((m) => m.uid));
    let live = true;
    const finish = async () => {
      if (!live) return;
      live = false;
      store.maildrops.delete(folder.list.mailboxId);
      store.maildropReleases.delete(finish);
      await release();
    };
    this.maildropReleases.add(finish);
    return {
      accountId,
      mailboxId: folder.list.mailboxId,
      uidValidity: folder.list.uidValidity,
      messages,
      deleted,
      markDeleted(uid: number) {
        if (!known.has(uid)) throw new NotFoundError(`No message ${uid} in the maildrop`);
        deleted.add(uid);
      },
      unmarkAll() {
        deleted.clear();
      },
      async commit() {
        if (!live) throw new NotAllowedError('The maildrop lock was released');
        try {
          return await store.run(() =>
            store.locked([folder], () => store.expungeLocked(folder, [...deleted])),
          );
        } finally {
          await finish();
        }
      },
      release: finish,
    };
  }

  async deliver(address: string, source: MessageSource, options: DeliverOptions): Promise<DeliverResult> {
    const target = await this.run(async () => {
      const state = this.byAddress.get(String(address).toLowerCase());
      if (state === undefined) throw new NotFoundError(`No account for ${address}`);
      const folder = await this.findFolder(state, normalizeMailboxName(options.mailbox ?? INBOX));
      if (folder === undefined) throw new NotFoundError(`No mailbox ${options.mailbox}`);
      return { accountId: state.record.id, mailboxId: folder.list.mailboxId };
    });
    const result = await this.append(target.mailboxId, source, {
      internalDate: options.internalDate,
      ...(options.flags === undefined ? {} : { flags: options.flags }),
      ...(options.mimeIndex === undefined ? {} : { mimeIndex: options.mimeIndex }),
    });
    return { ...result, accountId: target.accountId };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.ready.catch(() => undefined);
    await this.mutex.run(async () => {
      this.closed = true;
    });
    for (const id of [...this.watchers.keys()]) this.stopWatching(id);
    for (const finish of [...this.maildropReleases]) await finish();
    this.listeners.clear();
  }
}

function sortMessages(folder: Folder): void {
  const sorted = [...folder.messages.values()].sort((a, b) => a.uid - b.uid);
  folder.messages.clear();
  for (const msg of sorted) folder.messages.set(msg.uid, msg);
}

/** The maildir spec: files left in `tmp/` for 36 hours are debris; so are our own `*.tmp` files. */
async function sweepStale(dir: string): Promise<void> {
  const cutoff = Date.now() - 36 * 3600 * 1000;
  const candidates = [
    ...(await readdir(join(dir, 'tmp'))).map((name) => join(dir, 'tmp', name)),
    ...(await readdir(dir)).filter((name) => name.endsWith('.tmp')).map((name) => join(dir, name)),
  ];
  for (const path of candidates) {
    try {
      const info = await stat(path);
      // ctime, not mtime: appends set a spooled file's mtime to its (maybe old) internal date.
      if (info.isFile() && Math.max(info.ctimeMs, info.mtimeMs) < cutoff) await unlink(path);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** A hard link (one inode, the Maildir way to share a message), or a copy across file systems. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    if (!isCode(error, 'EXDEV') && !isCode(error, 'EPERM') && !isCode(error, 'EMLINK')) throw error;
    await copyFile(from, to);
    const handle = await open(to, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

async function* streamRange(
  handle: Awaited<ReturnType<typeof open>>,
  start: number,
  end: number,
): AsyncGenerator<Uint8Array> {
  try {
    if (end <= start) return;
    const stream = handle.createReadStream({
      start,
      end: end - 1,
      autoClose: false,
      highWaterMark: 64 * 1024,
    });
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    await handle.close();
  }
}

/**
 * Opens (creating when missing) a Maildir++ store at `options.path`.
 *
 * @example
 * import { createMaildirStore } from '@mailwire/store-maildir';
 * const store = createMaildirStore({ path: '/var/mail/mailwire' });
 * const account = await store.accounts.createAccount({ address: 'ann@example.com', password: 'pw' });
 */
export function createMaildirStore(options: MaildirStoreOptions): MaildirStore {
  return new MaildirStore(options);
}

/**
 * The in-memory reference adapter: the whole `MailStore` contract in one process, with nothing
 * persisted. Protocol tests and examples use it; the conformance kit runs against it.
 *
 * How it stays atomic: JavaScript runs one piece of code at a time, so every operation first does
 * everything that can wait or fail (reading the source, validating, hashing a password) and then
 * applies its change in one synchronous commit section with no `await` inside. Before committing it
 * checks again whatever the wait may have changed (the mailbox may be gone, usage may have grown).
 * UIDs and MODSEQs are allocated inside the commit section, so visibility follows UID order.
 *
 * Listeners are called synchronously at the end of the commit section, in MODSEQ order, before
 * the operation's promise resolves.
 */
import { UsageError } from '@mailwire/core';
import {
  AlreadyExistsError,
  ClosedError,
  InvalidError,
  LockedError,
  NotAllowedError,
  NotFoundError,
  QuotaExceededError,
} from '../errors.js';
import { applyFlags, flagKey, hasFlag, isSystemFlag, normalizeFlags } from '../flags.js';
import { INBOX, isInferior, MAILBOX_DELIMITER, normalizeMailboxName, superiorNames } from '../names.js';
import { resolveRange, sliceChunks, sourceChunks } from '../source.js';
import type {
  Account,
  AccountStore,
  AppendItem,
  AppendOptions,
  AppendResult,
  ByteRange,
  ChangeListener,
  ChangesSince,
  CopyResult,
  CreateAccountInput,
  CreateMailboxOptions,
  DeliverOptions,
  DeliverResult,
  ExpungeOptions,
  ExpungeResult,
  FetchOptions,
  FlagChange,
  MailboxChange,
  MailboxInfo,
  MailboxUids,
  Maildrop,
  MaildropMessage,
  MailStore,
  MessageMeta,
  MessageRef,
  MessageSource,
  MoveResult,
  PasswordHasher,
  QuotaLimits,
  QuotaUsage,
  ScramStoredKeys,
  SetFlagsOptions,
  SetFlagsResult,
  SpecialUse,
  StoreLimits,
  UidMapping,
  UidSet,
} from '../types.js';
import { formatUidl, MAX_UID, normalizeUidSet } from '../uid-set.js';
import { createPbkdf2Hasher } from '../pbkdf2-hasher.js';
import { BlobWriter, sameBlocks, type WrittenBlob } from './blob-writer.js';

export interface MemoryStoreOptions {
  /**
   * Password hashing. Default: `createPbkdf2Hasher({ iterations: 4096 })` (pure TypeScript, also
   * derives SCRAM-SHA-256 keys); pass a stronger one (e.g. scrypt from `@mailwire/store/node`) if the
   * store holds real passwords.
   */
  readonly hasher?: PasswordHasher;
  /** Largest message accepted, in octets (`ERR_STORE_TOO_LARGE` beyond). Default: unlimited. */
  readonly maxMessageSize?: number;
  /** Distinct keywords per mailbox. Default: unlimited. */
  readonly maxKeywords?: number;
  /**
   * Expunged UIDs remembered per mailbox for `changesSince` (default 10,000). Older ones are
   * forgotten and `changesSince` from before them answers `trimmed: true`.
   */
  readonly expungeHistory?: number;
  /** The first UIDVALIDITY handed out (default 1); each new mailbox takes the next. */
  readonly firstUidValidity?: number;
}

const SPECIAL_USES: ReadonlySet<string> = new Set([
  '\\All',
  '\\Archive',
  '\\Drafts',
  '\\Flagged',
  '\\Junk',
  '\\Sent',
  '\\Trash',
]);

interface MemBlob {
  readonly id: string;
  readonly key: string;
  readonly blocks: Uint8Array[];
  readonly size: number;
  refs: number;
  mimeIndex?: unknown;
  /** Values stored with `setDerived`, by name. */
  derived?: Map<string, Uint8Array>;
}

interface MemMessage {
  readonly uid: number;
  readonly modseq: number;
  readonly flags: readonly string[];
  readonly internalDate: number;
  readonly size: number;
  readonly blobId: string;
}

interface MemMailbox {
  readonly id: string;
  readonly account: MemAccount;
  name: string;
  specialUse: SpecialUse | undefined;
  readonly uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** Ascending by UID. */
  messages: MemMessage[];
  unseen: number;
  deleted: number;
  size: number;
  /** Keyword spelling by key (lower case), in order of first use. */
  readonly keywords: Map<string, string>;
  /** Expunged UIDs with their MODSEQ, in MODSEQ order. */
  tombstones: { uid: number; modseq: number }[];
  /** The highest MODSEQ whose tombstones were forgotten (0: none). */
  trimmedModseq: number;
  readonly listeners: Set<ChangeListener>;
  locked: boolean;
}

interface MemAccount {
  readonly id: string;
  readonly address: string;
  aliases: string[];
  quota: QuotaLimits | undefined;
  passwordHash: string | undefined;
  scram: ScramStoredKeys | undefined;
  /** By canonical name. */
  readonly mailboxes: Map<string, MemMailbox>;
  readonly subscriptions: Set<string>;
  storage: number;
  messageCount: number;
}

interface PreparedMessage {
  readonly written: WrittenBlob;
  readonly flags: readonly string[];
  readonly internalDate: number;
  readonly mimeIndex: unknown;
}

/**
 * Creates an empty in-memory store.
 *
 * @example
 * const store = createMemoryStore();
 * const account = await store.accounts.createAccount({ address: 'ann@example.com', password: 's3cret' });
 * const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
 * await store.append(inbox.id, utf8('Subject: hi\r\n\r\nhello\r\n'), { internalDate: Date.now() });
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MailStore {
  return new MemoryStore(options);
}

class MemoryStore implements MailStore {
  readonly delimiter = MAILBOX_DELIMITER;
  readonly limits: StoreLimits;
  readonly accounts: AccountStore;

  private readonly hasher: PasswordHasher;
  private readonly expungeHistory: number;
  private readonly accountsById = new Map<string, MemAccount>();
  /** By lower-cased address and alias. */
  private readonly accountsByName = new Map<string, MemAccount>();
  private readonly mailboxesById = new Map<string, MemMailbox>();
  private readonly blobs = new Map<string, MemBlob>();
  private readonly blobsByKey = new Map<string, MemBlob[]>();
  private nextId = 1;
  private nextUidValidity: number;
  private closed = false;

  constructor(options: MemoryStoreOptions) {
    this.hasher = options.hasher ?? createPbkdf2Hasher({ iterations: 4096 });
    const limits: { maxMessageSize?: number; maxKeywords?: number } = {};
    if (options.maxMessageSize !== undefined) limits.maxMessageSize = positive(options.maxMessageSize);
    if (options.maxKeywords !== undefined) limits.maxKeywords = positive(options.maxKeywords);
    this.limits = limits;
    this.expungeHistory = positive(options.expungeHistory ?? 10_000);
    this.nextUidValidity = positive(options.firstUidValidity ?? 1);
    this.accounts = new MemoryAccounts(this);
  }

  // ---------------------------------------------------------------------------------------------
  // Internal helpers shared with MemoryAccounts and MemoryMaildrop

  /** @internal */ check(): void {
    if (this.closed) throw new ClosedError();
  }

  /** @internal */ newId(prefix: string): string {
    return `${prefix}${this.nextId++}`;
  }

  /** @internal */ account(accountId: string): MemAccount {
    this.check();
    const account = this.accountsById.get(accountId);
    if (account === undefined) throw new NotFoundError(`No account ${accountId}`);
    return account;
  }

  /** @internal */ accountByName(name: string): MemAccount | undefined {
    this.check();
    return typeof name === 'string' ? this.accountsByName.get(name.toLowerCase()) : undefined;
  }

  /** @internal */ registerAccount(account: MemAccount): void {
    this.accountsById.set(account.id, account);
    for (const name of [account.address, ...account.aliases])
      this.accountsByName.set(name.toLowerCase(), account);
    this.addMailbox(account, INBOX, undefined);
  }

  /** @internal */ setAliases(account: MemAccount, aliases: string[]): void {
    for (const alias of account.aliases) this.accountsByName.delete(alias.toLowerCase());
    account.aliases = aliases;
    for (const alias of aliases) this.accountsByName.set(alias.toLowerCase(), account);
  }

  /** @internal */ removeAccount(account: MemAccount): void {
    for (const mailbox of [...account.mailboxes.values()]) this.dropMailbox(mailbox);
    this.accountsById.delete(account.id);
    for (const name of [account.address, ...account.aliases]) this.accountsByName.delete(name.toLowerCase());
  }

  /** @internal */ nameTaken(name: string, except?: MemAccount): boolean {
    const owner = this.accountsByName.get(name.toLowerCase());
    return owner !== undefined && owner !== except;
  }

  /** @internal */ allAccounts(): MemAccount[] {
    this.check();
    return [...this.accountsById.values()];
  }

  /** @internal */ get passwordHasher(): PasswordHasher {
    return this.hasher;
  }

  private mailbox(mailboxId: string): MemMailbox {
    this.check();
    const mailbox = this.mailboxesById.get(mailboxId);
    if (mailbox === undefined) throw new NotFoundError(`No mailbox ${mailboxId}`);
    return mailbox;
  }

  private mailboxByName(accountId: string, name: string): MemMailbox {
    const account = this.account(accountId);
    const mailbox = account.mailboxes.get(normalizeMailboxName(name));
    if (mailbox === undefined) throw new NotFoundError(`No mailbox ${name}`);
    return mailbox;
  }

  private addMailbox(account: MemAccount, name: string, specialUse: SpecialUse | undefined): MemMailbox {
    // RFC 9051 §2.3.1.1: a new mailbox, even under a reused name, gets a new UIDVALIDITY.
    if (this.nextUidValidity > MAX_UID) throw new InvalidError('UIDVALIDITY space exhausted');
    const mailbox: MemMailbox = {
      id: this.newId('m'),
      account,
      name,
      specialUse,
      uidValidity: this.nextUidValidity++,
      uidNext: 1,
      highestModseq: 1,
      messages: [],
      unseen: 0,
      deleted: 0,
      size: 0,
      keywords: new Map(),
      tombstones: [],
      trimmedModseq: 0,
      listeners: new Set(),
      locked: false,
    };
    account.mailboxes.set(name, mailbox);
    this.mailboxesById.set(mailbox.id, mailbox);
    return mailbox;
  }

  private dropMailbox(mailbox: MemMailbox): void {
    const account = mailbox.account;
    for (const message of mailbox.messages) this.releaseMessage(account, message);
    mailbox.messages = [];
    account.mailboxes.delete(mailbox.name);
    this.mailboxesById.delete(mailbox.id);
    this.emit(mailbox, { type: 'mailboxDeleted', mailboxId: mailbox.id, modseq: mailbox.highestModseq });
    mailbox.listeners.clear();
    mailbox.locked = false;
  }

  private info(mailbox: MemMailbox): MailboxInfo {
    const info: MailboxInfo = {
      id: mailbox.id,
      accountId: mailbox.account.id,
      name: mailbox.name,
      delimiter: MAILBOX_DELIMITER,
      subscribed: mailbox.account.subscriptions.has(mailbox.name),
      uidValidity: mailbox.uidValidity,
      uidNext: mailbox.uidNext,
      highestModseq: mailbox.highestModseq,
      messages: mailbox.messages.length,
      unseen: mailbox.unseen,
      deleted: mailbox.deleted,
      size: mailbox.size,
      keywords: [...mailbox.keywords.values()],
    };
    return mailbox.specialUse === undefined ? info : { ...info, specialUse: mailbox.specialUse };
  }

  private emit(mailbox: MemMailbox, change: MailboxChange): void {
    for (const listener of [...mailbox.listeners]) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not affect the writer or the other listeners.
      }
    }
  }

  /**
   * Flags in the mailbox's keyword spelling (new keywords also recorded in `pending`, so one batch
   * spells them alike); throws if the new keywords would exceed the limit.
   */
  private spell(
    mailbox: MemMailbox,
    flags: readonly string[],
    pending = new Map<string, string>(),
  ): string[] {
    const out = flags.map((flag) => {
      if (isSystemFlag(flag)) return flag;
      const key = flagKey(flag);
      const known = mailbox.keywords.get(key) ?? pending.get(key);
      if (known !== undefined) return known;
      pending.set(key, flag);
      return flag;
    });
    const max = this.limits.maxKeywords;
    if (max !== undefined && mailbox.keywords.size + pending.size > max) {
      throw new InvalidError(`A mailbox holds at most ${max} keywords`);
    }
    return out;
  }

  private register(mailbox: MemMailbox, flags: readonly string[]): void {
    for (const flag of flags) {
      if (!isSystemFlag(flag) && !mailbox.keywords.has(flagKey(flag)))
        mailbox.keywords.set(flagKey(flag), flag);
    }
  }

  private checkQuota(account: MemAccount, storage: number, messages: number): void {
    const quota = account.quota;
    if (quota === undefined) return;
    // RFC 9208 §5.2 MESSAGE and §5.1 STORAGE: the whole operation fails if it would exceed a limit.
    if (messages > 0 && quota.messages !== undefined && account.messageCount + messages > quota.messages) {
      throw new QuotaExceededError({
        resource: 'MESSAGE',
        limit: quota.messages,
        usage: account.messageCount,
        requested: messages,
      });
    }
    if (storage > 0 && quota.storage !== undefined && account.storage + storage > quota.storage) {
      throw new QuotaExceededError({
        resource: 'STORAGE',
        limit: quota.storage,
        usage: account.storage,
        requested: storage,
      });
    }
  }

  private async prepare(
    mailbox: MemMailbox,
    source: MessageSource,
    options: AppendOptions,
  ): Promise<PreparedMessage> {
    if (typeof options !== 'object' || options === null)
      throw new InvalidError('Append options are required');
    const internalDate = options.internalDate;
    if (typeof internalDate !== 'number' || !Number.isFinite(internalDate)) {
      throw new InvalidError('internalDate must be a finite number of milliseconds');
    }
    const flags = normalizeFlags(options.flags ?? []);
    this.spell(mailbox, flags);
    const account = mailbox.account;
    const quota = account.quota;
    this.checkQuota(account, 0, 1);
    const writer = new BlobWriter({
      ...(this.limits.maxMessageSize === undefined ? {} : { maxSize: this.limits.maxMessageSize }),
      ...(quota?.storage === undefined
        ? {}
        : { quota: { resource: 'STORAGE' as const, limit: quota.storage, usage: account.storage } }),
    });
    if (source instanceof Uint8Array) {
      writer.write(source);
    } else {
      for await (const chunk of sourceChunks(source)) {
        this.check();
        writer.write(chunk);
      }
    }
    const mimeIndex = options.mimeIndex === undefined ? undefined : options.mimeIndex();
    return { written: writer.finish(), flags, internalDate, mimeIndex };
  }

  private intern(written: WrittenBlob, mimeIndex: unknown): MemBlob {
    const candidates = this.blobsByKey.get(written.key);
    const existing = candidates?.find((blob) => sameBlocks(blob.blocks, written.blocks));
    if (existing !== undefined) {
      existing.refs++;
      if (existing.mimeIndex === undefined && mimeIndex !== undefined) existing.mimeIndex = mimeIndex;
      return existing;
    }
    const blob: MemBlob = {
      id: this.newId('b'),
      key: written.key,
      blocks: written.blocks,
      size: written.size,
      refs: 1,
    };
    if (mimeIndex !== undefined) blob.mimeIndex = mimeIndex;
    this.blobs.set(blob.id, blob);
    if (candidates === undefined) this.blobsByKey.set(written.key, [blob]);
    else candidates.push(blob);
    return blob;
  }

  private retain(blobId: string): void {
    const blob = this.blobs.get(blobId);
    if (blob !== undefined) blob.refs++;
  }

  private releaseMessage(account: MemAccount, message: MemMessage): void {
    account.storage -= message.size;
    account.messageCount -= 1;
    const blob = this.blobs.get(message.blobId);
    if (blob === undefined || --blob.refs > 0) return;
    this.blobs.delete(blob.id);
    const candidates = this.blobsByKey.get(blob.key);
    if (candidates === undefined) return;
    const rest = candidates.filter((b) => b !== blob);
    if (rest.length === 0) this.blobsByKey.delete(blob.key);
    else this.blobsByKey.set(blob.key, rest);
  }

  /** Adds messages (ascending UIDs, all with `modseq`) to the mailbox and the counters. */
  private insert(mailbox: MemMailbox, messages: readonly MemMessage[]): void {
    for (const message of messages) {
      mailbox.messages.push(message);
      if (!hasFlag(message.flags, '\\Seen')) mailbox.unseen++;
      if (hasFlag(message.flags, '\\Deleted')) mailbox.deleted++;
      mailbox.size += message.size;
      mailbox.account.storage += message.size;
      mailbox.account.messageCount += 1;
    }
  }

  /** Removes the given UIDs; returns the removed messages, ascending. Takes no MODSEQ itself. */
  private remove(mailbox: MemMailbox, uids: ReadonlySet<number>, modseq: number): MemMessage[] {
    const removed: MemMessage[] = [];
    const kept: MemMessage[] = [];
    for (const message of mailbox.messages) {
      if (uids.has(message.uid)) removed.push(message);
      else kept.push(message);
    }
    mailbox.messages = kept;
    for (const message of removed) {
      if (!hasFlag(message.flags, '\\Seen')) mailbox.unseen--;
      if (hasFlag(message.flags, '\\Deleted')) mailbox.deleted--;
      mailbox.size -= message.size;
      mailbox.tombstones.push({ uid: message.uid, modseq });
      this.releaseMessage(mailbox.account, message);
    }
    const excess = mailbox.tombstones.length - this.expungeHistory;
    if (excess > 0) {
      mailbox.trimmedModseq = mailbox.tombstones[excess - 1]!.modseq;
      mailbox.tombstones = mailbox.tombstones.slice(excess);
    }
    return removed;
  }

  private select(mailbox: MemMailbox, uids: UidSet): MemMessage[] {
    const ranges = normalizeUidSet(uids);
    const messages = mailbox.messages;
    const out: MemMessage[] = [];
    for (const [from, to] of ranges) {
      let lo = 0;
      let hi = messages.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (messages[mid]!.uid < from) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < messages.length && messages[i]!.uid <= to; i++) out.push(messages[i]!);
    }
    return out;
  }

  private findMessage(mailbox: MemMailbox, uid: number): MemMessage | undefined {
    if (!Number.isInteger(uid) || uid < 1) return undefined;
    return this.select(mailbox, [uid])[0];
  }

  private allocateUids(mailbox: MemMailbox, count: number): number {
    const first = mailbox.uidNext;
    if (first + count - 1 > MAX_UID) throw new InvalidError('UID space exhausted');
    mailbox.uidNext += count;
    return first;
  }

  // ---------------------------------------------------------------------------------------------
  // Mailboxes

  async listMailboxes(accountId: string): Promise<MailboxInfo[]> {
    const account = this.account(accountId);
    return [...account.mailboxes.values()]
      .map((m) => this.info(m))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async getMailbox(accountId: string, name: string): Promise<MailboxInfo | undefined> {
    const mailbox = this.account(accountId).mailboxes.get(normalizeMailboxName(name));
    return mailbox === undefined ? undefined : this.info(mailbox);
  }

  async getMailboxById(mailboxId: string): Promise<MailboxInfo | undefined> {
    this.check();
    const mailbox = this.mailboxesById.get(mailboxId);
    return mailbox === undefined ? undefined : this.info(mailbox);
  }

  async createMailbox(
    accountId: string,
    name: string,
    options: CreateMailboxOptions = {},
  ): Promise<MailboxInfo> {
    const account = this.account(accountId);
    const canonical = normalizeMailboxName(name);
    const specialUse = checkSpecialUse(options.specialUse);
    if (account.mailboxes.has(canonical)) throw new AlreadyExistsError(`Mailbox ${canonical} exists`);
    // RFC 9051 §6.3.4: the server SHOULD create missing superior hierarchical names.
    for (const superior of superiorNames(canonical)) {
      if (!account.mailboxes.has(superior)) this.addMailbox(account, superior, undefined);
    }
    const mailbox = this.addMailbox(account, canonical, specialUse);
    if (options.subscribe === true) account.subscriptions.add(canonical);
    return this.info(mailbox);
  }

  async deleteMailbox(accountId: string, name: string): Promise<void> {
    const mailbox = this.mailboxByName(accountId, name);
    // RFC 9051 §6.3.5: it is an error to attempt to delete INBOX.
    if (mailbox.name === INBOX) throw new NotAllowedError('INBOX cannot be deleted');
    // RFC 9051 §6.3.5: inferior names are not removed. RFC 9051 §6.3.7: the server MUST NOT
    // unilaterally remove a name from the subscription list, so subscriptions stay.
    this.dropMailbox(mailbox);
  }

  async renameMailbox(accountId: string, from: string, to: string): Promise<MailboxInfo> {
    const account = this.account(accountId);
    const source = this.mailboxByName(accountId, from);
    const target = normalizeMailboxName(to);
    if (account.mailboxes.has(target)) throw new AlreadyExistsError(`Mailbox ${target} exists`);

    if (source.name === INBOX) {
      // RFC 9051 §6.3.6: renaming INBOX moves all its messages to a new mailbox with the new name,
      // leaving INBOX empty; inferior names of INBOX are unaffected.
      for (const superior of superiorNames(target)) {
        if (!account.mailboxes.has(superior)) this.addMailbox(account, superior, undefined);
      }
      const dest = this.addMailbox(account, target, undefined);
      const moving = source.messages;
      if (moving.length > 0) {
        const destModseq = ++dest.highestModseq;
        const first = this.allocateUids(dest, moving.length);
        const copies = moving.map((m, i) => ({ ...m, uid: first + i, modseq: destModseq }));
        for (const m of moving) this.retain(m.blobId);
        this.register(dest, this.spell(dest, [...source.keywords.values()]));
        this.insert(dest, copies);
        const sourceModseq = ++source.highestModseq;
        const removed = this.remove(source, new Set(moving.map((m) => m.uid)), sourceModseq);
        this.emit(dest, {
          type: 'exists',
          mailboxId: dest.id,
          modseq: destModseq,
          messages: copies.map(flagChange),
        });
        this.emit(source, {
          type: 'expunge',
          mailboxId: source.id,
          modseq: sourceModseq,
          uids: removed.map((m) => m.uid),
        });
      }
      return this.info(dest);
    }

    const root = source.name;
    if (isInferior(target, root)) throw new InvalidError('Cannot rename a mailbox into itself');
    const moving = [source, ...[...account.mailboxes.values()].filter((m) => isInferior(m.name, root))];
    const renamed = (name: string): string => target + name.slice(root.length);
    for (const mailbox of moving) {
      if (account.mailboxes.has(renamed(mailbox.name))) {
        throw new AlreadyExistsError(`Mailbox ${renamed(mailbox.name)} exists`);
      }
    }
    for (const mailbox of moving) account.mailboxes.delete(mailbox.name);
    for (const mailbox of moving) {
      const oldName = mailbox.name;
      mailbox.name = renamed(oldName);
      account.mailboxes.set(mailbox.name, mailbox);
      if (account.subscriptions.delete(oldName)) account.subscriptions.add(mailbox.name);
    }
    for (const superior of superiorNames(target)) {
      if (!account.mailboxes.has(superior)) this.addMailbox(account, superior, undefined);
    }
    for (const mailbox of moving) {
      this.emit(mailbox, {
        type: 'mailboxRenamed',
        mailboxId: mailbox.id,
        modseq: mailbox.highestModseq,
        name: mailbox.name,
      });
    }
    return this.info(source);
  }

  async setSpecialUse(
    accountId: string,
    name: string,
    specialUse: SpecialUse | undefined,
  ): Promise<MailboxInfo> {
    const mailbox = this.mailboxByName(accountId, name);
    mailbox.specialUse = checkSpecialUse(specialUse);
    return this.info(mailbox);
  }

  async setSubscribed(accountId: string, name: string, subscribed: boolean): Promise<void> {
    const account = this.account(accountId);
    const canonical = normalizeMailboxName(name);
    if (subscribed) account.subscriptions.add(canonical);
    else account.subscriptions.delete(canonical);
  }

  async listSubscriptions(accountId: string): Promise<string[]> {
    return [...this.account(accountId).subscriptions].sort();
  }

  // ---------------------------------------------------------------------------------------------
  // Messages

  async append(mailboxId: string, source: MessageSource, options: AppendOptions): Promise<AppendResult> {
    const [result] = await this.appendMany(mailboxId, [{ ...options, source }]);
    return result!;
  }

  async appendMany(mailboxId: string, items: readonly AppendItem[]): Promise<AppendResult[]> {
    let mailbox = this.mailbox(mailboxId);
    if (!Array.isArray(items) || items.length === 0) throw new InvalidError('Nothing to append');
    const prepared: PreparedMessage[] = [];
    for (const item of items) prepared.push(await this.prepare(mailbox, item.source, item));
    // Commit section: no await below. Re-check what the reads may have changed.
    mailbox = this.mailbox(mailboxId);
    const pending = new Map<string, string>();
    const spelled = prepared.map((p) => this.spell(mailbox, p.flags, pending));
    this.checkQuota(
      mailbox.account,
      prepared.reduce((sum, p) => sum + p.written.size, 0),
      prepared.length,
    );
    const first = this.allocateUids(mailbox, prepared.length);
    const modseq = ++mailbox.highestModseq;
    const messages = prepared.map((p, i): MemMessage => {
      const blob = this.intern(p.written, p.mimeIndex);
      return {
        uid: first + i,
        modseq,
        flags: spelled[i]!,
        internalDate: p.internalDate,
        size: p.written.size,
        blobId: blob.id,
      };
    });
    for (const flags of spelled) this.register(mailbox, flags);
    this.insert(mailbox, messages);
    this.emit(mailbox, { type: 'exists', mailboxId, modseq, messages: messages.map(flagChange) });
    return messages.map((m) => ({
      mailboxId,
      uidValidity: mailbox.uidValidity,
      uid: m.uid,
      modseq,
      size: m.size,
      blobId: m.blobId,
    }));
  }

  async copy(sourceMailboxId: string, uids: UidSet, destMailboxId: string): Promise<CopyResult> {
    return this.transfer(sourceMailboxId, uids, destMailboxId, false);
  }

  async move(sourceMailboxId: string, uids: UidSet, destMailboxId: string): Promise<MoveResult> {
    return this.transfer(sourceMailboxId, uids, destMailboxId, true);
  }

  private transfer(sourceMailboxId: string, uids: UidSet, destMailboxId: string, move: boolean): MoveResult {
    const source = this.mailbox(sourceMailboxId);
    const dest = this.mailbox(destMailboxId);
    const selected = this.select(source, uids);
    if (selected.length === 0) {
      return {
        destMailboxId,
        uidValidity: dest.uidValidity,
        mapping: [],
        modseq: dest.highestModseq,
        expunged: [],
        sourceModseq: source.highestModseq,
      };
    }
    const pending = new Map<string, string>();
    const spelled = selected.map((m) => this.spell(dest, m.flags, pending));
    const sameAccount = source.account === dest.account;
    if (!(move && sameAccount)) {
      this.checkQuota(
        dest.account,
        selected.reduce((sum, m) => sum + m.size, 0),
        selected.length,
      );
    }
    const first = this.allocateUids(dest, selected.length);
    const destModseq = ++dest.highestModseq;
    const copies = selected.map(
      (m, i): MemMessage => ({ ...m, uid: first + i, modseq: destModseq, flags: spelled[i]! }),
    );
    for (const m of selected) this.retain(m.blobId);
    for (const flags of spelled) this.register(dest, flags);
    this.insert(dest, copies);
    const mapping: UidMapping[] = selected.map((m, i) => ({ sourceUid: m.uid, destUid: copies[i]!.uid }));
    let expunged: number[] = [];
    let sourceModseq = source.highestModseq;
    if (move) {
      // RFC 6851 §3.3: atomic; the copies are visible in the destination in the same step.
      sourceModseq = ++source.highestModseq;
      expunged = this.remove(source, new Set(selected.map((m) => m.uid)), sourceModseq).map((m) => m.uid);
    }
    this.emit(dest, {
      type: 'exists',
      mailboxId: dest.id,
      modseq: destModseq,
      messages: copies.map(flagChange),
    });
    if (move)
      this.emit(source, { type: 'expunge', mailboxId: source.id, modseq: sourceModseq, uids: expunged });
    return {
      destMailboxId,
      uidValidity: dest.uidValidity,
      mapping,
      modseq: dest.highestModseq,
      expunged,
      sourceModseq: source.highestModseq,
    };
  }

  async expunge(mailboxId: string, options: ExpungeOptions = {}): Promise<ExpungeResult> {
    const mailbox = this.mailbox(mailboxId);
    const candidates = options.uids === undefined ? mailbox.messages : this.select(mailbox, options.uids);
    // RFC 9051 §6.4.3 / §6.4.9: only messages with \Deleted are removed.
    const uids = new Set(candidates.filter((m) => hasFlag(m.flags, '\\Deleted')).map((m) => m.uid));
    return this.expungeUids(mailbox, uids);
  }

  private expungeUids(mailbox: MemMailbox, wanted: ReadonlySet<number>): ExpungeResult {
    const uids = new Set(mailbox.messages.filter((m) => wanted.has(m.uid)).map((m) => m.uid));
    if (uids.size === 0) return { expunged: [], modseq: mailbox.highestModseq };
    const modseq = ++mailbox.highestModseq;
    const expunged = this.remove(mailbox, uids, modseq).map((m) => m.uid);
    this.emit(mailbox, { type: 'expunge', mailboxId: mailbox.id, modseq, uids: expunged });
    return { expunged, modseq };
  }

  async setFlags(mailboxId: string, uids: UidSet, options: SetFlagsOptions): Promise<SetFlagsResult> {
    const mailbox = this.mailbox(mailboxId);
    if (options.mode !== 'add' && options.mode !== 'remove' && options.mode !== 'replace') {
      throw new InvalidError(`Invalid flag mode: ${String(options.mode)}`);
    }
    const unchangedSince = options.unchangedSince;
    if (unchangedSince !== undefined && !(Number.isInteger(unchangedSince) && unchangedSince >= 0)) {
      throw new InvalidError('unchangedSince must be a non-negative integer');
    }
    const given = normalizeFlags(options.flags);
    const flags = options.mode === 'remove' ? given : this.spell(mailbox, given);
    const modified: number[] = [];
    const updates: { index: number; flags: readonly string[] }[] = [];
    const selected = new Set(this.select(mailbox, uids).map((m) => m.uid));
    mailbox.messages.forEach((message, index) => {
      if (!selected.has(message.uid)) return;
      // RFC 7162 §3.1.3: a message modified since UNCHANGEDSINCE is not updated.
      if (unchangedSince !== undefined && message.modseq > unchangedSince) {
        modified.push(message.uid);
        return;
      }
      const next = applyFlags(message.flags, options.mode, flags);
      if (next !== undefined) updates.push({ index, flags: next });
    });
    if (updates.length === 0) return { changed: [], modified, modseq: mailbox.highestModseq };
    const modseq = ++mailbox.highestModseq;
    if (options.mode !== 'remove') this.register(mailbox, flags);
    const changed: FlagChange[] = [];
    for (const { index, flags: next } of updates) {
      const old = mailbox.messages[index]!;
      mailbox.unseen += Number(hasFlag(old.flags, '\\Seen')) - Number(hasFlag(next, '\\Seen'));
      mailbox.deleted += Number(hasFlag(next, '\\Deleted')) - Number(hasFlag(old.flags, '\\Deleted'));
      mailbox.messages[index] = { ...old, flags: next, modseq };
      changed.push({ uid: old.uid, flags: next, modseq });
    }
    this.emit(mailbox, { type: 'flags', mailboxId, modseq, messages: changed });
    return { changed, modified, modseq };
  }

  async fetchMessages(mailboxId: string, uids: UidSet, options: FetchOptions = {}): Promise<MessageMeta[]> {
    const mailbox = this.mailbox(mailboxId);
    const since = options.changedSince;
    let selected: readonly MessageMeta[] = this.select(mailbox, uids);
    if (since !== undefined) selected = selected.filter((m) => m.modseq > since);
    const derived = options.derived;
    if (options.mimeIndex !== true && derived === undefined) return [...selected];
    return selected.map((m) => {
      const blob = this.blobs.get(m.blobId);
      const index = options.mimeIndex === true ? blob?.mimeIndex : undefined;
      const value = derived === undefined ? undefined : blob?.derived?.get(derived);
      if (index === undefined && value === undefined) return m;
      return {
        ...m,
        ...(index === undefined ? {} : { mimeIndex: index }),
        ...(value === undefined ? {} : { derived: value }),
      };
    });
  }

  async readMessage(ref: MessageRef, range?: ByteRange): Promise<AsyncIterable<Uint8Array>> {
    this.check();
    let blobId: string;
    if ('blobId' in ref) {
      blobId = ref.blobId;
    } else {
      const message = this.findMessage(this.mailbox(ref.mailboxId), ref.uid);
      if (message === undefined) throw new NotFoundError(`No message with UID ${ref.uid}`);
      blobId = message.blobId;
    }
    const blob = this.blobs.get(blobId);
    if (blob === undefined) throw new NotFoundError(`No blob ${blobId}`);
    const { start, end } = resolveRange(range, blob.size);
    return sliceChunks(blob.blocks, start, end);
  }

  async listUids(mailboxId: string): Promise<MailboxUids> {
    const mailbox = this.mailbox(mailboxId);
    const uids = new Uint32Array(mailbox.messages.length);
    let firstUnseen = 0;
    mailbox.messages.forEach((m, i) => {
      uids[i] = m.uid;
      if (firstUnseen === 0 && !hasFlag(m.flags, '\\Seen')) firstUnseen = m.uid;
    });
    return { uids, firstUnseen };
  }

  async fetchFlags(mailboxId: string, uids: UidSet): Promise<FlagChange[]> {
    return this.select(this.mailbox(mailboxId), uids).map((m) => ({
      uid: m.uid,
      flags: m.flags,
      modseq: m.modseq,
    }));
  }

  async readBlobs(blobIds: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    this.check();
    return blobIds.map((id) => {
      const blob = this.blobs.get(id);
      if (blob === undefined) return undefined;
      const out = new Uint8Array(blob.size);
      let at = 0;
      for (const block of blob.blocks) {
        out.set(block, at);
        at += block.length;
      }
      return out;
    });
  }

  async getMimeIndex(blobId: string): Promise<unknown> {
    this.check();
    const blob = this.blobs.get(blobId);
    if (blob === undefined) throw new NotFoundError(`No blob ${blobId}`);
    return blob.mimeIndex;
  }

  async setMimeIndex(blobId: string, index: unknown): Promise<void> {
    this.check();
    const blob = this.blobs.get(blobId);
    if (blob === undefined) throw new NotFoundError(`No blob ${blobId}`);
    blob.mimeIndex = index;
  }

  async setDerived(
    name: string,
    values: readonly { readonly blobId: string; readonly value: Uint8Array }[],
  ): Promise<void> {
    this.check();
    if (typeof name !== 'string' || name === '') throw new InvalidError('A derived value needs a name');
    if (!Array.isArray(values)) throw new InvalidError('setDerived needs an array of values');
    for (const v of values) {
      if (!(v?.value instanceof Uint8Array)) throw new InvalidError('A derived value must be a Uint8Array');
    }
    for (const { blobId, value } of values) {
      // Unknown (e.g. expunged meanwhile): a cache entry for nothing, ignored.
      const blob = this.blobs.get(String(blobId));
      if (blob === undefined) continue;
      (blob.derived ??= new Map()).set(name, value.slice());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Change feed

  subscribe(mailboxId: string, listener: ChangeListener): () => void {
    const mailbox = this.mailbox(mailboxId);
    if (typeof listener !== 'function')
      throw new UsageError('ERR_INVALID_ARGUMENT', 'listener must be a function');
    // A wrapper, so one function subscribed twice gets two independent subscriptions.
    const entry: ChangeListener = (change) => listener(change);
    mailbox.listeners.add(entry);
    return () => {
      mailbox.listeners.delete(entry);
    };
  }

  async changesSince(mailboxId: string, modseq: number): Promise<ChangesSince> {
    const mailbox = this.mailbox(mailboxId);
    if (!Number.isInteger(modseq) || modseq < 0)
      throw new InvalidError('modseq must be a non-negative integer');
    if (modseq < mailbox.trimmedModseq) return { trimmed: true, highestModseq: mailbox.highestModseq };
    const changed = mailbox.messages.filter((m) => m.modseq > modseq).map(flagChange);
    const expunged = mailbox.tombstones
      .filter((t) => t.modseq > modseq)
      .map((t) => t.uid)
      .sort((a, b) => a - b);
    return { trimmed: false, highestModseq: mailbox.highestModseq, changed, expunged };
  }

  // ---------------------------------------------------------------------------------------------
  // POP3 and SMTP

  async lockMaildrop(accountId: string, mailbox = INBOX): Promise<Maildrop> {
    const box = this.mailboxByName(accountId, mailbox);
    // RFC 1939 §4: the server acquires an exclusive-access lock on the maildrop.
    if (box.locked) throw new LockedError(`Maildrop ${box.name} is locked`);
    box.locked = true;
    return new MemoryMaildrop(box, (uids) => this.expungeUids(box, uids));
  }

  async deliver(address: string, source: MessageSource, options: DeliverOptions): Promise<DeliverResult> {
    const account = this.accountByName(address);
    if (account === undefined) throw new NotFoundError(`No account for ${address}`);
    const mailbox = this.mailboxByName(account.id, options.mailbox ?? INBOX);
    const appendOptions: AppendOptions = {
      internalDate: options.internalDate,
      ...(options.flags === undefined ? {} : { flags: options.flags }),
      ...(options.mimeIndex === undefined ? {} : { mimeIndex: options.mimeIndex }),
    };
    const result = await this.append(mailbox.id, source, appendOptions);
    return { ...result, accountId: account.id };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const mailbox of this.mailboxesById.values()) mailbox.listeners.clear();
  }
}

class MemoryMaildrop implements Maildrop {
  readonly accountId: string;
  readonly mailboxId: string;
  readonly uidValidity: number;
  readonly messages: readonly MaildropMessage[];
  private readonly marked = new Set<number>();
  private readonly known: ReadonlySet<number>;
  private done = false;

  constructor(
    private readonly mailbox: MemMailbox,
    private readonly expunge: (uids: ReadonlySet<number>) => ExpungeResult,
  ) {
    this.accountId = mailbox.account.id;
    this.mailboxId = mailbox.id;
    this.uidValidity = mailbox.uidValidity;
    this.messages = mailbox.messages.map((m) => ({
      uid: m.uid,
      size: m.size,
      uidl: formatUidl(mailbox.uidValidity, m.uid),
    }));
    this.known = new Set(this.messages.map((m) => m.uid));
  }

  get deleted(): ReadonlySet<number> {
    return this.marked;
  }

  markDeleted(uid: number): void {
    this.live();
    if (!this.known.has(uid)) throw new NotFoundError(`No message with UID ${uid} in the maildrop`);
    this.marked.add(uid);
  }

  unmarkAll(): void {
    this.live();
    this.marked.clear();
  }

  async commit(): Promise<ExpungeResult> {
    this.live();
    this.done = true;
    this.mailbox.locked = false;
    // RFC 1939 §6: in the UPDATE state, remove all messages marked as deleted.
    return this.expunge(this.marked);
  }

  async release(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.mailbox.locked = false;
  }

  private live(): void {
    if (this.done)
      throw new UsageError('ERR_INVALID_STATE', 'The maildrop was already committed or released');
  }
}

class MemoryAccounts implements AccountStore {
  constructor(private readonly store: MemoryStore) {}

  async lookup(addressOrAlias: string): Promise<Account | undefined> {
    const account = this.store.accountByName(addressOrAlias);
    return account === undefined ? undefined : snapshot(account);
  }

  async get(accountId: string): Promise<Account | undefined> {
    this.store.check();
    try {
      return snapshot(this.store.account(accountId));
    } catch (error) {
      if (NotFoundError.isInstance(error)) return undefined;
      throw error;
    }
  }

  async verifyPassword(addressOrAlias: string, password: string): Promise<Account | undefined> {
    const account = this.store.accountByName(addressOrAlias);
    const hasher = this.store.passwordHasher;
    if (account === undefined || account.passwordHash === undefined) return undefined;
    if (typeof password !== 'string') return undefined;
    const ok = await hasher.verify(password, account.passwordHash);
    this.store.check();
    return ok ? snapshot(account) : undefined;
  }

  async scramKeys(addressOrAlias: string): Promise<ScramStoredKeys | undefined> {
    return this.store.accountByName(addressOrAlias)?.scram;
  }

  async createAccount(input: CreateAccountInput): Promise<Account> {
    this.store.check();
    const address = checkAddress(input.address);
    const aliases = checkAliases(input.aliases ?? [], address);
    const quota = checkQuotaLimits(input.quota);
    this.assertFree([address, ...aliases]);
    const secrets = await this.secrets(input.password);
    this.store.check();
    this.assertFree([address, ...aliases]);
    const account: MemAccount = {
      id: this.store.newId('a'),
      address,
      aliases,
      quota,
      passwordHash: secrets.hash,
      scram: secrets.scram,
      mailboxes: new Map(),
      subscriptions: new Set(),
      storage: 0,
      messageCount: 0,
    };
    this.store.registerAccount(account);
    return snapshot(account);
  }

  async setPassword(accountId: string, password: string | undefined): Promise<void> {
    this.store.account(accountId);
    const secrets = await this.secrets(password);
    const account = this.store.account(accountId);
    account.passwordHash = secrets.hash;
    account.scram = secrets.scram;
  }

  async setAliases(accountId: string, aliases: readonly string[]): Promise<Account> {
    const account = this.store.account(accountId);
    const checked = checkAliases(aliases, account.address);
    for (const alias of checked) {
      if (this.store.nameTaken(alias, account)) throw new AlreadyExistsError(`${alias} is taken`);
    }
    this.store.setAliases(account, checked);
    return snapshot(account);
  }

  async setQuota(accountId: string, quota: QuotaLimits | undefined): Promise<Account> {
    const account = this.store.account(accountId);
    account.quota = checkQuotaLimits(quota);
    return snapshot(account);
  }

  async getQuota(accountId: string): Promise<{ readonly limits: QuotaLimits; readonly usage: QuotaUsage }> {
    const account = this.store.account(accountId);
    return {
      limits: { ...account.quota },
      usage: { storage: account.storage, messages: account.messageCount },
    };
  }

  async listAccounts(): Promise<Account[]> {
    return this.store
      .allAccounts()
      .map(snapshot)
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  async deleteAccount(accountId: string): Promise<void> {
    this.store.removeAccount(this.store.account(accountId));
  }

  private assertFree(names: readonly string[]): void {
    for (const name of names) {
      if (this.store.nameTaken(name)) throw new AlreadyExistsError(`${name} is taken`);
    }
  }

  private async secrets(
    password: string | undefined,
  ): Promise<{ hash: string | undefined; scram: ScramStoredKeys | undefined }> {
    if (password === undefined) return { hash: undefined, scram: undefined };
    if (typeof password !== 'string' || password.length === 0) throw new InvalidError('Empty password');
    const hasher = this.store.passwordHasher;
    const hash = await hasher.hash(password);
    const scram = hasher.deriveScramKeys === undefined ? undefined : await hasher.deriveScramKeys(password);
    return { hash, scram };
  }
}

function snapshot(account: MemAccount): Account {
  const out: Account = { id: account.id, address: account.address, aliases: [...account.aliases] };
  return account.quota === undefined ? out : { ...out, quota: { ...account.quota } };
}

function flagChange(message: MemMessage): FlagChange {
  return { uid: message.uid, flags: message.flags, modseq: message.modseq };
}

function positive(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError('ERR_INVALID_ARGUMENT', `Expected a positive integer, got ${n}`);
  return n;
}

function checkSpecialUse(specialUse: SpecialUse | undefined): SpecialUse | undefined {
  if (specialUse !== undefined && !SPECIAL_USES.has(specialUse)) {
    throw new InvalidError(`Unknown special-use attribute: ${String(specialUse)}`);
  }
  return specialUse;
}

function checkAddress(address: unknown): string {
  // Any non-empty name without spaces or controls; mail address syntax is the caller's concern.
  if (
    typeof address !== 'string' ||
    address.length === 0 ||
    address.length > 320 ||
    /[\s\u0000-\u001f\u007f]/.test(address)
  ) {
    throw new InvalidError(`Invalid address: ${JSON.stringify(address)}`);
  }
  return address;
}

function checkAliases(aliases: readonly string[], address: string): string[] {
  const keys = new Set([address.toLowerCase()]);
  const out: string[] = [];
  for (const alias of aliases) {
    const checked = checkAddress(alias);
    if (keys.has(checked.toLowerCase())) continue;
    keys.add(checked.toLowerCase());
    out.push(checked);
  }
  return out;
}

function checkQuotaLimits(quota: QuotaLimits | undefined): QuotaLimits | undefined {
  if (quota === undefined) return undefined;
  const out: { storage?: number; messages?: number } = {};
  for (const key of ['storage', 'messages'] as const) {
    const value = quota[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0) throw new InvalidError(`Invalid ${key} quota: ${value}`);
    out[key] = value;
  }
  return out;
}

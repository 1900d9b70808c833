/**
 * `serve()`: the async driver that runs one `Pop3ServerSession` over a `Transport`, for users who
 * prefer hooks that return promises to events with decisions.
 *
 * Loop: answer every event (awaiting the hooks, so later pipelined commands wait and replies stay
 * in order), pump a pending message body chunk by chunk (each chunk is written, and the write
 * awaited, before the next is read: a 200 MB message never sits in memory), flush the output, then
 * read once from the transport. The transport's idle timeout becomes `session.timeout()` and its end
 * `session.close()`; the session decides what that means (RFC 1939 §6: nothing is deleted).
 *
 * With a `store` (`@mailwire/store`'s `MailStore`), everything has a default: USER/PASS, PLAIN,
 * LOGIN through `accounts.verifyPassword`, SCRAM-SHA-256 through `accounts.scramKeys`, the maildrop
 * through `lockMaildrop` (a held lock answers `-ERR [IN-USE]`), RETR/TOP through `readMessage`,
 * UPDATE through `Maildrop.commit()`. Every hook can be replaced.
 *
 * Sizes. RFC 1939 §5 wants the exact octets RETR sends. RETR sends the stored bytes with bare LFs
 * turned into CRLF and a last line ended with CRLF (see `MultilineEncoder`), so a message stored
 * with Unix line endings is longer on the wire than in the store. With `sizes: 'scan'` (default)
 * the driver counts each message's wire size once through `Pop3SizeCounter` and caches it per
 * store and UIDL (messages never change); with `sizes: 'store'` it trusts `MaildropMessage.size`,
 * which is right for stores that keep CRLF (SMTP and IMAP APPEND deliver CRLF).
 */
import {
  type ConnectionInfo,
  MailwireError,
  type ReadResult,
  type Transport,
  UsageError,
} from '@mailwire/core';
import type { Maildrop, MaildropMessage, MailStore } from '@mailwire/store';
import { Pop3SizeCounter } from './byte-stuffing.js';
import { downgradeSource } from './downgrade.js';
import type {
  Pop3ChunkSource,
  Pop3Credentials,
  Pop3MessageInfo,
  Pop3Numbered,
  Pop3Refusal,
  Pop3ServerEvent,
} from './server-events.js';
import { type Pop3BodyPump, Pop3ServerSession, type Pop3ServerSessionOptions } from './server-session.js';
import type { Pop3ScramKeys } from './sasl.js';

export type Pop3AuthOutcome =
  /** `user` names the maildrop: with a store, the account id. */
  | { readonly ok: true; readonly user: string; readonly scramKeys?: Pop3ScramKeys }
  | ({ readonly ok: false } & Pop3Refusal);

/** An opened, locked maildrop as the driver uses it. */
export interface Pop3MaildropHandle<M extends Pop3MessageInfo = Pop3MessageInfo> {
  /** The snapshot, message 1 first. */
  readonly messages: readonly M[];
  /** The message's bytes; rejecting before the first chunk answers `-ERR [SYS/TEMP]`. */
  read(message: M): Promise<Pop3ChunkSource> | Pop3ChunkSource;
  /** UPDATE state: remove these messages atomically. */
  commit(deleted: readonly M[]): Promise<void>;
  /** Unlock. Called exactly once, after `commit()` too; must be idempotent. */
  release(): Promise<void>;
}

export interface Pop3ServeContext {
  readonly connection: ConnectionInfo;
}

/** The context `onMaildrop` gets: `utf8` says whether the client sent UTF8 (RFC 6856 §2). */
export interface Pop3MaildropContext extends Pop3ServeContext {
  /**
   * False: the handle must serve downgraded messages (`downgradeSource`, RFC 6857) and report
   * their downgraded sizes; the store default does both.
   */
  readonly utf8: boolean;
}

export interface Pop3ServeOptions<M extends Pop3MessageInfo = Pop3MessageInfo>
  extends Omit<Pop3ServerSessionOptions, 'secure' | 'apopTimestamp'> {
  /** The mail store: default authentication, maildrop lock, message reads and deletion. */
  readonly store?: MailStore;
  /** The mailbox POP3 serves. Default `INBOX`. */
  readonly mailbox?: string;
  /** `scan` (default) or `store`: where STAT/LIST sizes come from (see the file comment). */
  readonly sizes?: 'scan' | 'store';
  /** Enables APOP: returns this connection's unique `<…@host>` greeting timestamp (RFC 1939 §7). */
  readonly apopTimestamp?: (context: Pop3ServeContext) => string;
  /** Checks credentials. Default (with a store): passwords and SCRAM keys from `store.accounts`. */
  readonly onAuth?: (credentials: Pop3Credentials, context: Pop3ServeContext) => Promise<Pop3AuthOutcome>;
  /**
   * Opens and locks `user`'s maildrop. Default (with a store): `store.lockMaildrop()`. Throw a
   * `MailwireError` with code `ERR_STORE_LOCKED` (or return a refusal) for `-ERR [IN-USE]`.
   */
  readonly onMaildrop?: (
    user: string,
    context: Pop3MaildropContext,
  ) => Promise<Pop3MaildropHandle<M> | ({ readonly ok: false } & Pop3Refusal)>;
  /** Peer misbehaviour, for logs. */
  readonly onProtocolError?: (error: MailwireError, context: Pop3ServeContext) => void;
  /** Chunk size when a message source is one big buffer. Default 64 KiB. */
  readonly chunkSize?: number;
}

/** Largest number of cached wire sizes per store. */
const SIZE_CACHE_LIMIT = 100_000;
const sizeCaches = new WeakMap<MailStore, Map<string, number>>();

/**
 * Serves one POP3 connection until it ends. Resolves when the connection is closed; never rejects
 * because of the peer.
 *
 * @example
 * const store = createMemoryStore();
 * await listen({ port: 110 }, (transport) => serve(transport, { store, starttls: true }));
 */
export async function serve<M extends Pop3MessageInfo = Pop3MessageInfo>(
  transport: Transport,
  options: Pop3ServeOptions<M>,
): Promise<void> {
  if (!options.store && (!options.onAuth || !options.onMaildrop))
    throw new UsageError('ERR_POP3_USAGE_ARGUMENT', 'serve() needs a store, or both onAuth and onMaildrop');
  const context: Pop3ServeContext = { connection: transport.info };
  const saslMechanisms = options.saslMechanisms ?? (options.store ? ['SCRAM-SHA-256', 'PLAIN', 'LOGIN'] : []);
  const apop = options.apopTimestamp?.(context);
  const { apopTimestamp: _apop, ...sessionOptions } = options;
  const session = new Pop3ServerSession<M>({
    ...sessionOptions,
    saslMechanisms,
    secure: transport.info.secure,
    ...(apop === undefined ? {} : { apopTimestamp: apop }),
  });
  const chunkSize = options.chunkSize ?? 65_536;
  let handle: Pop3MaildropHandle<M> | undefined;
  let lost = false;
  let finished = false;

  const flush = async (): Promise<void> => {
    for (let bytes = session.output(); bytes; bytes = session.output()) {
      if (lost) continue;
      try {
        await transport.write(bytes);
      } catch {
        lost = true;
        session.close();
      }
    }
  };

  const auth = async (credentials: Pop3Credentials): Promise<Pop3AuthOutcome> => {
    try {
      if (options.onAuth) return await options.onAuth(credentials, context);
      return await storeAuth(options.store!, credentials);
    } catch {
      return { ok: false, code: 'SYS/TEMP', text: 'authentication temporarily unavailable' };
    }
  };

  const open = async (user: string, utf8: boolean): Promise<Pop3MaildropHandle<M> | Pop3Refusal> => {
    try {
      if (options.onMaildrop) {
        const result = await options.onMaildrop(user, { ...context, utf8 });
        return 'messages' in result ? result : refusal(result);
      }
      return (await openStoreMaildrop(
        options.store!,
        user,
        options,
        utf8,
      )) as unknown as Pop3MaildropHandle<M>;
    } catch (error) {
      if (MailwireError.isInstance(error) && error.code === 'ERR_STORE_LOCKED')
        return { code: 'IN-USE', text: 'maildrop already locked' };
      if (MailwireError.isInstance(error) && error.code === 'ERR_STORE_NOT_FOUND')
        return { code: 'SYS/PERM', text: 'no maildrop' };
      return { code: 'SYS/TEMP', text: 'unable to open maildrop' };
    }
  };

  const handleEvent = async (event: Pop3ServerEvent<M>): Promise<void> => {
    switch (event.type) {
      case 'auth': {
        const outcome = await auth(event.credentials);
        if (outcome.ok) {
          event.decision.accept(
            outcome.scramKeys === undefined
              ? { user: outcome.user }
              : { user: outcome.user, scramKeys: outcome.scramKeys },
          );
        } else {
          event.decision.reject(refusal(outcome));
        }
        return;
      }
      case 'maildrop': {
        const result = await open(event.user, event.utf8);
        if ('messages' in result) {
          handle = result;
          event.decision.accept(result.messages);
        } else {
          event.decision.reject(result);
        }
        return;
      }
      case 'retrieve': {
        try {
          const source = await handle!.read(event.message);
          event.decision.accept(source);
        } catch {
          event.decision.reject({ code: 'SYS/TEMP', text: 'unable to read message' });
        }
        return;
      }
      case 'commit': {
        try {
          await handle!.commit(event.deleted.map((d: Pop3Numbered<M>) => d.message));
          event.decision.accept();
        } catch {
          event.decision.reject({ code: 'SYS/TEMP', text: 'some deleted messages not removed' });
        }
        return;
      }
      case 'release': {
        const h = handle;
        handle = undefined;
        await h?.release().catch(() => undefined);
        return;
      }
      case 'starttls': {
        await flush();
        try {
          const info = await transport.startTls();
          session.tlsStarted(info);
        } catch {
          lost = true;
          session.close();
        }
        return;
      }
      case 'protocolError':
        options.onProtocolError?.(event.error, context);
        return;
      case 'closed':
        finished = true;
        return;
    }
  };

  const pumpBody = async (pump: Pop3BodyPump): Promise<void> => {
    try {
      const source = pump.source;
      if (source instanceof Uint8Array) {
        for (let i = 0; i < source.length; i += chunkSize) {
          const more = pump.push(source.subarray(i, i + chunkSize));
          await flush();
          if (!more || lost) break;
        }
      } else if (Symbol.asyncIterator in source) {
        for await (const chunk of source) {
          const more = pump.push(chunk);
          await flush();
          if (!more || lost) break;
        }
      } else {
        for (const chunk of source) {
          const more = pump.push(chunk);
          await flush();
          if (!more || lost) break;
        }
      }
      pump.end();
    } catch (error) {
      pump.fail(error);
    }
  };

  try {
    for (;;) {
      for (let event = session.next(); event; event = session.next()) await handleEvent(event);
      const pump = session.pendingBody();
      if (pump) {
        await pumpBody(pump);
        continue;
      }
      await flush();
      // A failed write closes the session, which has events (release, closed) to deliver.
      const late = session.next();
      if (late) {
        await handleEvent(late);
        continue;
      }
      if (finished) break;
      const input = await transport.read().catch((): ReadResult => ({ type: 'end' }));
      if (input.type === 'data') session.receive(input.bytes);
      else if (input.type === 'end') session.close();
      else session.timeout();
    }
  } finally {
    if (handle) {
      const h = handle;
      handle = undefined;
      await h.release().catch(() => undefined);
    }
    if (lost) transport.destroy();
    else await transport.end().catch(() => transport.destroy());
  }
}

function refusal(outcome: Pop3Refusal): Pop3Refusal {
  return {
    ...(outcome.code === undefined ? {} : { code: outcome.code }),
    ...(outcome.text === undefined ? {} : { text: outcome.text }),
  };
}

/** The default authentication over `store.accounts`. */
async function storeAuth(store: MailStore, credentials: Pop3Credentials): Promise<Pop3AuthOutcome> {
  switch (credentials.mechanism) {
    case 'USER':
    case 'PLAIN':
    case 'LOGIN': {
      const account = await store.accounts.verifyPassword(credentials.username, credentials.password);
      if (!account) return { ok: false };
      if (credentials.authzid !== '' && !(await sameAccount(store, credentials.authzid, account.id)))
        return { ok: false, text: 'not authorized to act as that user' };
      return { ok: true, user: account.id };
    }
    case 'SCRAM-SHA-256': {
      const [keys, account] = await Promise.all([
        store.accounts.scramKeys(credentials.username),
        store.accounts.lookup(credentials.username),
      ]);
      if (!keys || !account) return { ok: false };
      if (credentials.authzid !== '' && !(await sameAccount(store, credentials.authzid, account.id)))
        return { ok: false, text: 'not authorized to act as that user' };
      return { ok: true, user: account.id, scramKeys: keys };
    }
    default:
      // APOP, CRAM-MD5 and OAuth need the application's own onAuth.
      return { ok: false };
  }
}

async function sameAccount(store: MailStore, name: string, accountId: string): Promise<boolean> {
  return (await store.accounts.lookup(name))?.id === accountId;
}

interface StoreMessage extends Pop3MessageInfo {
  readonly uid: number;
}

async function openStoreMaildrop(
  store: MailStore,
  accountId: string,
  options: { readonly mailbox?: string; readonly sizes?: 'scan' | 'store' },
  utf8: boolean,
): Promise<Pop3MaildropHandle<StoreMessage>> {
  const maildrop: Maildrop = await store.lockMaildrop(accountId, options.mailbox);
  try {
    const messages: StoreMessage[] = [];
    for (const m of maildrop.messages) {
      // Without UTF8 the client gets the downgraded form (RFC 6857), whose size only a scan knows.
      const size =
        options.sizes === 'store' && utf8 ? m.size : await wireSize(store, maildrop.mailboxId, m, utf8);
      messages.push({ uid: m.uid, uidl: m.uidl, size });
    }
    return {
      messages,
      read: async (message) => {
        const source = await store.readMessage({ mailboxId: maildrop.mailboxId, uid: message.uid });
        // RFC 6856 §2: no raw UTF-8 header fields for a client that did not send UTF8.
        return utf8 ? source : downgradeSource(source);
      },
      commit: async (deleted) => {
        for (const m of deleted) maildrop.markDeleted(m.uid);
        await maildrop.commit();
      },
      release: () => maildrop.release(),
    };
  } catch (error) {
    await maildrop.release();
    throw error;
  }
}

/** The octets RETR sends for a stored message (bare LF → CRLF), cached: stored messages never change. */
async function wireSize(
  store: MailStore,
  mailboxId: string,
  message: MaildropMessage,
  utf8: boolean,
): Promise<number> {
  let cache = sizeCaches.get(store);
  if (!cache) {
    cache = new Map();
    sizeCaches.set(store, cache);
  }
  // Keyed by form too: the raw (UTF8 client) and downgraded sizes differ.
  const key = `${mailboxId}\u0000${message.uidl}\u0000${utf8 ? 'raw' : 'downgraded'}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const counter = new Pop3SizeCounter();
  const source = await store.readMessage({ mailboxId, uid: message.uid });
  for await (const chunk of utf8 ? source : downgradeSource(source)) counter.push(chunk);
  if (cache.size >= SIZE_CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, counter.size);
  return counter.size;
}

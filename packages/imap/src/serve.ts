import { concatBytes, type ReadResult, type SaslCredentials, type Transport } from '@mailwire/core';
import type { Account, MailStore, ScramStoredKeys } from '@mailwire/store';
import type { ImapServerEvent } from './session/server-events.js';
import { ImapServerSession, type ImapServerSessionOptions } from './session/server-session.js';

/**
 * The async driver: runs an `ImapServerSession` over a `Transport`, answering its decisions with
 * hooks (or, by default, with the store's account verification), until the session closes.
 * No timers and no clock here either: pass `now` (e.g. `Date.now`) for the INTERNALDATE of an
 * APPEND without a date; idle timeouts come from the transport.
 *
 * @example
 * const store = createMemoryStore({ hasher });
 * listen({ port: 143, onConnection: (transport) => serve(transport, { store, now: Date.now }) });
 */
export interface ServeOptions extends Omit<ImapServerSessionOptions, 'secure'> {
  readonly store: MailStore;
  /** LOGIN: the account, or `undefined` to refuse. Default: `store.accounts.verifyPassword`. */
  readonly onLogin?: (username: string, password: string) => Promise<Account | undefined>;
  /**
   * AUTHENTICATE: the account (and SCRAM keys) or `undefined`. Default: PLAIN/LOGIN through
   * `verifyPassword`, SCRAM-SHA-256 through `scramKeys`; other mechanisms refused.
   */
  readonly onAuthenticate?: (
    credentials: SaslCredentials,
  ) => Promise<{ account: Account; scramKeys?: ScramStoredKeys } | undefined>;
  /** Every event, for logs and metrics (decisions are answered by the hooks). */
  readonly onEvent?: (event: ImapServerEvent) => void;
}

export async function serve(transport: Transport, options: ServeOptions): Promise<void> {
  const session = new ImapServerSession({ ...options, secure: transport.info.secure });
  const store = options.store;
  const onLogin =
    options.onLogin ?? ((username, password) => store.accounts.verifyPassword(username, password));
  const onAuthenticate = options.onAuthenticate ?? ((credentials) => defaultAuthenticate(store, credentials));
  let reading: Promise<ReadResult> | undefined;
  try {
    for (;;) {
      await flush();
      let event = session.next();
      while (event !== undefined) {
        options.onEvent?.(event);
        await handle(event);
        await flush();
        event = session.next();
      }
      if (session.state === 'closed') break;
      if (reading === undefined && session.wantsInput) reading = transport.read();
      const changed = session.changed().then(() => undefined);
      const result = await (reading === undefined ? changed : Promise.race([reading, changed]));
      if (result === undefined) continue;
      reading = undefined;
      if (result.type === 'data') session.receive(result.bytes);
      else if (result.type === 'timeout') session.timeout();
      else session.close();
    }
    await flush();
    await transport.end();
  } catch (error) {
    transport.destroy();
    if (session.state !== 'closed') session.close();
    if (!isClosedError(error)) throw error;
  }

  /**
   * Drains the session's pending output: small chunks (one per response) are coalesced into one
   * write of up to `COALESCE` bytes; a chunk at least that large (a streamed literal's piece) is
   * written as is. One write per drain instead of one per response.
   */
  async function flush(): Promise<void> {
    let pending: Uint8Array[] = [];
    let size = 0;
    for (let chunk = session.output(); chunk !== undefined; chunk = session.output()) {
      if (chunk.length >= COALESCE) {
        if (size > 0) await transport.write(join(pending));
        pending = [];
        size = 0;
        await transport.write(chunk);
        continue;
      }
      if (size + chunk.length > COALESCE) {
        await transport.write(join(pending));
        pending = [];
        size = 0;
      }
      pending.push(chunk);
      size += chunk.length;
    }
    if (size > 0) await transport.write(join(pending));
  }

  async function handle(event: ImapServerEvent): Promise<void> {
    switch (event.type) {
      case 'login': {
        const account = await onLogin(event.username, event.password).catch(() => undefined);
        if (account === undefined) event.decision.reject();
        else event.decision.accept(account);
        return;
      }
      case 'authenticate': {
        const result = await onAuthenticate(event.credentials).catch(() => undefined);
        if (result === undefined) event.decision.reject();
        else event.decision.accept(result.account, result.scramKeys);
        return;
      }
      case 'starttls': {
        const info = await transport.startTls();
        session.tlsStarted(info);
        return;
      }
      default:
        return;
    }
  }
}

async function defaultAuthenticate(
  store: MailStore,
  credentials: SaslCredentials,
): Promise<{ account: Account; scramKeys?: ScramStoredKeys } | undefined> {
  switch (credentials.mechanism) {
    case 'PLAIN':
    case 'LOGIN': {
      if (credentials.authzid !== '' && credentials.authzid !== credentials.username) return undefined;
      const account = await store.accounts.verifyPassword(credentials.username, credentials.password);
      return account === undefined ? undefined : { account };
    }
    case 'SCRAM-SHA-256': {
      const account = await store.accounts.lookup(credentials.username);
      const scramKeys = await store.accounts.scramKeys(credentials.username);
      return account === undefined || scramKeys === undefined ? undefined : { account, scramKeys };
    }
    default:
      return undefined;
  }
}

/** Most bytes `serve()` gathers into one transport write. */
const COALESCE = 256 * 1024;

function join(chunks: readonly Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
}

function isClosedError(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 'ERR_TRANSPORT_CLOSED';
}

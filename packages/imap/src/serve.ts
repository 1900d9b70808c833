import type { ReadResult, SaslCredentials, Transport } from '@mailwire/core';
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
      for (let chunk = session.output(); chunk !== undefined; chunk = session.output())
        await transport.write(chunk);
      let event = session.next();
      while (event !== undefined) {
        options.onEvent?.(event);
        await handle(event);
        for (let chunk = session.output(); chunk !== undefined; chunk = session.output())
          await transport.write(chunk);
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
    for (let chunk = session.output(); chunk !== undefined; chunk = session.output())
      await transport.write(chunk);
    await transport.end();
  } catch (error) {
    transport.destroy();
    if (session.state !== 'closed') session.close();
    if (!isClosedError(error)) throw error;
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

function isClosedError(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 'ERR_TRANSPORT_CLOSED';
}

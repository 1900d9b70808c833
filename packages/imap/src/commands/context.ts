import type { SaslCredentials } from '@mailwire/core';
import type { Account, MailStore, ScramStoredKeys } from '@mailwire/store';
import type { Response, ResponseCode, StatusName } from '../codec/response.js';
import type { Command } from '../codec/types.js';
import type { MailboxView } from '../session/mailbox-view.js';
import type { ImapServerEvent } from '../session/server-events.js';
import type { ImapServerSessionOptions } from '../session/server-session.js';

export type SessionState = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

/** What a command handler sees of the session. Handlers never touch bytes or I/O directly. */
export interface CommandContext {
  readonly store: MailStore;
  readonly options: ImapServerSessionOptions;
  readonly appendLimit: number;
  stateName: SessionState;
  account: Account | undefined;
  readonly selected: MailboxView | undefined;
  readonly secure: boolean;
  readonly enabled: Set<string>;
  savedSearch: number[] | undefined;
  readonly utf8Names: boolean;
  readonly rev2: boolean;
  readonly loginAllowed: boolean;
  readonly current: Command | undefined;

  emit(event: ImapServerEvent): void;
  send(response: Response): void;
  /** Sends several responses (no streamed literal among them) as one output chunk. */
  sendMany(responses: readonly Response[]): void;
  /** Queues responses already serialised (complete lines, e.g. by `writeFetchResponse`). */
  sendRaw(bytes: Uint8Array): void;
  sendStreaming(response: Response): Promise<void>;
  /** Whether queued output is above the backpressure mark (`drained()` then waits for the driver). */
  readonly backlogged: boolean;
  /** Resolves once queued output is below the backpressure mark. */
  drained(): Promise<void>;
  tagged(tag: string, status: StatusName, text: string, code?: ResponseCode): void;
  continuation(text: string): void;
  readLine(): Promise<Uint8Array | undefined>;
  waitIdle(): Promise<'line' | 'change'>;
  takeIdleLine(): Uint8Array | undefined;
  cancelIdleWait(): void;
  decideLogin(username: string, password: string): Promise<Account | undefined>;
  decideAuthenticate(
    credentials: SaslCredentials,
  ): Promise<{ account: Account; scramKeys?: ScramStoredKeys } | undefined>;
  startTls(): void;
  setSelected(view: MailboxView | undefined): void;
  decodeName(name: string): string | undefined;
  encodeName(name: string): string;
  flushUpdates(expunges: boolean): void;
  logout(): void;
}

export type Handler<C extends Command = Command> = (ctx: CommandContext, command: C) => Promise<void>;

/** The command type(s) with this name. */
export type CommandOf<N extends Command['name']> = Command extends infer C
  ? C extends { readonly name: infer M }
    ? N extends M
      ? C & { readonly name: N }
      : never
    : never
  : never;

/**
 * The POP3 server's states and every transition between them, in one place.
 *
 * Theory of operation (RFC 1939 §3). A session starts in AUTHORIZATION with the greeting. The
 * client identifies itself with USER/PASS, APOP or AUTH (SASL); the application decides (an
 * `auth` event), then opens and locks the maildrop (a `maildrop` event, answered with the message
 * list, a snapshot for the whole session, or refused with [IN-USE]). Only then does the session
 * enter TRANSACTION, where messages are listed, read and marked as deleted. QUIT in TRANSACTION
 * enters UPDATE: the application removes the marked messages (a `commit` event) and the session
 * closes. Every other way out (QUIT before login, the peer vanishing, the idle timer, too many
 * errors) closes without UPDATE, so nothing is removed. Whenever a maildrop was opened, exactly
 * one `release` event tells the application to unlock it.
 *
 * STLS (RFC 2595 §4) is allowed only in AUTHORIZATION and does not change the state: the session
 * waits, ignoring input, until the driver reports `tlsStarted()`.
 *
 * | from          | on                                   | to            |
 * |---------------|--------------------------------------|---------------|
 * | AUTHORIZATION | auth accepted and maildrop accepted  | TRANSACTION   |
 * | AUTHORIZATION | QUIT                                 | CLOSED        |
 * | TRANSACTION   | QUIT                                 | UPDATE        |
 * | UPDATE        | commit settled                       | CLOSED        |
 * | any           | close(), timeout(), too many errors, | CLOSED        |
 * |               | too much unprocessed input           |               |
 */
import type { Pop3CommandName } from './command.js';

export type Pop3State = 'AUTHORIZATION' | 'TRANSACTION' | 'UPDATE' | 'CLOSED';

/** Which commands each state accepts; anything else gets "-ERR" (RFC 1939 §3). */
export const COMMANDS_BY_STATE: Readonly<Record<Pop3State, ReadonlySet<Pop3CommandName>>> = {
  AUTHORIZATION: new Set<Pop3CommandName>([
    'USER',
    'PASS',
    'APOP',
    'AUTH',
    'CAPA',
    'STLS',
    'UTF8',
    'LANG',
    'QUIT',
  ]),
  TRANSACTION: new Set<Pop3CommandName>([
    'STAT',
    'LIST',
    'RETR',
    'DELE',
    'NOOP',
    'RSET',
    'QUIT',
    'TOP',
    'UIDL',
    'CAPA',
    'LANG',
  ]),
  UPDATE: new Set<Pop3CommandName>(),
  CLOSED: new Set<Pop3CommandName>(),
};

export type Pop3Transition =
  | 'authenticated'
  | 'quit-before-login'
  | 'quit'
  | 'committed'
  | 'closed'
  | 'timed-out'
  | 'too-many-errors';

export const TRANSITIONS: Readonly<
  Record<Pop3Transition, { readonly from: readonly Pop3State[]; readonly to: Pop3State }>
> = {
  authenticated: { from: ['AUTHORIZATION'], to: 'TRANSACTION' },
  'quit-before-login': { from: ['AUTHORIZATION'], to: 'CLOSED' },
  quit: { from: ['TRANSACTION'], to: 'UPDATE' },
  committed: { from: ['UPDATE'], to: 'CLOSED' },
  closed: { from: ['AUTHORIZATION', 'TRANSACTION', 'UPDATE', 'CLOSED'], to: 'CLOSED' },
  'timed-out': { from: ['AUTHORIZATION', 'TRANSACTION', 'UPDATE', 'CLOSED'], to: 'CLOSED' },
  'too-many-errors': { from: ['AUTHORIZATION', 'TRANSACTION', 'UPDATE', 'CLOSED'], to: 'CLOSED' },
};

/** The state after `transition`; throws if the table does not allow it (a bug in the session). */
export function transition(from: Pop3State, on: Pop3Transition): Pop3State {
  const rule = TRANSITIONS[on];
  if (!rule.from.includes(from)) throw new Error(`POP3: no transition '${on}' from ${from}`);
  return rule.to;
}

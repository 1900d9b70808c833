import type { Command } from '../codec/types.js';
import type { CommandOf, Handler } from './context.js';
import { fetch } from './fetch.js';
import { create, list, lsub, remove, rename, status, subscribe } from './mailboxes.js';
import { search } from './search.js';
import { close, select } from './select.js';
import { authenticate, capability, enable, id, login, logout, namespace, noop, starttls } from './session.js';
import { append, copy, expunge, idle, store } from './write.js';

/** One handler per command. */
export const HANDLERS: { readonly [N in Command['name']]: Handler<CommandOf<N>> } = {
  CAPABILITY: capability,
  NOOP: noop,
  CHECK: noop,
  LOGOUT: logout,
  ID: id,
  ENABLE: enable,
  NAMESPACE: namespace,
  STARTTLS: starttls,
  LOGIN: login,
  AUTHENTICATE: authenticate,
  SELECT: select,
  EXAMINE: select,
  CLOSE: close,
  UNSELECT: close,
  CREATE: create,
  DELETE: remove,
  RENAME: rename,
  SUBSCRIBE: subscribe,
  UNSUBSCRIBE: subscribe,
  LIST: list,
  LSUB: lsub,
  STATUS: status,
  APPEND: append,
  SEARCH: search,
  FETCH: fetch,
  STORE: store,
  COPY: copy,
  MOVE: copy,
  EXPUNGE: expunge,
  'UID EXPUNGE': expunge,
  IDLE: idle,
};

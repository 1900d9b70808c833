/**
 * One credential check for every protocol, over the store's accounts, with AUTH failure rate
 * limiting and back-off per client address.
 */
import type { SaslCredentials, ScramStoredKeys } from '@mailwire/core';
import type { Account, MailStore } from '@mailwire/store';
import type { AuthLimiter } from './auth-limiter.js';

export type CheckResult =
  | { readonly ok: true; readonly account?: Account; readonly scramKeys?: ScramStoredKeys }
  | { readonly ok: false; readonly reason: 'invalid' | 'throttled' };

export interface CredentialChecker {
  check(
    credentials: SaslCredentials | { mechanism: 'USER'; username: string; password: string; authzid: string },
    ip: string,
  ): Promise<CheckResult>;
  /** For SCRAM, where the mechanism checks the proof after keys were given: report the outcome. */
  report(ok: boolean, ip: string): void;
}

export function createCredentialChecker(
  store: MailStore,
  limiter: AuthLimiter,
  events: { onFailure(ip: string, mechanism: string): void },
): CredentialChecker {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    async check(credentials, ip) {
      if (!limiter.allowed(ip)) return { ok: false, reason: 'throttled' };
      // Acting as another user (authzid) is not supported: only oneself.
      if (credentials.authzid && credentials.authzid.toLowerCase() !== credentials.username.toLowerCase()) {
        limiter.fail(ip);
        events.onFailure(ip, credentials.mechanism);
        return { ok: false, reason: 'invalid' };
      }
      switch (credentials.mechanism) {
        case 'USER':
        case 'PLAIN':
        case 'LOGIN': {
          const account = await store.accounts.verifyPassword(credentials.username, credentials.password);
          if (account) {
            limiter.succeed(ip);
            return { ok: true, account };
          }
          break;
        }
        case 'SCRAM-SHA-256': {
          const scramKeys = await store.accounts.scramKeys(credentials.username);
          const account = scramKeys && (await store.accounts.lookup(credentials.username));
          if (scramKeys && account) return { ok: true, account, scramKeys };
          break;
        }
        default:
          break;
      }
      const delay = limiter.delayMs(ip);
      limiter.fail(ip);
      events.onFailure(ip, credentials.mechanism);
      if (delay > 0) await sleep(delay);
      return { ok: false, reason: 'invalid' };
    },
    report(ok, ip) {
      if (ok) limiter.succeed(ip);
      else limiter.fail(ip);
    },
  };
}

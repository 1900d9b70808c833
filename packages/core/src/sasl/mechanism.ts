/**
 * The state every mechanism shares: which of `start()`, `respond()` and `verified()` may come
 * next. Calling one out of turn is caller misuse (a `UsageError`); what the client sent never
 * throws, it becomes a `failure` step.
 */

import { decodeUtf8 } from '../bytes.js';
import { UsageError } from '../errors.js';
import type { SaslMechanismName, SaslServer, SaslStep, SaslVerifyResult } from './types.js';

type Phase = 'start' | 'respond' | 'verified' | 'done';

export abstract class Mechanism implements SaslServer {
  abstract readonly mechanism: SaslMechanismName;
  private phase: Phase = 'start';

  start(initialResponse: Uint8Array | undefined): SaslStep {
    this.enter('start');
    return this.track(this.onStart(initialResponse));
  }

  respond(response: Uint8Array): SaslStep {
    this.enter('respond');
    return this.track(this.onResponse(response));
  }

  verified(result: SaslVerifyResult): SaslStep {
    this.enter('verified');
    return this.track(this.onVerified(result));
  }

  protected abstract onStart(initialResponse: Uint8Array | undefined): SaslStep;
  protected abstract onResponse(response: Uint8Array): SaslStep;
  protected abstract onVerified(result: SaslVerifyResult): SaslStep;

  private enter(call: Phase): void {
    if (this.phase !== call) {
      const expected = this.phase === 'done' ? 'nothing (the exchange is over)' : `${this.phase}()`;
      throw new UsageError('ERR_INVALID_STATE', `${this.mechanism}: ${call}() called, expected ${expected}`);
    }
  }

  private track(step: SaslStep): SaslStep {
    this.phase = step.type === 'challenge' ? 'respond' : step.type === 'verify' ? 'verified' : 'done';
    return step;
  }
}

export const EMPTY = new Uint8Array(0);

export function challenge(bytes: Uint8Array): SaslStep {
  return { type: 'challenge', challenge: bytes };
}

export function failure(reason: 'malformed' | 'invalid' | 'aborted'): SaslStep {
  return { type: 'failure', reason };
}

/** Strict UTF-8 of at most `max` octets, or undefined. */
export function text(bytes: Uint8Array, max: number): string | undefined {
  return bytes.length > max ? undefined : decodeUtf8(bytes);
}

/** Splits `bytes` on every `separator` octet. */
export function splitBytes(bytes: Uint8Array, separator: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === separator) {
      parts.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  parts.push(bytes.subarray(start));
  return parts;
}

/**
 * Decodes a gs2/SCRAM `saslname` (RFC 5802 §7): `=2C` is `,` and `=3D` is `=`; any other `=`,
 * and a raw `,`, make it invalid.
 */
export function decodeSaslname(value: string): string | undefined {
  if (value.includes(',')) return undefined;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c !== '=') {
      out += c;
      continue;
    }
    const hex = value.slice(i + 1, i + 3);
    if (hex === '2C') out += ',';
    else if (hex === '3D') out += '=';
    else return undefined;
    i += 2;
  }
  return out;
}

/** The inverse of `decodeSaslname`. */
export function encodeSaslname(value: string): string {
  return value.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

import { describe, expect, it } from 'vitest';
import { MailwireError } from '@mailwire/core';
import {
  AlreadyExistsError,
  InvalidError,
  LockedError,
  NotFoundError,
  QuotaExceededError,
  StoreError,
  TooLargeError,
} from './errors.js';

describe('store errors', () => {
  it('carry stable codes and are recognised by brand, across copies', () => {
    const quota = new QuotaExceededError({ resource: 'STORAGE', limit: 100, usage: 90, requested: 20 });
    expect(quota.code).toBe('ERR_STORE_QUOTA');
    expect(quota.resource).toBe('STORAGE');
    expect(quota.message).toContain('STORAGE');
    expect(MailwireError.isInstance(quota)).toBe(true);
    expect(StoreError.isInstance(quota)).toBe(true);
    expect(QuotaExceededError.isInstance(quota)).toBe(true);
    expect(NotFoundError.isInstance(quota)).toBe(false);
    // An error from another copy of the package: same brand and code, different class.
    const foreign = Object.assign(new MailwireError('ERR_STORE_LOCKED', 'x'), {});
    expect(LockedError.isInstance(foreign)).toBe(true);
    expect(StoreError.isInstance(new MailwireError('ERR_LINE_TOO_LONG', 'x'))).toBe(false);
    expect(StoreError.isInstance(new Error('x'))).toBe(false);
  });

  it('name each kind', () => {
    expect(new NotFoundError('x').code).toBe('ERR_STORE_NOT_FOUND');
    expect(new AlreadyExistsError('x').code).toBe('ERR_STORE_EXISTS');
    expect(new InvalidError('x').code).toBe('ERR_STORE_INVALID');
    const big = new TooLargeError(10);
    expect(big.code).toBe('ERR_STORE_TOO_LARGE');
    expect(big.limit).toBe(10);
    const cause = new Error('disk');
    expect(new NotFoundError('x', { cause }).cause).toBe(cause);
  });
});

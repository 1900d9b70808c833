import { describe, expect, it } from 'vitest';
import { certificateFailureType, createMemoryMtaStsCache, createMtaStsFetch } from './mta-sts.js';

describe('createMtaStsFetch', () => {
  it('returns status, media type and body; refuses redirects, plain HTTP and oversized policies', async () => {
    const seen: RequestInit[] = [];
    const respond = (response: Response) =>
      createMtaStsFetch({
        fetch: async (_url, init) => {
          seen.push(init ?? {});
          return response;
        },
      });
    const ok = respond(
      new Response('version: STSv1\r\nmode: enforce\r\n', { headers: { 'content-type': 'text/plain' } }),
    );
    expect(await ok('https://mta-sts.example.com/.well-known/mta-sts.txt')).toEqual({
      status: 200,
      contentType: 'text/plain',
      body: 'version: STSv1\r\nmode: enforce\r\n',
    });
    expect(seen[0]).toMatchObject({ redirect: 'manual' });
    const moved = respond(new Response(null, { status: 301, headers: { location: 'https://elsewhere/' } }));
    expect(await moved('https://mta-sts.example.com/.well-known/mta-sts.txt')).toMatchObject({
      status: 301,
      body: '',
    });
    await expect(ok('http://mta-sts.example.com/.well-known/mta-sts.txt')).rejects.toThrow(/HTTPS/);
    const huge = respond(new Response('x'.repeat(70 * 1024), { headers: { 'content-type': 'text/plain' } }));
    await expect(huge('https://mta-sts.example.com/.well-known/mta-sts.txt')).rejects.toThrow(/64 KiB/);
  });

  it('maps certificate errors to RFC 8460 result types; the memory cache keeps entries', async () => {
    expect(certificateFailureType('ERR_TLS_CERT_ALTNAME_INVALID')).toBe('certificate-host-mismatch');
    expect(certificateFailureType('CERT_HAS_EXPIRED')).toBe('certificate-expired');
    expect(certificateFailureType('SELF_SIGNED_CERT_IN_CHAIN')).toBe('certificate-not-trusted');
    expect(certificateFailureType(undefined)).toBe('validation-failure');
    const cache = createMemoryMtaStsCache();
    const entry = {
      id: '1',
      policy: { mode: 'testing' as const, mx: ['mx.example.com'], maxAge: 60 },
      fetchedAt: 5,
    };
    await cache.set('example.com', entry);
    expect(await cache.get('example.com')).toBe(entry);
    expect(await cache.get('example.org')).toBeUndefined();
  });
});

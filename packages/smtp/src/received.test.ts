import { describe, expect, it } from 'vitest';
import { buildReceivedHeader, formatDateTime } from './received.js';

const date = new Date(Date.UTC(2026, 10, 28, 9, 1, 2));

describe('buildReceivedHeader', () => {
  it('writes an RFC 5321 §4.4 trace line with TLS and AUTH details', () => {
    expect(
      buildReceivedHeader({
        helo: 'client.example',
        remoteAddress: '::ffff:192.0.2.1',
        by: 'mx.example',
        tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' },
        authenticatedUser: 'alice',
        id: 'Q1',
        for: { localPart: 'bob', domain: 'example.org', domainType: 'name', utf8: false },
        date,
      }),
    ).toBe(
      'Received: from client.example ([192.0.2.1])\r\n\tby mx.example\r\n\twith ESMTPSA\r\n' +
        '\t(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256)\r\n\t(authenticated sender: alice)\r\n' +
        '\tid Q1\r\n\tfor <bob@example.org>;\r\n\tSat, 28 Nov 2026 09:01:02 +0000\r\n',
    );
  });

  it('puts an invalid HELO in a comment and escapes comment text', () => {
    const header = buildReceivedHeader({
      helo: 'bad(name',
      remoteAddress: '2001:db8::1',
      by: 'mx',
      esmtp: false,
      date,
    });
    expect(header).toBe(
      'Received: from unknown (helo=bad\\(name) ([IPv6:2001:db8::1])\r\n\tby mx\r\n\twith SMTP;\r\n\tSat, 28 Nov 2026 09:01:02 +0000\r\n',
    );
  });

  it('uses LMTP keywords', () => {
    expect(buildReceivedHeader({ helo: 'c', by: 'mx', protocol: 'lmtp', date })).toContain('with LMTP;');
    expect(formatDateTime(new Date(Date.UTC(2000, 0, 5, 1, 2, 3)))).toBe('Wed, 5 Jan 2000 01:02:03 +0000');
  });
});

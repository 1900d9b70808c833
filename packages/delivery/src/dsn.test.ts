import { describe, expect, it } from 'vitest';
import { retryDelay } from './agent.js';
import { buildDsn, headerOf, statusOf } from './dsn.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('DSN helpers', () => {
  it('takes the status from the enhanced code, or from the reply class', () => {
    expect(statusOf('550 5.1.1 No such user', '5.0.0')).toBe('5.1.1');
    expect(statusOf('552 Too big', '5.0.0')).toBe('5.0.0');
    expect(statusOf('451 later', '5.0.0')).toBe('4.0.0');
    expect(statusOf(undefined, '4.4.7')).toBe('4.4.7');
  });

  it('cuts the header block at the first empty line', () => {
    expect(dec(headerOf(enc('A: 1\r\nB: 2\r\n\r\nbody\r\n')))).toBe('A: 1\r\nB: 2\r\n');
    expect(dec(headerOf(enc('A: 1\r\n')))).toBe('A: 1\r\n');
  });

  it('builds a delayed report with Will-Retry-Until and the whole message for RET=FULL', () => {
    const original = enc('Subject: x\r\n\r\nbody\r\n');
    const text = dec(
      buildDsn({
        reportingMta: 'mta.example.org',
        to: 'alice@example.org',
        recipients: [
          {
            address: 'bob@example.com',
            action: 'delayed',
            status: '4.4.1',
            diagnostic: '451 4.4.1 no answer',
          },
        ],
        arrivalDate: Date.UTC(2026, 0, 1),
        now: Date.UTC(2026, 0, 1, 4),
        willRetryUntil: Date.UTC(2026, 0, 6),
        original,
        full: true,
      }),
    );
    const boundary = /boundary="([^"]+)"/.exec(text)![1]!;
    expect(text).toContain('Subject: Delivery Status Notification (Delay)\r\n');
    expect(text).toContain('Arrival-Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n');
    expect(text).toContain(
      'Action: delayed\r\nStatus: 4.4.1\r\nDiagnostic-Code: smtp; 451 4.4.1 no answer\r\n',
    );
    expect(text).toContain('Will-Retry-Until: Tue, 6 Jan 2026 00:00:00 +0000\r\n');
    expect(text).toContain(
      `--${boundary}\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nbody\r\n\r\n--${boundary}--\r\n`,
    );
    expect(text.split(`--${boundary}\r\n`)).toHaveLength(4);
  });

  it('backs off exponentially from 30 minutes to at most 4 hours (RFC 5321 §4.5.4.1)', () => {
    const min = 60_000;
    expect([0, 1, 2, 3, 4, 9].map((n) => retryDelay(n) / min)).toEqual([30, 60, 120, 240, 240, 240]);
    expect(retryDelay(2, { initialMs: 1000, factor: 3, maxMs: 1e9 })).toBe(9000);
  });
});

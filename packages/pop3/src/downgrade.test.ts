import { latin1, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { downgradeHeader, encodedWords, HeaderDowngrader } from './downgrade.js';

const text = (bytes: Uint8Array): string => latin1(bytes);
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function stream(input: Uint8Array, cut: number[], max?: number): string {
  const d = new HeaderDowngrader(max);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const c of [...cut, input.length]) {
    parts.push(d.push(input.subarray(at, c)));
    at = c;
  }
  parts.push(d.end());
  return parts.map(text).join('');
}

describe('downgradeHeader (RFC 6857)', () => {
  it('leaves an ASCII header byte for byte', () => {
    const header = utf8('Subject: plain\r\nFrom: a@b.example\r\n\r\n');
    expect(downgradeHeader(header)).toBe(header);
  });

  it('unstructured fields become RFC 2047 encoded-words', () => {
    const out = text(downgradeHeader(utf8('Subject: h\u00e9llo w\u00f6rld\r\nX-Ascii: ok\r\n\r\n')));
    expect(out).toBe(`Subject: =?UTF-8?B?${b64('h\u00e9llo w\u00f6rld')}?=\r\nX-Ascii: ok\r\n\r\n`);
  });

  it('non-ASCII display names are encoded, non-ASCII addresses become empty groups', () => {
    const out = text(
      downgradeHeader(
        utf8(
          'From: "J\u00f6rg" <jorg@example.com>\r\nTo: bob@example.com,\r\n \u7528\u6237@\u4f8b\u5b50.example\r\n\r\n',
        ),
      ),
    );
    expect(out).toBe(
      `From: =?UTF-8?B?${b64('J\u00f6rg')}?= <jorg@example.com>\r\n` +
        `To: bob@example.com,\r\n =?UTF-8?B?${b64('\u7528\u6237@\u4f8b\u5b50.example')}?= :;\r\n\r\n`,
    );
  });

  it('other 8-bit fields are renamed Downgraded-<name>', () => {
    const out = text(downgradeHeader(utf8('Message-ID: <\u00e9@x>\r\n\r\n')));
    expect(out).toBe(`Downgraded-Message-ID: =?UTF-8?B?${b64('<\u00e9@x>')}?=\r\n\r\n`);
  });

  it('encoded-words are at most 75 characters and never split a character (RFC 2047 §2, §5)', () => {
    const words = encodedWords(utf8('\u00e9'.repeat(100))).split('\r\n ');
    expect(words.length).toBeGreaterThan(1);
    for (const w of words) {
      expect(w.length).toBeLessThanOrEqual(75);
      const inner = Buffer.from(w.slice(10, -2), 'base64');
      expect(inner.length % 2).toBe(0);
    }
    expect(encodedWords(Uint8Array.of(0xff, 0x41))).toBe('=?UNKNOWN-8BIT?B?/0E=?=');
  });
});

describe('HeaderDowngrader', () => {
  const message = utf8('Subject: \u00fcber\r\n\r\nbody stays \u00fcber\r\n');
  const whole = stream(message, []);

  it('downgrades the header and passes the body unchanged', () => {
    expect(whole).toBe(
      `Subject: =?UTF-8?B?${b64('\u00fcber')}?=\r\n\r\n${text(utf8('body stays \u00fcber\r\n'))}`,
    );
  });

  it('gives the same bytes split at every byte', () => {
    for (let i = 0; i <= message.length; i++) expect(stream(message, [i]), `split at ${i}`).toBe(whole);
  });

  it('LF-only messages and messages that are all header', () => {
    expect(stream(utf8('Subject: \u00e9\n\nbody\n'), [])).toBe(
      `Subject: =?UTF-8?B?${b64('\u00e9')}?=\r\n\nbody\n`,
    );
    expect(stream(utf8('Subject: \u00e9'), [])).toBe(`Subject: =?UTF-8?B?${b64('\u00e9')}?=\r\n`);
  });

  it('beyond the header limit: 8-bit octets become ?, the body is untouched', () => {
    const big = utf8(`X-Long: ${'a'.repeat(100)}\r\nSubject: \u00e9\r\n\r\n\u00e9\r\n`);
    const out = stream(big, [50], 64);
    expect(out).toBe(`X-Long: ${'a'.repeat(100)}\r\nSubject: ??\r\n\r\n${text(utf8('\u00e9'))}\r\n`);
  });
});

describe('downgradeSource', () => {
  it('accepts a buffer, a sync and an async iterable and gives the same bytes', async () => {
    const { downgradeSource } = await import('./downgrade.js');
    const message = utf8(`Subject: \u00e9\r\n\r\n${'x'.repeat(200_000)}`);
    const collect = async (src: Parameters<typeof downgradeSource>[0]) => {
      const parts: number[] = [];
      let chunks = 0;
      for await (const c of downgradeSource(src)) {
        chunks += 1;
        parts.push(c.length);
      }
      return { total: parts.reduce((a, b) => a + b, 0), chunks };
    };
    const fromBuffer = await collect(message);
    expect(fromBuffer.chunks).toBeGreaterThan(1);
    expect((await collect([message.subarray(0, 5), message.subarray(5)])).total).toBe(fromBuffer.total);
    expect(
      (
        await collect(
          (async function* () {
            yield message;
          })(),
        )
      ).total,
    ).toBe(fromBuffer.total);
    expect(fromBuffer.total).toBe(message.length - 2 + `=?UTF-8?B?${b64('\u00e9')}?=`.length);
  });
});

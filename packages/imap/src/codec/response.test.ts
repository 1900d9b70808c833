import { latin1, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { serializeResponse, serializeResponseParts } from './response.js';

const text = (bytes: Uint8Array) => latin1(bytes);

describe('response serializer', () => {
  it('chooses atom, quoted string or literal for each value', () => {
    const list = (mailbox: string) =>
      text(serializeResponse({ type: 'list', attributes: [], delimiter: '/', mailbox }));
    expect(list('INBOX')).toBe('* LIST () "/" INBOX\r\n');
    expect(list('My Box')).toBe('* LIST () "/" "My Box"\r\n');
    expect(list('say "hi"\\')).toBe('* LIST () "/" "say \\"hi\\"\\\\"\r\n');
    expect(list('NIL')).toBe('* LIST () "/" "NIL"\r\n');
    expect(list('')).toBe('* LIST () "/" ""\r\n');
    expect(list('Café')).toBe(`* LIST () "/" {5}\r\n${latin1(utf8('Café'))}\r\n`);
    expect(list('a\r\nb')).toBe('* LIST () "/" {4}\r\na\r\nb\r\n');
  });

  it('writes message data as literals, literal8 for BINARY with NUL', () => {
    const fetch = (data: Uint8Array, binary: boolean) =>
      text(
        serializeResponse({
          type: 'fetch',
          seq: 1,
          items: [
            binary ? { item: 'BINARY[]', part: [1], data } : { item: 'BODY[]', section: { part: [1] }, data },
          ],
        }),
      );
    expect(fetch(Uint8Array.of(0x61, 0, 0x62), true)).toBe('* 1 FETCH (BINARY[1] ~{3}\r\na\0b)\r\n');
    expect(fetch(Uint8Array.of(0x61, 0x62), true)).toBe('* 1 FETCH (BINARY[1] {2}\r\nab)\r\n');
    expect(fetch(Uint8Array.of(0x61), false)).toBe('* 1 FETCH (BODY[1] {1}\r\na)\r\n');
  });

  it('writes ENVELOPE address lists back to back and continuation as "+ " text', () => {
    const env = serializeResponse({
      type: 'fetch',
      seq: 2,
      items: [
        {
          item: 'ENVELOPE',
          value: [
            null,
            'Hi',
            [
              {
                concat: [
                  ['A', null, 'a', 'x.org'],
                  ['B', null, 'b', 'x.org'],
                ],
              },
            ],
          ],
        },
      ],
    });
    expect(text(env)).toBe(
      '* 2 FETCH (ENVELOPE (NIL "Hi" (("A" NIL "a" "x.org")("B" NIL "b" "x.org"))))\r\n',
    );
    expect(text(serializeResponse({ type: 'continuation', text: '' }))).toBe('+ \r\n');
    expect(text(serializeResponse({ type: 'status', tag: 'a', status: 'OK', text: 'line\r\nbreak' }))).toBe(
      'a OK line break\r\n',
    );
  });

  it('leaves large literal sources to be streamed after their header', () => {
    const source = { size: 3, chunks: async function* () {} };
    const parts = serializeResponseParts({
      type: 'fetch',
      seq: 1,
      items: [{ item: 'RFC822', data: source }],
    });
    expect(parts.length).toBe(3);
    expect(text(parts[0] as Uint8Array)).toBe('* 1 FETCH (RFC822 {3}\r\n');
    expect(parts[1]).toBe(source);
    expect(text(parts[2] as Uint8Array)).toBe(')\r\n');
    expect(() =>
      serializeResponse({ type: 'fetch', seq: 1, items: [{ item: 'RFC822', data: source }] }),
    ).toThrow();
  });
});

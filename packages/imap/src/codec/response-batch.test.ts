import { latin1 } from '@mailwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FetchValue,
  type Response,
  serializeFetchItem,
  serializeResponse,
  serializeResponses,
  writeFetchResponse,
} from './response.js';
import { WireWriter } from './wire.js';

const envelope: FetchValue = {
  item: 'ENVELOPE',
  value: [
    'Mon, 7 Feb 1994 21:52:25 -0800',
    'Grüße "quoted" \\ back',
    [['Ann', null, 'ann', 'example.com']],
    null,
  ],
};

describe('batched response serialisation', () => {
  it('serializeResponses is the concatenation of each response alone', () => {
    const responses: Response[] = [
      { type: 'fetch', seq: 1, items: [{ item: 'FLAGS', flags: ['\\Seen'] }, envelope] },
      { type: 'exists', count: 3 },
      {
        type: 'fetch',
        seq: 2,
        items: [{ item: 'BODY[]', section: { part: [] }, data: new Uint8Array([0x41, 0x0d, 0x0a]) }],
      },
    ];
    expect(latin1(serializeResponses(responses))).toBe(
      responses.map((r) => latin1(serializeResponse(r))).join(''),
    );
    expect(serializeResponses([]).length).toBe(0);
  });

  it('writeFetchResponse with pre-serialised items writes what serializeResponse writes', () => {
    const flags: FetchValue = { item: 'FLAGS', flags: ['\\Seen', '$Work'] };
    const w = new WireWriter('plain');
    writeFetchResponse(w, 7, [flags, serializeFetchItem(envelope), { item: 'UID', value: 42 }]);
    writeFetchResponse(w, 8, [serializeFetchItem(flags)]);
    expect(latin1(w.toBytes())).toBe(
      latin1(
        serializeResponse({ type: 'fetch', seq: 7, items: [flags, envelope, { item: 'UID', value: 42 }] }),
      ) + latin1(serializeResponse({ type: 'fetch', seq: 8, items: [flags] })),
    );
  });

  it('strings are quoted or sent as literals exactly as the byte-level rules say', () => {
    // Reference: quoted when ≤ 1024 octets of 7-bit text without NUL, CR, LF (escaping " and \), else literal.
    const reference = (s: string) => {
      const bytes = new TextEncoder().encode(s);
      const quotable =
        bytes.length <= 1024 && bytes.every((b) => b !== 0 && b !== 0x0d && b !== 0x0a && b < 0x80);
      if (quotable) return `"${s.replace(/[\\"]/g, '\\$&')}"`;
      return `{${bytes.length}}\r\n${latin1(bytes)}`;
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.constant('x'.repeat(1025)),
        ),
        (s) => {
          expect(latin1(new WireWriter('plain').string(s).toBytes())).toBe(reference(s));
        },
      ),
      { numRuns: 300 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StubQuery } from './stub-query.js';

describe('StubQuery properties', () => {
  it('random datagrams and TCP bytes never throw; the query ends or keeps waiting', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 5 }),
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 5 }),
        (datagrams, chunks) => {
          const query = new StubQuery({ name: 'example.com', type: 'MX', id: 0 });
          for (const d of datagrams) {
            // Pin the id so that some random datagrams get past the id check.
            if (d.length >= 2) d[0] = d[1] = 0;
            expect(['ignored', 'tcp', 'done']).toContain(query.receiveDatagram(d));
          }
          for (const c of chunks) expect(['ignored', 'pending', 'done']).toContain(query.receiveTcp(c));
          query.timeout();
          expect(query.state).toBe('done');
          expect(query.result).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});

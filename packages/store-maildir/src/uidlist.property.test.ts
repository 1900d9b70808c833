import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKeywords, serializeKeywords } from './keywords.js';
import { parseDovecotUidlist, parseUidlist, serializeUidlist, type Uidlist } from './uidlist.js';

const fileName = fc
  .string({ minLength: 1, maxLength: 40 })
  .filter((s) => !s.includes('\n') && !s.includes('\r') && s.trim() === s && s.length > 0);

const uidlist: fc.Arbitrary<Uidlist> = fc
  .record({
    mailboxId: fc.uuid(),
    uidValidity: fc.integer({ min: 1, max: 0xffffffff }),
    highestModseq: fc.integer({ min: 1, max: 1e9 }),
    expungeFloor: fc.integer({ min: 0, max: 1e9 }),
    uids: fc.uniqueArray(fc.integer({ min: 1, max: 1e6 }), { maxLength: 20 }),
    names: fc.array(fileName, { minLength: 20, maxLength: 20 }),
    expunged: fc.uniqueArray(fc.integer({ min: 1e6 + 1, max: 2e6 }), { maxLength: 5 }),
  })
  .map((r) => {
    const uids = [...r.uids].sort((a, b) => a - b);
    const entries = uids.map((uid, i) => ({
      uid,
      modseq: Math.min(r.highestModseq, i + 1),
      ...(i % 2 === 0 ? { added: 1 } : {}),
      internalDate: uid * 1000,
      size: uid % 5000,
      hash: 'ab'.repeat(32),
      fileName: `${r.names[i]}${i}`,
    }));
    const expunges = r.expunged.map((uid, i) => ({ uid, modseq: Math.min(r.highestModseq, i + 1) }));
    const top = Math.max(0, ...uids, ...r.expunged);
    return {
      mailboxId: r.mailboxId,
      uidValidity: r.uidValidity,
      nextUid: top + 1,
      highestModseq: r.highestModseq,
      expungeFloor: r.expungeFloor,
      entries,
      expunges,
    };
  });

describe('uidlist and keyword files (property)', () => {
  it('round-trips mailwire-uidlist', () => {
    fc.assert(
      fc.property(uidlist, (list) => {
        expect(parseUidlist(serializeUidlist(list))).toEqual(list);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips dovecot-keywords', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.stringMatching(/^[!-~]{1,12}$/), { nil: undefined }), { maxLength: 26 }),
        (names) => {
          const parsed = parseKeywords(serializeKeywords(names));
          for (let i = 0; i < 26; i++) expect(parsed[i]).toBe(names[i]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on random file contents', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        parseUidlist(text);
        parseUidlist(`MW1 V1 N1 M1 E0 Ix\n${text}`);
        parseDovecotUidlist(text);
        parseDovecotUidlist(`3 V1 N1\n${text}`);
        parseKeywords(text);
      }),
      { numRuns: 300 },
    );
  });
});

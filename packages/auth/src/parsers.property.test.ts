import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDkimKeyRecord, parseDkimSignature } from './dkim/signature.js';
import { parseDmarcRecord } from './dmarc/record.js';
import { parseMtaStsPolicy, parseMtaStsRecord } from './mta-sts/mta-sts.js';
import { parseTlsRptRecord } from './mta-sts/tls-rpt.js';
import { parseSpfRecord } from './spf/record.js';
import { parseTagList } from './tag-list.js';

const text = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc
    .array(
      fc.constantFrom(
        'v=DKIM1',
        'v=DMARC1',
        'v=STSv1',
        'v=TLSRPTv1',
        'v=spf1',
        ';',
        '=',
        ' ',
        'p=',
        'a=rsa-sha256',
        'b=',
        'h=from',
        'mode: enforce',
        '\n',
        'rua=mailto:a@b',
        '%{',
      ),
      { maxLength: 20 },
    )
    .map((parts) => parts.join('')),
);

describe('record parsers', () => {
  it('never throw and always answer ok or a reason', () => {
    fc.assert(
      fc.property(text, (input) => {
        for (const parse of [
          parseTagList,
          parseDkimSignature,
          parseDkimKeyRecord,
          parseDmarcRecord,
          parseMtaStsRecord,
          parseMtaStsPolicy,
          parseTlsRptRecord,
          parseSpfRecord,
        ]) {
          const result = parse(input) as { ok: boolean; reason?: string };
          expect(result.ok || typeof result.reason === 'string').toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('tag lists round-trip', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/);
    const value = fc.stringMatching(/^[!-:<-~]{0,10}$/);
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, maxLength: 6 }), (tags) => {
        const parsed = parseTagList(tags.map(([n, v]) => `${n}=${v}`).join('; '));
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect([...parsed.tags]).toEqual(tags);
      }),
      { numRuns: 200 },
    );
  });
});

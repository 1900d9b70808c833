import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type Address, parseAddressList } from './address.js';

const atom = fc.string({
  unit: fc.constantFrom('a', 'b', 'z', '0', '9', '+', '_', '-', '='),
  minLength: 1,
  maxLength: 8,
});
const dotAtom = fc.array(atom, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
const nameArb = fc
  .string({
    unit: fc.constantFrom('A', 'z', ' ', ',', ';', ':', '<', '>', '@', '(', ')', '"', '\\', 'é', '.'),
    minLength: 1,
    maxLength: 12,
  })
  .filter((s) => s.trim() === s && s !== '');
const groupName = fc
  .array(fc.string({ unit: fc.constantFrom('T', 'e', 'a', 'm'), minLength: 1, maxLength: 5 }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((words) => words.join(' '));

const mailboxArb = fc.record({ name: fc.option(nameArb, { nil: null }), mailbox: dotAtom, host: dotAtom });
type Item =
  | { kind: 'mailbox'; mb: { name: string | null; mailbox: string; host: string } }
  | { kind: 'group'; name: string; members: Array<{ name: string | null; mailbox: string; host: string }> };
const itemArb: fc.Arbitrary<Item> = fc.oneof(
  mailboxArb.map((mb) => ({ kind: 'mailbox' as const, mb })),
  fc.record({
    kind: fc.constant('group' as const),
    name: groupName,
    members: fc.array(mailboxArb, { maxLength: 3 }),
  }),
);

function render(mb: { name: string | null; mailbox: string; host: string }): string {
  const spec = `${mb.mailbox}@${mb.host}`;
  return mb.name === null ? spec : `"${mb.name.replace(/["\\]/g, (c) => `\\${c}`)}" <${spec}>`;
}

describe('parseAddressList properties', () => {
  test('rendered mailboxes and groups parse back to ENVELOPE structures', () => {
    fc.assert(
      fc.property(
        fc.array(itemArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(', ', ',\r\n ', ' ,'),
        (items, sep) => {
          const text = items
            .map((item) =>
              item.kind === 'mailbox'
                ? render(item.mb)
                : `${item.name}: ${item.members.map(render).join(', ')};`,
            )
            .join(sep);
          const expected: Address[] = [];
          for (const item of items) {
            if (item.kind === 'mailbox') expected.push({ adl: null, ...item.mb });
            else {
              expected.push({ name: null, adl: null, mailbox: item.name, host: null });
              for (const m of item.members) expected.push({ adl: null, ...m });
              expected.push({ name: null, adl: null, mailbox: null, host: null });
            }
          }
          const norm = (list: Address[]) =>
            list.map((a) => ({ name: a.name, adl: a.adl, mailbox: a.mailbox, host: a.host }));
          expect(norm(parseAddressList(text))).toEqual(norm(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random text never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        for (const a of parseAddressList(text)) expect(typeof a).toBe('object');
      }),
      { numRuns: 300 },
    );
  });
});

import { concatBytes, latin1 } from '@mailwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand, type SmtpCommand, serializeCommand } from './command.js';
import { DataDecoder, DotStuffer } from './dot-stuffing.js';
import { ReplyParser, type SmtpReply, serializeReply } from './reply.js';
import { decodeXtext, encodeXtext } from './xtext.js';

const atom = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,10}$/);
const label = fc
  .stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/)
  .filter((l) => l.slice(2, 4) !== '--');
const domain = fc.oneof(
  fc
    .array(label, { minLength: 1, maxLength: 3 })
    .map((l) => ({ domain: l.join('.'), domainType: 'name' as const })),
  fc
    .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
    .map((p) => ({ domain: `[${p.join('.')}]`, domainType: 'ipv4' as const })),
);
const localPart = fc.oneof(
  fc.array(atom, { minLength: 1, maxLength: 3 }).map((a) => a.join('.')),
  fc.stringMatching(/^[ -~]{1,20}$/),
  fc.constantFrom('用户', 'ü.x'),
);
const mailbox = fc
  .tuple(localPart, domain)
  .map(([l, d]) => ({ localPart: l, ...d, utf8: /[^\x00-\x7f]/.test(l + d.domain) }));
const xtextValue = fc.stringMatching(/^[ -~]{1,30}$/);

const command: fc.Arbitrary<SmtpCommand> = fc.oneof(
  fc.record({ verb: fc.constantFrom('EHLO', 'HELO', 'LHLO'), domain: domain.map((d) => d.domain) }),
  fc.record({
    verb: fc.constant('MAIL'),
    from: fc.option(mailbox, { nil: null }),
    params: fc.record(
      {
        size: fc.nat(),
        body: fc.constantFrom('7BIT', '8BITMIME', 'BINARYMIME'),
        smtpUtf8: fc.constant(true),
        auth: fc.option(mailbox, { nil: null }),
        ret: fc.constantFrom('FULL', 'HDRS'),
        envid: fc.stringMatching(/^[!-~]{1,30}$/),
        requireTls: fc.constant(true),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    verb: fc.constant('RCPT'),
    to: mailbox,
    params: fc.record(
      {
        notify: fc.oneof(
          fc.constant([]),
          fc.subarray(['SUCCESS', 'FAILURE', 'DELAY'] as const, { minLength: 1 }),
        ),
        orcpt: fc.record({ addrType: fc.constantFrom('rfc822', 'utf-8'), address: xtextValue }),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ verb: fc.constantFrom('DATA', 'RSET', 'QUIT', 'STARTTLS') }),
  fc.record(
    { verb: fc.constantFrom('NOOP', 'HELP'), argument: fc.stringMatching(/^[!-~]{1,10}$/) },
    { requiredKeys: ['verb'] },
  ),
  fc.record({ verb: fc.constantFrom('VRFY', 'EXPN'), argument: fc.stringMatching(/^[!-~]{1,10}$/) }),
  fc.record(
    {
      verb: fc.constant('AUTH'),
      mechanism: fc.constantFrom('PLAIN', 'LOGIN', 'SCRAM-SHA-256'),
      initialResponse: fc.constantFrom('=', 'AGEAYg==', 'dGVzdA'),
    },
    { requiredKeys: ['verb', 'mechanism'] },
  ),
  fc.record({ verb: fc.constant('BDAT'), size: fc.nat(), last: fc.boolean() }),
) as fc.Arbitrary<SmtpCommand>;

const enhancedCode = fc
  .tuple(fc.constantFrom('2', '4', '5'), fc.nat(7), fc.nat(20))
  .map(([c, s, d]) => `${c}.${s}.${d}`);
const replyArb: fc.Arbitrary<SmtpReply> = fc.oneof(
  fc
    .tuple(
      enhancedCode,
      fc.integer({ min: 0, max: 99 }),
      fc.array(fc.stringMatching(/^[ -~]{0,30}$/), { minLength: 1, maxLength: 4 }),
    )
    .map(([enhanced, rest, lines]) => ({ code: Number(enhanced[0]) * 100 + rest, enhanced, lines })),
  fc
    .tuple(
      fc.integer({ min: 200, max: 599 }),
      fc.array(fc.stringMatching(/^[A-Za-z][ -~]{0,30}$/), { minLength: 1, maxLength: 4 }),
    )
    .map(([code, lines]) => ({ code, enhanced: undefined, lines })),
);

describe('codec properties', () => {
  it('parse(serialize(command)) is the identity', () => {
    fc.assert(
      fc.property(command, (cmd) => {
        const wire = serializeCommand(cmd);
        const parsed = parseCommand(wire.subarray(0, wire.length - 2));
        expect(parsed).toEqual({ ok: true, command: cmd });
      }),
      { numRuns: 300 },
    );
  });

  it('parse(serialize(reply)) is the identity', () => {
    fc.assert(
      fc.property(fc.array(replyArb, { minLength: 1, maxLength: 4 }), fc.nat(), (replies, cut) => {
        const wire = concatBytes(replies.map(serializeReply));
        const parser = new ReplyParser();
        const at = cut % (wire.length + 1);
        parser.push(wire.subarray(0, at));
        const out: unknown[] = [];
        for (let r = parser.next(); r; r = parser.next()) out.push(r);
        parser.push(wire.subarray(at));
        for (let r = parser.next(); r; r = parser.next()) out.push(r);
        expect(out).toEqual(replies.map((r) => ({ type: 'reply', reply: r })));
      }),
      { numRuns: 300 },
    );
  });

  it('xtext round trips', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(decodeXtext(encodeXtext(s))).toBe(s);
      }),
      {
        numRuns: 300,
      },
    );
  });

  it('unstuff(stuff(body)) is the body, for any body and any chunking', () => {
    const body = fc
      .array(fc.constantFrom(13, 10, 46, 97, 0, 255), { maxLength: 60 })
      .map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(
        body,
        fc.array(fc.nat(70), { maxLength: 5 }),
        fc.array(fc.nat(70), { maxLength: 5 }),
        (msg, cutsIn, cutsOut) => {
          const stuffer = new DotStuffer();
          const parts: Uint8Array[] = [];
          let prev = 0;
          for (const cut of [
            ...cutsIn.map((c) => Math.min(c, msg.length)).sort((a, b) => a - b),
            msg.length,
          ]) {
            parts.push(...stuffer.push(msg.subarray(prev, Math.max(prev, cut))));
            prev = Math.max(prev, cut);
          }
          parts.push(stuffer.end());
          const wire = concatBytes([...parts, Uint8Array.of(81, 85, 73, 84)]);
          const decoder = new DataDecoder();
          const chunks: Uint8Array[] = [];
          let offset = 0;
          let done = false;
          for (const cut of [
            ...cutsOut.map((c) => Math.min(c, wire.length)).sort((a, b) => a - b),
            wire.length,
          ]) {
            if (done || cut < offset) continue;
            const r = decoder.push(wire.subarray(offset, cut));
            chunks.push(...r.chunks);
            offset += r.consumed;
            done = r.done;
          }
          expect(done).toBe(true);
          const expected =
            msg.length === 0 || (msg[msg.length - 2] === 13 && msg[msg.length - 1] === 10)
              ? msg
              : concatBytes([msg, Uint8Array.of(13, 10)]);
          expect(latin1(concatBytes(chunks))).toBe(latin1(expected));
          expect(latin1(wire.subarray(offset))).toBe('QUIT');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes never throw in any decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        parseCommand(bytes);
        const parser = new ReplyParser();
        parser.push(bytes);
        for (let i = 0; i < 100 && parser.next(); i++);
        new DataDecoder({ bareLineEndings: 'normalize' }).push(bytes);
        decodeXtext(latin1(bytes));
      }),
      { numRuns: 300 },
    );
  });
});

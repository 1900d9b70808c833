import { concatBytes, latin1 } from '@mailwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drainOutput, drive, type FixtureMessage } from '../test/helpers.js';
import {
  MultilineDecoder,
  MultilineEncoder,
  type Pop3Command,
  type Pop3Response,
  Pop3ServerSession,
  Pop3SizeCounter,
  parseCommand,
  parseResponse,
  serializeCommand,
  serializeResponse,
  toPop3Canonical,
} from './index.js';

const RUNS = { numRuns: 200 };

/** Printable text without spaces, as a POP3 argument (any Unicode, no lone surrogates). */
const word = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
  .filter((s) => !/[\s\0]/.test(s) && s.length > 0);
const phrase = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .filter(
    (s) => !/[\r\n\0]/.test(s) && s.length > 0 && !s.startsWith(' ') && !s.endsWith(' ') && !s.includes('  '),
  );
const num = fc.integer({ min: 0, max: 999_999_999 });
const mech = fc.stringMatching(/^[A-Z0-9_-]{1,20}$/);
const b64 = fc.uint8Array({ minLength: 1, maxLength: 30 }).map((b) => btoa(latin1(b)));

const command: fc.Arbitrary<Pop3Command> = fc.oneof(
  word.map((user) => ({ name: 'USER' as const, user })),
  fc
    .string({ minLength: 1, maxLength: 30 })
    .filter((s) => !/[\r\n\0]/.test(s) && !/[\uD800-\uDFFF]/.test(s))
    .map((password) => ({ name: 'PASS' as const, password })),
  fc
    .tuple(word, fc.stringMatching(/^[0-9a-f]{32}$/))
    .map(([user, digest]) => ({ name: 'APOP' as const, user, digest })),
  fc.constantFrom(
    ...(['STAT', 'NOOP', 'RSET', 'QUIT', 'CAPA', 'STLS', 'UTF8'] as const).map((name) => ({ name })),
  ),
  fc
    .constantFrom('LIST' as const, 'UIDL' as const)
    .chain((name) =>
      fc
        .option(num, { nil: undefined })
        .map((message) => (message === undefined ? { name } : { name, message })),
    ),
  fc
    .tuple(fc.constantFrom('RETR' as const, 'DELE' as const), num)
    .map(([name, message]) => ({ name, message })),
  fc.tuple(num, num).map(([message, lines]) => ({ name: 'TOP' as const, message, lines })),
  fc.constant({ name: 'AUTH' as const }),
  fc
    .tuple(mech, fc.option(fc.oneof(b64, fc.constant('=')), { nil: undefined }))
    .map(([mechanism, initialResponse]) =>
      initialResponse === undefined
        ? { name: 'AUTH' as const, mechanism }
        : { name: 'AUTH' as const, mechanism, initialResponse },
    ),
  fc
    .option(word, { nil: undefined })
    .map((language) =>
      language === undefined ? { name: 'LANG' as const } : { name: 'LANG' as const, language },
    ),
);

const response: fc.Arbitrary<Pop3Response> = fc.oneof(
  fc
    .tuple(
      fc.boolean(),
      fc.option(
        fc.oneof(
          fc.constantFrom('IN-USE', 'LOGIN-DELAY', 'AUTH', 'SYS/TEMP', 'SYS/PERM', 'UTF8'),
          fc.stringMatching(/^[A-Za-z-]{1,8}(\/[A-Za-z-]{1,8}){0,2}$/),
        ),
        { nil: undefined },
      ),
      fc.option(
        phrase.filter((s) => !s.startsWith('[')),
        { nil: '' },
      ),
    )
    .map(([ok, code, text]) =>
      code === undefined
        ? { type: 'status' as const, ok, text: text ?? '' }
        : { type: 'status' as const, ok, code, text: text ?? '' },
    ),
  fc.uint8Array({ maxLength: 40 }).map((b) => ({ type: 'continuation' as const, base64: btoa(latin1(b)) })),
);

function stripCrlf(bytes: Uint8Array): Uint8Array {
  expect(latin1(bytes.subarray(bytes.length - 2))).toBe('\r\n');
  return bytes.subarray(0, bytes.length - 2);
}

/** Splits bytes at the given (sorted, deduplicated) cut points. */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out;
}

/** Message-like bytes rich in the characters that matter: dots, CR, LF at line starts. */
const body = fc
  .array(fc.oneof(fc.constantFrom('.', '\r', '\n', '\r\n', '..', '.\r\n', 'a', 'Subject: x'), fc.string()), {
    maxLength: 40,
  })
  .map((parts) => {
    const s = parts.join('');
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
    return out;
  });
const cuts = fc.array(fc.nat(400), { maxLength: 6 });

function stuff(
  bytes: Uint8Array,
  cutPoints: readonly number[],
  options = {},
): { wire: Uint8Array; octets: number } {
  const encoder = new MultilineEncoder(options);
  const parts: Uint8Array[] = [];
  for (const chunk of split(bytes, cutPoints)) parts.push(encoder.encode(chunk));
  parts.push(encoder.end());
  return { wire: concatBytes(parts), octets: encoder.octets };
}

function unstuff(
  wire: Uint8Array,
  cutPoints: readonly number[],
): { body: Uint8Array; done: boolean; rest: Uint8Array } {
  const decoder = new MultilineDecoder();
  const parts: Uint8Array[] = [];
  for (const chunk of split(wire, cutPoints)) parts.push(decoder.push(chunk));
  return { body: concatBytes(parts), done: decoder.done, rest: decoder.rest };
}

describe('codec round trips', () => {
  it('parseCommand(serializeCommand(c)) = c', () => {
    fc.assert(
      fc.property(command, (c) => {
        expect(parseCommand(stripCrlf(serializeCommand(c)))).toEqual({ ok: true, command: c });
      }),
      RUNS,
    );
  });

  it('parseResponse(serializeResponse(r)) = r', () => {
    fc.assert(
      fc.property(response, (r) => {
        expect(parseResponse(stripCrlf(serializeResponse(r)))).toEqual(r);
      }),
      RUNS,
    );
  });

  it('unstuff(stuff(body)) is the canonical body, for any body and any chunking on both sides', () => {
    fc.assert(
      fc.property(body, cuts, cuts, (bytes, encodeCuts, decodeCuts) => {
        const { wire, octets } = stuff(bytes, encodeCuts);
        const trailer = new Uint8Array([0x2b, 0x4f, 0x4b]);
        const decoded = unstuff(concatBytes([wire, trailer]), decodeCuts);
        const canonical = toPop3Canonical(bytes);
        expect(decoded.done).toBe(true);
        expect(latin1(decoded.rest)).toBe('+OK');
        expect(latin1(decoded.body)).toBe(latin1(canonical));
        const counter = new Pop3SizeCounter();
        for (const chunk of split(bytes, encodeCuts)) counter.push(chunk);
        expect(counter.size).toBe(canonical.length);
        expect(octets).toBe(canonical.length);
        // A body already in canonical form comes back byte for byte.
        expect(latin1(unstuff(stuff(canonical, decodeCuts).wire, encodeCuts).body)).toBe(latin1(canonical));
        // No line of the wire form starts with a lone dot before the terminator.
        const lines = latin1(wire).split('\r\n');
        expect(lines.slice(0, -2).every((l) => l !== '.')).toBe(true);
      }),
      RUNS,
    );
  });

  it('TOP n sends the header, the blank line and n body lines', () => {
    const lineArb = fc.stringMatching(/^[ -~]{0,12}$/);
    fc.assert(
      fc.property(
        fc.array(
          lineArb.filter((l) => l.length > 0),
          { maxLength: 5 },
        ),
        fc.array(lineArb, { maxLength: 8 }),
        fc.nat(10),
        cuts,
        (header, bodyLines, n, encodeCuts) => {
          const text = `${header.map((h) => `${h}\r\n`).join('')}\r\n${bodyLines.map((l) => `${l}\r\n`).join('')}`;
          const bytes = Uint8Array.from(text, (ch) => ch.charCodeAt(0));
          const decoded = unstuff(stuff(bytes, encodeCuts, { bodyLines: n }).wire, []);
          const expected = `${header.map((h) => `${h}\r\n`).join('')}\r\n${bodyLines
            .slice(0, n)
            .map((l) => `${l}\r\n`)
            .join('')}`;
          expect(latin1(decoded.body)).toBe(expected);
        },
      ),
      RUNS,
    );
  });
});

describe('random bytes never throw', () => {
  it('parseCommand and parseResponse return a typed result', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const parsed = parseCommand(bytes);
        expect(typeof parsed.ok).toBe('boolean');
        parseResponse(bytes);
        new MultilineDecoder().push(bytes);
      }),
      RUNS,
    );
  });

  it('a session fed random bytes answers only +OK/-ERR lines and never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 6 }), (chunks) => {
        const session = new Pop3ServerSession<FixtureMessage>({ allowInsecureAuth: true, starttls: true });
        let out = '';
        for (const chunk of chunks) {
          session.receive(chunk);
          drive(session);
          out += drainOutput(session);
        }
        session.close();
        drive(session);
        const lines = out.split('\r\n').slice(0, -1);
        for (const line of lines) expect(line).toMatch(/^(\+OK|-ERR)( |$)/);
      }),
      RUNS,
    );
  });

  it('random bytes with a terminator after them get -ERR', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), (bytes) => {
        const session = new Pop3ServerSession<FixtureMessage>();
        drainOutput(session);
        const line = bytes.map((b) => (b === 0x0a || b === 0x20 ? 0x41 : b));
        line[0] = 0x21; // never a keyword
        session.receive(concatBytes([line, new Uint8Array([0x0d, 0x0a])]));
        drive(session);
        expect(drainOutput(session)).toMatch(/^-ERR /);
      }),
      RUNS,
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes.js';
import { deriveScramKeys } from './scram.js';
import { createSaslServer, decodeSaslResponse, SASL_MECHANISMS } from './server.js';
import type { SaslServer, SaslStep } from './types.js';

const keys = deriveScramKeys('pencil', Uint8Array.from([1, 2, 3]), 2);

/** Drives a server with arbitrary client bytes and arbitrary application answers, to the end. */
function drive(
  server: SaslServer,
  initial: Uint8Array | undefined,
  responses: Uint8Array[],
  answers: boolean[],
): SaslStep {
  let step = server.start(initial);
  let r = 0;
  let a = 0;
  for (let rounds = 0; rounds < 10; rounds++) {
    if (step.type === 'challenge') {
      step = server.respond(responses[r++ % Math.max(responses.length, 1)] ?? new Uint8Array(0));
    } else if (step.type === 'verify') {
      const ok = answers[a++ % Math.max(answers.length, 1)] ?? false;
      step = server.verified(ok ? { ok: true, scramKeys: keys } : { ok: false });
    } else {
      return step;
    }
  }
  throw new Error('exchange did not end within 10 rounds');
}

const clientBytes = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc
    .array(
      fc.constantFrom(
        'n',
        'y',
        'p=x',
        ',',
        'a=',
        'n=',
        'r=',
        'c=',
        'biws',
        'p=',
        '=2C',
        '\u0000',
        '\u0001',
        'auth=Bearer x',
        'user=u',
        'm=',
        ' ',
        'ü',
      ),
      { maxLength: 12 },
    )
    .map((parts) => utf8(parts.join(''))),
);

describe('SASL mechanisms never throw on client input', () => {
  it('any bytes, any application answers: the exchange ends in success or failure', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SASL_MECHANISMS),
        fc.option(clientBytes, { nil: undefined }),
        fc.array(clientBytes, { maxLength: 4 }),
        fc.array(fc.boolean(), { maxLength: 3 }),
        (name, initial, responses, answers) => {
          const step = drive(createSaslServer(name)!, initial, responses, answers);
          expect(['success', 'failure']).toContain(step.type);
          if (step.type === 'failure') expect(['malformed', 'invalid']).toContain(step.reason);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodeSaslResponse never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.boolean(), (line, initial) => {
        expect(['data', 'cancel', 'malformed']).toContain(decodeSaslResponse(line, { initial }).type);
      }),
      { numRuns: 300 },
    );
  });
});

describe('PLAIN and LOGIN carry any UTF-8 credentials unchanged', () => {
  const field = fc
    .string({ minLength: 1, maxLength: 40 })
    .filter((s) => !s.includes('\u0000') && !/\p{Cs}/u.test(s));
  it('PLAIN', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(''), field), field, field, (authzid, username, password) => {
        const server = createSaslServer('PLAIN')!;
        const step = server.start(utf8(`${authzid}\u0000${username}\u0000${password}`));
        expect(step).toEqual({
          type: 'verify',
          credentials: { mechanism: 'PLAIN', authzid, username, password },
        });
        expect(server.verified({ ok: true })).toEqual({ type: 'success', username, authzid });
      }),
      { numRuns: 200 },
    );
  });

  it('LOGIN', () => {
    fc.assert(
      fc.property(field, field, (username, password) => {
        const server = createSaslServer('LOGIN')!;
        server.start(undefined);
        server.respond(utf8(username));
        expect(server.respond(utf8(password))).toEqual({
          type: 'verify',
          credentials: { mechanism: 'LOGIN', authzid: '', username, password },
        });
      }),
      { numRuns: 200 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6 } from '../ip.js';
import { decodeMessage, encodeMessage, TcpFramer, frameTcp } from './message.js';
import { formatName } from './name.js';
import { type DnsMessage, type DnsRecord, type RecordData, RecordType } from './types.js';

const label = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,12}$/) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 50 }).map((b) => String.fromCharCode(...b)),
  },
);
const name = fc.array(label, { maxLength: 4 }).map((labels) => formatName(labels));
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ttl = fc.integer({ min: 0, max: 0x7fffffff });
const known = new Set<number>(Object.values(RecordType));

const rdata: fc.Arbitrary<RecordData> = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => ({ type: 'A' as const, address: formatIpv4(b) })),
  fc
    .uint8Array({ minLength: 16, maxLength: 16 })
    .map((b) => ({ type: 'AAAA' as const, address: formatIpv6(b) })),
  name.map((target) => ({ type: 'CNAME' as const, target })),
  name.map((target) => ({ type: 'NS' as const, target })),
  name.map((target) => ({ type: 'PTR' as const, target })),
  fc.record({ type: fc.constant('MX' as const), preference: u16, exchange: name }),
  fc
    .array(fc.uint8Array({ maxLength: 255 }), { maxLength: 3 })
    .map((strings) => ({ type: 'TXT' as const, strings })),
  fc.record({
    type: fc.constant('SOA' as const),
    mname: name,
    rname: name,
    serial: u32,
    refresh: u32,
    retry: u32,
    expire: u32,
    minimum: u32,
  }),
  fc.record({
    type: fc.constant('TLSA' as const),
    usage: fc.integer({ min: 0, max: 255 }),
    selector: fc.integer({ min: 0, max: 255 }),
    matchingType: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 64 }),
  }),
  fc.record({
    type: fc.constant('unknown' as const),
    code: u16.filter((c) => !known.has(c)),
    data: fc.uint8Array({ maxLength: 40 }),
  }),
);

const record: fc.Arbitrary<DnsRecord> = fc
  .tuple(fc.record({ name, class: u16, ttl }), rdata)
  .map(([base, data]) => ({ ...base, ...data }) as DnsRecord);

const message: fc.Arbitrary<DnsMessage> = fc
  .record({
    id: u16,
    flags: fc.record({
      qr: fc.boolean(),
      opcode: fc.integer({ min: 0, max: 15 }),
      aa: fc.boolean(),
      tc: fc.boolean(),
      rd: fc.boolean(),
      ra: fc.boolean(),
      ad: fc.boolean(),
      cd: fc.boolean(),
    }),
    questions: fc.array(fc.record({ name, type: u16, class: u16 }), { maxLength: 2 }),
    answers: fc.array(record, { maxLength: 4 }),
    authorities: fc.array(record, { maxLength: 2 }),
    additionals: fc.array(record, { maxLength: 2 }),
    edns: fc.option(
      fc.record({
        udpSize: u16,
        version: fc.integer({ min: 0, max: 255 }),
        dnssecOk: fc.boolean(),
        options: fc.array(fc.record({ code: u16, data: fc.uint8Array({ maxLength: 20 }) }), { maxLength: 2 }),
      }),
      { nil: undefined },
    ),
    rcode: fc.integer({ min: 0, max: 0xfff }),
  })
  .map(({ edns, rcode, ...rest }) =>
    edns === undefined ? { ...rest, rcode: rcode & 0xf } : { ...rest, rcode, edns },
  );

describe('wire codec properties', () => {
  it('decode(encode(m)) = m for any message', () => {
    fc.assert(
      fc.property(message, (m) => {
        const result = decodeMessage(encodeMessage(m));
        expect(result).toEqual({ ok: true, message: m });
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes give a message or a typed error, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const result = decodeMessage(bytes);
        if (!result.ok) expect(result.error.code).toBe('ERR_DNS_MALFORMED');
      }),
      { numRuns: 300 },
    );
  });

  it('valid messages with bytes flipped, cut or appended never throw, and re-encode when they decode', () => {
    fc.assert(
      fc.property(
        message,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (m, flips, cut) => {
          const bytes = encodeMessage(m);
          for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
          const result = decodeMessage(bytes.slice(0, bytes.length - (cut % 4)));
          if (result.ok) expect(decodeMessage(encodeMessage(result.message)).ok).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('TCP framing round-trips any sequence of messages, any split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (messages, cuts) => {
          const stream = Uint8Array.from(messages.flatMap((m) => [...frameTcp(m)]));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const framer = new TcpFramer();
          const out: Uint8Array[] = [];
          let last = 0;
          for (const p of [...points, stream.length]) {
            framer.push(stream.slice(last, p));
            last = p;
            for (let x = framer.next(); x; x = framer.next()) out.push(x);
          }
          expect(out).toEqual(messages);
        },
      ),
      { numRuns: 200 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { StubQuery } from './stub-query.js';
import { encodeMessage, encodeQuery, QUERY_FLAGS } from './wire/message.js';
import { type DnsMessage, type DnsRecord, RecordType } from './wire/types.js';

const soa = (ttl: number, minimum: number): DnsRecord => ({
  name: 'example.com',
  class: 1,
  ttl,
  type: 'SOA',
  mname: 'ns.example.com',
  rname: 'hostmaster.example.com',
  serial: 1,
  refresh: 7200,
  retry: 3600,
  expire: 1209600,
  minimum,
});

function response(
  query: StubQuery,
  patch: Partial<DnsMessage> & { tc?: boolean; ad?: boolean } = {},
): Uint8Array {
  const { tc, ad, ...rest } = patch;
  return encodeMessage({
    id: query.id,
    flags: { ...QUERY_FLAGS, qr: true, ra: true, tc: tc ?? false, ad: ad ?? false },
    rcode: 0,
    questions: [{ name: query.name, type: query.type, class: 1 }],
    answers: [],
    authorities: [],
    additionals: [],
    ...rest,
  });
}

const mx = (preference: number, exchange: string, ttl = 300, name = 'example.com'): DnsRecord => ({
  name,
  class: 1,
  ttl,
  type: 'MX',
  preference,
  exchange,
});

describe('StubQuery', () => {
  it('produces the query datagram: our id, RD, AD, EDNS(0) with 1232 octets', () => {
    const query = new StubQuery({ name: 'example.com', type: 'MX', id: 0x4d2 });
    expect(query.datagram()).toEqual(encodeQuery({ id: 0x4d2, name: 'example.com', type: 'MX' }));
    expect(query.state).toBe('udp');
  });

  it('accepts the answer: records, smallest TTL, AD bit', () => {
    const query = new StubQuery({ name: 'example.com', type: 'MX', id: 7 });
    const step = query.receiveDatagram(
      response(query, { ad: true, answers: [mx(10, 'a.example.com', 300), mx(20, 'b.example.com', 120)] }),
    );
    expect(step).toBe('done');
    expect(query.state).toBe('done');
    expect(query.result).toMatchObject({
      ok: true,
      ttl: 120,
      authenticated: true,
      records: [{ exchange: 'a.example.com' }, { exchange: 'b.example.com' }],
    });
  });

  describe('ignores answers that are not for it (RFC 5452 §9.1)', () => {
    const cases: [string, (q: StubQuery) => Uint8Array][] = [
      ['another id', (q) => encodeMessage({ ...decodedBase(q), id: (q.id + 1) & 0xffff })],
      [
        'a query, not a response',
        (q) => encodeMessage({ ...decodedBase(q), flags: { ...QUERY_FLAGS, qr: false } }),
      ],
      [
        'another name',
        (q) =>
          encodeMessage({ ...decodedBase(q), questions: [{ name: 'evil.example', type: q.type, class: 1 }] }),
      ],
      [
        'another type',
        (q) =>
          encodeMessage({ ...decodedBase(q), questions: [{ name: q.name, type: RecordType.A, class: 1 }] }),
      ],
      [
        'another class',
        (q) => encodeMessage({ ...decodedBase(q), questions: [{ name: q.name, type: q.type, class: 3 }] }),
      ],
      ['no question', (q) => encodeMessage({ ...decodedBase(q), questions: [] })],
      [
        'an opcode other than QUERY',
        (q) => encodeMessage({ ...decodedBase(q), flags: { ...QUERY_FLAGS, qr: true, opcode: 2 } }),
      ],
      ['garbage', () => new Uint8Array([1, 2, 3])],
    ];
    for (const [what, make] of cases) {
      it(what, () => {
        const query = new StubQuery({ name: 'example.com', type: 'MX', id: 99 });
        expect(query.receiveDatagram(make(query))).toBe('ignored');
        expect(query.state).toBe('udp');
        expect(query.lastIgnored).toBeTruthy();
        expect(query.receiveDatagram(response(query, { answers: [mx(10, 'mx.example.com')] }))).toBe('done');
        expect(query.result).toMatchObject({ ok: true, records: [{ exchange: 'mx.example.com' }] });
      });
    }
  });

  it('accepts the question echoed in another case (0x20)', () => {
    const query = new StubQuery({ name: 'example.com', type: 'A', id: 1 });
    const bytes = encodeMessage({
      ...decodedBase(query),
      questions: [{ name: 'ExAmPlE.CoM', type: RecordType.A, class: 1 }],
      answers: [{ name: 'EXAMPLE.com', class: 1, ttl: 5, type: 'A', address: '192.0.2.1' }],
    });
    expect(query.receiveDatagram(bytes)).toBe('done');
    expect(query.result).toMatchObject({ ok: true, records: [{ address: '192.0.2.1' }] });
  });

  it('switches to TCP on TC=1 and reads the framed answer split at every byte', () => {
    const query0 = new StubQuery({ name: 'example.com', type: 'TXT', id: 5 });
    const full = response(query0, {
      answers: [
        {
          name: 'example.com',
          class: 1,
          ttl: 60,
          type: 'TXT',
          strings: [
            new Uint8Array(250).fill(0x61),
            new Uint8Array(250).fill(0x62),
            new Uint8Array(200).fill(0x63),
          ],
        },
      ],
    });
    const framed = new Uint8Array([full.length >> 8, full.length & 0xff, ...full]);
    for (let cut = 0; cut <= framed.length; cut++) {
      const query = new StubQuery({ name: 'example.com', type: 'TXT', id: 5 });
      expect(query.receiveDatagram(response(query, { tc: true }))).toBe('tcp');
      expect(query.state).toBe('tcp');
      const request = query.tcpRequest();
      expect(request.slice(2)).toEqual(query.datagram());
      expect((request[0]! << 8) | request[1]!).toBe(query.datagram().length);
      expect(query.receiveDatagram(full)).toBe('ignored');
      const first = query.receiveTcp(framed.slice(0, cut));
      expect(first).toBe(cut === framed.length ? 'done' : 'pending');
      if (first !== 'done') expect(query.receiveTcp(framed.slice(cut))).toBe('done');
      expect(query.result).toMatchObject({ ok: true, records: [{ type: 'TXT' }] });
    }
  });

  it('over TCP, a mismatched answer ends the query as a temporary failure', () => {
    const query = new StubQuery({ name: 'example.com', type: 'MX', id: 5 });
    query.receiveDatagram(response(query, { tc: true }));
    const wrong = encodeMessage({ ...decodedBase(query), id: 6 });
    expect(query.receiveTcp(new Uint8Array([wrong.length >> 8, wrong.length & 0xff, ...wrong]))).toBe('done');
    expect(query.result).toMatchObject({ ok: false, kind: 'temporary', reason: 'malformed' });
  });

  it('follows a CNAME chain in the answer, with the smallest TTL', () => {
    const query = new StubQuery({ name: 'www.example.com', type: 'A', id: 3 });
    query.receiveDatagram(
      response(query, {
        answers: [
          { name: 'www.example.com', class: 1, ttl: 600, type: 'CNAME', target: 'web.example.net' },
          { name: 'web.example.net', class: 1, ttl: 30, type: 'CNAME', target: 'edge.example.org' },
          { name: 'edge.example.org', class: 1, ttl: 300, type: 'A', address: '192.0.2.44' },
          { name: 'unrelated.example', class: 1, ttl: 300, type: 'A', address: '203.0.113.66' },
        ],
      }),
    );
    expect(query.result).toEqual({
      ok: true,
      records: [{ name: 'edge.example.org', class: 1, ttl: 300, type: 'A', address: '192.0.2.44' }],
      ttl: 30,
      authenticated: false,
      canonicalName: 'edge.example.org',
    });
  });

  it('records of the wanted type owned by another name are not the answer', () => {
    const query = new StubQuery({ name: 'example.com', type: 'A', id: 3 });
    query.receiveDatagram(
      response(query, {
        answers: [{ name: 'evil.example', class: 1, ttl: 300, type: 'A', address: '203.0.113.66' }],
      }),
    );
    expect(query.result).toMatchObject({ ok: false, kind: 'nodata' });
  });

  it('a CNAME loop or an over-long chain is a temporary failure', () => {
    const query = new StubQuery({ name: 'a.example', type: 'A', id: 3, maxCnameChain: 4 });
    query.receiveDatagram(
      response(query, {
        answers: [
          { name: 'a.example', class: 1, ttl: 1, type: 'CNAME', target: 'b.example' },
          { name: 'b.example', class: 1, ttl: 1, type: 'CNAME', target: 'a.example' },
        ],
      }),
    );
    expect(query.result).toMatchObject({ ok: false, kind: 'temporary', reason: 'cname-chain' });
  });

  it('NXDOMAIN with the negative TTL min(SOA TTL, MINIMUM) (RFC 2308 §5)', () => {
    const query = new StubQuery({ name: 'nope.example.com', type: 'MX', id: 3 });
    query.receiveDatagram(response(query, { rcode: 3, authorities: [soa(900, 3600)] }));
    expect(query.result).toEqual({ ok: false, kind: 'nxdomain', negativeTtl: 900, authenticated: false });
    const other = new StubQuery({ name: 'nope.example.com', type: 'MX', id: 3 });
    other.receiveDatagram(response(other, { rcode: 3, authorities: [soa(3600, 60)] }));
    expect(other.result).toMatchObject({ negativeTtl: 60 });
  });

  it('NXDOMAIN at the end of a CNAME chain is NXDOMAIN (RFC 6604)', () => {
    const query = new StubQuery({ name: 'alias.example.com', type: 'A', id: 3 });
    query.receiveDatagram(
      response(query, {
        rcode: 3,
        answers: [
          { name: 'alias.example.com', class: 1, ttl: 60, type: 'CNAME', target: 'gone.example.net' },
        ],
      }),
    );
    expect(query.result).toMatchObject({ ok: false, kind: 'nxdomain' });
  });

  it('NODATA, with and without an SOA', () => {
    const withSoa = new StubQuery({ name: 'example.com', type: 'AAAA', id: 3 });
    withSoa.receiveDatagram(response(withSoa, { authorities: [soa(300, 300)], ad: true }));
    expect(withSoa.result).toEqual({ ok: false, kind: 'nodata', negativeTtl: 300, authenticated: true });
    const bare = new StubQuery({ name: 'example.com', type: 'AAAA', id: 3 });
    bare.receiveDatagram(response(bare));
    expect(bare.result).toEqual({ ok: false, kind: 'nodata', authenticated: false });
  });

  it('a referral (NS, no SOA, no answer) is a temporary failure: the server is not recursive', () => {
    const query = new StubQuery({ name: 'example.com', type: 'MX', id: 3 });
    query.receiveDatagram(
      response(query, {
        authorities: [{ name: 'com', class: 1, ttl: 1, type: 'NS', target: 'a.gtld-servers.net' }],
      }),
    );
    expect(query.result).toMatchObject({ ok: false, kind: 'temporary', reason: 'lame' });
  });

  it('maps SERVFAIL, REFUSED, FORMERR, NOTIMP and other RCODEs to temporary failures', () => {
    const reasons: [number, string][] = [
      [2, 'servfail'],
      [5, 'refused'],
      [1, 'formerr'],
      [4, 'notimp'],
      [9, 'rcode'],
    ];
    for (const [rcode, reason] of reasons) {
      const query = new StubQuery({ name: 'example.com', type: 'MX', id: 3 });
      query.receiveDatagram(response(query, { rcode }));
      expect(query.result).toMatchObject({ ok: false, kind: 'temporary', reason });
    }
  });

  it('FORMERR without OPT to an EDNS query sets ednsRefused (RFC 6891 §7)', () => {
    const plain = new StubQuery({ name: 'example.com', type: 'MX', id: 3 });
    plain.receiveDatagram(response(plain, { rcode: 1 }));
    expect(plain.ednsRefused).toBe(true);
    const withOpt = new StubQuery({ name: 'example.com', type: 'MX', id: 3 });
    withOpt.receiveDatagram(
      response(withOpt, { rcode: 1, edns: { udpSize: 1232, version: 0, dnssecOk: false, options: [] } }),
    );
    expect(withOpt.ednsRefused).toBe(false);
    const noEdns = new StubQuery({ name: 'example.com', type: 'MX', id: 3, edns: false });
    noEdns.receiveDatagram(response(noEdns, { rcode: 1 }));
    expect(noEdns.ednsRefused).toBe(false);
  });

  it('timeout() and close() end the query as temporary failures; later input is ignored', () => {
    const query = new StubQuery({ name: 'example.com', type: 'MX', id: 3 });
    expect(query.timeout()).toBe('done');
    expect(query.result).toMatchObject({ ok: false, kind: 'temporary', reason: 'timeout' });
    expect(query.receiveDatagram(response(query, { answers: [mx(1, 'x.example')] }))).toBe('done');
    expect(query.result).toMatchObject({ reason: 'timeout' });

    const tcp = new StubQuery({ name: 'example.com', type: 'MX', id: 3 });
    tcp.receiveDatagram(response(tcp, { tc: true }));
    tcp.receiveTcp(new Uint8Array([0, 40, 1, 2]));
    expect(tcp.close()).toBe('done');
    expect(tcp.result).toMatchObject({ ok: false, kind: 'temporary', reason: 'network' });
  });

  it('throws UsageError for a bad id or name', () => {
    expect(() => new StubQuery({ name: 'example.com', type: 'MX', id: -1 })).toThrow(/query id/);
    expect(() => new StubQuery({ name: 'a..example', type: 'MX', id: 1 })).toThrow(/invalid domain name/);
  });
});

function decodedBase(query: StubQuery): DnsMessage {
  return {
    id: query.id,
    flags: { ...QUERY_FLAGS, qr: true },
    rcode: 0,
    questions: [{ name: query.name, type: query.type, class: 1 }],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

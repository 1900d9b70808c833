import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, encodeQuery, frameTcp, QUERY_FLAGS, TcpFramer } from './message.js';
import { formatName, sameName, tryParseName } from './name.js';
import { type DnsMessage, RecordType } from './types.js';

const hex = (text: string) =>
  Uint8Array.from(
    text
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((b) => Number.parseInt(b, 16)),
  );
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

function decoded(bytes: Uint8Array): DnsMessage {
  const result = decodeMessage(bytes);
  if (!result.ok) throw new Error(`decode failed: ${result.error.reason} ${result.error.message}`);
  return result.message;
}

// Answers captured from dig output, written out byte by byte.
const CAPTURED = {
  // dig +dnssec MX example.com: ";; flags: qr rd ra ad" ... "example.com. 86400 IN MX 0 ."
  nullMx: hex(`
    1234 81a0 0001 0001 0000 0001
    07 6578616d706c65 03 636f6d 00 000f 0001
    c00c 000f 0001 00015180 0003 0000 00
    00 0029 04d0 00 00 8000 0000`),
  // dig MX gmail.com (two of its five records), exchanges compressed against each other.
  gmail: hex(`
    beef 8180 0001 0002 0000 0000
    05 676d61696c 03 636f6d 00 000f 0001
    c00c 000f 0001 00000e10 001b 0005
      0d 676d61696c2d736d74702d696e 01 6c 06 676f6f676c65 c012
    c00c 000f 0001 00000e10 0009 000a 04 616c7431 c029`),
  // dig A nonexistent.example.com: NXDOMAIN, SOA in the authority section.
  nxdomain: hex(
    'abcd818300010000000100000b6e6f6e6578697374656e74076578616d706c6503636f6d0000010001c0180006000100000e100035026e73056963616e6e036f726700036e6f6303646e73056963616e6e036f72670078a5083100001c2000000e100012750000000e10',
  ),
  // dig AAAA www.ietf.org: a CNAME to Cloudflare, then two AAAA records.
  cname: hex(
    '010281a00001000300000000037777770469657466036f726700001c0001c00c00050001000007080021037777770469657466036f72670363646e0a636c6f7564666c617265036e657400c02a001c00010000012c001026064700000000000000000068102c63c02a001c00010000012c001026064700000000000000000068102d63',
  ),
  // dig TXT sel._domainkey.example.net: one record of two <character-string>s.
  txt: hex(
    '7777818000010001000000000373656c0a5f646f6d61696e6b6579076578616d706c65036e65740000100001c00c001000010000012c004238763d444b494d313b206b3d7273613b20703d4d4947664d413047435371475349623344514542415155414134474e4144434269514b426751084477494441514142',
  ),
  // dig +dnssec TLSA _25._tcp.mail.ietf.org: "3 1 1 0C72AC70…", AD set, EDNS DO.
  tlsa: hex(
    '424281a00001000100000001035f3235045f746370046d61696c0469657466036f72670000340001c00c003400010000070800230301010c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d600002904d0000080000000',
  ),
};

describe('decodeMessage on captured answers', () => {
  it('null MX for example.com, with header flags and EDNS', () => {
    const m = decoded(CAPTURED.nullMx);
    expect(m.id).toBe(0x1234);
    expect(m.flags).toEqual({
      qr: true,
      opcode: 0,
      aa: false,
      tc: false,
      rd: true,
      ra: true,
      ad: true,
      cd: false,
    });
    expect(m.rcode).toBe(0);
    expect(m.questions).toEqual([{ name: 'example.com', type: RecordType.MX, class: 1 }]);
    expect(m.answers).toEqual([
      { name: 'example.com', class: 1, ttl: 86400, type: 'MX', preference: 0, exchange: '.' },
    ]);
    expect(m.edns).toEqual({ udpSize: 1232, version: 0, dnssecOk: true, options: [] });
    expect(m.additionals).toEqual([]);
  });

  it('gmail.com MX with compressed exchanges', () => {
    const m = decoded(CAPTURED.gmail);
    expect(m.answers.map((r) => (r.type === 'MX' ? `${r.preference} ${r.exchange}` : r.type))).toEqual([
      '5 gmail-smtp-in.l.google.com',
      '10 alt1.gmail-smtp-in.l.google.com',
    ]);
    expect(m.answers[0]!.ttl).toBe(3600);
  });

  it('NXDOMAIN with the SOA of the zone', () => {
    const m = decoded(CAPTURED.nxdomain);
    expect(m.rcode).toBe(3);
    expect(m.answers).toEqual([]);
    expect(m.authorities).toEqual([
      {
        name: 'example.com',
        class: 1,
        ttl: 3600,
        type: 'SOA',
        mname: 'ns.icann.org',
        rname: 'noc.dns.icann.org',
        serial: 2024081457,
        refresh: 7200,
        retry: 3600,
        expire: 1209600,
        minimum: 3600,
      },
    ]);
  });

  it('a CNAME and AAAA records in canonical IPv6 form', () => {
    const m = decoded(CAPTURED.cname);
    expect(m.answers).toEqual([
      { name: 'www.ietf.org', class: 1, ttl: 1800, type: 'CNAME', target: 'www.ietf.org.cdn.cloudflare.net' },
      {
        name: 'www.ietf.org.cdn.cloudflare.net',
        class: 1,
        ttl: 300,
        type: 'AAAA',
        address: '2606:4700::6810:2c63',
      },
      {
        name: 'www.ietf.org.cdn.cloudflare.net',
        class: 1,
        ttl: 300,
        type: 'AAAA',
        address: '2606:4700::6810:2d63',
      },
    ]);
  });

  it('TXT with several strings kept apart', () => {
    const m = decoded(CAPTURED.txt);
    expect(m.answers[0]).toMatchObject({ type: 'TXT', name: 'sel._domainkey.example.net' });
    const txt = m.answers[0]!;
    expect(txt.type === 'TXT' && txt.strings).toEqual([
      ascii('v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ'),
      ascii('DwIDAQAB'),
    ]);
  });

  it('TLSA', () => {
    const m = decoded(CAPTURED.tlsa);
    expect(m.flags.ad).toBe(true);
    expect(m.answers[0]).toEqual({
      name: '_25._tcp.mail.ietf.org',
      class: 1,
      ttl: 1800,
      type: 'TLSA',
      usage: 3,
      selector: 1,
      matchingType: 1,
      data: hex('0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6'),
    });
  });

  it('re-encodes every captured answer to the same message', () => {
    for (const bytes of Object.values(CAPTURED)) {
      const m = decoded(bytes);
      expect(decoded(encodeMessage(m))).toEqual(m);
    }
  });

  it('keeps records of unknown types raw (RFC 3597)', () => {
    const bytes = hex(`
      0001 8180 0001 0001 0000 0000
      01 78 00 fffe 0001
      c00c fffe 0001 0000003c 0003 010203`);
    expect(decoded(bytes).answers).toEqual([
      { name: 'x', class: 1, ttl: 60, type: 'unknown', code: 0xfffe, data: new Uint8Array([1, 2, 3]) },
    ]);
  });

  it('reads a TTL with the top bit set as 0 (RFC 2181 §8)', () => {
    const bytes = hex('0001 8180 0000 0001 0000 0000 00 0001 0001 80000000 0004 c0000201');
    expect(decoded(bytes).answers[0]).toMatchObject({ ttl: 0, address: '192.0.2.1' });
  });

  it('combines the extended RCODE of the OPT record (RFC 6891 §6.1.3)', () => {
    // BADVERS = 16: header RCODE 0, OPT extended RCODE 1.
    const bytes = hex('0001 8180 0000 0000 0000 0001 00 0029 1000 01 00 0000 0000');
    expect(decoded(bytes).rcode).toBe(16);
  });
});

describe('decodeMessage refuses malformed input with a typed error', () => {
  const cases: [string, string, string][] = [
    ['empty', '', 'truncated'],
    ['a header cut short', '1234 8180 0001', 'truncated'],
    ['counts larger than the message', '1234 8180 ffff ffff ffff ffff', 'truncated'],
    ['a pointer to itself', '1234 8180 0001 0000 0000 0000 c00c 0001 0001', 'bad-pointer'],
    ['a pointer forward', '1234 8180 0001 0000 0000 0000 c00e 0001 0001 00', 'bad-pointer'],
    [
      'a pointer loop between two names',
      '1234 8180 0002 0000 0000 0000 01 61 c01b 0001 0001 01 62 c00c 0001 0001',
      'bad-pointer',
    ],
    ['an extended label type', '1234 8180 0001 0000 0000 0000 41 00 0001 0001', 'bad-label'],
    ['a label past the end', '1234 8180 0001 0000 0000 0000 3f 6162', 'truncated'],
    [
      'an A record of 3 octets',
      '1234 8180 0000 0001 0000 0000 00 0001 0001 00000000 0003 010203',
      'bad-rdata',
    ],
    [
      'an MX whose name overruns RDLENGTH',
      '1234 8180 0000 0001 0000 0000 00 000f 0001 00000000 0003 000a 01 61 00',
      'bad-rdata',
    ],
    [
      'a TXT string overrunning RDATA',
      '1234 8180 0000 0001 0000 0000 00 0010 0001 00000000 0002 05 61',
      'bad-rdata',
    ],
    ['an OPT in the answer section', '1234 8180 0000 0001 0000 0000 00 0029 1000 00000000 0000', 'bad-opt'],
    [
      'two OPT records',
      '1234 8180 0000 0000 0000 0002 00 0029 1000 00000000 0000 00 0029 1000 00000000 0000',
      'bad-opt',
    ],
  ];
  for (const [what, bytes, reason] of cases) {
    it(what, () => {
      const result = decodeMessage(bytes === '' ? new Uint8Array(0) : hex(bytes));
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.reason).toBe(reason);
        expect(result.error.code).toBe('ERR_DNS_MALFORMED');
      }
    });
  }

  it('a name over 255 octets', () => {
    const labels: number[] = [];
    for (let i = 0; i < 5; i++) labels.push(63, ...new Array<number>(63).fill(0x61));
    const bytes = Uint8Array.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
    const result = decodeMessage(bytes);
    expect(!result.ok && result.error.reason).toBe('name-too-long');
  });
});

describe('encodeQuery', () => {
  it('encodes an MX query with RD, AD and an EDNS OPT with the DO bit', () => {
    const bytes = encodeQuery({ id: 0xbeef, name: 'Example.COM.', type: 'MX', edns: { dnssecOk: true } });
    expect(bytes).toEqual(
      hex(`beef 0120 0001 0000 0000 0001
           07 4578616d706c65 03 434f4d 00 000f 0001
           00 0029 04d0 00 00 8000 0000`),
    );
  });

  it('without EDNS and without AD', () => {
    const bytes = encodeQuery({ id: 1, name: 'a.example', type: 'A', edns: false, authenticatedData: false });
    expect(bytes).toEqual(hex('0001 0100 0001 0000 0000 0000 01 61 07 6578616d706c65 00 0001 0001'));
  });

  it('throws UsageError for names that do not fit', () => {
    expect(() => encodeQuery({ id: 1, name: 'a..b', type: 'A' })).toThrow(/invalid domain name/);
    expect(() => encodeQuery({ id: 1, name: `${'a'.repeat(64)}.example`, type: 'A' })).toThrow(/invalid/);
    expect(() => encodeQuery({ id: 1, name: 'bücher.example', type: 'A' })).toThrow(/invalid/);
    expect(() => encodeQuery({ id: 70000, name: 'a.example', type: 'A' })).toThrow(/id 70000/);
  });
});

describe('encodeMessage', () => {
  it('compresses repeated names and keeps their case', () => {
    const message: DnsMessage = {
      id: 1,
      flags: { ...QUERY_FLAGS, qr: true },
      rcode: 0,
      questions: [{ name: 'example.com', type: RecordType.MX, class: 1 }],
      answers: [
        { name: 'example.com', class: 1, ttl: 60, type: 'MX', preference: 10, exchange: 'mx.example.com' },
        { name: 'EXAMPLE.com', class: 1, ttl: 60, type: 'MX', preference: 20, exchange: 'mx2.example.com' },
      ],
      authorities: [],
      additionals: [],
    };
    const bytes = encodeMessage(message);
    // question 17 octets; answer 1: pointer(2)+10+2+"mx"+pointer = 18; answer 2: full name 13 (no
    // case-exact match) … then "mx2" + pointer to "example.com".
    expect(bytes.length).toBeLessThan(90);
    expect(decoded(bytes)).toEqual(message);
  });

  it('refuses a message over 65535 octets', () => {
    const big = new Uint8Array(255).fill(0x61);
    const message: DnsMessage = {
      id: 1,
      flags: QUERY_FLAGS,
      rcode: 0,
      questions: [],
      answers: Array.from({ length: 300 }, () => ({
        name: 'x',
        class: 1,
        ttl: 1,
        type: 'TXT' as const,
        strings: [big],
      })),
      authorities: [],
      additionals: [],
    };
    expect(() => encodeMessage(message)).toThrow(/65535/);
  });
});

describe('TCP framing (RFC 1035 §4.2.2)', () => {
  it('prefixes the length and reassembles any split', () => {
    const a = encodeQuery({ id: 1, name: 'a.example', type: 'A' });
    const b = encodeQuery({ id: 2, name: 'b.example', type: 'AAAA' });
    const stream = new Uint8Array([...frameTcp(a), ...frameTcp(b)]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new TcpFramer();
      const out: Uint8Array[] = [];
      for (const part of [stream.slice(0, cut), stream.slice(cut)]) {
        framer.push(part);
        for (let m = framer.next(); m; m = framer.next()) out.push(m);
      }
      expect(out).toEqual([a, b]);
    }
  });
});

describe('names', () => {
  it('parses and formats escapes (RFC 1035 §5.1)', () => {
    expect(tryParseName('a\\.b.example.')).toEqual(['a.b', 'example']);
    expect(tryParseName('\\065\\\\.x')).toEqual(['A\\', 'x']);
    expect(formatName(['a.b', 'x y', '\u00ff'])).toBe('a\\.b.x\\032y.\\255');
    expect(tryParseName('.')).toEqual([]);
    expect(tryParseName('a..b')).toBeUndefined();
    expect(tryParseName('\\256')).toBeUndefined();
  });

  it('compares names case-insensitively, ASCII only (RFC 4343)', () => {
    expect(sameName('WWW.Example.com.', 'www.example.COM')).toBe(true);
    expect(sameName('\\192', '\\224')).toBe(false);
    expect(sameName('a.example', 'b.example')).toBe(false);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeDnsServer, reply, startFakeDnsServer } from '../../test/fake-dns-server.js';
import { resolveDeliveryTargets } from '../delivery-targets.js';
import { type DnsRecord, RecordType } from '../wire/types.js';
import { parseResolvConf, readResolvConf } from './resolv-conf.js';
import { createStubResolver } from './stub-resolver.js';

let server: FakeDnsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const ns = () => [{ address: server!.address, port: server!.port }];
const soa: DnsRecord = {
  name: 'example.com',
  class: 1,
  ttl: 600,
  type: 'SOA',
  mname: 'ns.example.com',
  rname: 'hostmaster.example.com',
  serial: 1,
  refresh: 1,
  retry: 1,
  expire: 1,
  minimum: 120,
};

describe('createStubResolver over UDP/TCP against a local server', () => {
  it('answers MX over UDP with TTL and the AD bit; asks with EDNS(0)', async () => {
    server = await startFakeDnsServer((q) => [
      reply(q, {
        ad: true,
        answers: [
          {
            name: 'example.com',
            class: 1,
            ttl: 3600,
            type: 'MX',
            preference: 10,
            exchange: 'mx.example.com',
          },
        ],
      }),
    ]);
    const resolver = createStubResolver({ nameservers: ns(), timeoutMs: 2000 });
    expect(await resolver.mx('example.com')).toEqual({
      ok: true,
      records: [{ preference: 10, exchange: 'mx.example.com' }],
      ttl: 3600,
      authenticated: true,
    });
    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.message).toMatchObject({
      questions: [{ name: 'example.com', type: RecordType.MX, class: 1 }],
      flags: { rd: true, ad: true },
      edns: { udpSize: 1232 },
    });
  });

  it('retries over TCP when the UDP answer is truncated', async () => {
    const big = Array.from({ length: 8 }, (_, i) => new Uint8Array(200).fill(0x61 + i));
    server = await startFakeDnsServer((q, transport) =>
      transport === 'udp'
        ? [reply(q, { tc: true })]
        : [reply(q, { answers: [{ name: 'example.com', class: 1, ttl: 300, type: 'TXT', strings: big }] })],
    );
    const result = await createStubResolver({ nameservers: ns(), timeoutMs: 2000 }).txt('example.com');
    expect(result.ok && result.records[0]!.strings.map((s) => s.length)).toEqual(new Array(8).fill(200));
    expect(server.received.map((r) => r.transport)).toEqual(['udp', 'tcp']);
    expect(server.received[1]!.message.id).toBe(server.received[0]!.message.id);
  });

  it('ignores a wrong-id answer, an answer to another question and a spoof from another port', async () => {
    const good = { name: 'example.com', class: 1, ttl: 60, type: 'A' as const, address: '192.0.2.1' };
    const evil = { ...good, address: '203.0.113.66' };
    server = await startFakeDnsServer(async (q) => {
      // Right id and question, wrong source port: only the port check stops it.
      await server!.spoof(reply(q, { answers: [evil] }), server!.received.at(-1)!.port);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return [
        reply({ ...q, id: (q.id + 1) & 0xffff }, { answers: [evil] }),
        reply(
          { ...q, questions: [{ name: 'evil.example', type: RecordType.A, class: 1 }] },
          { answers: [evil] },
        ),
        reply(q, { answers: [good] }),
      ];
    });
    const result = await createStubResolver({ nameservers: ns(), timeoutMs: 2000 }).a('example.com');
    expect(result).toMatchObject({ ok: true, records: [{ address: '192.0.2.1' }] });
  });

  it('reports NXDOMAIN and NODATA with the negative TTL from the SOA', async () => {
    server = await startFakeDnsServer((q) =>
      q.questions[0]!.name === 'gone.example.com'
        ? [reply(q, { rcode: 3, authorities: [soa] })]
        : [reply(q, { authorities: [soa] })],
    );
    const resolver = createStubResolver({ nameservers: ns(), timeoutMs: 2000 });
    expect(await resolver.a('gone.example.com')).toEqual({
      ok: false,
      kind: 'nxdomain',
      negativeTtl: 120,
      authenticated: false,
    });
    expect(await resolver.aaaa('example.com')).toMatchObject({ ok: false, kind: 'nodata', negativeTtl: 120 });
  });

  it('times out per try, with a new id and a new source port for each try', async () => {
    server = await startFakeDnsServer(() => []);
    const started = Date.now();
    const result = await createStubResolver({ nameservers: ns(), timeoutMs: 150, attempts: 3 }).mx(
      'example.com',
    );
    expect(result).toMatchObject({ ok: false, kind: 'temporary', reason: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(server.received).toHaveLength(3);
    expect(new Set(server.received.map((r) => r.port)).size).toBe(3);
    // Three random 16-bit ids: equal ones would be a 1-in-20000 coincidence.
    expect(new Set(server.received.map((r) => r.message.id)).size).toBeGreaterThan(1);
  });

  it('moves on to the next nameserver after SERVFAIL', async () => {
    const failing = await startFakeDnsServer((q) => [reply(q, { rcode: 2 })]);
    server = await startFakeDnsServer((q) => [
      reply(q, { answers: [{ name: 'example.com', class: 1, ttl: 5, type: 'A', address: '192.0.2.7' }] }),
    ]);
    try {
      const resolver = createStubResolver({
        nameservers: [{ address: '127.0.0.1', port: failing.port }, ...ns()],
        timeoutMs: 2000,
      });
      expect(await resolver.a('example.com')).toMatchObject({
        ok: true,
        records: [{ address: '192.0.2.7' }],
      });
      expect(failing.received).toHaveLength(1);
    } finally {
      await failing.close();
    }
  });

  it('asks again without EDNS when the server answers FORMERR without OPT (RFC 6891 §7)', async () => {
    server = await startFakeDnsServer((q) =>
      q.edns
        ? [reply(q, { rcode: 1 })]
        : [
            reply(q, {
              answers: [{ name: 'example.com', class: 1, ttl: 5, type: 'A', address: '192.0.2.8' }],
            }),
          ],
    );
    const result = await createStubResolver({ nameservers: ns(), timeoutMs: 2000 }).a('example.com');
    expect(result).toMatchObject({ ok: true, records: [{ address: '192.0.2.8' }] });
    expect(server.received.map((r) => r.message.edns !== undefined)).toEqual([true, false]);
  });

  it('a closed UDP port fails fast as a network error, not a timeout', async () => {
    const probe = await startFakeDnsServer(() => []);
    const port = probe.port;
    await probe.close();
    const started = Date.now();
    const result = await createStubResolver({
      nameservers: [{ address: '127.0.0.1', port }],
      timeoutMs: 3000,
      attempts: 1,
    }).a('example.com');
    expect(result).toMatchObject({ ok: false, kind: 'temporary', reason: 'network' });
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('SERVFAIL everywhere is a temporary failure', async () => {
    server = await startFakeDnsServer((q) => [reply(q, { rcode: 2 })]);
    const result = await createStubResolver({ nameservers: ns(), timeoutMs: 2000, attempts: 2 }).a(
      'example.com',
    );
    expect(result).toMatchObject({ ok: false, kind: 'temporary', reason: 'servfail' });
    expect(server.received).toHaveLength(2);
  });

  it('drives resolveDeliveryTargets end to end', async () => {
    server = await startFakeDnsServer((q) => {
      const { name, type } = q.questions[0]!;
      if (name === 'example.com' && type === RecordType.MX) {
        return [
          reply(q, {
            answers: [{ name, class: 1, ttl: 60, type: 'MX', preference: 10, exchange: 'mx.example.com' }],
          }),
        ];
      }
      if (name === 'mx.example.com' && type === RecordType.A) {
        return [reply(q, { answers: [{ name, class: 1, ttl: 60, type: 'A', address: '192.0.2.25' }] })];
      }
      return [reply(q, { authorities: [soa] })];
    });
    const targets = await resolveDeliveryTargets('example.com', createStubResolver({ nameservers: ns() }));
    expect(targets).toMatchObject({
      ok: true,
      hosts: [{ name: 'mx.example.com', addresses: [{ address: '192.0.2.25' }] }],
    });
  });

  it('refuses nameservers that are not IP addresses', () => {
    expect(() => createStubResolver({ nameservers: ['dns.example'] })).toThrow(/not an IP address/);
    expect(() => createStubResolver({ nameservers: [] })).toThrow(/empty/);
  });
});

describe('parseResolvConf', () => {
  it('reads nameserver lines, at most three, skipping comments and junk', () => {
    const conf = parseResolvConf(
      [
        '# generated',
        'search example.com',
        'nameserver 192.0.2.53 ; primary',
        'nameserver ::1',
        'nameserver not-an-ip',
        'nameserver fe80::1%eth0',
        'nameserver 192.0.2.54',
        'options ndots:2 timeout:3 attempts:9',
      ].join('\n'),
    );
    expect(conf).toEqual({
      nameservers: [
        { address: '192.0.2.53', port: 53 },
        { address: '::1', port: 53 },
        { address: 'fe80::1%eth0', port: 53 },
      ],
      timeoutMs: 3000,
      attempts: 5,
    });
  });

  it('gives no nameservers for an empty file', () => {
    expect(parseResolvConf('')).toEqual({ nameservers: [] });
  });

  it('readResolvConf reads a file, and a missing file gives no nameservers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailwire-dns-'));
    try {
      const path = join(dir, 'resolv.conf');
      await writeFile(path, 'nameserver 192.0.2.1\noptions timeout:1 attempts:1\n');
      expect(await readResolvConf(path)).toEqual({
        nameservers: [{ address: '192.0.2.1', port: 53 }],
        timeoutMs: 1000,
        attempts: 1,
      });
      expect(await readResolvConf(join(dir, 'missing'))).toEqual({ nameservers: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import { describe, expect, it } from 'vitest';
import { formatProxyHeader, parseProxyHeader, PROXY_V2_SIGNATURE } from './proxy-protocol.js';

const text = (s: string) => new TextEncoder().encode(s);

function v2(versionCommand: number, family: number, payload: number[]): Uint8Array {
  const out = new Uint8Array(16 + payload.length);
  out.set(PROXY_V2_SIGNATURE);
  out[12] = versionCommand;
  out[13] = family;
  out[14] = payload.length >> 8;
  out[15] = payload.length & 0xff;
  out.set(payload, 16);
  return out;
}

describe('parseProxyHeader, version 1', () => {
  it('parses TCP4 and reports the header length, leaving the rest to the protocol', () => {
    const bytes = text('PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\nEHLO x\r\n');
    const result = parseProxyHeader(bytes);
    expect(result).toEqual({
      status: 'complete',
      length: 44,
      header: {
        version: 1,
        command: 'proxy',
        protocol: 'tcp4',
        source: { address: '192.0.2.1', port: 56324 },
        destination: { address: '198.51.100.2', port: 25 },
        tlvs: [],
      },
    });
  });

  it('parses TCP6 and UNKNOWN', () => {
    const tcp6 = parseProxyHeader(text('PROXY TCP6 2001:db8::1 ::ffff:192.0.2.9 1 65535\r\n'));
    expect(tcp6.status === 'complete' && tcp6.header.source).toEqual({ address: '2001:db8::1', port: 1 });
    const unknown = parseProxyHeader(text('PROXY UNKNOWN ffff:f...f:ffff 1 2\r\n'));
    expect(unknown.status === 'complete' && unknown.header.protocol).toBe('unknown');
    expect(unknown.status === 'complete' && unknown.header.source).toBeUndefined();
  });

  it('waits for more bytes on a prefix', () => {
    expect(parseProxyHeader(text('PRO'))).toEqual({ status: 'incomplete' });
    expect(parseProxyHeader(text('PROXY TCP4 192.0.2.1'))).toEqual({ status: 'incomplete' });
    expect(parseProxyHeader(new Uint8Array(0))).toEqual({ status: 'incomplete' });
  });

  it.each([
    ['not a header', 'EHLO example.com\r\n'],
    ['bad family', 'PROXY TCP5 192.0.2.1 192.0.2.2 1 2\r\n'],
    ['bad address', 'PROXY TCP4 192.0.2.256 192.0.2.2 1 2\r\n'],
    ['v6 address in TCP4', 'PROXY TCP4 ::1 ::1 1 2\r\n'],
    ['leading zero port', 'PROXY TCP4 192.0.2.1 192.0.2.2 01 2\r\n'],
    ['port too big', 'PROXY TCP4 192.0.2.1 192.0.2.2 65536 2\r\n'],
    ['bare LF', 'PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n'],
    ['double space', 'PROXY TCP4  192.0.2.1 192.0.2.2 1 2\r\n'],
    ['missing field', 'PROXY TCP4 192.0.2.1 192.0.2.2 1\r\n'],
  ])('rejects %s', (_name, input) => {
    expect(parseProxyHeader(text(input)).status).toBe('invalid');
  });

  it('rejects a line longer than 107 octets without waiting for its end', () => {
    expect(parseProxyHeader(text(`PROXY UNKNOWN ${'x'.repeat(100)}`)).status).toBe('invalid');
    expect(parseProxyHeader(text(`PROXY UNKNOWN ${'x'.repeat(90)}\r\n`)).status).toBe('complete');
  });
});

describe('parseProxyHeader, version 2', () => {
  it('parses TCP over IPv4 with a TLV', () => {
    const bytes = v2(
      0x21,
      0x11,
      [192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0, 25, 0x02, 0, 3, 0x61, 0x62, 0x63],
    );
    const result = parseProxyHeader(bytes);
    expect(result.status).toBe('complete');
    if (result.status !== 'complete') return;
    expect(result.length).toBe(bytes.length);
    expect(result.header.source).toEqual({ address: '192.0.2.1', port: 56324 });
    expect(result.header.destination).toEqual({ address: '198.51.100.2', port: 25 });
    expect(result.header.tlvs).toEqual([{ type: 2, value: text('abc') }]);
  });

  it('parses TCP over IPv6 into canonical text', () => {
    const address = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const result = parseProxyHeader(v2(0x21, 0x21, [...address, ...address, 0, 1, 0, 2]));
    expect(result.status === 'complete' && result.header.source).toEqual({ address: '2001:db8::1', port: 1 });
  });

  it('LOCAL drops the address block (health checks use the real endpoints)', () => {
    const result = parseProxyHeader(v2(0x20, 0x11, [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2]));
    expect(result.status === 'complete' && result.header).toEqual({
      version: 2,
      command: 'local',
      protocol: 'unknown',
      source: undefined,
      destination: undefined,
      tlvs: [],
    });
  });

  it('waits for the announced length', () => {
    const bytes = v2(0x21, 0x11, [192, 0, 2, 1, 198, 51, 100, 2, 0, 1, 0, 2]);
    for (let i = 0; i < bytes.length; i++) {
      expect(parseProxyHeader(bytes.subarray(0, i)).status).toBe('incomplete');
    }
  });

  it.each([
    ['version 1 in the v2 signature', v2(0x11, 0x11, new Array(12).fill(0))],
    ['unknown command', v2(0x22, 0x11, new Array(12).fill(0))],
    ['unknown family', v2(0x21, 0x41, new Array(12).fill(0))],
    ['short address block', v2(0x21, 0x21, new Array(12).fill(0))],
    ['TLV overrun', v2(0x21, 0x11, [...new Array(12).fill(0), 1, 0, 9, 0])],
  ])('rejects %s', (_name, bytes) => {
    expect(parseProxyHeader(bytes).status).toBe('invalid');
  });

  it('enforces maxV2Length before the payload arrives', () => {
    const header = v2(0x21, 0x11, new Array(2000).fill(0)).subarray(0, 16);
    expect(parseProxyHeader(header).status).toBe('invalid');
    expect(parseProxyHeader(header, { maxV2Length: 4000 }).status).toBe('incomplete');
  });
});

describe('formatProxyHeader', () => {
  it('writes the version 1 line a proxy sends', () => {
    const bytes = formatProxyHeader({
      version: 1,
      command: 'proxy',
      protocol: 'tcp4',
      source: { address: '192.0.2.1', port: 5000 },
      destination: { address: '192.0.2.2', port: 25 },
      tlvs: [],
    });
    expect(new TextDecoder().decode(bytes)).toBe('PROXY TCP4 192.0.2.1 192.0.2.2 5000 25\r\n');
  });

  it('writes a version 2 LOCAL header', () => {
    const bytes = formatProxyHeader({ version: 2, command: 'local', protocol: 'unknown', tlvs: [] });
    expect([...bytes]).toEqual([...PROXY_V2_SIGNATURE, 0x20, 0x00, 0, 0]);
  });
});

/**
 * PROXY protocol header codec (HAProxy "The PROXY protocol", versions 1 and 2). Pure functions,
 * no I/O: `parseProxyHeader()` looks at the first bytes a connection received and says whether a
 * complete, valid header is there, how long it is, and what it carries. `formatProxyHeader()` is
 * the reverse, for proxies, clients and tests.
 *
 * Receiving a header is opt-in per listener: the spec requires a receiver configured for it to
 * refuse connections without one (§2 "the receiver MUST NOT try to guess"), so anything that is
 * not a valid header is `invalid` and the caller closes the connection.
 *
 * The parser never throws, whatever the input; it needs at most 107 octets for version 1
 * (spec §2.1) and `16 + maxV2Length` for version 2.
 */

import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './ip.js';

export interface ProxyAddress {
  readonly address: string;
  readonly port: number;
}

export interface ProxyTlv {
  readonly type: number;
  readonly value: Uint8Array;
}

export type ProxyProtocolName = 'tcp4' | 'tcp6' | 'udp4' | 'udp6' | 'unix-stream' | 'unix-dgram' | 'unknown';

export interface ProxyHeader {
  readonly version: 1 | 2;
  /** `local`: a health check from the proxy itself; use the socket's own addresses (spec §2.2). */
  readonly command: 'proxy' | 'local';
  readonly protocol: ProxyProtocolName;
  /** The original client, for `tcp4`/`tcp6`/`udp4`/`udp6` headers. */
  readonly source?: ProxyAddress | undefined;
  /** The address the client connected to, on the proxy. */
  readonly destination?: ProxyAddress | undefined;
  /** Version 2 type-length-value extensions, in order (empty for version 1). */
  readonly tlvs: readonly ProxyTlv[];
}

export type ProxyParseResult =
  | { readonly status: 'incomplete' }
  | { readonly status: 'invalid'; readonly reason: string }
  | { readonly status: 'complete'; readonly length: number; readonly header: ProxyHeader };

export interface ProxyParseOptions {
  /**
   * Largest version 2 payload (addresses + TLVs) accepted, in octets. Default 1024: the largest
   * address block is 216 octets (spec §2.2, AF_UNIX) and common TLVs (ALPN, authority, SSL
   * summary, AWS/Azure ids) fit well below that.
   */
  readonly maxV2Length?: number;
}

/** Version 1 headers are at most 107 octets including CRLF (spec §2.1). */
export const PROXY_V1_MAX_LENGTH = 107;
export const PROXY_V2_SIGNATURE = new Uint8Array([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
const V1_PREFIX = [0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]; // "PROXY "
const INCOMPLETE: ProxyParseResult = { status: 'incomplete' };

function invalid(reason: string): ProxyParseResult {
  return { status: 'invalid', reason };
}

function startsWith(bytes: Uint8Array, prefix: ArrayLike<number>): 'yes' | 'no' | 'maybe' {
  const n = Math.min(bytes.length, prefix.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== prefix[i]) return 'no';
  return n === prefix.length ? 'yes' : 'maybe';
}

/**
 * Parses a PROXY header at the start of `bytes`.
 *
 * @example
 * const result = parseProxyHeader(new TextEncoder().encode('PROXY TCP4 192.0.2.1 198.51.100.2 5000 25\r\n'));
 * // { status: 'complete', length: 44, header: { version: 1, source: { address: '192.0.2.1', port: 5000 }, … } }
 */
export function parseProxyHeader(bytes: Uint8Array, options: ProxyParseOptions = {}): ProxyParseResult {
  const v2 = startsWith(bytes, PROXY_V2_SIGNATURE);
  if (v2 === 'yes') return parseV2(bytes, options.maxV2Length ?? 1024);
  const v1 = startsWith(bytes, V1_PREFIX);
  if (v1 === 'yes') return parseV1(bytes);
  if (v1 === 'maybe' || v2 === 'maybe') return INCOMPLETE;
  return invalid('no PROXY protocol header');
}

function parseV1(bytes: Uint8Array): ProxyParseResult {
  const limit = Math.min(bytes.length, PROXY_V1_MAX_LENGTH);
  let end = -1;
  for (let i = 0; i < limit; i++) {
    const byte = bytes[i]!;
    if (byte === 0x0a) {
      if (i === 0 || bytes[i - 1] !== 0x0d) return invalid('PROXY v1 line ends without CRLF');
      end = i - 1;
      break;
    }
    if (byte === 0x0d && i + 1 < limit && bytes[i + 1] !== 0x0a) return invalid('bare CR in PROXY v1 line');
    // The line is US-ASCII text (spec §2.1).
    if ((byte < 0x20 && byte !== 0x0d) || byte > 0x7e) return invalid('non-ASCII octet in PROXY v1 line');
  }
  if (end === -1) {
    return bytes.length >= PROXY_V1_MAX_LENGTH ? invalid('PROXY v1 line longer than 107 octets') : INCOMPLETE;
  }
  let line = '';
  for (let i = 0; i < end; i++) line += String.fromCharCode(bytes[i]!);
  const length = end + 2;
  const fields = line.split(' ');
  if (fields[1] === 'UNKNOWN') {
    // spec §2.1: with UNKNOWN the rest of the line is ignored and the real addresses are used.
    return {
      status: 'complete',
      length,
      header: { version: 1, command: 'proxy', protocol: 'unknown', tlvs: [] },
    };
  }
  if (fields.length !== 6) return invalid('PROXY v1 line does not have 6 fields');
  const [, family, source, destination, sourcePort, destinationPort] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  let protocol: ProxyProtocolName;
  if (family === 'TCP4') {
    if (!parseIpv4(source) || !parseIpv4(destination)) return invalid('bad IPv4 address in PROXY v1 line');
    protocol = 'tcp4';
  } else if (family === 'TCP6') {
    if (!parseIpv6(source) || !parseIpv6(destination)) return invalid('bad IPv6 address in PROXY v1 line');
    protocol = 'tcp6';
  } else {
    return invalid('unknown PROXY v1 protocol');
  }
  const sport = parsePort(sourcePort);
  const dport = parsePort(destinationPort);
  if (sport === undefined || dport === undefined) return invalid('bad port in PROXY v1 line');
  return {
    status: 'complete',
    length,
    header: {
      version: 1,
      command: 'proxy',
      protocol,
      source: { address: source, port: sport },
      destination: { address: destination, port: dport },
      tlvs: [],
    },
  };
}

function parsePort(text: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

const FAMILIES: Record<number, { protocol: ProxyProtocolName; size: number }> = {
  17: { protocol: 'tcp4', size: 12 },
  18: { protocol: 'udp4', size: 12 },
  33: { protocol: 'tcp6', size: 36 },
  34: { protocol: 'udp6', size: 36 },
  49: { protocol: 'unix-stream', size: 216 },
  50: { protocol: 'unix-dgram', size: 216 },
};

function parseV2(bytes: Uint8Array, maxV2Length: number): ProxyParseResult {
  if (bytes.length < 16) return INCOMPLETE;
  const versionCommand = bytes[12]!;
  // spec §2.2: the version nibble MUST be 0x2; other values are rejected.
  if (versionCommand >> 4 !== 2) return invalid('unsupported PROXY v2 version');
  const commandBits = versionCommand & 0x0f;
  if (commandBits > 1) return invalid('unknown PROXY v2 command');
  const familyByte = bytes[13]!;
  const payload = (bytes[14]! << 8) | bytes[15]!;
  if (payload > maxV2Length) return invalid('PROXY v2 header too long');
  if (bytes.length < 16 + payload) return INCOMPLETE;
  const length = 16 + payload;
  let offset = 16;
  let protocol: ProxyProtocolName = 'unknown';
  let source: ProxyAddress | undefined;
  let destination: ProxyAddress | undefined;
  const family = FAMILIES[familyByte];
  if (family === undefined && familyByte !== 0x00) return invalid('unknown PROXY v2 address family');
  if (commandBits === 1 && family !== undefined) {
    if (payload < family.size) return invalid('PROXY v2 address block too short');
    protocol = family.protocol;
    if (family.size === 12) {
      source = { address: formatIpv4(bytes.subarray(16, 20)), port: (bytes[24]! << 8) | bytes[25]! };
      destination = { address: formatIpv4(bytes.subarray(20, 24)), port: (bytes[26]! << 8) | bytes[27]! };
    } else if (family.size === 36) {
      source = { address: formatIpv6(bytes.subarray(16, 32)), port: (bytes[48]! << 8) | bytes[49]! };
      destination = { address: formatIpv6(bytes.subarray(32, 48)), port: (bytes[50]! << 8) | bytes[51]! };
    }
    offset += family.size;
  } else if (family !== undefined && payload >= family.size) {
    // LOCAL: the address block is skipped and the real endpoints are used (spec §2.2).
    offset += family.size;
  } else if (family !== undefined) {
    offset = length;
  }
  const tlvs: ProxyTlv[] = [];
  while (offset < length) {
    if (length - offset < 3) return invalid('truncated PROXY v2 TLV');
    const type = bytes[offset]!;
    const size = (bytes[offset + 1]! << 8) | bytes[offset + 2]!;
    if (offset + 3 + size > length) return invalid('PROXY v2 TLV overruns the header');
    tlvs.push({ type, value: bytes.slice(offset + 3, offset + 3 + size) });
    offset += 3 + size;
  }
  return {
    status: 'complete',
    length,
    header: {
      version: 2,
      command: commandBits === 1 ? 'proxy' : 'local',
      protocol: commandBits === 1 ? protocol : 'unknown',
      source,
      destination,
      tlvs,
    },
  };
}

/**
 * Serializes a header (what a proxy sends first on the connection to the server).
 * Version 1 can carry only `tcp4`, `tcp6` and `unknown`; UNIX addresses are not serialized.
 */
export function formatProxyHeader(header: ProxyHeader): Uint8Array {
  const { source, destination } = header;
  const withAddresses = header.command === 'proxy' && source !== undefined && destination !== undefined;
  if (header.version === 1) {
    let line = 'PROXY UNKNOWN\r\n';
    if (withAddresses && (header.protocol === 'tcp4' || header.protocol === 'tcp6')) {
      const family = header.protocol === 'tcp4' ? 'TCP4' : 'TCP6';
      line = `PROXY ${family} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`;
    }
    const out = new Uint8Array(line.length);
    for (let i = 0; i < line.length; i++) out[i] = line.charCodeAt(i);
    return out;
  }
  let familyByte = 0x00;
  let addresses = new Uint8Array(0);
  if (withAddresses) {
    const v4 = header.protocol === 'tcp4' || header.protocol === 'udp4';
    const v6 = header.protocol === 'tcp6' || header.protocol === 'udp6';
    const parse = v4 ? parseIpv4 : parseIpv6;
    const src = v4 || v6 ? parse(source.address) : undefined;
    const dst = v4 || v6 ? parse(destination.address) : undefined;
    if (src && dst) {
      familyByte = (v4 ? 0x10 : 0x20) | (header.protocol.startsWith('udp') ? 0x02 : 0x01);
      addresses = new Uint8Array(src.length * 2 + 4);
      addresses.set(src, 0);
      addresses.set(dst, src.length);
      const p = src.length * 2;
      addresses[p] = source.port >> 8;
      addresses[p + 1] = source.port & 0xff;
      addresses[p + 2] = destination.port >> 8;
      addresses[p + 3] = destination.port & 0xff;
    }
  }
  let tlvLength = 0;
  for (const tlv of header.tlvs) tlvLength += 3 + tlv.value.length;
  const out = new Uint8Array(16 + addresses.length + tlvLength);
  out.set(PROXY_V2_SIGNATURE, 0);
  out[12] = header.command === 'proxy' ? 0x21 : 0x20;
  out[13] = familyByte;
  const payload = addresses.length + tlvLength;
  out[14] = payload >> 8;
  out[15] = payload & 0xff;
  out.set(addresses, 16);
  let offset = 16 + addresses.length;
  for (const tlv of header.tlvs) {
    out[offset] = tlv.type;
    out[offset + 1] = tlv.value.length >> 8;
    out[offset + 2] = tlv.value.length & 0xff;
    out.set(tlv.value, offset + 3);
    offset += 3 + tlv.value.length;
  }
  return out;
}

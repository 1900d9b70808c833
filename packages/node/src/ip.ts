/**
 * Strict textual IP address codecs for the PROXY protocol and for certificate SANs. Pure
 * functions: no `node:net`, so they behave the same on every Node version.
 */

/** Parses dotted-quad IPv4 (no leading zeros, RFC 6943 §3.1.1 "strict" form) into 4 bytes. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    out[i] = value;
  }
  return out;
}

export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** Parses an IPv6 address (RFC 4291 §2.2, including `::` and a trailing dotted quad) into 16 bytes. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  let head = text;
  let tail = '';
  const gap = text.indexOf('::');
  if (gap !== -1) {
    if (text.indexOf('::', gap + 1) !== -1) return undefined;
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
  }
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const groups: number[] = [];
  const all = [...headGroups, ...tailGroups];
  let v4: Uint8Array | undefined;
  const last = all[all.length - 1];
  if (last?.includes('.')) {
    v4 = parseIpv4(last);
    if (!v4) return undefined;
    if (tailGroups.length > 0) tailGroups.pop();
    else headGroups.pop();
  }
  for (const group of [...headGroups, ...tailGroups]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
  }
  const words = headGroups.length + tailGroups.length + (v4 ? 2 : 0);
  if (gap === -1 ? words !== 8 : words > 7) return undefined;
  for (const group of headGroups) groups.push(Number.parseInt(group, 16));
  for (let i = words; i < 8; i++) groups.push(0);
  for (const group of tailGroups) groups.push(Number.parseInt(group, 16));
  if (v4) groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i]! >> 8;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  return out;
}

/** Formats 16 bytes as IPv6 text in the RFC 5952 §4 canonical form (lowercase, longest `::`). */
export function formatIpv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    // RFC 5952 §4.2.2: a single 0 field is not shortened; §4.2.3: the first longest run wins.
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((word) => word.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Returns the address family of a textual IP, or `undefined` when it is neither. */
export function ipFamily(text: string): 4 | 6 | undefined {
  if (parseIpv4(text)) return 4;
  if (parseIpv6(text)) return 6;
  return undefined;
}

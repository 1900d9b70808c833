/**
 * Punycode (RFC 3492): the Bootstring encoding IDNA uses to carry Unicode labels as ASCII
 * (`bücher` ↔ `bcher-kva`). Operates on code points; never throws, returns `undefined` on
 * invalid input, overflow (RFC 3492 §6.4) or input longer than `PUNYCODE_MAX_INPUT`.
 */

const BASE = 36;
const TMIN = 1;
const TMAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 0x80;
// RFC 3492 §6.4: overflow detection against the largest integer the implementation handles.
const MAXINT = 0x7fffffff;
/** Longest input accepted (both directions are quadratic; DNS labels are at most 63 octets). */
export const PUNYCODE_MAX_INPUT = 1024;

// RFC 3492 §6.1
function adapt(delta: number, points: number, first: boolean): number {
  delta = first ? Math.floor(delta / DAMP) : delta >> 1;
  delta += Math.floor(delta / points);
  let k = 0;
  while (delta > ((BASE - TMIN) * TMAX) >> 1) {
    delta = Math.floor(delta / (BASE - TMIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - TMIN + 1) * delta) / (delta + SKEW));
}

function threshold(k: number, bias: number): number {
  return k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
}

function digitChar(d: number): string {
  // 0..25 → a..z, 26..35 → 0..9 (RFC 3492 §5); encoders output lowercase.
  return String.fromCharCode(d < 26 ? 0x61 + d : 0x16 + d);
}

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x16;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61;
  return BASE;
}

/**
 * Encodes a Unicode string with Punycode (without the `xn--` prefix).
 *
 * @example
 * punycodeEncode('bücher'); // 'bcher-kva'
 */
export function punycodeEncode(input: string): string | undefined {
  if (input.length > PUNYCODE_MAX_INPUT) return undefined;
  const points = Array.from(input, (c) => c.codePointAt(0)!);
  let output = '';
  for (const p of points) if (p < 0x80) output += String.fromCharCode(p);
  const basic = output.length;
  let handled = basic;
  if (basic > 0) output += '-';
  let n = INITIAL_N;
  let delta = 0;
  let bias = INITIAL_BIAS;
  while (handled < points.length) {
    let m = Number.POSITIVE_INFINITY;
    for (const p of points) if (p >= n && p < m) m = p;
    if ((m - n) * (handled + 1) > MAXINT - delta) return undefined;
    delta += (m - n) * (handled + 1);
    n = m;
    for (const p of points) {
      if (p < n && ++delta > MAXINT) return undefined;
      if (p !== n) continue;
      let q = delta;
      for (let k = BASE; ; k += BASE) {
        const t = threshold(k, bias);
        if (q < t) break;
        output += digitChar(t + ((q - t) % (BASE - t)));
        q = Math.floor((q - t) / (BASE - t));
      }
      output += digitChar(q);
      bias = adapt(delta, handled + 1, handled === basic);
      delta = 0;
      handled++;
    }
    delta++;
    n++;
  }
  return output;
}

/**
 * Decodes Punycode (without the `xn--` prefix); `undefined` for invalid input.
 *
 * @example
 * punycodeDecode('bcher-kva'); // 'bücher'
 */
export function punycodeDecode(input: string): string | undefined {
  if (input.length > PUNYCODE_MAX_INPUT) return undefined;
  const output: number[] = [];
  const last = input.lastIndexOf('-');
  const basicEnd = last === -1 ? 0 : last;
  for (let j = 0; j < basicEnd; j++) {
    const c = input.charCodeAt(j);
    if (c >= 0x80) return undefined;
    output.push(c);
  }
  let pos = basicEnd > 0 ? basicEnd + 1 : 0;
  let n = INITIAL_N;
  let i = 0;
  let bias = INITIAL_BIAS;
  while (pos < input.length) {
    const old = i;
    let w = 1;
    for (let k = BASE; ; k += BASE) {
      if (pos >= input.length) return undefined;
      const digit = digitValue(input.charCodeAt(pos++));
      if (digit >= BASE) return undefined;
      if (digit > Math.floor((MAXINT - i) / w)) return undefined;
      i += digit * w;
      const t = threshold(k, bias);
      if (digit < t) break;
      if (w > Math.floor(MAXINT / (BASE - t))) return undefined;
      w *= BASE - t;
    }
    const count = output.length + 1;
    bias = adapt(i - old, count, old === 0);
    if (Math.floor(i / count) > MAXINT - n) return undefined;
    n += Math.floor(i / count);
    i %= count;
    // RFC 3492 §6.2: a decoded basic code point is an error; so is anything beyond Unicode.
    if (n < 0x80 || n > 0x10ffff) return undefined;
    output.splice(i, 0, n);
    i++;
  }
  return String.fromCodePoint(...output);
}

/**
 * MD5 (RFC 1321), only for CRAM-MD5 (RFC 2195) which is defined over HMAC-MD5. MD5 is broken for
 * collision resistance; nothing else in Mailwire should use it.
 */

const S = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
  14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15,
  21, 6, 10, 15, 21,
];

// RFC 1321 §3.4: T[i] = floor(2^32 * abs(sin(i + 1))).
const T = new Int32Array(64);
for (let i = 0; i < 64; i++) T[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;

function md5Blocks(state: Int32Array, data: Uint8Array, offset: number, end: number, x: Int32Array): void {
  for (let p = offset; p + 64 <= end; p += 64) {
    for (let i = 0; i < 16; i++) {
      const j = p + i * 4;
      x[i] = data[j]! | (data[j + 1]! << 8) | (data[j + 2]! << 16) | (data[j + 3]! << 24);
    }
    let a = state[0]!;
    let b = state[1]!;
    let c = state[2]!;
    let d = state[3]!;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const t = d;
      d = c;
      c = b;
      const sum = (a + f + T[i]! + x[g]!) | 0;
      const s = S[i]!;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
      a = t;
    }
    state[0] = (state[0]! + a) | 0;
    state[1] = (state[1]! + b) | 0;
    state[2] = (state[2]! + c) | 0;
    state[3] = (state[3]! + d) | 0;
  }
}

/** Incremental MD5. */
export class Md5 {
  static readonly blockSize = 64;
  static readonly outputSize = 16;
  private readonly state = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
  private readonly buffer = new Uint8Array(64);
  private readonly x = new Int32Array(16);
  private buffered = 0;
  private length = 0;

  update(data: Uint8Array): this {
    let offset = 0;
    this.length += data.length;
    if (this.buffered > 0) {
      const take = Math.min(64 - this.buffered, data.length);
      this.buffer.set(data.subarray(0, take), this.buffered);
      this.buffered += take;
      offset = take;
      if (this.buffered < 64) return this;
      md5Blocks(this.state, this.buffer, 0, 64, this.x);
      this.buffered = 0;
    }
    const whole = offset + Math.floor((data.length - offset) / 64) * 64;
    md5Blocks(this.state, data, offset, whole, this.x);
    this.buffer.set(data.subarray(whole), 0);
    this.buffered = data.length - whole;
    return this;
  }

  digest(): Uint8Array {
    const bits = this.length * 8;
    const padLength = this.buffered < 56 ? 64 - this.buffered : 128 - this.buffered;
    const pad = new Uint8Array(padLength);
    pad[0] = 0x80;
    // RFC 1321 §3.2: the 64-bit length, low-order word first, little-endian.
    const lo = bits >>> 0;
    const hi = Math.floor(bits / 0x100000000);
    for (let i = 0; i < 4; i++) {
      pad[padLength - 8 + i] = lo >>> (8 * i);
      pad[padLength - 4 + i] = hi >>> (8 * i);
    }
    this.update(pad);
    const out = new Uint8Array(16);
    for (let i = 0; i < 4; i++) {
      const v = this.state[i]!;
      out[i * 4] = v;
      out[i * 4 + 1] = v >>> 8;
      out[i * 4 + 2] = v >>> 16;
      out[i * 4 + 3] = v >>> 24;
    }
    return out;
  }
}

/** MD5 digest of `data` (RFC 1321). */
export function md5(data: Uint8Array): Uint8Array {
  return new Md5().update(data).digest();
}

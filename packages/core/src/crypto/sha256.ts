/**
 * SHA-256 (FIPS 180-4) in plain TypeScript, so that core runs without `node:crypto` and without
 * an async WebCrypto call inside a synchronous state machine. Used by SCRAM-SHA-256 (RFC 7677).
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const INITIAL = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/** Processes 64-byte blocks of `data` from `offset` into the eight-word `state`. */
export function sha256Blocks(
  state: Int32Array,
  data: Uint8Array,
  offset: number,
  end: number,
  w: Int32Array,
): void {
  for (let p = offset; p + 64 <= end; p += 64) {
    for (let i = 0; i < 16; i++) {
      const j = p + i * 4;
      w[i] = (data[j]! << 24) | (data[j + 1]! << 16) | (data[j + 2]! << 8) | data[j + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!;
      const b = w[i - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    let a = state[0]!;
    let b = state[1]!;
    let c = state[2]!;
    let d = state[3]!;
    let e = state[4]!;
    let f = state[5]!;
    let g = state[6]!;
    let h = state[7]!;
    for (let i = 0; i < 64; i++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + s1 + ch + K[i]! + w[i]!) | 0;
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (s0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    state[0] = (state[0]! + a) | 0;
    state[1] = (state[1]! + b) | 0;
    state[2] = (state[2]! + c) | 0;
    state[3] = (state[3]! + d) | 0;
    state[4] = (state[4]! + e) | 0;
    state[5] = (state[5]! + f) | 0;
    state[6] = (state[6]! + g) | 0;
    state[7] = (state[7]! + h) | 0;
  }
}

/** Incremental SHA-256. */
export class Sha256 {
  static readonly blockSize = 64;
  static readonly outputSize = 32;
  private readonly state = new Int32Array(INITIAL);
  private readonly buffer = new Uint8Array(64);
  private readonly w = new Int32Array(64);
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
      sha256Blocks(this.state, this.buffer, 0, 64, this.w);
      this.buffered = 0;
    }
    const whole = offset + Math.floor((data.length - offset) / 64) * 64;
    sha256Blocks(this.state, data, offset, whole, this.w);
    this.buffer.set(data.subarray(whole), 0);
    this.buffered = data.length - whole;
    return this;
  }

  digest(): Uint8Array {
    const bits = this.length * 8;
    const padLength = this.buffered < 56 ? 64 - this.buffered : 128 - this.buffered;
    const pad = new Uint8Array(padLength);
    pad[0] = 0x80;
    const hi = Math.floor(bits / 0x100000000);
    const lo = bits >>> 0;
    pad[padLength - 8] = hi >>> 24;
    pad[padLength - 7] = hi >>> 16;
    pad[padLength - 6] = hi >>> 8;
    pad[padLength - 5] = hi;
    pad[padLength - 4] = lo >>> 24;
    pad[padLength - 3] = lo >>> 16;
    pad[padLength - 2] = lo >>> 8;
    pad[padLength - 1] = lo;
    this.update(pad);
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      const v = this.state[i]!;
      out[i * 4] = v >>> 24;
      out[i * 4 + 1] = v >>> 16;
      out[i * 4 + 2] = v >>> 8;
      out[i * 4 + 3] = v;
    }
    return out;
  }
}

/**
 * SHA-256 digest of `data`.
 *
 * @example
 * toHex(sha256(utf8('abc'))); // 'ba7816bf…'
 */
export function sha256(data: Uint8Array): Uint8Array {
  return new Sha256().update(data).digest();
}

import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { constantTimeEqual, toHex } from './compare.js';
import { hmacMd5, hmacSha256, pbkdf2Sha256 } from './hmac.js';
import { md5 } from './md5.js';
import { sha256 } from './sha256.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
const fill = (byte: number, n: number) => new Uint8Array(n).fill(byte);

describe('sha256 (FIPS 180-4 examples)', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
  ])('sha256(%j)', (input, digest) => {
    expect(toHex(sha256(utf8(input)))).toBe(digest);
  });

  it('one million "a"', () => {
    expect(toHex(sha256(fill(0x61, 1_000_000)))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });
});

describe('md5 (RFC 1321 §A.5 test suite)', () => {
  it.each([
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
  ])('md5(%j)', (input, digest) => {
    expect(toHex(md5(utf8(input)))).toBe(digest);
  });
});

describe('hmacSha256 (RFC 4231 §4)', () => {
  const longKey = fill(0xaa, 131);
  it.each([
    [
      'case 1',
      fill(0x0b, 20),
      utf8('Hi There'),
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    ],
    [
      'case 2',
      utf8('Jefe'),
      utf8('what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    [
      'case 3',
      fill(0xaa, 20),
      fill(0xdd, 50),
      '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
    ],
    [
      'case 4',
      hex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
      fill(0xcd, 50),
      '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    ],
    [
      'case 6',
      longKey,
      utf8('Test Using Larger Than Block-Size Key - Hash Key First'),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      'case 7',
      longKey,
      utf8(
        'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
      ),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ])('%s', (_name, key, data, mac) => {
    expect(toHex(hmacSha256(key, data))).toBe(mac);
  });
});

describe('hmacMd5 (RFC 2104 appendix, RFC 2195 example)', () => {
  it.each([
    [fill(0x0b, 16), utf8('Hi There'), '9294727a3638bb1c13f48ef8158bfc9d'],
    [utf8('Jefe'), utf8('what do ya want for nothing?'), '750c783e6ab0b503eaa86e310a5db738'],
    [fill(0xaa, 16), fill(0xdd, 50), '56be34521d144c88dbb8c733f0e8b3f6'],
    [
      utf8('tanstaaftanstaaf'),
      utf8('<1896.697170952@postoffice.reston.mci.net>'),
      'b913a602c7eda7a495b4e6e7334d3890',
    ],
  ])('vector %#', (key, data, mac) => {
    expect(toHex(hmacMd5(key, data))).toBe(mac);
  });
});

describe('pbkdf2Sha256 (RFC 7914 §11 and common vectors)', () => {
  it('RFC 7914: passwd / salt / 1 / 64', () => {
    expect(toHex(pbkdf2Sha256(utf8('passwd'), utf8('salt'), 1, 64))).toBe(
      '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc' +
        '49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783',
    );
  });

  it('RFC 7914: Password / NaCl / 80000 / 64', () => {
    expect(toHex(pbkdf2Sha256(utf8('Password'), utf8('NaCl'), 80000, 64))).toBe(
      '4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56' +
        'a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d',
    );
  });

  it.each([
    [1, '120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b'],
    [2, 'ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43'],
    [4096, 'c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a'],
  ])('password / salt / %i / 32', (iterations, key) => {
    expect(toHex(pbkdf2Sha256(utf8('password'), utf8('salt'), iterations, 32))).toBe(key);
  });

  it('refuses a zero iteration count as caller misuse', () => {
    expect(() => pbkdf2Sha256(utf8('p'), utf8('s'), 0, 32)).toThrow(/iterations/);
  });
});

describe('base64 (RFC 4648 §10)', () => {
  it.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ])('%j <-> %j', (plain, encoded) => {
    expect(encodeBase64(utf8(plain))).toBe(encoded);
    expect(decodeBase64(encoded)).toEqual(utf8(plain));
    expect(decodeBase64(utf8(encoded))).toEqual(utf8(plain));
  });

  it.each([
    'Zg',
    'Zg=',
    'Zm9v\r\n',
    'Zm 9v',
    '=Zm9',
    'Zg==Zm9v',
    'Z===',
    'Zh==',
    'Zm9=',
    'Zm9vYmFy====',
    'Zm9v!A==',
    'Zm9\u0176',
  ])('rejects %j without throwing', (bad) => {
    expect(decodeBase64(bad)).toBeUndefined();
  });
});

describe('constantTimeEqual', () => {
  it('compares content and length', () => {
    expect(constantTimeEqual(utf8('abc'), utf8('abc'))).toBe(true);
    expect(constantTimeEqual(utf8('abc'), utf8('abd'))).toBe(false);
    expect(constantTimeEqual(utf8('abc'), utf8('ab'))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});

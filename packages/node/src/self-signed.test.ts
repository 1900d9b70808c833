import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createSelfSignedCertificate } from './self-signed.js';

async function handshake(pair: { key: string; cert: string }, host: string, servername?: string) {
  const server = tls.createServer({ key: pair.key, cert: pair.cert }, (socket) => socket.end('hi'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    const socket = tls.connect({
      port,
      host: '127.0.0.1',
      ca: pair.cert,
      ...(servername ? { servername } : {}),
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert),
    });
    socket.on('error', () => {});
    const result = await new Promise<string>((resolve) => {
      socket.on('secureConnect', () => resolve('ok'));
      socket.on('error', (error) => resolve(error.message));
    });
    socket.destroy();
    return result;
  } finally {
    server.close();
  }
}

describe('createSelfSignedCertificate', () => {
  const pair = createSelfSignedCertificate({
    commonName: 'mail.test',
    altNames: ['localhost', 'mail.test', '127.0.0.1', '::1'],
    days: 30,
  });

  it('produces a certificate node:crypto parses, with DNS and IP alt names', () => {
    const x509 = new X509Certificate(pair.cert);
    expect(x509.subject).toBe('CN=mail.test');
    expect(x509.issuer).toBe('CN=mail.test');
    expect(x509.subjectAltName).toBe(
      'DNS:localhost, DNS:mail.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.ca).toBe(false);
    const days = (Date.parse(x509.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkPrivateKey(createPrivateKey(pair.key))).toBe(true);
  });

  it('is accepted by node:tls for its DNS name and its IP address', async () => {
    expect(await handshake(pair, 'localhost', 'localhost')).toBe('ok');
    expect(await handshake(pair, '127.0.0.1')).toBe('ok');
    expect(await handshake(pair, 'mail.test', 'mail.test')).toBe('ok');
  });

  it('is refused for a name it does not carry', async () => {
    expect(await handshake(pair, 'other.test', 'other.test')).toMatch(/altnames/i);
  });

  it('works with RSA keys too', async () => {
    const rsa = createSelfSignedCertificate({ keyType: 'rsa', altNames: ['localhost'] });
    expect(new X509Certificate(rsa.cert).publicKey.asymmetricKeyType).toBe('rsa');
    expect(await handshake(rsa, 'localhost', 'localhost')).toBe('ok');
  });

  it('uses fresh keys and serial numbers each time', () => {
    const other = createSelfSignedCertificate();
    expect(other.key).not.toBe(pair.key);
    expect(new X509Certificate(other.cert).serialNumber).not.toBe(
      new X509Certificate(pair.cert).serialNumber,
    );
  });
});

/** The TLS certificate: the configured one, or a self-signed one generated into the data dir. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSelfSignedCertificate } from '@mailwire/node';
import type { Config } from './config.js';

export interface CertificateFiles {
  readonly key: string;
  readonly cert: string;
  readonly generated: boolean;
  readonly certPath: string;
}

export function loadCertificate(config: Config): CertificateFiles {
  if (config.tls.cert && config.tls.key) {
    return {
      cert: readFileSync(config.tls.cert, 'utf8'),
      key: readFileSync(config.tls.key, 'utf8'),
      generated: false,
      certPath: config.tls.cert,
    };
  }
  const dir = join(config.dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    return {
      cert: readFileSync(certPath, 'utf8'),
      key: readFileSync(keyPath, 'utf8'),
      generated: false,
      certPath,
    };
  }
  const names = [...new Set([config.hostname, 'localhost', '127.0.0.1'])];
  const pair = createSelfSignedCertificate({ commonName: config.hostname, altNames: names, days: 825 });
  mkdirSync(dir, { recursive: true });
  writeFileSync(keyPath, pair.key, { mode: 0o600 });
  writeFileSync(certPath, pair.cert);
  return { cert: pair.cert, key: pair.key, generated: true, certPath };
}

export { listen } from './listen.js';
export type {
  CloseOptions,
  ConnectionLimits,
  ListenOptions,
  MailwireServer,
  ProxyProtocolOptions,
  RejectReason,
} from './listen.js';
export { acceptTls, NodeTransport, tlsInfoOf } from './node-transport.js';
export type { NodeTransportOptions } from './node-transport.js';
export { createTlsConfig, TlsConfig } from './tls-config.js';
export type { TlsCertificate, TlsOptions } from './tls-config.js';
export {
  formatProxyHeader,
  parseProxyHeader,
  PROXY_V1_MAX_LENGTH,
  PROXY_V2_SIGNATURE,
} from './proxy-protocol.js';
export type {
  ProxyAddress,
  ProxyHeader,
  ProxyParseOptions,
  ProxyParseResult,
  ProxyProtocolName,
  ProxyTlv,
} from './proxy-protocol.js';
export { createSelfSignedCertificate } from './self-signed.js';
export type { CertificatePair, SelfSignedOptions } from './self-signed.js';

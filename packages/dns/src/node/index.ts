export { createNodeDnsResolver } from './node-dns-resolver.js';
export type { NodeDnsResolverOptions } from './node-dns-resolver.js';
export { MAX_NAMESERVERS, parseResolvConf, readResolvConf } from './resolv-conf.js';
export type { Nameserver, ResolvConf } from './resolv-conf.js';
export { createStubResolver } from './stub-resolver.js';
export type { StubResolverOptions } from './stub-resolver.js';

export { CachingResolver } from './caching-resolver.js';
export type { CachingResolverOptions } from './caching-resolver.js';
export { resolveDeliveryTargets } from './delivery-targets.js';
export type {
  DeliveryAddress,
  DeliveryFailureReason,
  DeliveryHost,
  DeliveryReply,
  DeliveryTargetOptions,
  DeliveryTargets,
  FamilyPreference,
  HostError,
} from './delivery-targets.js';
export { DnsWireError } from './errors.js';
export type { DnsErrorCode, DnsWireErrorReason } from './errors.js';
export { createFakeResolver } from './fake-resolver.js';
export type {
  FakeFailure,
  FakeResolver,
  FakeResolverOptions,
  FakeZone,
  FakeZoneEntry,
} from './fake-resolver.js';
export { formatIpv4, formatIpv6, ipFamily, parseIpv4, parseIpv6 } from './ip.js';
export { lookup, resolverFrom, toTypedRecord, txtRecord } from './resolver.js';
export type {
  AddressRecord,
  FailureKind,
  LookupFailure,
  LookupNegative,
  LookupResult,
  LookupSuccess,
  LookupTemporary,
  LookupType,
  MxRecord,
  RecordsByType,
  Resolver,
  TemporaryReason,
  TlsaRecord,
  TxtRecord,
} from './resolver.js';
export { StubQuery } from './stub-query.js';
export type { StubQueryOptions, StubResult, StubState, StubStep } from './stub-query.js';
export {
  DEFAULT_UDP_SIZE,
  decodeMessage,
  encodeMessage,
  encodeQuery,
  frameTcp,
  MAX_MESSAGE_LENGTH,
  QUERY_FLAGS,
  queryMessage,
  TcpFramer,
} from './wire/message.js';
export type { DecodeResult, QueryOptions } from './wire/message.js';
export { canonicalName, formatName, MAX_NAME_WIRE_LENGTH, sameName, tryParseName } from './wire/name.js';
export { CLASS_IN, Rcode, RecordType, recordTypeCode, recordTypeName } from './wire/types.js';
export type {
  DnsFlags,
  DnsMessage,
  DnsQuestion,
  DnsRecord,
  Edns,
  EdnsOption,
  RecordBase,
  RecordData,
  RecordTypeName,
} from './wire/types.js';

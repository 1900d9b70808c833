export { coreSha256, keyTypeOf } from './crypto.js';
export type { DkimAlgorithm, DkimCrypto, DkimHash, DkimKeyType } from './crypto.js';
export {
  canonicalHeader,
  DEFAULT_MAX_HEADER_BYTES,
  HeaderSplitter,
  relaxedHeader,
  simpleHeader,
  splitHeaderFields,
} from './header.js';
export type { Canonicalization, RawHeaderField } from './header.js';
export { parseTagList } from './tag-list.js';
export type { TagList, TagListResult } from './tag-list.js';
export { DkimBodyHasher } from './dkim/body-hasher.js';
export type { DkimBodyHasherOptions } from './dkim/body-hasher.js';
export { parseDkimKeyRecord, parseDkimSignature } from './dkim/signature.js';
export type { DkimKeyRecord, DkimSignature, ParseKeyResult, ParseSignatureResult } from './dkim/signature.js';
export {
  DEFAULT_OVERSIGNED_HEADERS,
  DEFAULT_SIGNED_HEADERS,
  DkimSigner,
  selectHeaders,
  signDkim,
} from './dkim/sign.js';
export type { DkimSignOptions } from './dkim/sign.js';
export { DkimVerifier, verifyDkim } from './dkim/verify.js';
export type { DkimResult, DkimResultKind, DkimVerifyOptions } from './dkim/verify.js';
export { checkHelo, checkHost, isQueryableDomain } from './spf/check-host.js';
export type { SpfOptions, SpfResult, SpfVerdict } from './spf/check-host.js';
export { expandMacros } from './spf/macro.js';
export type { MacroContext, MacroResult } from './spf/macro.js';
export { isSpfRecord, parseSpfRecord } from './spf/record.js';
export type { Mechanism, ParseRecordResult, Qualifier, SpfRecord } from './spf/record.js';
export { receivedSpf } from './spf/received-spf.js';
export type { ReceivedSpfOptions } from './spf/received-spf.js';
export { aligned, evaluateDmarc } from './dmarc/evaluate.js';
export type { DmarcInput, DmarcOptions, DmarcResultKind, DmarcVerdict } from './dmarc/evaluate.js';
export { discoverDmarc, isDmarcRecord, organizationalDomain, parseDmarcRecord } from './dmarc/record.js';
export {
  DMARC_TREE_WALK_MAX_QUERIES,
  dmarcTreeWalkNames,
  lookupDmarcRecord,
  walkToOrganizationalDomain,
  walkToPolicyDomain,
} from './dmarc/tree-walk.js';
export type { DmarcLookup, OrganizationalDomainWalk, PolicyDomainWalk } from './dmarc/tree-walk.js';
export type {
  Alignment,
  DmarcDiscovery,
  DmarcDiscoveryMode,
  DmarcDiscoveryOptions,
  PublicSuffixFlag,
  DmarcPolicy,
  DmarcRecord,
  ParseDmarcResult,
} from './dmarc/record.js';
export { fromDomain } from './dmarc/from-domain.js';
export type { FromDomainResult } from './dmarc/from-domain.js';
export { authenticationResults } from './authentication-results.js';
export type { AuthenticationResultsInput } from './authentication-results.js';
export {
  discoverMtaSts,
  MTA_STS_MAX_POLICY_BYTES,
  mxMatchesPolicy,
  parseMtaStsPolicy,
  parseMtaStsRecord,
} from './mta-sts/mta-sts.js';
export type {
  CachedMtaStsPolicy,
  MtaStsCache,
  MtaStsDiscovery,
  MtaStsFetchResponse,
  MtaStsMode,
  MtaStsOptions,
  MtaStsParse,
  MtaStsPolicy,
  MtaStsRecord,
} from './mta-sts/mta-sts.js';
export { parseTlsRptRecord } from './mta-sts/tls-rpt.js';
export type { TlsRptParse, TlsRptRecord } from './mta-sts/tls-rpt.js';
export { ARC_MAX_INSTANCES, ArcSealer, ArcVerifier, sealArc, verifyArc } from './arc/arc.js';
export type { ArcChainStatus, ArcResult, ArcSealOptions, ArcVerifyOptions } from './arc/arc.js';

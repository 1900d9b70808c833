export { MailwireError, UsageError } from './errors.js';
export type { CoreErrorCode, MailwireErrorOptions } from './errors.js';
export { LineReader } from './line-reader.js';
export type { Frame, LineReaderOptions } from './line-reader.js';
export type { ConnectionInfo, ReadResult, TlsInfo, Transport } from './transport.js';
export { WRITTEN } from './transport.js';
export { createTransportPair, MemoryTransport } from './memory-transport.js';
export type { MemoryTransportOptions } from './memory-transport.js';
export { concatBytes, decodeUtf8, fromLatin1, isAscii, latin1, utf8 } from './bytes.js';
export { decodeBase64, encodeBase64 } from './crypto/base64.js';
export { constantTimeEqual, toHex } from './crypto/compare.js';
export { hmacMd5, hmacSha256, pbkdf2Sha256 } from './crypto/hmac.js';
export { Md5, md5 } from './crypto/md5.js';
export { Sha256, sha256 } from './crypto/sha256.js';
export { CRAM_MD5_MAX_RESPONSE } from './sasl/cram-md5.js';
export { LOGIN_MAX_FIELD } from './sasl/login.js';
export { OAUTH_MAX_MESSAGE } from './sasl/oauth.js';
export { PLAIN_MAX_FIELD } from './sasl/plain.js';
export { saslprep } from './sasl/saslprep.js';
export type { SaslprepOptions } from './sasl/saslprep.js';
export { deriveScramKeys, SCRAM_DEFAULT_ITERATIONS, SCRAM_MAX_MESSAGE } from './sasl/scram.js';
export { createSaslServer, decodeSaslResponse, SASL_MECHANISMS } from './sasl/server.js';
export type { SaslResponse } from './sasl/server.js';
export type {
  SaslCredentials,
  SaslMechanismName,
  SaslServer,
  SaslServerOptions,
  SaslStep,
  SaslVerifyResult,
  ScramStoredKeys,
} from './sasl/types.js';
export { formatAddressList, MAX_ADDRESS_LIST_LENGTH, parseAddressList } from './address/address-list.js';
export type {
  AddressListEntry,
  AddressListInput,
  AddressListOptions,
  GroupAddress,
  MailboxAddress,
  MailboxInput,
} from './address/address-list.js';
export { domainToAscii, domainToUnicode, MAX_DOMAIN_NAME_LENGTH, MAX_LABEL_LENGTH } from './address/idna.js';
export {
  formatLocalPart,
  formatMailbox,
  formatPath,
  MAX_DOMAIN_LENGTH,
  MAX_LOCAL_PART_LENGTH,
  MAX_PATH_LENGTH,
  parseMailbox,
  parsePath,
  parseReversePath,
} from './address/path.js';
export type { Mailbox, MailboxOptions, Path, PathOptions, PathResult } from './address/path.js';
export { PUNYCODE_MAX_INPUT, punycodeDecode, punycodeEncode } from './address/punycode.js';
export { AddressError } from './address/result.js';
export type { AddressErrorReason, ParseResult } from './address/result.js';

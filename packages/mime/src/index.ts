export type {
  MimeDisposition,
  MimeIndex,
  MimeIndexerOptions,
  MimeLimit,
  MimeParam,
  MimePart,
  RawEnvelope,
} from './types.js';
export { MIME_DEFAULTS, MimeIndexer, indexMessage } from './indexer.js';
export { MimeUsageError, type MimeErrorCode } from './errors.js';
export {
  cleanValue,
  filterHeaderFields,
  getParam,
  type HeaderField,
  parseHeaderFields,
  parseStructured,
  type StructuredValue,
  unfold,
} from './header.js';
export { type Address, parseAddressList } from './address.js';
export { EMPTY_ENVELOPE, type Envelope, envelope } from './envelope.js';
export {
  type BodyDisposition,
  type BodyStructure,
  type BodyStructureOptions,
  bodyStructure,
  isMultipartBody,
  type MultipartBody,
  type SinglePartBody,
} from './body-structure.js';
export {
  listParts,
  parseSection,
  resolvePart,
  resolveSection,
  type SectionRange,
  type SectionSpec,
} from './section.js';
export { decodeEncodedWords, decodeHeaderValue, encodeEncodedWords } from './encoded-word.js';
export { decodeParams } from './params.js';
export {
  Base64Decoder,
  createDecoder,
  decodeTransfer,
  normalizeEncoding,
  QuotedPrintableDecoder,
  type TransferDecoder,
} from './transfer.js';
export { createTextDecoder, decodeText, isKnownCharset, type TextStreamDecoder } from './charset.js';
export { fromLatin1 as binaryToBytes, latin1 as bytesToBinary } from './bytes.js';
export { BodyTextExtractor, textParts } from './body-text.js';

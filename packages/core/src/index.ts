export { MailwireError, UsageError } from './errors.js';
export type { CoreErrorCode, MailwireErrorOptions } from './errors.js';
export { LineReader } from './line-reader.js';
export type { Frame, LineReaderOptions } from './line-reader.js';
export type { ConnectionInfo, ReadResult, TlsInfo, Transport } from './transport.js';
export { createTransportPair, MemoryTransport } from './memory-transport.js';
export type { MemoryTransportOptions } from './memory-transport.js';
export { concatBytes, decodeUtf8, fromLatin1, isAscii, latin1, utf8 } from './bytes.js';

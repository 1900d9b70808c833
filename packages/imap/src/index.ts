export { Fragmentizer, literalHeader, STREAMED } from './codec/fragmentizer.js';
export type { CommandFrame, Fragment, FragmentizerOptions, LiteralHeader } from './codec/fragmentizer.js';
export { parseCommand } from './codec/command-parser.js';
export type { CommandParserOptions, ParseResult } from './codec/command-parser.js';
export { serializeCommand, formatSection } from './codec/command-serializer.js';
export {
  serializeFetchItem,
  serializeResponse,
  serializeResponseParts,
  serializeResponses,
  writeFetchResponse,
} from './codec/response.js';
export type {
  BodyData,
  FetchValue,
  LiteralSource,
  NValue,
  Response,
  ResponseCode,
  ResponsePart,
  StatusName,
} from './codec/response.js';
export { parseResponse, parseResponses, ResponseParser } from './codec/response-parser.js';
export type { ResponseParseResult } from './codec/response-parser.js';
export { formatDate, formatDateTime, formatSequenceSet, WireWriter } from './codec/wire.js';
export type {
  AppendMessage,
  Command,
  CommandName,
  EsearchReturn,
  FetchItem,
  ImapDate,
  ImapDateTime,
  ListReturn,
  Partial,
  SearchKey,
  Section,
  SeqNumber,
  SequenceSet,
  SimpleCommandName,
  StatusItem,
} from './codec/types.js';
export { ImapServerSession } from './session/server-session.js';
export type { ImapServerSessionOptions } from './session/server-session.js';
export type { AuthenticateDecision, ImapServerEvent, LoginDecision } from './session/server-events.js';
export { MailboxView } from './session/mailbox-view.js';
export { decodeMailboxUtf7, encodeMailboxUtf7 } from './session/utf7.js';
export { capabilities } from './session/capabilities.js';
export { serve } from './serve.js';
export type { ServeOptions } from './serve.js';

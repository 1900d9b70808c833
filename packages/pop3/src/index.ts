export { parseCommand, serializeCommand, POP3_COMMAND_NAMES } from './command.js';
export type { ParseCommandResult, Pop3Command, Pop3CommandName } from './command.js';
export { parseResponse, serializeMultiline, serializeResponse } from './response.js';
export type {
  Pop3ContinuationResponse,
  Pop3Response,
  Pop3ResponseCode,
  Pop3StatusResponse,
} from './response.js';
export {
  MultilineDecoder,
  MultilineEncoder,
  Pop3SizeCounter,
  toPop3Canonical,
} from './byte-stuffing.js';
export type { MultilineEncoderOptions } from './byte-stuffing.js';
export { Pop3ServerSession } from './server-session.js';
export type { Pop3BodyPump, Pop3ServerSessionOptions } from './server-session.js';
export type {
  Pop3AuthDecision,
  Pop3ChunkSource,
  Pop3CloseReason,
  Pop3CommitDecision,
  Pop3Credentials,
  Pop3MaildropDecision,
  Pop3MessageInfo,
  Pop3Numbered,
  Pop3Refusal,
  Pop3RetrieveDecision,
  Pop3ServerEvent,
  Pop3TlsInfo,
} from './server-events.js';
export { COMMANDS_BY_STATE, TRANSITIONS } from './server-states.js';
export type { Pop3State, Pop3Transition } from './server-states.js';
export type {
  Pop3SaslCredentials,
  Pop3SaslServer,
  Pop3SaslStep,
  Pop3SaslVerifyResult,
  Pop3ScramKeys,
} from './sasl.js';
export type { Pop3ErrorCode } from './errors.js';
export { serve } from './serve.js';
export type {
  Pop3AuthOutcome,
  Pop3MaildropContext,
  Pop3MaildropHandle,
  Pop3ServeContext,
  Pop3ServeOptions,
} from './serve.js';
export {
  downgradeHeader,
  downgradeSource,
  encodedWords,
  HeaderDowngrader,
  MAX_DOWNGRADE_HEADER_BYTES,
} from './downgrade.js';

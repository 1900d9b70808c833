export { formatCommand, parseCommand, parseCommandText, serializeCommand } from './command.js';
export type {
  BodyType,
  CommandErrorCode,
  CommandParseResult,
  DsnNotify,
  MailParams,
  RcptParams,
  SmtpCommand,
  SmtpVerb,
} from './command.js';
export { isEnhancedCode, ReplyParser, reply, serializeReply } from './reply.js';
export type { ReplyParseError, ReplyParseResult, ReplyParserOptions, SmtpReply } from './reply.js';
export { DataDecoder, DotStuffer, dotStuff, dotUnstuff } from './dot-stuffing.js';
export type { DataDecoderOptions, DataPushResult } from './dot-stuffing.js';
export { decodeXtext, encodeXtext } from './xtext.js';
export { formatMailbox, parseMailbox, parsePath } from './path.js';
export type { SmtpMailbox } from './path.js';
export { SmtpServerSession } from './server-session.js';
export type { SmtpAuthOptions, SmtpServerOptions } from './server-session.js';
export { COMMAND_STATES } from './server-states.js';
export type { ServerState } from './server-states.js';
export type {
  AuthDecision,
  ClosedReason,
  ConnectDecision,
  DataDecision,
  Decision,
  RecipientOutcome,
  SmtpServerErrorCode,
  SmtpServerEvent,
  SmtpServerEventType,
} from './server-events.js';
export { buildReceivedHeader, formatDateTime } from './received.js';
export type { ReceivedHeaderOptions } from './received.js';
export { serve } from './serve.js';
export type {
  HookResult,
  ServeOptions,
  SmtpEnvelope,
  SmtpHookReply,
  SmtpHooks,
  SmtpMessageStream,
  SmtpServeContext,
} from './serve.js';

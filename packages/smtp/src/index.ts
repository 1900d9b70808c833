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
export { SMTP_CLIENT_TIMEOUTS, SmtpClientSession } from './client/client-session.js';
export type { SmtpClientOptions, SmtpClientState } from './client/client-session.js';
export type {
  RecipientResult,
  RecipientStatus,
  SmtpClientClosedReason,
  SmtpClientEnvelope,
  SmtpClientErrorCode,
  SmtpClientEvent,
  SmtpClientEventType,
  SmtpClientRecipient,
  SmtpClientStage,
  TransactionResult,
} from './client/client-events.js';
export { SmtpClient, sendMail } from './client/send-mail.js';
export type { MessageSource, SendMailOptions, SmtpClientDriverOptions } from './client/send-mail.js';

export { createSqliteQueue } from './sqlite-queue.js';
export type { SqliteQueueOptions } from './sqlite-queue.js';
export type {
  AttemptUpdate,
  EnqueueInput,
  Queue,
  QueuedMessage,
  QueuedRecipient,
  RecipientState,
  RecipientUpdate,
} from './queue.js';
export { DeliveryAgent, retryDelay } from './agent.js';
export type { DeliveryAgentOptions, DeliveryEventInfo, LocalDelivery, RetryOptions } from './agent.js';
export { buildDsn, headerOf, statusOf } from './dsn.js';
export type { DsnInput, DsnRecipient } from './dsn.js';
export { ClientTransport, connectSmtp } from './client-transport.js';
export type { ConnectSmtpOptions } from './client-transport.js';
export type { ClientTlsInfo } from './client-transport.js';
export { certificateFailureType, createMemoryMtaStsCache, createMtaStsFetch } from './mta-sts.js';
export type { MtaStsDeliveryOptions, MtaStsFailureType, MtaStsReport } from './mta-sts.js';

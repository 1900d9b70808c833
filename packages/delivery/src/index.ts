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

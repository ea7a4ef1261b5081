/**
 * Import jobs on one machine: the import queue (the SQS stand-in of `campaign-queue.ts`, kept in DynamoDB Local, so
 * a job in progress carries on after `npm start` is stopped and started again) and its consumer, calling the same
 * worker handler AWS invokes. `npm start`, the tests and the bench start it through here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useLocalImportQueue } from '../lambdas/adapters/import-jobs-container.ts';
import type { ImportChunkMessage, ImportQueue, ImportReadMessage } from '../lambdas/services/import-jobs.ts';
import { EVENT_FUNCTIONS, IMPORT_MAX_RECEIVES } from '../lambdas/wiring/event-functions.ts';
import { asFunction } from './table-access-guard.ts';
import { ensureQueueTable, LocalQueue, startConsumer, type QueueHandler } from './campaign-queue.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';

export interface ImportEngineOptions {
  readonly dynamodbEndpoint: string;
  /** Table holding every local queue (shared with the campaign engine). */
  readonly table: string;
  /** @default 'sendwell' */
  readonly queuePrefix?: string;
  /** @default 30 */
  readonly visibilitySeconds?: number;
  /** Chunks imported at once. DynamoDB Local writes one table at a time, so more only queue there. @default 2 */
  readonly concurrency?: number;
  /** Wraps the worker handler (tests inject crashes). */
  readonly wrapWorker?: (handler: QueueHandler) => QueueHandler;
  readonly onError?: (e: unknown) => void;
}

export interface ImportEngine {
  readonly queue: LocalQueue;
  idle(): Promise<boolean>;
  /** `abandon`: as if the process died (messages in hand come back after the visibility timeout). */
  stop(options?: { abandon?: boolean }): Promise<void>;
}

export async function startImportEngine(o: ImportEngineOptions): Promise<ImportEngine> {
  const client = new DynamoDBClient({ endpoint: o.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await ensureQueueTable(client, o.table);
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const queue = new LocalQueue({ db, table: o.table, name: `${o.queuePrefix ?? 'sendwell'}-imports`, visibilitySeconds: o.visibilitySeconds ?? 30, maxReceiveCount: IMPORT_MAX_RECEIVES });
  const importQueue: ImportQueue = {
    // Eight sends in flight (the stand-in writes one item per message): the order of chunks does not matter.
    enqueue: async (messages: ReadonlyArray<ImportChunkMessage | ImportReadMessage>) => {
      const lanes = Array.from({ length: 8 }, (_, lane) => messages.filter((_, i) => i % 8 === lane));
      await Promise.all(lanes.filter((l) => l.length).map((l) => queue.send(l.map((m) => JSON.stringify(m)))));
    },
  };
  useLocalImportQueue(importQueue);
  // Its table calls are checked against the worker's grants, as IAM checks them on AWS.
  const handler = asFunction('importWorker', (await import('../lambdas/handlers/import-worker.ts')).handler);
  const worker = o.wrapWorker ? o.wrapWorker(handler) : handler;
  const consumer = startConsumer(queue, worker, {
    batchSize: 1,
    concurrency: o.concurrency ?? 2,
    timeoutSeconds: EVENT_FUNCTIONS.importWorker.timeoutSeconds,
    ...(o.onError ? { onError: o.onError } : {}),
  });
  return {
    queue,
    idle: async () => {
      if (consumer.busy() > 0) return false;
      const d = await queue.depth();
      return d.waiting + d.inFlight === 0;
    },
    stop: async (options = {}) => {
      if (options.abandon) {
        consumer.abandon();
        return;
      }
      await consumer.stop();
      client.destroy();
    },
  };
}

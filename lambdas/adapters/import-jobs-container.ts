/**
 * The import jobs' dependencies, built once per cold start beside `container()`: the job store (in the campaigns
 * table) and the import queue — SQS on AWS, or the local stand-in the local stack and the tests hand in.
 */
import { ENV } from '../wiring/env-keys.ts';
import type { ImportJobDeps, ImportQueue } from '../services/import-jobs.ts';
import { dynamoDb, sqsClient } from './clients.ts';
import { config } from './config.ts';
import { container } from './container.ts';
import { ImportStore } from './dynamo/import-store.ts';
import { SqsImportQueue } from './sqs-import-queue.ts';
import { importUploads } from './import-uploads.ts';

let deps: ImportJobDeps | undefined;
let localQueue: ImportQueue | undefined;

/** The local stack and the tests run the import worker in process: they hand its queue here before the first request. */
export function useLocalImportQueue(queue: ImportQueue): void {
  localQueue = queue;
}

export function importJobs(): ImportJobDeps {
  if (deps) return deps;
  let sqs: ImportQueue | undefined;
  deps = {
    base: container(),
    store: new ImportStore(dynamoDb(), config().tables.campaigns),
    get queue() {
      if (localQueue) return localQueue;
      sqs ??= new SqsImportQueue(sqsClient(), process.env[ENV.importQueueUrl]);
      return sqs;
    },
    get uploads() {
      return importUploads();
    },
  };
  return deps;
}

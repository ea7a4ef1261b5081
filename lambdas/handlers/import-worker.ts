/**
 * The import queue's consumer: each message is one chunk of an import job (`processImportChunk`). A chunk that fails
 * on infrastructure, or runs out of time, is reported as a batch item failure: the queue delivers it again and it
 * resumes at its recorded offset. A message that cannot be read is logged and dropped (retrying cannot fix it).
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { importJobs } from '../adapters/import-jobs-container.ts';
import { logger } from '../adapters/logger.ts';
import { ImportChunkMessageSchema, processImportChunk } from '../services/import-jobs.ts';

export const handler = async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
  const deps = importJobs();
  const deadline = context ? Date.now() + context.getRemainingTimeInMillis() : undefined;
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  // One chunk after the other: every chunk writes the same recipients table; in parallel they only queue there.
  for (const record of event.Records) {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const message = ImportChunkMessageSchema.safeParse(body);
    if (!message.success) {
      logger.error('import chunk message not readable; dropped', { messageId: record.messageId });
      continue;
    }
    try {
      const out = await processImportChunk(deps, message.data, deadline === undefined ? {} : { deadline });
      if (!out.finished) failures.push({ itemIdentifier: record.messageId });
      logger.info('import chunk', { ...message.data, ...out });
    } catch (e) {
      logger.error('import chunk failed; the queue delivers it again', { ...message.data, error: e as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
};

/**
 * The import queue's consumer: each message is one chunk of an import job (`processImportChunk`), or an uploaded
 * file to read into chunks (`readUploadedFile`: the S3 event of its arrival, or a message to read on). A chunk that fails
 * on infrastructure, or runs out of time, is reported as a batch item failure: the queue delivers it again and it
 * resumes at its recorded offset. On its last receive (`IMPORT_MAX_RECEIVES`, SQS's `ApproximateReceiveCount`; the
 * local queue counts the same) the job is marked `failed` first: the message still goes to the dead-letter queue,
 * where its alarm tells ops. A message that cannot be read is logged and dropped (retrying cannot fix it).
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { importJobs } from '../adapters/import-jobs-container.ts';
import { logger } from '../adapters/logger.ts';
import { UPLOAD_KEY } from '../adapters/import-uploads.ts';
import { failImportJob, ImportChunkMessageSchema, ImportReadMessageSchema, OUT_OF_TIME, processImportChunk, readUploadedFile, type ImportGiveUp, type ImportJobDeps } from '../services/import-jobs.ts';
import { IMPORT_MAX_RECEIVES } from '../wiring/event-functions.ts';

/** The jobs of an S3 event's uploads (`imports/<job id>`); [] for S3's test event; undefined: not an S3 event. */
function uploadedJobs(body: unknown): string[] | undefined {
  const b = body as { Records?: Array<{ eventSource?: string; s3?: { object?: { key?: string } } }>; Event?: string } | undefined;
  if (b?.Event === 's3:TestEvent') return [];
  if (!Array.isArray(b?.Records)) return undefined;
  return b.Records.filter((r) => r.eventSource === 'aws:s3')
    .map((r) => decodeURIComponent(String(r.s3?.object?.key ?? '').replaceAll('+', ' ')))
    .filter((k) => UPLOAD_KEY.test(k))
    .map((k) => k.slice('imports/'.length));
}

/** On a message's last receive, the job fails saying why; a failure to say so is logged (the dead letter remains). */
async function giveUpIfLast(deps: ImportJobDeps, record: SQSRecord, jobId: string, what: ImportGiveUp): Promise<void> {
  const attempts = Number(record.attributes?.ApproximateReceiveCount ?? 0);
  if (attempts < IMPORT_MAX_RECEIVES) return;
  try {
    if (await failImportJob(deps, jobId, what, attempts)) logger.error('import job failed: a message failed on its last receive', { jobId, attempts });
  } catch (e) {
    logger.error('import job could not be marked failed; its message goes to the dead-letter queue', { jobId, error: e as Error });
  }
}

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
    // An uploaded file arrived (the bucket's S3 event, or the local upload endpoint's event of the same shape), or a
    // read of one goes on: the file is read into chunks.
    const reads = uploadedJobs(body) ?? (ImportReadMessageSchema.safeParse(body).data ? [(body as { jobId: string }).jobId] : undefined);
    if (reads) {
      try {
        for (const jobId of reads) {
          const out = await readUploadedFile(deps, jobId, deadline === undefined ? {} : { deadline });
          logger.info('import file read', { jobId, ...out });
        }
      } catch (e) {
        logger.error('import file read failed; the queue delivers it again', { messageId: record.messageId, error: e as Error });
        for (const jobId of reads) await giveUpIfLast(deps, record, jobId, { read: true, cause: e });
        failures.push({ itemIdentifier: record.messageId });
      }
      continue;
    }
    const message = ImportChunkMessageSchema.safeParse(body);
    if (!message.success) {
      logger.error('import chunk message not readable; dropped', { messageId: record.messageId });
      continue;
    }
    try {
      const out = await processImportChunk(deps, message.data, deadline === undefined ? {} : { deadline });
      logger.info('import chunk', { ...message.data, ...out });
      if (!out.finished) {
        // A chunk is one step (CHUNK_ROWS ≤ STEP_ROWS): stopped for time, this delivery settled nothing, as a failure.
        await giveUpIfLast(deps, record, message.data.jobId, { chunk: message.data.chunk, cause: OUT_OF_TIME });
        failures.push({ itemIdentifier: record.messageId });
      }
    } catch (e) {
      logger.error('import chunk failed; the queue delivers it again', { ...message.data, error: e as Error });
      await giveUpIfLast(deps, record, message.data.jobId, { chunk: message.data.chunk, cause: e });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
};

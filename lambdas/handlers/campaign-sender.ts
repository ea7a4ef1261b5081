/**
 * The send queue's consumer: each message is one batch of a campaign's recipients (`sendBatch`). A batch that
 * fails on infrastructure (DynamoDB unreachable, the function timing out) is reported as a batch item failure: the
 * queue delivers it again after its visibility timeout, and after too many deliveries moves it to the dead-letter
 * queue. SES errors and throttles never fail the message: the sender re-queues those recipients itself.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import { SendBatchSchema } from '../schemas/campaign-queues.ts';
import { sendBatch } from '../services/campaign-sender.ts';

export const handler = async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
  const deps = container();
  const deadline = context ? Date.now() + context.getRemainingTimeInMillis() : undefined;
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        body = undefined;
      }
      const batch = SendBatchSchema.safeParse(body);
      if (!batch.success) {
        // Retrying cannot fix it: keep it with the reason, then let it go.
        logger.error('send batch not readable; dead-lettered', { messageId: record.messageId });
        await deps.queues.deadLetter({ campaignId: 'unknown', batchId: record.messageId, recipientIds: ['unknown'], reason: 'malformed_batch', attempts: 1 });
        return;
      }
      try {
        const report = await sendBatch(deps, batch.data, deadline === undefined ? {} : { deadline });
        logger.info('send batch done', { campaignId: batch.data.campaignId, batchId: batch.data.batchId, ...report });
      } catch (e) {
        logger.error('send batch failed; the queue delivers it again', { campaignId: batch.data.campaignId, batchId: batch.data.batchId, error: e as Error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
};

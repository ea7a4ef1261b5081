/**
 * The launch queue's consumer: finds a sending campaign's audience and queues it in batches (`runLaunch`), for as
 * long as the invocation has time, then leaves the rest to a new launch message. A failure is reported as a batch
 * item failure and the launch message comes again (the launcher resumes from its saved cursor).
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import { LaunchMessageSchema } from '../schemas/campaign-queues.ts';
import { runLaunch } from '../services/campaign-launcher.ts';

/** Time kept back from the invocation's deadline to save the cursor and hand over. */
const RESERVE_MS = 30_000;
/** Longest a launcher pages in one go when the context does not say (the local stack). */
export const LAUNCH_TIME_BUDGET_MS = 240_000;

export const handler = async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const message = LaunchMessageSchema.safeParse(safeJson(record.body));
    if (!message.success) {
      logger.error('launch message not readable; dropped', { messageId: record.messageId });
      continue;
    }
    const budget = context ? Math.max(5_000, Math.min(LAUNCH_TIME_BUDGET_MS, context.getRemainingTimeInMillis() - RESERVE_MS)) : LAUNCH_TIME_BUDGET_MS;
    try {
      const outcome = await runLaunch(container(), message.data.campaignId, budget);
      logger.info('launch run', { campaignId: message.data.campaignId, outcome });
    } catch (e) {
      logger.error('launch run failed; it comes again', { campaignId: message.data.campaignId, error: e as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
};

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

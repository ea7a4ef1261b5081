/** Every minute (EventBridge Scheduler; every few seconds on the local stack): deferred and local-time mail whose time came. */
import type { Context } from 'aws-lambda';
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import { releaseDueMessages } from '../services/due-messages.ts';

export const handler = async (_event?: unknown, context?: Context): Promise<Awaited<ReturnType<typeof releaseDueMessages>>> => {
  // Stop well before the function's deadline: what is left is found again by the next run.
  const budget = typeof context?.getRemainingTimeInMillis === 'function' ? Math.max(1_000, context.getRemainingTimeInMillis() - 15_000) : 45_000;
  const result = await releaseDueMessages(container(), budget);
  if (result.requeued || Object.keys(result.messages).length) logger.info('due messages', { requeued: result.requeued, messages: result.messages });
  return result;
};

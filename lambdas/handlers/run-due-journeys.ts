/** Every minute (EventBridge Scheduler; every few seconds on the local stack): journey steps whose time came. */
import type { Context } from 'aws-lambda';
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import { runDueJourneys } from '../services/journeys.ts';

export const handler = async (_event?: unknown, context?: Context): Promise<Awaited<ReturnType<typeof runDueJourneys>>> => {
  // Stop well before the function's deadline: what is left is found again by the next run.
  const budget = typeof context?.getRemainingTimeInMillis === 'function' ? Math.max(1_000, context.getRemainingTimeInMillis() - 15_000) : 45_000;
  const result = await runDueJourneys(container(), budget);
  if (result.due) logger.info('due journey steps', { ...result });
  return result;
};

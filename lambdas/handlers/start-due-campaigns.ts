/** Every minute (EventBridge Scheduler; every few seconds on the local stack): scheduled launches, stalled ones, stray parked batches, A/B winners. */
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import { sweepCampaigns } from '../services/campaign-sweep.ts';

export const handler = async (): Promise<Awaited<ReturnType<typeof sweepCampaigns>>> => {
  const result = await sweepCampaigns(container());
  if (Object.values(result).some((ids) => ids.length)) logger.info('campaign sweep', result);
  return result;
};

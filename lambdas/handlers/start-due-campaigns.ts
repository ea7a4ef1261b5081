/** Every minute (EventBridge Scheduler; every few seconds on the local stack): scheduled launches, stalled ones, stray parked batches, A/B winners. */
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import { sweepCampaigns } from '../services/campaign-sweep.ts';

export const handler = async (): Promise<Awaited<ReturnType<typeof sweepCampaigns>>> => {
  const result = await sweepCampaigns(container());
  // A campaign that cannot move is an error for ops (the alarm on this function's errors does not see it: the
  // sweep goes on); the rest as information.
  for (const f of result.failed) logger.error('campaign could not be moved on; tried again next run', { campaignId: f.id, error: f.error });
  if (Object.values(result).some((ids) => ids.length)) logger.info('campaign sweep', { ...result });
  return result;
};

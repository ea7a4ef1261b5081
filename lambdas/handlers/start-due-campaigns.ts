/** Every minute (EventBridge Scheduler; every few seconds on the local stack): scheduled launches, stalled ones, stray parked batches, A/B winners. */
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import { emitCounts, publishMetrics } from '../adapters/metrics.ts';
import { SWEEP_FAILED_METRIC } from '../domain/metrics.ts';
import { sweepCampaigns } from '../services/campaign-sweep.ts';

export const handler = async (): Promise<Awaited<ReturnType<typeof sweepCampaigns>>> => {
  const result = await sweepCampaigns(container());
  // A campaign that cannot move is an error for ops: the alarm on this function's errors does not see it (the sweep
  // goes on), so it is a metric of its own with its own alarm (lib/alarms.ts); the rest as information.
  for (const f of result.failed) logger.error('campaign could not be moved on; tried again next run', { campaignId: f.id, error: f.error });
  if (result.failed.length) {
    emitCounts({ [SWEEP_FAILED_METRIC]: result.failed.length });
    publishMetrics();
  }
  if (Object.values(result).some((ids) => ids.length)) logger.info('campaign sweep', { ...result });
  return result;
};

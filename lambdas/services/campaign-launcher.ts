/**
 * The launcher: pages a sending campaign's audience out of the index (a topic's opted-in consents, or every
 * recipient's profile for a service broadcast) and puts it on the send queue in batches. Its cursor is saved after
 * each page's batches are queued, with a condition on the page number, so a launcher that dies re-queues at most
 * one page and two launchers never both advance. Each page is kept as first read (`CampaignStore.launchPage`), so
 * the page queued again is the same batches of the same people, whatever changed in the audience meanwhile.
 */
import { SEND_BATCH_SIZE, type SendBatch } from '../domain/campaign.ts';
import { EVERYONE_SHARDS, type AudiencePartition } from '../adapters/dynamo/recipient-store.ts';
import type { Deps } from './deps.ts';

/** Recipients read from the index per page (one Query). */
export const LAUNCH_PAGE_SIZE = 500;

/** Stored cursor of an everyone audience: the shard being read and where in it. */
interface EveryoneCursor {
  readonly shard: number;
  readonly key?: Record<string, unknown>;
}

export type LaunchOutcome = 'complete' | 'continued' | 'stopped';

/**
 * Runs the launch of one campaign for up to `budgetMs`, then hands the rest to a new launch message. `stopped`: the
 * campaign is not sending (paused, cancelled) or another launcher advanced first.
 */
export async function runLaunch(deps: Deps, campaignId: string, budgetMs: number): Promise<LaunchOutcome> {
  const started = Date.now();
  let c = await deps.campaigns.get(campaignId);
  if (!c || c.status !== 'sending') return 'stopped';
  if (c.audienceComplete) {
    await deps.campaigns.completeIfDone(campaignId, deps.clock().toISOString());
    return 'complete';
  }
  await deps.campaigns.touchLauncher(campaignId, deps.clock().toISOString());
  let page = c.page;
  let cursor = c.cursor;
  for (;;) {
    const topic = c.topic;
    const from = cursor;
    const kept = await deps.campaigns.launchPage(campaignId, page, () => readPage(deps, topic, from), deps.clock());
    if (!kept) return 'stopped';
    const { ids, next } = kept;
    const batches: SendBatch[] = [];
    for (let i = 0; i < ids.length; i += SEND_BATCH_SIZE) {
      batches.push({ campaignId, batchId: `p${page}-${i / SEND_BATCH_SIZE}`, recipientIds: ids.slice(i, i + SEND_BATCH_SIZE) });
    }
    if (batches.length) await deps.queues.send(batches);
    const advanced = await deps.campaigns.advanceLaunch(campaignId, page, ids.length, next, deps.clock().toISOString());
    if (!advanced) {
      // Another launcher moved past this page: it is done with. (Paused, it is kept for the launch that resumes it.)
      if (((await deps.campaigns.get(campaignId))?.page ?? 0) > page) await deps.campaigns.dropLaunchPage(campaignId, page);
      return 'stopped';
    }
    await deps.campaigns.dropLaunchPage(campaignId, page);
    page += 1;
    cursor = next;
    if (!next) {
      await deps.campaigns.completeIfDone(campaignId, deps.clock().toISOString());
      return 'complete';
    }
    c = await deps.campaigns.get(campaignId);
    if (!c || c.status !== 'sending') return 'stopped';
    if (Date.now() - started > budgetMs) {
      await deps.queues.launch(campaignId);
      return 'continued';
    }
  }
}

/** One page of the audience and the cursor after it (undefined: that was the last page). */
export async function readPage(deps: Deps, topic: string | undefined, cursor: Record<string, unknown> | undefined): Promise<{ ids: string[]; next?: Record<string, unknown> }> {
  if (topic) {
    const partition: AudiencePartition = { topic };
    return deps.recipients.audiencePage(partition, LAUNCH_PAGE_SIZE, cursor);
  }
  // Everyone: the shards one after the other; an empty shard moves on to the next in the same call.
  let at = (cursor as EveryoneCursor | undefined) ?? { shard: 0 };
  for (;;) {
    const { ids, next } = await deps.recipients.audiencePage({ everyoneShard: at.shard }, LAUNCH_PAGE_SIZE, at.key);
    if (next) return { ids, next: { shard: at.shard, key: next } };
    if (at.shard + 1 >= EVERYONE_SHARDS) return { ids };
    if (ids.length) return { ids, next: { shard: at.shard + 1 } };
    at = { shard: at.shard + 1 };
  }
}

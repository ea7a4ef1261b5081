/**
 * The sweep that keeps campaigns moving without anyone watching: launches scheduled campaigns whose time has come,
 * restarts a launch whose launcher has not advanced for `stallMs` (its message was lost, or the launch API could not
 * hand it over), sends back batches parked while their campaign is sending (a sender that saw it paused just before a
 * resume), completes campaigns whose last batch settled while nobody checked, and picks the winner of an A/B test
 * whose `decideAfterSeconds` have passed (sending its waiting recipients the winner).
 */
import { SendwellError } from '../domain/errors.ts';
import type { Deps } from './deps.ts';
import { launchCampaign, requeueParked } from './campaigns.ts';
import { advanceAbTest } from './ab-tests.ts';

/** A launcher saves its cursor at least every page; one this quiet for this long is gone. */
export const LAUNCH_STALL_MS = 10 * 60_000;

export async function sweepCampaigns(
  deps: Deps,
  stallMs = LAUNCH_STALL_MS,
): Promise<{ launched: string[]; restarted: string[]; completed: string[]; decided: string[]; requeued: string[] }> {
  const now = deps.clock();
  const launched: string[] = [];
  for (const id of await deps.campaigns.due(now.toISOString())) {
    try {
      await launchCampaign(deps, id, 'scheduler');
      launched.push(id);
    } catch (e) {
      // Launched, paused or cancelled meanwhile: the schedule marker went with that change.
      if (!(e instanceof SendwellError && (e.code === 'conflict' || e.code === 'not_found'))) throw e;
    }
  }
  const restarted: string[] = [];
  const completed: string[] = [];
  const decided: string[] = [];
  const requeued: string[] = [];
  for (const id of await deps.campaigns.active()) {
    const c = await deps.campaigns.get(id);
    // A paused test is decided on time too (its waiting recipients go when it resumes).
    if (c?.test && (await advanceAbTest(deps, c))) decided.push(id);
    if (!c || c.status !== 'sending') continue;
    if (await requeueParked(deps, c)) requeued.push(id);
    if (!c.audienceComplete && now.getTime() - Date.parse(c.launcherAt ?? c.updatedAt) > stallMs) {
      await deps.campaigns.touchLauncher(id, now.toISOString());
      await deps.queues.launch(id);
      restarted.push(id);
    } else if (c.audienceComplete && (await deps.campaigns.completeIfDone(id, now.toISOString()))) {
      completed.push(id);
    }
  }
  return { launched, restarted, completed, decided, requeued };
}

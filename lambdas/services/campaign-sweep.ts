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

export interface SweepReport {
  readonly launched: string[];
  readonly restarted: string[];
  readonly completed: string[];
  readonly decided: string[];
  readonly requeued: string[];
  /** Campaigns this run could not move, and why: each is tried again next run, and none holds up the others. */
  readonly failed: Array<{ readonly id: string; readonly error: string }>;
}

export async function sweepCampaigns(deps: Deps, stallMs = LAUNCH_STALL_MS): Promise<SweepReport> {
  const now = deps.clock();
  const report: SweepReport = { launched: [], restarted: [], completed: [], decided: [], requeued: [], failed: [] };
  const fail = (id: string, e: unknown) => report.failed.push({ id, error: e instanceof Error ? e.message : String(e) });
  for (const id of await deps.campaigns.due(now.toISOString())) {
    try {
      await launchCampaign(deps, id, 'scheduler');
      report.launched.push(id);
    } catch (e) {
      // Launched, paused or cancelled meanwhile: the schedule marker went with that change.
      if (e instanceof SendwellError && (e.code === 'conflict' || e.code === 'not_found')) continue;
      // One that cannot launch (its segment deleted, its template changed class) must not stop every campaign due
      // after it, nor the rest of the sweep: it is reported, and stays scheduled for someone to mend or cancel.
      fail(id, e);
    }
  }
  for (const id of await deps.campaigns.active()) {
    try {
      await advance(deps, id, now, stallMs, report);
    } catch (e) {
      fail(id, e);
    }
  }
  return report;
}

async function advance(deps: Deps, id: string, now: Date, stallMs: number, report: SweepReport): Promise<void> {
  const c = await deps.campaigns.get(id);
  // A paused test is decided on time too (its waiting recipients go when it resumes).
  if (c?.test && (await advanceAbTest(deps, c))) report.decided.push(id);
  if (!c || c.status !== 'sending') return;
  if (await requeueParked(deps, c)) report.requeued.push(id);
  if (!c.audienceComplete && now.getTime() - Date.parse(c.launcherAt ?? c.updatedAt) > stallMs) {
    await deps.campaigns.touchLauncher(id, now.toISOString());
    await deps.queues.launch(id);
    report.restarted.push(id);
  } else if (c.audienceComplete && (await deps.campaigns.completeIfDone(id, now.toISOString()))) {
    report.completed.push(id);
  }
}

/**
 * The marketing switch: the auto-pause (judged after each counted hard bounce or complaint), a pause by ops, and the
 * resume, which only ever happens by an explicit call with a reason, recorded with its actor.
 */
import { addDays } from '../domain/metrics.ts';
import { SendwellError } from '../domain/errors.ts';
import { DEFAULT_PAUSE_POLICY, pauseVerdict, windowCounters, type PauseVerdict } from '../domain/marketing-pause.ts';
import type { MarketingControl, MarketingPause } from '../adapters/dynamo/control-store.ts';
import type { Actor, Deps } from './deps.ts';

const dayOf = (iso: string) => iso.slice(0, 10);

/**
 * Judges the last `windowDays` of the stage's counters (`ALL` series) and pauses marketing if the hard-bounce or
 * complaint rate calls for it. Nothing happens while marketing is paused already. Returns the verdict when this call
 * paused marketing, else undefined.
 *
 * Runs right after a hard bounce or complaint is counted (services/feedback.ts), the only events that raise either
 * rate: the pause lands with the event that crossed the line, and costs one GetItem and one Query per bounce or
 * complaint, nothing per delivery.
 */
export async function checkMarketingPause(deps: Deps): Promise<Extract<PauseVerdict, { pause: true }> | undefined> {
  const control = await deps.control.getMarketingControl();
  if (control.pause) return undefined;
  const policy = deps.pausePolicy ?? DEFAULT_PAUSE_POLICY;
  const now = deps.clock().toISOString();
  const to = dayOf(now);
  const from = addDays(to, -(policy.windowDays - 1));
  // Consistent: judged right after the batch that counted a bounce or complaint, which must be in what it reads.
  const days = await deps.messages.counterSeries('ALL', from, to, true);
  const resumed = control.lastResume ? { day: dayOf(control.lastResume.at), counters: control.lastResume.baseline } : undefined;
  const verdict = pauseVerdict(windowCounters(days, resumed), policy, { from, to });
  if (!verdict.pause) return undefined;
  const paused = await deps.control.pauseMarketing({ since: now, reason: `auto-pause: ${verdict.reason}`, actor: 'auto', figures: { ...verdict.figures } });
  return paused ? verdict : undefined;
}

/** Pauses marketing now, by hand. @throws {SendwellError} `conflict` when it is paused already. */
export async function pauseMarketing(deps: Deps, reason: string, actor: Actor): Promise<MarketingPause> {
  const pause = { since: deps.clock().toISOString(), reason, actor };
  if (!(await deps.control.pauseMarketing(pause))) {
    const current = await deps.control.getMarketingPause();
    throw new SendwellError('conflict', `Marketing is paused already (since ${current?.since ?? 'just now'}).`);
  }
  return pause;
}

/**
 * Resumes marketing. The day's counters so far become the baseline the auto-pause starts from, so the bounces that
 * caused the pause do not pause it again at the next event.
 *
 * @throws {SendwellError} `conflict` when marketing is not paused.
 */
export async function resumeMarketing(deps: Deps, reason: string, actor: Actor): Promise<{ resumedAt: string; ended: MarketingPause }> {
  const at = deps.clock().toISOString();
  const baseline = await deps.messages.dayCounters(dayOf(at), 'ALL');
  const ended = await deps.control.resumeMarketing({ at, actor, reason, baseline });
  if (!ended) throw new SendwellError('conflict', 'Marketing is not paused; there is nothing to resume.');
  return { resumedAt: at, ended };
}

export async function marketingState(deps: Deps): Promise<MarketingControl & { history: Awaited<ReturnType<Deps['control']['history']>> }> {
  const [control, history] = await Promise.all([deps.control.getMarketingControl(), deps.control.history()]);
  return { ...control, history };
}

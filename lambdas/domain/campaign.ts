/**
 * Campaign rules that need nothing but their arguments: which transitions a campaign may make, whether a recipient
 * matches an audience filter, the shape of the messages on the campaign queues, and the progress arithmetic.
 */
import { sameValue } from './segments.ts';

/** What the launcher pages and the sender sends. Status names match `CampaignStatusSchema` in the API schemas. */
export type CampaignStatus = 'draft' | 'scheduled' | 'sending' | 'paused' | 'completed' | 'cancelled';

export type CampaignAction = 'update' | 'schedule' | 'launch' | 'pause' | 'resume' | 'cancel';

/**
 * The statuses each action may start from. Anything else is a `conflict` naming the current status: a pause of a
 * completed campaign is a caller's mistake, not something to ignore silently.
 */
export const ALLOWED_FROM: Readonly<Record<CampaignAction, readonly CampaignStatus[]>> = {
  update: ['draft'],
  schedule: ['draft', 'scheduled'],
  launch: ['draft', 'scheduled'],
  pause: ['sending'],
  resume: ['paused'],
  cancel: ['draft', 'scheduled', 'sending', 'paused'],
};

export const canDo = (action: CampaignAction, status: CampaignStatus): boolean => ALLOWED_FROM[action].includes(status);

/** Recipients per message on the send queue: one BatchGetItem of their profiles and consents (2 keys each ≤ 100). */
export const SEND_BATCH_SIZE = 50;

/**
 * The id of every send batch the due-message sweep makes starts with this, and so do its continuations and retries
 * (`<id>~…`): everyone in such a batch has a deferred record whose wait is over.
 */
export const DUE_BATCH_PREFIX = 'due-';
export const isDueBatch = (batch: { readonly batchId: string }): boolean => batch.batchId.startsWith(DUE_BATCH_PREFIX);

/**
 * The id of a batch a delivery derives from its own: the recipients it looks at again (`check`), the rest of a batch
 * that ran out of time (`more`) or met a pause (`parked`). A repeat of the same step numbers the step
 * (`p0-1~check` → `p0-1~check2`) instead of adding it again: a stale claim inside the recipient's quiet hours is looked
 * at every reconcile window until they end, and an id that grew by `~check` each time passed the queue message's 200
 * characters after ~30 rounds (the batch then failed to parse and went to the dead-letter queue).
 *
 * @example
 * derivedBatchId('p0-1', 'check')        // 'p0-1~check'
 * derivedBatchId('p0-1~check', 'check')  // 'p0-1~check2'
 * derivedBatchId('p0-1~check2', 'more')  // 'p0-1~check2~more'
 */
export function derivedBatchId(batchId: string, step: 'check' | 'more' | 'parked'): string {
  const repeat = new RegExp(`^(.*)~${step}(\\d*)$`).exec(batchId);
  return repeat ? `${repeat[1]}~${step}${Number(repeat[2] || 1) + 1}` : `${batchId}~${step}`;
}

// The messages on the campaign queues; their schemas, which the launcher and the sender parse, in lambdas/schemas/campaign-queues.ts.
export type { DeadLetter, LaunchMessage, SendBatch } from '../schemas/campaign-queues.ts';

/** The message id of a campaign mail: one per campaign and recipient, so no retry can ever make a second one. */
export const campaignMessageId = (campaignId: string, recipientId: string): string => `${campaignId}-${recipientId}`;

/**
 * Sums a campaign's wait items into the progress figures: what waits for which moment, the soonest first. Items at
 * zero (everyone who waited for that moment has gone) are left out.
 *
 * @example
 * waitingCounts([{ deferral: 'local_time', until: '2026-12-06T17:00:00.000Z', n: 2 }, { deferral: 'quiet_hours', until: '2026-12-06T08:00:00.000Z', n: 0 }])
 * // { scheduled: 2, deferred: 0, nextDueAt: '2026-12-06T17:00:00.000Z', timeline: [{ at: '2026-12-06T17:00:00.000Z', scheduled: 2, deferred: 0 }] }
 */
export function waitingCounts(items: ReadonlyArray<{ readonly deferral: string; readonly until: string; readonly n: number }>): WaitingCounts {
  const byTime = new Map<string, { scheduled: number; deferred: number }>();
  let scheduled = 0;
  let deferred = 0;
  for (const i of items) {
    if (!(i.n > 0)) continue;
    const at = byTime.get(i.until) ?? { scheduled: 0, deferred: 0 };
    if (i.deferral === 'local_time') {
      at.scheduled += i.n;
      scheduled += i.n;
    } else {
      at.deferred += i.n;
      deferred += i.n;
    }
    byTime.set(i.until, at);
  }
  const timeline = [...byTime.entries()].sort(([a], [b]) => Date.parse(a) - Date.parse(b)).map(([at, n]) => ({ at, ...n }));
  return { scheduled, deferred, ...(timeline[0] ? { nextDueAt: timeline[0].at } : {}), timeline };
}

export interface AudienceFilter {
  readonly countries?: readonly string[] | undefined;
  readonly attributes?: Readonly<Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>> | undefined;
}

export interface AudienceCandidate {
  readonly country?: string | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * Whether a recipient is in the filtered audience: in one of the countries (when given) and, for every attribute
 * condition, the attribute equals the value or one of the values of a list. A recipient without the attribute does
 * not match. No filter matches everyone.
 *
 * @example
 * matchesAudience({ country: 'DE', attributes: { plan: 'pro' } }, { countries: ['DE', 'AT'], attributes: { plan: ['pro', 'team'] } }) // true
 * matchesAudience({ attributes: {} }, { countries: ['DE'] }) // false
 */
export function matchesAudience(candidate: AudienceCandidate, filter: AudienceFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.countries && (candidate.country === undefined || !filter.countries.includes(candidate.country))) return false;
  for (const [name, wanted] of Object.entries(filter.attributes ?? {})) {
    const actual = candidate.attributes[name];
    const options: ReadonlyArray<unknown> = Array.isArray(wanted) ? wanted : [wanted];
    // Compared as segments compare (`sameValue`): an attribute imported from CSV as "2" is the 2 of a filter.
    if (actual === undefined || !options.some((o) => sameValue(actual, o))) return false;
  }
  return true;
}

/** The counters a campaign keeps on its item: what the launcher found and what the senders settled. */
export interface CampaignCounters {
  readonly audience: number;
  readonly audienceComplete: boolean;
  readonly excluded: number;
  readonly sent: number;
  readonly failed: number;
  readonly held: Readonly<Record<string, number>>;
  /** Local-time campaigns: sent at once because their moment had passed at the launch (counted in `sent` too). */
  readonly late?: number;
  /** A/B tests: recipients in the holdout (settled, nothing sent). */
  readonly holdout?: number;
  /** A/B tests: what was settled per variant. */
  readonly variants?: Readonly<Record<string, { readonly sent: number; readonly failed: number; readonly held: number }>>;
}

/** Recipients waiting for a moment: their local time (`scheduled`) or the end of their quiet hours (`deferred`). */
export interface WaitingCounts {
  readonly scheduled: number;
  readonly deferred: number;
  readonly nextDueAt?: string | undefined;
  readonly timeline?: ReadonlyArray<{ readonly at: string; readonly scheduled: number; readonly deferred: number }>;
}

export interface ProgressTimes {
  readonly now: Date;
  /** When the campaign was launched. */
  readonly launchedAt?: string | undefined;
  /** Milliseconds spent paused since the launch (a pause in progress counts up to `now`). */
  readonly pausedMs: number;
}

/**
 * Progress as the API shows it. The rate is settled recipients per second of active sending (pauses excluded); the
 * ETA is only given once the whole audience is known, since before that `remaining` is a lower bound.
 *
 * @example
 * campaignProgress({ audience: 100, audienceComplete: true, excluded: 10, sent: 40, failed: 0, held: { opted_out: 5 } },
 *   { now: new Date('2026-01-01T00:00:10Z'), launchedAt: '2026-01-01T00:00:00Z', pausedMs: 0 })
 * // { targeted: 90, sent: 40, heldTotal: 5, remaining: 45, ratePerSecond: 4.5, etaSeconds: 10, … }
 */
export function campaignProgress(c: CampaignCounters, t: ProgressTimes, waiting: WaitingCounts = { scheduled: 0, deferred: 0 }) {
  const heldTotal = Object.values(c.held).reduce((a, b) => a + b, 0);
  const settled = c.sent + c.failed + heldTotal + (c.holdout ?? 0);
  const targeted = c.audience - c.excluded;
  const remaining = Math.max(0, targeted - settled);
  const activeSeconds = t.launchedAt ? (t.now.getTime() - Date.parse(t.launchedAt) - t.pausedMs) / 1000 : 0;
  const ratePerSecond = activeSeconds > 0 && settled > 0 ? round2(settled / activeSeconds) : undefined;
  // Recipients waiting for a moment hours away are not sent at the rate: no ETA while any wait (`nextDueAt` says when).
  const etaSeconds = c.audienceComplete && ratePerSecond && waiting.scheduled + waiting.deferred === 0 ? Math.ceil(remaining / ratePerSecond) : undefined;
  return {
    audience: c.audience,
    audienceComplete: c.audienceComplete,
    excluded: c.excluded,
    targeted,
    sent: c.sent,
    held: { ...c.held },
    heldTotal,
    failed: c.failed,
    remaining,
    scheduled: waiting.scheduled,
    deferred: waiting.deferred,
    late: c.late ?? 0,
    ...(c.holdout !== undefined || c.variants ? { holdout: c.holdout ?? 0 } : {}),
    ...(waiting.nextDueAt ? { nextDueAt: waiting.nextDueAt } : {}),
    ...(waiting.timeline && waiting.timeline.length ? { timeline: waiting.timeline.map((w) => ({ ...w })) } : {}),
    ...(ratePerSecond !== undefined ? { ratePerSecond } : {}),
    ...(etaSeconds !== undefined ? { etaSeconds } : {}),
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Whether a send error from SES means "slow down" (retry this recipient after a back-off) rather than a refusal of
 * this one mail. SES v2 answers `TooManyRequestsException` for its API rate and a `LimitExceededException` /
 * "Maximum sending rate exceeded" throttling error for the account's send rate.
 */
export function isThrottle(e: { name?: string; message?: string }): boolean {
  return (
    e.name === 'TooManyRequestsException' ||
    e.name === 'ThrottlingException' ||
    e.name === 'Throttling' ||
    (e.name === 'LimitExceededException' && /rate/i.test(e.message ?? '')) ||
    /maximum sending rate exceeded/i.test(e.message ?? '')
  );
}

/** SES stopped taking mail for the whole account or configuration set: pause the campaign, do not burn retries. */
export function sesPauseReason(e: { name?: string }): 'ses_sending_paused' | 'ses_account_suspended' | undefined {
  if (e.name === 'SendingPausedException') return 'ses_sending_paused';
  if (e.name === 'AccountSuspendedException') return 'ses_account_suspended';
  return undefined;
}

/**
 * Back-off before retry `attempt` (1-based) after a throttle: exponential from `baseMs`, capped, with full jitter so
 * concurrent senders do not retry in step. `random` is injectable for tests.
 */
export function backoffMs(attempt: number, baseMs = 100, capMs = 5_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

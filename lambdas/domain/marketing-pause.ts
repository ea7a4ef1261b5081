/**
 * Marketing auto-pause: when the stage's recent hard-bounce or complaint rate gets close to where SES puts an account
 * under review (5 % bounces, 0.1 % complaints), marketing stops before SES stops everything, service mail included.
 * It resumes only when someone says so (`POST /v1/marketing/resume`), never by itself.
 *
 * A rate means something only over enough mail: one bounce in three mails is 33 %, and says nothing. So the rates are
 * judged over a window of recent days and only once that window holds `minSent` sent mails.
 */
import { ratesOf, figuresOf, sumCounters, type RawCounters } from './metrics.ts';

export interface PausePolicy {
  /** Pause at this hard-bounce rate or above (fraction). */
  readonly bounceRate: number;
  /** Pause at this complaint rate or above (fraction). */
  readonly complaintRate: number;
  /** Judge no rate before the window holds this many sent mails. */
  readonly minSent: number;
  /** Days of counters judged, today included. */
  readonly windowDays: number;
}

/**
 * Pause at 90 % of SES's review thresholds (4.5 % bounces, 0.09 % complaints), over the last 7 days, once 1,000 mails
 * went out in them. The CloudWatch alarms warn earlier, at 4 % and 0.08 %, so a person can act before the pause does.
 * 1,000 is the smallest volume at which one complaint (0.1 %) is already a review-level rate, i.e. where a single
 * event may matter to SES; below it, a handful of events would pause marketing on noise.
 */
export const DEFAULT_PAUSE_POLICY: PausePolicy = {
  // Written out rather than computed (0.05 * 0.9 is 0.045000000000000005 in floating point).
  bounceRate: 0.045,
  complaintRate: 0.0009,
  minSent: 1000,
  windowDays: 7,
};

export interface PauseFigures {
  readonly sent: number;
  readonly bouncedHard: number;
  readonly complained: number;
  readonly bounceRate: number | null;
  readonly complaintRate: number | null;
  readonly from: string;
  readonly to: string;
}

export type PauseVerdict = { readonly pause: false; readonly figures: PauseFigures } | { readonly pause: true; readonly reason: string; readonly figures: PauseFigures };

/** Where the last resume left the counters: what was counted on its day before it is not judged again. */
export interface ResumeBaseline {
  readonly day: string;
  readonly counters: RawCounters;
}

/**
 * The counters of the window to judge. Days before the last resume are left out, and on the resume day only what was
 * counted after it: a resume must not be undone at once by the very bounces that caused the pause.
 *
 * @example
 * windowCounters([{ day: '2026-11-02', figures: { sent_marketing: 10 } }], { day: '2026-11-02', counters: { sent_marketing: 4 } })
 * // { sent_marketing: 6 }
 */
export function windowCounters(days: ReadonlyArray<{ day: string; figures: RawCounters }>, resumed?: ResumeBaseline): Record<string, number> {
  const kept = days.filter((d) => !resumed || d.day >= resumed.day);
  const sum = sumCounters(kept.map((d) => d.figures));
  if (resumed && kept.some((d) => d.day === resumed.day)) {
    for (const [k, v] of Object.entries(resumed.counters)) if (typeof v === 'number') sum[k] = Math.max(0, (sum[k] ?? 0) - v);
  }
  return sum;
}

const pct = (r: number) => `${(r * 100).toFixed(2).replace(/\.?0+$/, '')} %`;

/**
 * Whether the window's counters call for a pause.
 *
 * @example
 * pauseVerdict({ sent_marketing: 2000, bounced_hard: 100 }, DEFAULT_PAUSE_POLICY, { from: '2026-11-01', to: '2026-11-07' })
 * // { pause: true, reason: 'bounce rate 5 % ≥ 4.5 % over 2000 sent (2026-11-01 to 2026-11-07)', figures: { … } }
 * pauseVerdict({ sent_marketing: 3, bounced_hard: 1 }, DEFAULT_PAUSE_POLICY, …).pause // false: too little mail to judge
 */
export function pauseVerdict(counters: RawCounters, policy: PausePolicy, range: { from: string; to: string }): PauseVerdict {
  const f = figuresOf(counters);
  const rates = ratesOf(f);
  const figures: PauseFigures = {
    sent: f.sent.total,
    bouncedHard: f.bouncedHard.total,
    complained: f.complained.total,
    bounceRate: rates.bounce,
    complaintRate: rates.complaint,
    ...range,
  };
  if (f.sent.total < policy.minSent) return { pause: false, figures };
  const over = `over ${f.sent.total} sent (${range.from} to ${range.to})`;
  if (rates.bounce !== null && rates.bounce >= policy.bounceRate) {
    return { pause: true, reason: `bounce rate ${pct(rates.bounce)} ≥ ${pct(policy.bounceRate)} ${over}`, figures };
  }
  if (rates.complaint !== null && rates.complaint >= policy.complaintRate) {
    return { pause: true, reason: `complaint rate ${pct(rates.complaint)} ≥ ${pct(policy.complaintRate)} ${over}`, figures };
  }
  return { pause: false, figures };
}

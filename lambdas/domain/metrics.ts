/**
 * The ops figures, from the raw day counters (`lambdas/adapters/dynamo/counters.ts`) to what ops read: totals per
 * figure and class, hold reasons, unsubscribes by source, and the rates SES judges a sender by. Pure: counters in,
 * numbers out, so the API, the ops page and the auto-pause all compute a rate the same way.
 *
 * Raw counter names follow one rule: `<figure>` is the total and `<figure>_<class>` the part of one message class
 * (`sent_marketing`, `bounced_hard_service`); `held_reason_<reason>`, `unsubscribed_<source>` and
 * `suppressions_added_<reason>` break a figure down by reason or source.
 */

export const MESSAGE_CLASSES = ['service', 'marketing'] as const;

// Types only: the shapes are zod schemas of the ops API (lambdas/schemas/metrics.ts); counting loads no validation library.
import type { ClassCount, Figures, Rates } from '../schemas/metrics.ts';

export type { ClassCount, Figures, Rates };

/** Where the functions' EMF metrics go (lambdas/adapters/metrics.ts), read by lib/alarms.ts and the dashboard. */
export const METRICS_NAMESPACE = 'Sendwell';
export const METRICS_SERVICE = 'sendwell';
/** Campaigns the minute sweep could not move on (a launch that fails, a stalled one it cannot restart): an alarm's metric. */
export const SWEEP_FAILED_METRIC = 'campaign_sweep_failed';

/** SES puts an account under review at these rates, and may pause its sending at higher ones. */
export const SES_REVIEW_RATES = { bounce: 0.05, complaint: 0.001 } as const;
/** Where Sendwell warns (the CloudWatch alarms, the ops page turning amber): well before a review. */
export const WARNING_RATES = { bounce: 0.04, complaint: 0.0008 } as const;

export type RawCounters = Readonly<Record<string, number>>;

/** Adds counters figure by figure. @example sumCounters([{ sent_service: 1 }, { sent_service: 2 }]) // { sent_service: 3 } */
export function sumCounters(list: readonly RawCounters[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const figures of list) for (const [k, v] of Object.entries(figures)) if (typeof v === 'number') out[k] = (out[k] ?? 0) + v;
  return out;
}

function classCount(raw: RawCounters, name: string): ClassCount {
  const service = raw[`${name}_service`] ?? 0;
  const marketing = raw[`${name}_marketing`] ?? 0;
  return { total: raw[name] ?? service + marketing, service, marketing };
}

function breakdown(raw: RawCounters, prefix: string): Record<string, number> {
  return Object.fromEntries(Object.entries(raw).filter(([k, v]) => k.startsWith(prefix) && v !== 0).map(([k, v]) => [k.slice(prefix.length), v]));
}

const total = (parts: Record<string, number>) => Object.values(parts).reduce((a, b) => a + b, 0);

const allMarketing = (n: number): ClassCount => ({ total: n, service: 0, marketing: n });

function engagement(raw: RawCounters, kind: 'opens' | 'clicks') {
  return {
    total: classCount(raw, `${kind}_total`),
    unique: classCount(raw, `${kind}_unique`),
    human: classCount(raw, `${kind}_human`),
    machine: classCount(raw, `${kind}_machine`),
    uniqueHuman: classCount(raw, `${kind}_unique_human`),
  };
}

/**
 * The figures of a set of raw counters (one day, or a range summed with {@link sumCounters}).
 *
 * @example
 * figuresOf({ sent_marketing: 40, sent_service: 60, bounced_hard: 2, bounced_hard_marketing: 2 }).sent
 * // { total: 100, service: 60, marketing: 40 }
 */
export function figuresOf(raw: RawCounters): Figures {
  const byReason = breakdown(raw, 'held_reason_');
  const bySource = breakdown(raw, 'unsubscribed_');
  const suppressions = breakdown(raw, 'suppressions_added_');
  const held = classCount(raw, 'held');
  return {
    sent: classCount(raw, 'sent'),
    held: { ...held, byReason },
    failed: classCount(raw, 'failed'),
    deferred: classCount(raw, 'deferred'),
    late: raw.late ?? 0,
    delivered: classCount(raw, 'delivered'),
    bouncedHard: classCount(raw, 'bounced_hard'),
    bouncedSoft: classCount(raw, 'bounced_soft'),
    complained: classCount(raw, 'complained'),
    rejected: classCount(raw, 'rejected'),
    delayed: classCount(raw, 'delayed'),
    renderingFailed: classCount(raw, 'rendering_failed'),
    sesSuppressed: classCount(raw, 'ses_suppressed'),
    opens: engagement(raw, 'opens'),
    clicks: engagement(raw, 'clicks'),
    unsubscribed: { ...allMarketing(raw.unsubscribed ?? total(bySource)), bySource },
    suppressionsAdded: { total: raw.suppressions_added ?? total(suppressions), byReason: suppressions },
    erasures: raw.erasures ?? 0,
  };
}

/** `part / whole`, or null when there is nothing to divide by (no mail sent is not a 0 % bounce rate). */
export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/**
 * The rates of a set of figures.
 *
 * @example
 * ratesOf(figuresOf({ sent_marketing: 200, bounced_hard: 3 })).bounce // 0.015
 * ratesOf(figuresOf({})).bounce                                      // null: nothing sent
 */
export function ratesOf(f: Figures): Rates {
  return {
    bounce: ratio(f.bouncedHard.total, f.sent.total),
    complaint: ratio(f.complained.total, f.sent.total),
    open: ratio(f.opens.uniqueHuman.total, f.delivered.total),
    humanOpen: ratio(f.opens.uniqueHuman.total, f.delivered.total),
    click: ratio(f.clicks.uniqueHuman.total, f.delivered.total),
    unsubscribe: ratio(f.unsubscribed.total, f.delivered.total),
  };
}

/** Hold reasons by count, highest first (ties by name, so the order is stable). */
export function topHoldReasons(f: Figures, limit = 10): Array<{ reason: string; count: number }> {
  return Object.entries(f.held.byReason)
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
    .slice(0, limit);
}

// ---- days ---------------------------------------------------------------------------------------------------

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MS_PER_DAY = 86_400_000;

/** A `yyyy-mm-dd` that is a real calendar day (no 2026-02-30). */
export function isDay(s: string): boolean {
  if (!DAY.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

export const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * MS_PER_DAY).toISOString().slice(0, 10);

/** Every day from `from` to `to`, inclusive. @example daysBetween('2026-01-30', '2026-02-01') // ['2026-01-30', '2026-01-31', '2026-02-01'] */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return days;
}

/** The longest range `GET /v1/metrics` answers (message records and their counters are kept 400 days by default). */
export const MAX_RANGE_DAYS = 400;
/** The range when none is asked for: the last 30 days, today included. */
export const DEFAULT_RANGE_DAYS = 30;

export type RangeResult = { readonly ok: true; readonly from: string; readonly to: string } | { readonly ok: false; readonly problems: Array<{ path: string; message: string }> };

/**
 * Checks a requested range of days, filling the defaults: `to` today, `from` 29 days before `to`.
 *
 * @example
 * metricsRange({}, '2026-11-30')                                        // { ok: true, from: '2026-11-01', to: '2026-11-30' }
 * metricsRange({ from: '2026-12-01', to: '2026-11-01' }, '2026-11-30').ok // false: from is after to
 */
export function metricsRange(q: { from?: string | undefined; to?: string | undefined }, today: string): RangeResult {
  const problems: Array<{ path: string; message: string }> = [];
  for (const key of ['from', 'to'] as const) {
    const v = q[key];
    if (v !== undefined && !isDay(v)) problems.push({ path: key, message: 'use a calendar day, yyyy-mm-dd' });
  }
  if (problems.length) return { ok: false, problems };
  const to = q.to ?? today;
  const from = q.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (from > to) return { ok: false, problems: [{ path: 'from', message: `from (${from}) is after to (${to})` }] };
  const length = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / MS_PER_DAY + 1;
  if (length > MAX_RANGE_DAYS) return { ok: false, problems: [{ path: 'from', message: `the range is ${length} days; at most ${MAX_RANGE_DAYS}` }] };
  return { ok: true, from, to };
}

/**
 * The figures a message's own history adds to the day counters, read from the messages table's change stream: what
 * changed between a record's old and new image (a delivery, an open, a click, a click found to be a machine's), and
 * each SES feedback event item as it is inserted. The record's conditional, forward-only writes and the event item's
 * conditional put happen once per event, so figures derived from them are counted once too, and an event whose
 * handler died after its write is still counted (issue 17: the counter writes left the per-event path).
 *
 * Pure: images in (already unmarshalled), figures out; the batching into counter writes is here too, so the exactly-
 * once rule of `services/message-figures.ts` can be tested without a table.
 */
import { isAccountSuppressed, isNotSpam, type FeedbackKind } from './ses-events.ts';
import { progressFigures, recordOutcome, settledDayFigures, type SettledRecipient } from './campaign-outcome.ts';

/** The counter series an event adds to besides `ALL`. */
export interface CounterDims {
  readonly topic?: string;
  readonly campaign?: string;
  /** A/B tests: the campaign's variant (counted only with `campaign`). */
  readonly variant?: string;
}

/** The counter series a message's events add to besides `ALL`: its topic's, its campaign's (and its variant's). */
export const dimsOf = (m: { readonly topic?: string | undefined; readonly campaignId?: string | undefined; readonly variant?: string | undefined }): CounterDims => ({
  ...(m.topic ? { topic: m.topic } : {}),
  ...(m.campaignId ? { campaign: m.campaignId } : {}),
  // An A/B test's variant: opens, clicks and SES feedback of its mail are counted in its own series too.
  ...(m.campaignId && m.variant ? { variant: m.variant } : {}),
});

/**
 * The series of one variant of a campaign (A/B tests): its figures apart, for the winner and `?variant=`.
 *
 * @example
 * variantSeries('cmp_1', 'b') // 'C#cmp_1#V#b'
 */
export const variantSeries = (campaign: string, variant: string): string => `C#${campaign}#V#${variant}`;

/**
 * Every series an event with `dims` adds to: `ALL`, and its topic's, campaign's and variant's when it has them.
 *
 * @example
 * seriesOf({ topic: 'news', campaign: 'c1' }) // ['ALL', 'T#news', 'C#c1']
 */
export const seriesOf = (dims: CounterDims): string[] => [
  'ALL',
  ...(dims.topic ? [`T#${dims.topic}`] : []),
  ...(dims.campaign ? [`C#${dims.campaign}`] : []),
  ...(dims.campaign && dims.variant ? [variantSeries(dims.campaign, dims.variant)] : []),
];

/**
 * A figure and its part for the message's class.
 *
 * @example
 * withClass('marketing', { opens_total: 1 }) // { opens_total: 1, opens_total_marketing: 1 }
 */
export function withClass(cls: string, figures: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(figures)) {
    out[name] = n;
    out[`${name}_${cls}`] = n;
  }
  return out;
}

/** One change of the messages table as its stream tells it (images unmarshalled). */
export interface MessageChange {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE' | string;
  readonly oldImage?: Readonly<Record<string, unknown>>;
  readonly newImage?: Readonly<Record<string, unknown>>;
  /** When the change was written (the stream's approximate time): the day of a change whose record says no time. */
  readonly at?: string;
}

/** A campaign recipient whose record became final in a change: counted in the campaign's progress once, then. */
export interface SettledChange extends SettledRecipient {
  readonly campaign: string;
  readonly cls: string;
  readonly topic?: string;
  /** The final write's time: the day its figures are counted on. */
  readonly at: string;
}

/**
 * The campaign recipient a change settles, if any: a campaign message record (`M#id / MSG` with a `campaignId`) that
 * was not final before the change and is after it (domain/campaign-outcome.ts `recordOutcome`). Each record becomes
 * final once (every write that would make a record unsettled again is conditional on it not being final, and an
 * erasure makes a record final before it deletes it), and the stream holds each change once, so counting here counts
 * every recipient with a record exactly once, whichever delivery of which batch, or erasure, wrote it (issue 17: a
 * batch's settle marked each record `counted` in a transaction, 2 write units a recipient). A change between two
 * final states (sent, then held by a stale delivery) adds nothing; a removal neither.
 *
 * @example
 * settledOfChange({ eventName: 'MODIFY', oldImage: { pk: 'M#c1-r1', sk: 'MSG', campaignId: 'c1', class: 'marketing', status: 'sending' },
 *   newImage: { pk: 'M#c1-r1', sk: 'MSG', campaignId: 'c1', class: 'marketing', status: 'sent', updatedAt: '2026-12-06T10:00:00.000Z' } })
 * // { campaign: 'c1', cls: 'marketing', outcome: 'sent', at: '2026-12-06T10:00:00.000Z' }
 */
export function settledOfChange(change: MessageChange): SettledChange | undefined {
  const item = change.newImage;
  if (change.eventName === 'REMOVE' || !item || item.sk !== 'MSG' || typeof item.pk !== 'string' || !item.pk.startsWith('M#')) return undefined;
  const campaign = str(item.campaignId);
  const cls = classOf(item);
  if (!campaign || !cls || (change.oldImage && recordOutcome(change.oldImage))) return undefined;
  const outcome = recordOutcome(item);
  const at = str(item.updatedAt) ?? change.at;
  if (!outcome || !at) return undefined;
  const topic = str(item.topic);
  const variant = str(item.variant);
  return { campaign, cls, outcome, at, ...(topic ? { topic } : {}), ...(variant ? { variant } : {}), ...(outcome === 'sent' && item.late === true ? { late: true } : {}) };
}

/** Figures to add on the day of `at`, to every series of `dims`. */
export interface FigureChange {
  readonly at: string;
  readonly figures: Readonly<Record<string, number>>;
  readonly dims: CounterDims;
}

/** SES feedback counted from its event item (`Delivery` has none: it is counted from the record's `deliveredAt`). */
/** The SES feedback kinds whose event item is counted (a `Delivery` is counted from the record instead). */
export const COUNTED_FEEDBACK_KINDS: readonly FeedbackKind[] = ['bounced_hard', 'bounced_soft', 'complained', 'rejected', 'delayed', 'rendering_failed'];
const COUNTED_FEEDBACK: ReadonlySet<string> = new Set<string>(COUNTED_FEEDBACK_KINDS);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const classOf = (i: Readonly<Record<string, unknown>>): string | undefined => (i.class === 'service' || i.class === 'marketing' ? i.class : undefined);

/**
 * What one change adds to the counters. A record (`M#id / MSG`) that was modified: its delivery (`deliveredAt` set),
 * its opens and clicks (the counts' differences; the first and first human ones as unique; a click moved from human
 * to machine by a later burst as -1/+1, and the message's last human click gone as -1 unique human). A feedback event
 * item (`M#id / E#…`) that was inserted with its message's class: one of its kind (`ses_suppressed` for a bounce or
 * complaint SES made up from its account-level list; nothing for a `not-spam` report, which is no complaint). A
 * campaign recipient settled by the change ({@link settledOfChange}): `sent_<class>`, `held_<class>` and its reason,
 * `failed_<class>`, `late`, in the campaign's series. Anything else (claims, raw open and click events, link sets,
 * removals by TTL or erasure) adds nothing.
 *
 * @example
 * figuresOfChange({ eventName: 'MODIFY', oldImage: { pk: 'M#m1', sk: 'MSG', class: 'service' },
 *   newImage: { pk: 'M#m1', sk: 'MSG', class: 'service', deliveredAt: '2026-12-05T10:00:00.000Z' } })
 * // [{ at: '2026-12-05T10:00:00.000Z', figures: { delivered: 1, delivered_service: 1 }, dims: {} }]
 */
export function figuresOfChange(change: MessageChange): FigureChange[] {
  const settled = settledOfChange(change);
  const figures = settled ? settledDayFigures(settled.cls, settled) : {};
  const own = Object.keys(figures).length ? [{ at: settled!.at, figures, dims: dimsOf({ topic: settled!.topic, campaignId: settled!.campaign, variant: settled!.variant }) }] : [];
  return [...own, ...historyFigures(change)];
}

/** What a change adds to the day counters besides a campaign recipient's settling: deliveries, feedback, opens, clicks. */
function historyFigures(change: MessageChange): FigureChange[] {
  const item = change.newImage;
  if (!item || typeof item.pk !== 'string' || !item.pk.startsWith('M#') || typeof item.sk !== 'string') return [];
  const cls = classOf(item);
  if (!cls) return [];
  const dims = dimsOf({ topic: str(item.topic), campaignId: str(item.campaignId), variant: str(item.variant) });

  if (change.eventName === 'INSERT' && item.sk.startsWith('E#')) {
    const kind = str(item.type);
    const at = str(item.at);
    if (!kind || !at || !COUNTED_FEEDBACK.has(kind)) return [];
    const detail = (item.detail ?? {}) as Record<string, unknown>;
    if (isNotSpam(kind, detail)) return [];
    const figure = isAccountSuppressed(kind, detail) ? 'ses_suppressed' : kind;
    return [{ at, figures: withClass(cls, { [figure]: 1 }), dims }];
  }
  if (change.eventName !== 'MODIFY' || item.sk !== 'MSG') return [];
  const old = change.oldImage ?? {};
  const out: FigureChange[] = [];
  const deliveredAt = str(item.deliveredAt);
  if (deliveredAt && !str(old.deliveredAt)) out.push({ at: deliveredAt, figures: withClass(cls, { delivered: 1 }), dims });
  for (const kind of ['Open', 'Click'] as const) out.push(...engagement(kind, old, item, change.at).map((e) => ({ ...e, figures: withClass(cls, e.figures), dims })));
  return out;
}

/** An open's or click's figures from the record's counts before and after (`opens`, `humanOpens`, `firstOpenAt`, …). */
function engagement(kind: 'Open' | 'Click', old: Readonly<Record<string, unknown>>, now: Readonly<Record<string, unknown>>, changedAt: string | undefined): Array<Omit<FigureChange, 'dims'>> {
  const plural = `${kind.toLowerCase()}s`;
  const total = num(now[plural]) - num(old[plural]);
  const human = num(now[`human${kind}s`]) - num(old[`human${kind}s`]);
  const machine = num(now[`machine${kind}s`]) - num(old[`machine${kind}s`]);
  const out: Array<Omit<FigureChange, 'dims'>> = [];
  // Fewer in total is no open or click (a failed send's record claimed again); a move between human and machine keeps the total.
  const at = str(now[`last${kind}At`]) ?? changedAt ?? str(now.updatedAt);
  if (total >= 0 && at) {
    const appeared = (field: string) => str(now[field]) !== undefined && str(old[field]) === undefined;
    const figures: Record<string, number> = {};
    const add = (name: string, n: number) => {
      if (n !== 0) figures[name] = n;
    };
    add(`${plural}_total`, total);
    add(`${plural}_human`, human);
    add(`${plural}_machine`, machine);
    add(`${plural}_unique`, appeared(`first${kind}At`) ? 1 : 0);
    add(`${plural}_unique_human`, appeared(`firstHuman${kind}At`) ? 1 : 0);
    if (Object.keys(figures).length) out.push({ at, figures });
  }
  // The message's only human click was a machine's after all (its own write, after the move): it is no longer clicked
  // by a person, on the day it was.
  const goneHuman = str(old[`firstHuman${kind}At`]);
  if (goneHuman && str(now[`firstHuman${kind}At`]) === undefined && total >= 0) out.push({ at: goneHuman, figures: { [`${plural}_unique_human`]: -1 } });
  return out;
}

/** The sum to add to one series on one day. */
export interface SeriesDay {
  readonly series: string;
  readonly day: string;
  readonly figures: Readonly<Record<string, number>>;
}

/** The most counter and progress items one part writes: a transaction holds 100 items, one of them the part's marker. */
export const MAX_PART_KEYS = 99;

/** What a part adds to one campaign's progress (domain/campaign-outcome.ts `progressFigures`). */
export interface CampaignProgress {
  readonly campaign: string;
  readonly figures: Readonly<Record<string, number>>;
}

/** A run of consecutive stream records whose figures are written in one transaction, summed per series and day. */
export interface FiguresPart {
  /** Index of the part's first and last record in the batch. */
  readonly first: number;
  readonly last: number;
  readonly sums: readonly SeriesDay[];
  /** The campaign recipients the part's records settled, summed per campaign (`settled[i]` of each record). */
  readonly progress: readonly CampaignProgress[];
}

/**
 * The next part of a batch from record `from` on: as many consecutive records as fit in `maxKeys` items (a series-day
 * or a campaign's progress each), each figure summed over them (so a counter item is written once per part, not once
 * per event). `settled[i]` is the campaign recipient record `i` settled, if any. A part whose records add nothing has
 * no sums and no progress. Deterministic: the same records from the same first one give the same part.
 *
 * @example
 * nextPart([[{ at: '2026-12-05T10:00:00Z', figures: { delivered: 1 }, dims: {} }], []], 0)
 * // { first: 0, last: 1, sums: [{ series: 'ALL', day: '2026-12-05', figures: { delivered: 1 } }], progress: [] }
 */
export function nextPart(
  records: ReadonlyArray<readonly FigureChange[]>,
  from: number,
  maxKeys = MAX_PART_KEYS,
  settled: ReadonlyArray<SettledChange | undefined> = [],
): FiguresPart {
  const sums = new Map<string, { series: string; day: string; figures: Record<string, number> }>();
  const byCampaign = new Map<string, SettledRecipient[]>();
  let last = from;
  for (let i = from; i < records.length; i++) {
    const adds: Array<[string, string, string, Readonly<Record<string, number>>]> = [];
    for (const c of records[i]!) for (const series of seriesOf(c.dims)) adds.push([`${series}|${c.at.slice(0, 10)}`, series, c.at.slice(0, 10), c.figures]);
    const fresh = new Set(adds.map(([k]) => k).filter((k) => !sums.has(k)));
    const campaign = settled[i]?.campaign;
    const freshCampaign = campaign !== undefined && !byCampaign.has(campaign) ? 1 : 0;
    // A record never straddles two parts; the first record of a part always fits (at most 8 series-days and a campaign).
    if (i > from && sums.size + byCampaign.size + fresh.size + freshCampaign > maxKeys) break;
    for (const [key, series, day, figures] of adds) {
      const sum = sums.get(key) ?? { series, day, figures: {} };
      for (const [name, n] of Object.entries(figures)) sum.figures[name] = (sum.figures[name] ?? 0) + n;
      sums.set(key, sum);
    }
    if (campaign !== undefined) {
      const entries = byCampaign.get(campaign) ?? [];
      entries.push(settled[i]!);
      byCampaign.set(campaign, entries);
    }
    last = i;
  }
  // A figure that summed to nothing (a click counted human, then moved to machine, in one part) writes nothing.
  const parts = [...sums.values()]
    .map((s) => ({ ...s, figures: Object.fromEntries(Object.entries(s.figures).filter(([, n]) => n !== 0)) }))
    .filter((s) => Object.keys(s.figures).length > 0);
  const progress = [...byCampaign].map(([campaign, entries]) => ({ campaign, figures: progressFigures(entries) }));
  return { first: from, last, sums: parts, progress };
}

/**
 * The day counters, from the messages table's change stream (issue 17): a batch of changes becomes figures
 * (domain/message-figures.ts), and each counter item is written once per part of the batch, with the sum of its
 * figures, instead of once per event on the event's own path.
 *
 * Exactly once under redelivery: a part (as many consecutive records as fit one transaction) is written together
 * with a marker named after the event id of its first record that has figures, on the condition that the marker is
 * new, saying which record the part ran through. Lambda delivers a failed batch again from its first record, or from
 * the record the handler reported (always a part's first, below); a reader that lost its checkpoint reads again from
 * an earlier batch's start, further. Either way the records are read again from the start of a part written before
 * (or of records that add nothing), so the first record with figures is the one that named the marker: it is found,
 * and the records it ran through are skipped. The mapping must not bisect batches (lib/message-figures.ts): a half
 * starting inside a written part would be counted again.
 *
 * A campaign recipient whose message record became final (domain/message-figures.ts `settledOfChange`) is added to
 * the campaign's progress in the same transaction; after the batch, each such campaign completes if everyone is
 * settled (`CampaignStore.completeIfDone`).
 *
 * After a batch that counted a hard bounce or a complaint the marketing auto-pause is judged, here rather than on the
 * SES event's path: it sees the figures once they are counted, a batch (a few seconds) after the event.
 */
import { figuresOfChange, nextPart, settledOfChange, type MessageChange } from '../domain/message-figures.ts';
import type { PauseVerdict } from '../domain/marketing-pause.ts';
import type { Deps } from './deps.ts';
import { checkMarketingPause } from './marketing-control.ts';

/** Markers outlive the stream's 24-hour retention and Lambda's retries of a record (lib/message-figures.ts): two days. */
export const MARKER_DAYS = 2;

/** One record of a stream batch: its event id (unique in the stream) and the change. */
export interface StreamedChange {
  readonly id: string;
  readonly change: MessageChange;
}

export interface FiguresReport {
  /** Parts written, and parts found written by an earlier delivery (skipped). */
  readonly written: number;
  readonly skipped: number;
  /** Id of the first record not counted, when a write failed: everything from it on must come again. */
  readonly failedAt?: string;
  readonly error?: unknown;
  /** Set when this batch made marketing pause itself. */
  readonly paused?: Extract<PauseVerdict, { pause: true }>;
}

/** Hard bounces and complaints raise the rates the auto-pause judges; nothing else does. */
const RAISES_PAUSE_RATES = ['bounced_hard', 'complained'];

export async function countMessageFigures(deps: Deps, records: readonly StreamedChange[]): Promise<FiguresReport> {
  const figures = records.map((r) => figuresOfChange(r.change));
  const settled = records.map((r) => settledOfChange(r.change));
  const adds = (i: number) => figures[i]!.length > 0 || settled[i] !== undefined;
  const expiresAt = Math.floor(deps.clock().getTime() / 1000) + MARKER_DAYS * 86_400;
  let written = 0;
  let skipped = 0;
  let from = 0;
  while (from < records.length) {
    const part = nextPart(figures, from, undefined, settled);
    // Named by a record, not by where this delivery's batch happens to start (records that add nothing before it).
    const named = records.findIndex((_, i) => i >= from && i <= part.last && adds(i));
    if (named < 0) {
      from = part.last + 1;
      continue;
    }
    let out: Awaited<ReturnType<Deps['messages']['addFigures']>>;
    try {
      // Written even when the figures cancel out (a click counted human, then machine): a marker for every part with
      // figures, so a later delivery grouping the records otherwise meets it.
      out = await deps.messages.addFigures({ id: records[named]!.id, through: records[part.last]!.id, expiresAt }, part.sums, part.progress);
    } catch (error) {
      return { written, skipped, failedAt: records[from]!.id, error };
    }
    if (out.written) {
      written++;
      from = part.last + 1;
    } else {
      // Written by an earlier delivery, perhaps over other records than this part (a batch that was longer then):
      // everything it ran through is counted. A marker reaching past this batch covers the rest of it.
      skipped++;
      const through = out.through === undefined ? -1 : records.findIndex((r) => r.id === out.through);
      from = through >= from ? through + 1 : out.through === undefined ? part.last + 1 : records.length;
    }
  }
  // Campaigns whose recipients this batch settled may be complete now, whether this delivery or an earlier one (which
  // may have died before looking) counted them.
  try {
    for (const campaign of new Set(settled.flatMap((s) => (s ? [s.campaign] : [])))) await deps.campaigns.completeIfDone(campaign, deps.clock().toISOString());
  } catch (error) {
    return { written, skipped, failedAt: records[0]!.id, error };
  }
  // Judged whether this delivery or an earlier one wrote the figures: an earlier one may have died before judging.
  const judge = figures.some((changes) => changes.some((c) => RAISES_PAUSE_RATES.some((name) => (c.figures[name] ?? 0) > 0)));
  if (!judge) return { written, skipped };
  try {
    const paused = await checkMarketingPause(deps);
    return { written, skipped, ...(paused ? { paused } : {}) };
  } catch (error) {
    return { written, skipped, failedAt: records[0]!.id, error };
  }
}

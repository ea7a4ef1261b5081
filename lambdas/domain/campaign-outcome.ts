/**
 * What one recipient of a campaign comes to, once it is final, and the figures it adds: to the campaign's progress
 * (`CampaignStore.counters`) and to the day counters. A recipient with a message record is counted from the record's
 * change, on the messages stream, when it first becomes final (domain/message-figures.ts); one without a record
 * (excluded, gone, in the holdout) by the batch that settled it (`CampaignStore.settle`). Both count the same way, here.
 */

/** A settled recipient's outcome. `excluded`: left out by the audience filter; `holdout`: an A/B test's control group. */
export type CampaignOutcome = 'sent' | 'failed' | 'excluded' | 'holdout' | { readonly held: string };

/** A settled recipient as the figures count it. */
export interface SettledRecipient {
  readonly outcome: CampaignOutcome;
  /** Local-time campaigns: sent at once because the recipient's moment had passed at the launch. */
  readonly late?: boolean;
  /** A/B tests: the variant the recipient was given (counted per variant too). */
  readonly variant?: string;
}

/** Progress figures of one A/B test variant: `V#<variant>#sent`, `V#<variant>#held_<reason>`, `V#<variant>#failed`. */
export const VARIANT_PREFIX = 'V#';

const outcomeKey = (o: CampaignOutcome): string => (typeof o === 'string' ? o : `held_${o.held}`);

/**
 * The progress figures of settled recipients, summed: `settled`, each outcome's, `late`, and each variant's own.
 *
 * @example
 * progressFigures([{ outcome: 'sent', variant: 'a' }, { outcome: { held: 'opted_out' } }])
 * // { settled: 2, sent: 1, 'V#a#sent': 1, held_opted_out: 1 }
 */
export function progressFigures(entries: readonly SettledRecipient[]): Record<string, number> {
  const figures: Record<string, number> = { settled: entries.length };
  const add = (k: string) => (figures[k] = (figures[k] ?? 0) + 1);
  for (const e of entries) {
    const key = outcomeKey(e.outcome);
    add(key);
    if (e.late) add('late');
    if (e.variant) add(`${VARIANT_PREFIX}${e.variant}#${key}`);
  }
  return figures;
}

/**
 * The day counters' figures of one settled recipient of a campaign of class `cls`: `sent_<class>`,
 * `failed_<class>`, `held_<class>` with `held_reason_<reason>`, and `late`. Excluded and holdout recipients add none.
 *
 * @example
 * settledDayFigures('marketing', { outcome: { held: 'opted_out' } }) // { held_marketing: 1, held_reason_opted_out: 1 }
 */
export function settledDayFigures(cls: string, e: SettledRecipient): Record<string, number> {
  const figures: Record<string, number> = e.late ? { late: 1 } : {};
  if (e.outcome === 'sent') figures[`sent_${cls}`] = 1;
  else if (e.outcome === 'failed') figures[`failed_${cls}`] = 1;
  else if (e.outcome !== 'excluded' && e.outcome !== 'holdout') Object.assign(figures, { [`held_${cls}`]: 1, [`held_reason_${e.outcome.held}`]: 1 });
  return figures;
}

/**
 * A campaign message record's outcome if it is final (sent, held, failed for good after its last attempt), else
 * undefined (`deferred`, `sending`, or a `failed` attempt about to be retried). A recipient held because they left the
 * audience (`not_in_audience`) counts as excluded, as those the filter leaves out before any record.
 *
 * @example
 * recordOutcome({ status: 'held', reason: 'opted_out' }) // { held: 'opted_out' }
 * recordOutcome({ status: 'failed' })                     // undefined (retried)
 */
export function recordOutcome(r: Readonly<Record<string, unknown>>): CampaignOutcome | undefined {
  if (r.status === 'sent') return 'sent';
  if (r.status === 'failed') return r.deadLetteredAt !== undefined ? 'failed' : undefined;
  if (r.status !== 'held') return undefined;
  if (r.reason === 'not_in_audience') return 'excluded';
  return { held: typeof r.reason === 'string' && r.reason !== '' ? r.reason : 'unknown_recipient' };
}

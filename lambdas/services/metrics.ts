/**
 * `GET /v1/metrics`: the figures of one series (everything, a topic or a campaign) over a range of days, per day and
 * in total, with their rates, the top hold reasons, the thresholds they are judged by, and whether marketing is paused.
 * One Query for the range (counters are keyed by day), one GetItem for the pause.
 */
import { SendwellError } from '../domain/errors.ts';
import { DEFAULT_PAUSE_POLICY } from '../domain/marketing-pause.ts';
import { daysBetween, figuresOf, metricsRange, ratesOf, SES_REVIEW_RATES, sumCounters, topHoldReasons, WARNING_RATES } from '../domain/metrics.ts';
import type { MetricsQuery, MetricsResponse } from '../schemas/metrics.ts';
import type { Deps } from './deps.ts';
import { variantSeries } from '../adapters/dynamo/counters.ts';

export async function getMetrics(deps: Deps, query: MetricsQuery): Promise<MetricsResponse> {
  const range = metricsRange(query, deps.clock().toISOString().slice(0, 10));
  if (!range.ok) throw new SendwellError('validation_failed', 'The range of days is not valid.', range.problems);
  if (query.campaign && query.variant) await checkVariant(deps, query.campaign, query.variant);
  const series = query.campaign ? (query.variant ? variantSeries(query.campaign, query.variant) : `C#${query.campaign}`) : query.topic ? `T#${query.topic}` : 'ALL';
  const [stored, pause] = await Promise.all([deps.messages.counterSeries(series, range.from, range.to), deps.control.getMarketingPause()]);
  const byDay = new Map(stored.map((d) => [d.day, d.figures]));
  const totals = figuresOf(sumCounters(stored.map((d) => d.figures)));
  const policy = deps.pausePolicy ?? DEFAULT_PAUSE_POLICY;
  return {
    from: range.from,
    to: range.to,
    series,
    days: daysBetween(range.from, range.to).map((day) => {
      const figures = figuresOf(byDay.get(day) ?? {});
      return { day, figures, rates: ratesOf(figures) };
    }),
    totals,
    rates: ratesOf(totals),
    holdReasons: topHoldReasons(totals),
    thresholds: {
      sesReview: { ...SES_REVIEW_RATES },
      warning: { ...WARNING_RATES },
      autoPause: { bounce: policy.bounceRate, complaint: policy.complaintRate, minSent: policy.minSent, windowDays: policy.windowDays },
    },
    marketing: { paused: pause !== undefined, ...(pause ? { pause } : {}) },
  };
}

/** A variant the campaign does not have would read as zeros, which looks like a losing variant: a 400 instead. */
async function checkVariant(deps: Deps, campaignId: string, variant: string): Promise<void> {
  const campaign = await deps.campaigns.get(campaignId);
  const ids = campaign?.variants?.map((v) => v.id) ?? [];
  if (ids.includes(variant)) return;
  const message = !campaign ? `there is no campaign ${campaignId}` : ids.length ? `campaign ${campaignId} has no variant ${variant} (its variants: ${ids.join(', ')})` : `campaign ${campaignId} is not an A/B test`;
  throw new SendwellError('validation_failed', 'The query is not valid.', [{ path: campaign ? 'variant' : 'campaign', message }]);
}

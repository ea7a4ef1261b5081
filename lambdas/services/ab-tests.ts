/**
 * A/B tests on campaigns (issue 19): checking a campaign's variants, the figures per variant, and the winner — picked
 * by the campaign sweep once `decideAfterSeconds` have passed, or by a person (`POST /v1/campaigns/{id}/winner`).
 *
 * Recipients of the rest of the audience (outside the test share) wait for the winner as parked batches of the
 * campaign (`PARK#<batch>~ab`): nothing is claimed or counted for them until the winner is known, so each of them is
 * claimed once, with the winner. Deciding writes the winner once (conditional); releasing those batches is repeated by
 * the sweep until none is left, so a crash between the two only delays them.
 */
import { checkAbTest, decideAt, pickWinner, type AbTestSpec, type VariantScore, type WinnerDecision } from '../domain/ab-test.ts';
import { SendwellError, type ErrorDetail } from '../domain/errors.ts';
import { malformedPlaceholders } from '../domain/template.ts';
import { addDays, figuresOf, MAX_RANGE_DAYS, ratesOf, sumCounters } from '../domain/metrics.ts';
import { variantSeries } from '../adapters/dynamo/counters.ts';
import { asBatch, type StoredCampaign } from '../adapters/dynamo/campaign-store.ts';
import type { Campaign, CampaignInput } from '../schemas/model.ts';
import type { Actor, Deps } from './deps.ts';
import { resolveTemplate } from './send.ts';

/** The batch id suffix of recipients parked until the winner is known. */
export const AWAITING_WINNER = '~ab';

/** The id the rest of a batch waits under (a batch parked for the winner and resumed keeps its id). */
export const awaitingBatchId = (batchId: string): string => (batchId.endsWith(AWAITING_WINNER) ? batchId : `${batchId}${AWAITING_WINNER}`);

type AbFields = Pick<CampaignInput, 'variants' | 'holdout' | 'test'>;

/**
 * Checks an A/B test's shape and its variants' templates against the campaign's class and topic: a 400 naming the
 * field. Nothing to check without variants (a holdout or a test without them is a mistake, and said so).
 */
export async function checkVariants(deps: Deps, ab: AbFields, campaign: { class: 'service' | 'marketing'; topic?: string | undefined }): Promise<void> {
  if (!ab.variants) {
    const stray: ErrorDetail[] = [
      ...(ab.holdout !== undefined ? [{ path: 'holdout', message: 'a holdout belongs to an A/B test: give variants' }] : []),
      ...(ab.test ? [{ path: 'test', message: 'a test needs variants' }] : []),
    ];
    if (stray.length) throw new SendwellError('validation_failed', 'The A/B test is not valid.', stray);
    return;
  }
  const problems = checkAbTest(ab as AbTestSpec);
  // A variant's subject replaces the template's at send: one that would not render fails every mail of the variant.
  ab.variants.forEach((v, i) => {
    for (const bad of v.subject === undefined ? [] : malformedPlaceholders(v.subject)) problems.push({ path: `variants.${i}.subject`, message: `malformed placeholder ${bad}` });
  });
  await Promise.all(
    ab.variants.map(async (v, i) => {
      if (!v.template) return;
      const t = await resolveTemplate(deps, v.template).catch(() => undefined);
      const path = `variants.${i}.template`;
      if (!t) problems.push({ path, message: `no template ${v.template}` });
      else if (t.class !== campaign.class) problems.push({ path, message: `template ${t.id} is a ${t.class} template; this is a ${campaign.class} campaign` });
      else if (t.topic && campaign.topic && t.topic !== campaign.topic) problems.push({ path, message: `template ${t.id} is for topic ${t.topic}, the campaign for ${campaign.topic}` });
    }),
  );
  if (problems.length) throw new SendwellError('validation_failed', 'The A/B test is not valid.', problems);
}

/** Each variant's delivered mails and unique human opens and clicks, from its day counters since the launch. */
export async function variantScores(deps: Deps, c: StoredCampaign): Promise<Array<VariantScore & { figures: ReturnType<typeof figuresOf> }>> {
  if (!c.variants || !c.launchedAt) return [];
  const today = deps.clock().toISOString().slice(0, 10);
  const earliest = addDays(today, -(MAX_RANGE_DAYS - 1));
  const launched = c.launchedAt.slice(0, 10);
  const from = launched < earliest ? earliest : launched;
  return Promise.all(
    c.variants.map(async (v) => {
      const figures = figuresOf(sumCounters((await deps.messages.counterSeries(variantSeries(c.id, v.id), from, today)).map((d) => d.figures)));
      return { id: v.id, delivered: figures.delivered.total, humanOpens: figures.opens.uniqueHuman.total, clicks: figures.clicks.uniqueHuman.total, figures };
    }),
  );
}

/**
 * The sweep's part: a test campaign whose time has come gets its winner (from the scores), and a decided one has its
 * waiting recipients released. Returns the decision made now, if any.
 */
export async function advanceAbTest(deps: Deps, c: StoredCampaign): Promise<WinnerDecision | undefined> {
  if (!c.test || !c.variants || !c.launchedAt) return undefined;
  let made: WinnerDecision | undefined;
  if (!c.decision && (c.status === 'sending' || c.status === 'paused')) {
    const now = deps.clock();
    // Only the test share waits before the decision (the rest is parked for the winner): its waits say when it went.
    const at = decideAt(c.launchedAt, c.test.decideAfterSeconds, await deps.campaigns.waits(c.id));
    const decision = at ? pickWinner(await variantScores(deps, c), c.test.metric, { now, decideAt: at }) : undefined;
    if (decision && (await deps.campaigns.decide(c.id, decision))) made = decision;
  }
  if (made || c.decision) await releaseAwaiting(deps, c.id);
  return made;
}

/** `POST /v1/campaigns/{id}/winner`: a person picks the winner before the test is decided. */
export async function chooseWinner(deps: Deps, id: string, variant: string, actor: Actor): Promise<StoredCampaign> {
  const c = await deps.campaigns.get(id);
  if (!c) throw new SendwellError('not_found', `No campaign ${id}.`);
  if (!c.test || !c.variants) throw new SendwellError('conflict', 'This campaign has no A/B test with a test share: every recipient already gets a variant.', [{ path: 'test', message: 'not set' }]);
  if (c.decision) throw new SendwellError('conflict', `The winner is decided already: ${c.decision.variant} (${c.decision.reason}).`, [{ path: 'decision', message: 'already decided' }]);
  if (c.status !== 'sending' && c.status !== 'paused') {
    throw new SendwellError('conflict', `Cannot pick a winner of a campaign that is ${c.status}.`, [{ path: 'status', message: 'needs one of: sending, paused' }]);
  }
  if (!c.variants.some((v) => v.id === variant)) {
    throw new SendwellError('validation_failed', `No variant ${variant}.`, [{ path: 'variant', message: `one of: ${c.variants.map((v) => v.id).join(', ')}` }]);
  }
  const decided = await deps.campaigns.decide(id, { variant, reason: 'manual', at: deps.clock().toISOString(), by: actor });
  if (!decided) throw new SendwellError('conflict', 'The winner was decided meanwhile.', [{ path: 'decision', message: 'already decided' }]);
  await releaseAwaiting(deps, id);
  return c;
}

/**
 * Puts the batches waiting for the winner back on the send queue (while the campaign sends; a paused one's go back
 * when it resumes). Queued before they are unparked: a failure in between leaves them parked for the next sweep, and
 * the senders find anyone already claimed.
 */
export async function releaseAwaiting(deps: Deps, id: string): Promise<number> {
  const c = await deps.campaigns.get(id);
  if (!c || c.status !== 'sending') return 0;
  const waiting = (await deps.campaigns.parked(id)).filter((b) => b.batchId.endsWith(AWAITING_WINNER));
  if (!waiting.length) return 0;
  await deps.queues.send(waiting.map(asBatch));
  await Promise.all(waiting.map((b) => deps.campaigns.unpark(id, b.batchId, b.parkVersion)));
  return waiting.reduce((n, b) => n + b.recipientIds.length, 0);
}

/** Recipients waiting for the winner: the parked `~ab` batches. */
export async function awaitingWinner(deps: Deps, id: string): Promise<number> {
  return (await deps.campaigns.parked(id)).filter((b) => b.batchId.endsWith(AWAITING_WINNER)).reduce((n, b) => n + b.recipientIds.length, 0);
}

type VariantProgress = NonNullable<Campaign['progress']['variants']>[number];

/** The progress per variant: what was settled and (one campaign's answer only) delivered, opened and clicked. */
export async function variantProgress(deps: Deps, c: StoredCampaign, settled: Readonly<Record<string, { sent: number; failed: number; held: number }>>, withEngagement: boolean): Promise<VariantProgress[]> {
  if (!c.variants) return [];
  const scores = withEngagement ? new Map((await variantScores(deps, c)).map((s) => [s.id, s])) : new Map();
  return c.variants.map((v) => {
    const s = settled[v.id] ?? { sent: 0, failed: 0, held: 0 };
    const score = scores.get(v.id);
    const rates = score ? ratesOf(score.figures) : undefined;
    return {
      id: v.id,
      sent: s.sent,
      heldTotal: s.held,
      failed: s.failed,
      ...(score ? { delivered: score.delivered, opensUniqueHuman: score.humanOpens, clicksUniqueHuman: score.clicks, openRate: rates!.open, clickRate: rates!.click } : {}),
    };
  });
}

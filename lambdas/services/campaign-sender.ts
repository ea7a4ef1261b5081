/**
 * The sender: one batch of a campaign's recipients → one mail each, at most, and exactly one for each who may get it.
 *
 * The sender takes send budget for as much of the batch as the campaign's rate gives this second (one write), then,
 * for each chunk of up to {@link SEND_CHUNK} recipients of it, reads the recipients and their suppressions again,
 * consistently and in batches, right before sending: an opt-out stored before that read holds the mail. Each recipient's message id is derived from campaign and recipient, and the record
 * is claimed with a conditional write before SES is called, so no redelivery, retry or second launcher can mail
 * anyone twice. A claim left `sending` (the sender died around the SES call) is settled after `reconcileSeconds`: as
 * sent if SES reported the message, sent again if it did not. Outcomes are counted exactly once: a recipient with a
 * record when the record becomes final (the messages stream: domain/message-figures.ts `settledOfChange`), one without
 * by the batch (`CampaignStore.settle`).
 */
import { recordOutcome, settledDayFigures } from '../domain/campaign-outcome.ts';
import { campaignMessageId, derivedBatchId, isDueBatch, isThrottle, matchesAudience, sesPauseReason, backoffMs, type SendBatch } from '../domain/campaign.ts';
import { trackingAllowed } from '../domain/decide.ts';
import { capsFor, localMoment, localTiming, quietUntil, type FrequencyCap } from '../domain/delivery-timing.ts';
import { consentTopicsOf, matchesSegment } from '../domain/segments.ts';
import { parseWallTime, recipientTimeZone } from '../domain/time-zones.ts';
import { SendOutcomeUnknown, SendwellError, UnsafeLink } from '../domain/errors.ts';
import type { Template } from '../domain/template.ts';
import type { SettleEntry, StoredCampaign } from '../adapters/dynamo/campaign-store.ts';
import type { SendingView } from '../adapters/dynamo/recipient-store.ts';
import type { SuppressionRecord } from '../schemas/model.ts';
import { dimsOf, type Deps } from './deps.ts';
import { pauseCampaign, releaseCapSlots, requeueParked } from './campaigns.ts';
import { campaignVerdict, segmentSubject, withEngagement, type TimingInputs } from './campaign-verdict.ts';
import type { Deferral, StoredMessageRecord } from '../adapters/dynamo/message-store.ts';
import { deliver, resolveTemplate, retentionExpiry } from './send.ts';
import { assignVariant, variantContent } from '../domain/ab-test.ts';
import { awaitingBatchId } from './ab-tests.ts';

/**
 * Most recipients sent in parallel by one sender at a time. Each chunk is read again (profiles, consents,
 * suppressions) right before it is sent, so an opt-out stops the next chunk's mail.
 */
export const SEND_CHUNK = 10;
/** Tries of one SES call in a row when SES throttles, before the recipient is retried later through the queue. */
const THROTTLE_TRIES = 4;

export interface BatchReport {
  /**
   * Settled by this delivery of the batch (sent, held, failed for good, excluded): those with a record counted from it
   * (the messages stream, a batch later), the others by this batch, or before.
   */
  readonly settled: number;
  readonly sent: number;
  /** Put back on the queue: SES errors and throttles to try again, claims whose fate is not known yet. */
  readonly retried: number;
  readonly deadLettered: number;
  /** Set aside because the campaign is paused. */
  readonly parked: number;
  /** Not for sending any more (the campaign is cancelled, completed or gone). */
  readonly dropped: number;
  /** Waiting for their local time or the end of their quiet hours (the due-message sweep brings them back). */
  readonly waiting: number;
}

type Outcome =
  | { readonly kind: 'settled'; readonly entry: SettleEntry }
  | { readonly kind: 'retry'; readonly error: string }
  | { readonly kind: 'in_doubt' }
  | { readonly kind: 'waiting' }
  | { readonly kind: 'pause'; readonly reason: 'ses_sending_paused' | 'ses_account_suspended' };

interface Context {
  readonly campaign: StoredCampaign;
  readonly template: Template & { id: string };
  /** Quiet hours, caps and the default zone, read once per batch; the send logs are read per chunk. */
  readonly timing: TimingInputs;
  /** The caps marketing of this campaign is held to (the stage's and the topic's). */
  readonly caps: readonly FrequencyCap[];
  /** Marketing while any cap exists (the stage's or any topic's): each mail takes a slot in the recipient's send log. */
  readonly log: boolean;
  /** Topics a segment's `consent.<topic>` conditions read. */
  readonly otherTopics: readonly string[];
  /** A/B tests: each variant's template, its subject applied. */
  readonly variants: ReadonlyMap<string, Template & { id: string }>;
  /** A batch the due-message sweep made: everyone in it waited under a deferred record (see {@link leftOut}). */
  readonly fromDue: boolean;
}

/** Time kept back before the invocation's deadline to settle and re-queue what is left. */
const DEADLINE_RESERVE_MS = 20_000;

/**
 * Parks `batch` for the resume. A resume that came between this sender's read of the campaign and the park has sent
 * back the batches parked before it and not this one: so the campaign is read again, and if it is sending by now the
 * parked batches go back to the queue at once (resume's own step, campaigns.ts), not at the sweep a minute later.
 */
async function parkUnlessResumed(deps: Deps, batch: SendBatch): Promise<void> {
  await deps.campaigns.park(batch);
  const now = await deps.campaigns.get(batch.campaignId);
  if (now?.status === 'sending') await requeueParked(deps, now);
}

/**
 * Processes one delivery of a send batch. Throws only for infrastructure errors (the queue then redelivers it).
 * `deadline` (epoch ms): a slow rate may not fit a whole batch in one invocation; what is left then goes back on the
 * queue as a continuation, without counting as an attempt.
 */
export async function sendBatch(deps: Deps, batch: SendBatch, options: { deadline?: number } = {}): Promise<BatchReport> {
  const report = { settled: 0, sent: 0, retried: 0, deadLettered: 0, parked: 0, dropped: 0, waiting: 0 };
  const campaign = await deps.campaigns.get(batch.campaignId);
  if (!campaign || campaign.status === 'cancelled') {
    // A retry or a parked remainder of a cancelled campaign: what its earlier attempt held is given back.
    if (campaign) await releaseCapSlots(deps, campaign, batch.recipientIds);
    return { ...report, dropped: batch.recipientIds.length };
  }
  // A completed campaign still takes a late batch (a redelivery, a re-run page): every recipient in it is claimed
  // already, or was never mailed and should be.
  if (campaign.status !== 'sending' && campaign.status !== 'completed') {
    await parkUnlessResumed(deps, batch);
    return { ...report, parked: batch.recipientIds.length };
  }
  if (campaign.class === 'marketing' && (await deps.control.getMarketingPause())) {
    // Marketing is paused stage-wide (bounce or complaint rate near SES's review line): this campaign waits with it.
    await pauseCampaign(deps, campaign.id, 'sendwell', 'marketing_paused').catch(ignoreConflict);
    await parkUnlessResumed(deps, batch);
    return { ...report, parked: batch.recipientIds.length };
  }
  const template = await resolveTemplate(deps, campaign.template);
  const settings = await deps.delivery.getSettings();
  const topicCap = campaign.class === 'marketing' && campaign.topic ? (await deps.catalog.getTopic(campaign.topic))?.frequencyCap : undefined;
  const ctx: Context = {
    campaign,
    template,
    timing: { settings, topicCap },
    caps: campaign.class === 'marketing' ? capsFor(settings.frequencyCap, topicCap) : [],
    log: campaign.class === 'marketing' && (settings.frequencyCap !== undefined || settings.topicCaps === true),
    otherTopics: consentTopicsOf(campaign.segmentRules),
    variants: await variantTemplates(deps, campaign, template),
    fromDue: isDueBatch(batch),
  };
  const rate = campaign.ratePerSecond ?? deps.sending.ratePerSecond;

  const entries: SettleEntry[] = [];
  const retry = new Map<string, string>();
  const inDoubt: string[] = [];
  /** Files a recipient's outcome; SES's pause reason when SES stopped taking mail. */
  const take = (id: string, o: Outcome): 'ses_sending_paused' | 'ses_account_suspended' | undefined => {
    // An entry with a record is counted from the record (its `variant` on it); the batch counts those without one,
    // which, as before records were counted so, carry no variant.
    if (o.kind === 'settled') entries.push(o.entry);
    else if (o.kind === 'retry') retry.set(id, o.error);
    else if (o.kind === 'in_doubt') inDoubt.push(id);
    else if (o.kind === 'waiting') report.waiting++;
    else {
      retry.set(id, o.reason);
      return o.reason;
    }
    return undefined;
  };
  let kept = [...batch.recipientIds];
  if (campaign.audience || campaign.segmentRules) {
    const filtered = await leaveOutFiltered(deps, ctx, batch.recipientIds);
    kept = filtered.kept;
    // The records of those left out, one read for the batch: one brought back by the due sweep waited under its own;
    // others may have one anyway (an earlier delivery of the batch claimed them before the audience changed; a retry
    // of their attempt). The record settles them, not the batch.
    const excluded = filtered.out.flatMap(([id, outcome]) => (outcome === 'excluded' ? [campaignMessageId(campaign.id, id)] : []));
    const records = excluded.length ? await deps.messages.records(excluded) : new Map<string, StoredMessageRecord>();
    const outcomes = await Promise.all(filtered.out.map(([id, outcome]) => leftOut(deps, ctx, id, outcome, { record: records.get(campaignMessageId(campaign.id, id)) })));
    outcomes.forEach((o, i) => take(filtered.out[i]![0], o));
  }
  const pending = await setWaiting(deps, ctx, campaign.variants ? await splitAbTest(deps, batch, campaign, kept, entries, report) : kept, report);
  let stop: 'paused' | 'cancelled' | 'out_of_time' | undefined;
  // Send budget is taken for as much of the batch as this second allows in one write, then spent chunk by chunk:
  // one budget write per batch instead of one per chunk (the item every sender of the campaign writes).
  let granted = 0;
  let grantEnds = 0;
  for (let round = 0; pending.length > 0; round++) {
    if (options.deadline !== undefined && Date.now() > options.deadline - DEADLINE_RESERVE_MS) {
      stop = 'out_of_time';
      break;
    }
    // Budget of a second that is over is not spent later: all senders together stay within the rate in every second.
    if (granted === 0 || Date.now() >= grantEnds) ({ granted, ends: grantEnds } = await takeTokens(deps, campaign.id, pending.length, rate));
    // Taken before the reads: every opt-out stored before this instant is in what they return.
    const decidedAt = deps.clock().toISOString();
    // The campaign's status is read after `decidedAt` and after waiting for budget, right before the chunk is
    // decided: a pause or cancel that has answered by now is seen, so no mail is decided after it (a wait for the
    // next second's budget is exactly when one lands). One consistent read per chunk.
    const status = (await deps.campaigns.get(campaign.id))?.status;
    if (status !== 'sending' && status !== 'completed') {
      stop = status === 'paused' ? 'paused' : 'cancelled';
      break;
    }
    const chunk = pending.splice(0, Math.min(SEND_CHUNK, granted));
    granted -= chunk.length;
    const views = await withEngagement(deps, await deps.recipients.getForSending(chunk, campaign.topic, ctx.otherTopics), campaign.segmentRules);
    const suppressions = await deps.suppressions.listMany([...views.values()].map((v) => v.profile.addressHash));
    // Marketing with a cap: the send logs, for the decision's pre-check (the slot itself is taken conditionally).
    // Without each recipient's own message: a retry of it (SES throttled, a pause) holds the slot it took before.
    const sentLogs = ctx.caps.length ? await deps.delivery.sentLogs(chunk, (rid) => campaignMessageId(campaign.id, rid)) : undefined;
    const chunkCtx: Context = sentLogs ? { ...ctx, timing: { ...ctx.timing, sentLogs } } : ctx;
    const outcomes = await Promise.all(chunk.map((id) => sendOne(deps, chunkCtx, id, views.get(id), suppressions, decidedAt)));
    let pause: 'ses_sending_paused' | 'ses_account_suspended' | undefined;
    outcomes.forEach((o, i) => (pause = take(chunk[i]!, o) ?? pause));
    if (pause) {
      // SES stopped taking mail: stop the campaign with a clear status instead of burning retries.
      await pauseCampaign(deps, campaign.id, 'sendwell', pause).catch(ignoreConflict);
      stop = 'paused';
      break;
    }
  }

  const at = deps.clock().toISOString();
  // Only those without a message record: the messages stream counts the others as their records become final.
  const counted = await deps.campaigns.settle(campaign.id, batchMarker(batch), entries, at);
  if (counted.length) await countDay(deps, ctx, counted, at);
  report.settled = entries.length;
  report.sent = entries.filter((e) => e.outcome === 'sent').length;

  const unsent = [...pending, ...retry.keys()];
  if (stop === 'paused' && unsent.length) {
    await parkUnlessResumed(deps, { campaignId: campaign.id, batchId: derivedBatchId(batch.batchId, 'parked'), recipientIds: unsent, ...(batch.attempt ? { attempt: batch.attempt } : {}) });
    report.parked = unsent.length;
  } else if (stop === 'cancelled') {
    // Those not tried in this delivery may hold a slot from an earlier attempt too (a retry batch): `failed` ones give it back.
    await releaseCapSlots(deps, campaign, unsent);
    report.dropped = unsent.length;
  } else {
    if (pending.length) {
      await deps.queues.send([{ campaignId: campaign.id, batchId: derivedBatchId(batch.batchId, 'more'), recipientIds: pending, ...(batch.attempt ? { attempt: batch.attempt } : {}) }]);
      report.retried += pending.length;
    }
    if (retry.size) await retryLater(deps, ctx, batch, retry, report);
  }
  if (inDoubt.length && stop !== 'cancelled') {
    // Their fate is known once SES feedback could have arrived: look again after the reconcile window.
    await deps.queues.send([{ campaignId: campaign.id, batchId: derivedBatchId(batch.batchId, 'check'), recipientIds: inDoubt, ...(batch.attempt ? { attempt: batch.attempt } : {}) }], Math.min(900, deps.sending.reconcileSeconds));
    report.retried += inDoubt.length;
  }
  // What this batch counted may have been the last (the stream's reader looks after counting the rest).
  if (counted.length) await deps.campaigns.completeIfDone(campaign.id, at);
  return report;
}

/**
 * Recipients SES refused or throttled: back on the queue after an exponential delay, their attempt counted; after
 * the last attempt, dead-lettered with the reason.
 */
async function retryLater(deps: Deps, ctx: Context, batch: SendBatch, retry: ReadonlyMap<string, string>, report: { retried: number; deadLettered: number }): Promise<void> {
  const attempt = (batch.attempt ?? 0) + 1;
  if (attempt >= deps.sending.maxAttempts) {
    await deadLetter(deps, ctx, batch, retry, attempt);
    report.deadLettered = retry.size;
    return;
  }
  await deps.queues.send([{ campaignId: ctx.campaign.id, batchId: `${batch.batchId}~${attempt}`, recipientIds: [...retry.keys()], attempt }], Math.min(900, 2 ** attempt));
  report.retried += retry.size;
}

type LeftOut = 'excluded' | { readonly held: 'erased' };

/**
 * With an audience filter, one read of the batch's profiles finds those the filter leaves out (and those gone)
 * before any send budget is spent on them; the rest are read again, with their consent, right before sending.
 */
async function leaveOutFiltered(deps: Deps, ctx: Context, ids: readonly string[]): Promise<{ kept: string[]; out: Array<readonly [string, LeftOut]> }> {
  const { campaign } = ctx;
  const views = await withEngagement(deps, await deps.recipients.getForSending(ids, campaign.segmentRules ? campaign.topic : undefined, ctx.otherTopics), campaign.segmentRules);
  const now = deps.clock();
  const out: Array<readonly [string, LeftOut]> = [];
  const kept = ids.filter((id) => {
    const view = views.get(id);
    if (!view) out.push([id, { held: 'erased' }]);
    else if (!matchesAudience(view.profile, campaign.audience)) out.push([id, 'excluded']);
    else if (
      campaign.segmentRules &&
      !matchesSegment(segmentSubject(view, recipientTimeZone(view.profile, ctx.timing.settings.defaultTimeZone).timeZone, campaign.topic), campaign.segmentRules, now)
    ) {
      out.push([id, 'excluded']);
    } else return true;
    return false;
  });
  return { kept, out };
}

/**
 * A recipient left out of the mail: no longer in the audience, or gone.
 *
 * - Gone (erased): the erasure made any record of theirs final (so the messages stream counted it) and marked the
 *   message before deleting it; the batch counts them only without that mark (`CampaignStore.settle`).
 * - Excluded without a record (`read`: the batch's read of its records, else one read here): counted by the batch.
 * - Excluded with a record: one the due-message sweep brought back waited under it; an earlier delivery of the
 *   batch may have claimed one before the audience changed, or its attempt failed. Final, it was counted then;
 *   otherwise it is held (`not_in_audience`, counted as excluded from its change, once whoever moves it), and for a
 *   wait the campaign's count of waiting recipients goes down with it, or progress would show them waiting for good.
 */
async function leftOut(deps: Deps, ctx: Context, recipientId: string, outcome: LeftOut, read?: { readonly record: StoredMessageRecord | undefined }): Promise<Outcome> {
  const messageId = campaignMessageId(ctx.campaign.id, recipientId);
  if (outcome !== 'excluded') return { kind: 'settled', entry: { messageId, outcome, gone: true } };
  const r = read ? read.record : await deps.messages.getRecord(messageId);
  if (!r && !ctx.fromDue) return { kind: 'settled', entry: { outcome } };
  // Final already (sent; held by an earlier delivery of this very step; dead-lettered): counted when it became so.
  const final = r && recordOutcome(r);
  if (final) return { kind: 'settled', entry: { messageId, outcome: final } };
  const now = deps.clock();
  // Another delivery may be sending it right now: its fate is that one's, unless SES said nothing of it within the
  // reconcile window (it did not take it): then it is held here, not sent to someone no longer in the audience.
  if (r?.status === 'sending') {
    const claim = await takeOverClaim(deps, messageId, r, now, now.toISOString());
    if (claim === 'sent') return { kind: 'settled', entry: { messageId, outcome: 'sent' } };
    if (claim === 'in_doubt') return { kind: 'in_doubt' };
    await deps.messages.markHeld(messageId, 'not_in_audience', now.toISOString());
  }
  if (r?.status === 'failed') {
    // An attempt SES refused or throttled (the record read says so): no retry comes now, so its cap slot goes back.
    if (ctx.log) await deps.delivery.release(recipientId, messageId);
    // Moved meanwhile (claimed again by its retry): that delivery's to settle.
    if (!(await deps.messages.holdUnsettled(messageId, 'failed', 'not_in_audience', now.toISOString()))) return { kind: 'in_doubt' };
  }
  if (r?.status === 'deferred' && r.until) {
    // Deferred again by another delivery (quiet hours): they are judged again when that wait is over.
    if (Date.parse(r.until) > now.getTime()) return { kind: 'waiting' };
    const was = { until: r.until, deferral: r.deferral ?? 'quiet_hours', campaignId: ctx.campaign.id };
    if (!(await deps.messages.leaveDeferred(messageId, was, { status: 'held', reason: 'not_in_audience' }, now.toISOString()))) return { kind: 'in_doubt' };
  }
  return { kind: 'settled', entry: { messageId, outcome } };
}

/**
 * A claim left `sending` by another delivery: `sent` when SES published feedback for it (settled as sent here);
 * `in_doubt` while the reconcile window runs, when `mayTake` is false, or when someone else took it over first;
 * `taken` when this caller now holds the stale claim (SES said nothing of it in the window: it did not take it).
 */
async function takeOverClaim(
  deps: Deps,
  messageId: string,
  claim: { readonly deliveryStatus?: string | undefined; readonly updatedAt: string },
  now: Date,
  decidedAt: string,
  mayTake = true,
): Promise<'sent' | 'in_doubt' | 'taken'> {
  if (claim.deliveryStatus) {
    await deps.messages.settleAsSent(messageId, now.toISOString());
    return 'sent';
  }
  if (now.getTime() - Date.parse(claim.updatedAt) < deps.sending.reconcileSeconds * 1000 || !mayTake) return 'in_doubt';
  return (await deps.messages.reclaimStale(messageId, claim.updatedAt, now.toISOString(), decidedAt)) ? 'taken' : 'in_doubt';
}

/**
 * What a recipient waits for before anything is decided for them, if anything: a local-time campaign's moment in
 * their zone (`scheduled`), or the end of their quiet hours. `late`: due at once because the moment passed before the
 * launch.
 */
function waitFor(campaign: StoredCampaign, timeZone: string, deferUntil: string | undefined, now: Date): { wait?: { until: string; deferral: Deferral }; late: boolean } {
  const wall = campaign.localTime && campaign.sendAt ? parseWallTime(campaign.sendAt) : undefined;
  if (wall) {
    const t = localTiming(localMoment(wall, timeZone), new Date(campaign.launchedAt ?? now.toISOString()), now);
    if (t.kind === 'scheduled') return { wait: { until: t.at.toISOString(), deferral: 'local_time' }, late: false };
    if (deferUntil) return { wait: { until: deferUntil, deferral: 'quiet_hours' }, late: t.late };
    return { late: t.late };
  }
  return deferUntil ? { wait: { until: deferUntil, deferral: 'quiet_hours' }, late: false } : { late: false };
}

/** The message record of one recipient of the campaign (its id derives from campaign and recipient). */
function recordFor(deps: Deps, ctx: Context, recipientId: string, now: Date, decidedAt: string) {
  const { campaign } = ctx;
  const { template, variant } = contentFor(ctx, recipientId);
  return {
    messageId: campaignMessageId(campaign.id, recipientId),
    class: campaign.class,
    template: template.id,
    ...(variant ? { variant } : {}),
    ...(campaign.topic ? { topic: campaign.topic } : {}),
    campaignId: campaign.id,
    recipientId,
    decidedAt,
    expiresAt: retentionExpiry(deps, now),
    requestHash: `campaign:${campaign.id}`,
  };
}

/**
 * Recipients who have to wait — a local-time campaign's moment still ahead in their zone, or (marketing) their quiet
 * hours right now — are set waiting before any send budget is taken: a first pass over a whole audience at night, or
 * across the time zones, must not crawl at the send rate only to defer it. One read of the profiles for their zones;
 * each wait is a conditional claim, so a redelivered batch sets nobody waiting twice. Everything else (consent, caps)
 * is decided when their time comes. Returns those left to decide now.
 */
async function setWaiting(deps: Deps, ctx: Context, ids: readonly string[], report: { waiting: number }): Promise<string[]> {
  const { campaign } = ctx;
  const wall = campaign.localTime && campaign.sendAt ? parseWallTime(campaign.sendAt) : undefined;
  const quiet = campaign.class === 'marketing' ? ctx.timing.settings.quietHours : undefined;
  if (!wall && !quiet) return [...ids];
  const views = await deps.recipients.getForSending(ids);
  const now = deps.clock();
  const left = new Set<string>();
  await Promise.all(
    ids.map(async (id) => {
      const view = views.get(id);
      if (!view) return void left.add(id);
      const zone = recipientTimeZone(view.profile, ctx.timing.settings.defaultTimeZone).timeZone;
      const { wait } = waitFor(campaign, zone, quiet ? quietUntil(now, zone, quiet)?.toISOString() : undefined, now);
      if (!wait) return void left.add(id);
      const record = recordFor(deps, ctx, id, now, now.toISOString());
      const claim = await deps.messages.claimDeferred({ ...record, status: 'deferred', until: wait.until, deferral: wait.deferral, createdAt: now.toISOString() });
      if (claim.claimed) {
        await deps.messages.count(now.toISOString(), { [`deferred_${campaign.class}`]: 1 }, dimsOf(record));
        report.waiting++;
      } else if (claim.existing.status === 'deferred' && claim.existing.until && Date.parse(claim.existing.until) > now.getTime()) {
        report.waiting++;
      } else {
        // Claimed before in another state, or due now: the usual path decides it.
        left.add(id);
      }
    }),
  );
  return ids.filter((id) => left.has(id));
}

/** What one recipient of the chunk comes to. */
async function sendOne(
  deps: Deps,
  ctx: Context,
  recipientId: string,
  view: SendingView | undefined,
  suppressions: ReadonlyMap<string, SuppressionRecord[]>,
  decidedAt: string,
): Promise<Outcome> {
  const { campaign } = ctx;
  const { template } = contentFor(ctx, recipientId);
  // Erased (or otherwise gone) since the launcher found them: nothing of theirs may be written, not even a record.
  if (!view) return leftOut(deps, ctx, recipientId, { held: 'erased' });
  const now = deps.clock();
  // Service mail: decide() never applies timing to it, but the zone (local time, segments) still follows the stage default.
  const verdict = campaignVerdict(campaign, view, suppressions, now, ctx.timing);
  if (verdict === 'excluded') return leftOut(deps, ctx, recipientId, 'excluded');
  const { state, decision } = verdict;
  const { wait, late } = waitFor(campaign, verdict.timeZone, decision.action === 'defer' ? decision.until : undefined, now);
  const messageId = campaignMessageId(campaign.id, recipientId);
  const record = recordFor(deps, ctx, recipientId, now, decidedAt);
  const claim = wait
    ? await deps.messages.claimDeferred({ ...record, status: 'deferred', until: wait.until, deferral: wait.deferral, createdAt: now.toISOString() })
    : await deps.messages.claim({
        ...record,
        status: decision.action === 'send' ? 'sending' : 'held',
        ...(decision.action === 'hold' ? { reason: decision.reason } : {}),
        ...(late ? { late: true } : {}),
        createdAt: now.toISOString(),
      });
  if (claim.claimed && wait) {
    // The day's figures (best effort, like the rest of them): deferred now, counted in `sent` when it goes.
    await deps.messages.count(now.toISOString(), { [`deferred_${campaign.class}`]: 1 }, dimsOf(record));
    return { kind: 'waiting' };
  }
  if (!claim.claimed && claim.existing.status === 'deferred') {
    const existing = claim.existing;
    // Not due yet: a redelivery of the batch that deferred them. The due-message sweep brings them back.
    if (!existing.until || Date.parse(existing.until) > now.getTime()) return { kind: 'waiting' };
    const next = wait
      ? ({ status: 'deferred', until: wait.until, deferral: wait.deferral } as const)
      : decision.action === 'hold'
        ? ({ status: 'held', reason: decision.reason } as const)
        : ({ status: 'sending', decidedAt, ...(late ? { late: true } : {}) } as const);
    const moved = await deps.messages.leaveDeferred(messageId, { until: existing.until, deferral: existing.deferral ?? 'quiet_hours', campaignId: campaign.id }, next, now.toISOString());
    // Another delivery moved it first: its fate is that one's.
    if (!moved) return { kind: 'in_doubt' };
    if (next.status === 'deferred') return { kind: 'waiting' };
    if (next.status === 'held') return { kind: 'settled', entry: { messageId, outcome: { held: next.reason } } };
  } else if (!claim.claimed) {
    const existing = claim.existing;
    if (existing.status === 'sent') return { kind: 'settled', entry: { messageId, outcome: 'sent' } };
    if (existing.status === 'held') return { kind: 'settled', entry: { messageId, outcome: { held: existing.reason ?? 'unknown_recipient' } } };
    // Dead-lettered after its last attempt: settled as failed (ops redrive it on purpose, not a stray redelivery).
    if (existing.status === 'failed' && claim.final) return { kind: 'settled', entry: { messageId, outcome: 'failed' } };
    // A plain `failed` seen here was `sending` when the claim was refused: another sender just hit a throttle and is
    // about to claim it again. Its fate is that sender's; look again later.
    if (existing.status === 'failed') return { kind: 'in_doubt' };
    // `sending`: another delivery of this recipient is under way, or died around the SES call. A stale claim of a
    // recipient who is now inside their quiet hours is looked at again later rather than sent now.
    const taken = await takeOverClaim(deps, messageId, existing, now, decidedAt, !wait);
    if (taken === 'sent') return { kind: 'settled', entry: { messageId, outcome: 'sent' } };
    if (taken === 'in_doubt') return { kind: 'in_doubt' };
    if (decision.action === 'hold') {
      // A stale claim, taken over, whose recipient may no longer get the mail: held now.
      await deps.messages.markHeld(messageId, decision.reason, now.toISOString());
      return { kind: 'settled', entry: { messageId, outcome: { held: decision.reason } } };
    }
  } else if (decision.action === 'hold') {
    return { kind: 'settled', entry: { messageId, outcome: { held: decision.reason } } };
  }

  // Over a frequency cap? The slot is taken with a conditional write: two campaigns racing for a recipient's last
  // slot cannot both have it. Service mail never counts.
  if (ctx.log && (await deps.delivery.reserve(recipientId, messageId, now, ctx.caps)) === 'capped') {
    await deps.messages.markHeld(messageId, 'frequency_capped', now.toISOString());
    return { kind: 'settled', entry: { messageId, outcome: { held: 'frequency_capped' } } };
  }

  for (let attempt = 1; ; attempt++) {
    try {
      await deliver(deps, {
        template,
        messageId,
        recipientId,
        to: view.profile.email,
        data: { ...(campaign.data ?? {}), ...view.profile.attributes },
        trackingAllowed: trackingAllowed(state),
        now,
      });
      return { kind: 'settled', entry: { messageId, outcome: 'sent', ...(late ? { late: true } : {}) } };
    } catch (e) {
      // A link that rendered unsafe for this recipient: held (deliver recorded why), the campaign goes on; the cap
      // slot it took goes back (no mail went out).
      if (e instanceof UnsafeLink) {
        if (ctx.log) await deps.delivery.release(recipientId, messageId);
        return { kind: 'settled', entry: { messageId, outcome: { held: 'invalid_link' } } };
      }
      // The record is marked failed: nothing went out. A template that cannot be composed never will be.
      if (e instanceof SendwellError) {
        if (ctx.log) await deps.delivery.release(recipientId, messageId);
        await deps.messages.markDeadLettered(messageId, e.code, deps.clock().toISOString());
        return { kind: 'settled', entry: { messageId, outcome: 'failed' } };
      }
      // No answer from SES: the mail may be out. Left claimed; SES's events (or, without any, the reconcile delay)
      // settle it when the queue brings this recipient back.
      if (e instanceof SendOutcomeUnknown) return { kind: 'in_doubt' };
      const err = e as Error;
      const pause = sesPauseReason(err);
      if (pause) return { kind: 'pause', reason: pause };
      if (!isThrottle(err) || attempt >= THROTTLE_TRIES) return { kind: 'retry', error: err.name || 'ses_error' };
      await sleep(backoffMs(attempt));
      const again = await deps.messages.claim({ ...record, status: 'sending', ...(late ? { late: true } : {}), createdAt: deps.clock().toISOString() }, { again: true });
      if (!again.claimed) return { kind: 'in_doubt' };
    }
  }
}

/**
 * Waits until the campaign's per-second budget grants at least one send, and takes up to `want`; `ends` is when that
 * window closes (epoch ms). Every sender of
 * the campaign draws from the same budget (`CampaignStore.takeSendTokens`), so together they never exceed the rate.
 */
async function takeTokens(deps: Deps, campaignId: string, want: number, rate: number): Promise<{ granted: number; ends: number }> {
  // A rate below 1/s: one send per window of 1/rate seconds.
  const windowMs = rate >= 1 ? 1000 : Math.ceil(1000 / rate);
  const perWindow = Math.max(1, Math.floor(rate));
  for (;;) {
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    // The window's end, not its number, dates its item's expiry: below 1/s a window number is no epoch second.
    const granted = await deps.campaigns.takeSendTokens(campaignId, window, want, perWindow, (window + 1) * windowMs);
    if (granted > 0) return { granted, ends: (window + 1) * windowMs };
    await sleep((window + 1) * windowMs - now + Math.floor(Math.random() * 20));
  }
}

/** The recipients that still fail after every attempt: counted as failed and kept, with the reason, for ops. */
async function deadLetter(deps: Deps, ctx: Context, batch: SendBatch, retry: ReadonlyMap<string, string>, attempts: number): Promise<void> {
  const at = deps.clock().toISOString();
  const reasons = [...new Set(retry.values())];
  // Only the recipients this call marked: a duplicate delivery of the same last attempt finds them marked already.
  const letters: string[] = [];
  for (const id of retry.keys()) {
    if (await deps.messages.markDeadLettered(campaignMessageId(ctx.campaign.id, id), reasons.join(', '), at)) letters.push(id);
    // It never went out: it does not count against the recipient's cap.
    if (ctx.log) await deps.delivery.release(id, campaignMessageId(ctx.campaign.id, id));
  }
  // Counted as failed from each record's change (the messages stream), once, whichever delivery marked it.
  if (letters.length) await deps.queues.deadLetter({ campaignId: ctx.campaign.id, batchId: batch.batchId, recipientIds: letters, reason: reasons.join(', '), attempts });
}

/**
 * The day's figures (`ALL`, topic, campaign) of the recipients this batch counted: those without a record (excluded,
 * holdout, erased), which carry no variant; the messages stream counts the others. Best effort: progress is the
 * exact count.
 */
async function countDay(deps: Deps, ctx: Context, counted: readonly SettleEntry[], at: string): Promise<void> {
  const figures: Record<string, number> = {};
  for (const e of counted) for (const [k, n] of Object.entries(settledDayFigures(ctx.campaign.class, e))) figures[k] = (figures[k] ?? 0) + n;
  await deps.messages.count(at, figures, dimsOf({ topic: ctx.campaign.topic, campaignId: ctx.campaign.id }));
}

// ---- A/B tests (lambdas/domain/ab-test.ts): only which variant a recipient gets; every send rule applies as before ----

/** Each variant's template (its own, or the campaign's) with its subject, resolved once per batch. */
async function variantTemplates(deps: Deps, campaign: StoredCampaign, base: Template & { id: string }): Promise<Map<string, Template & { id: string }>> {
  const out = new Map<string, Template & { id: string }>();
  for (const v of campaign.variants ?? []) out.set(v.id, variantContent(v.template ? await resolveTemplate(deps, v.template) : base, v));
  return out;
}

/**
 * The template a recipient gets and, in an A/B test, their variant: the same for every delivery of the batch (a hash
 * of campaign and recipient, or the decided winner for the rest of the audience).
 */
function contentFor(ctx: Context, recipientId: string): { template: Template & { id: string }; variant?: string } {
  const { campaign } = ctx;
  if (!campaign.variants) return { template: ctx.template };
  const a = assignVariant(campaign.id, recipientId, { variants: campaign.variants, holdout: campaign.holdout, test: campaign.test });
  const variant = a.group === 'variant' ? a.variant : a.group === 'rest' ? campaign.decision?.variant : undefined;
  // splitAbTest settles the holdout and parks the undecided rest before anything is claimed for them.
  if (!variant) throw new Error(`campaign ${campaign.id}: no variant for a recipient in group ${a.group}`);
  return { template: ctx.variants.get(variant)!, variant };
}


/**
 * Before anything is claimed: the holdout is settled (nothing sent, counted as `holdout`), and the rest of the
 * audience of a test not yet decided is parked until the winner is known (lambdas/services/ab-tests.ts releases it).
 * Returns the recipients to send to now.
 */
async function splitAbTest(deps: Deps, batch: SendBatch, campaign: StoredCampaign, ids: readonly string[], entries: SettleEntry[], report: { parked: number }): Promise<string[]> {
  const now: string[] = [];
  const rest: string[] = [];
  const spec = { variants: campaign.variants ?? [], holdout: campaign.holdout, test: campaign.test };
  for (const id of ids) {
    const a = assignVariant(campaign.id, id, spec);
    if (a.group === 'holdout') entries.push({ outcome: 'holdout' });
    else if (a.group === 'rest' && !campaign.decision) rest.push(id);
    else now.push(id);
  }
  if (rest.length) {
    await deps.campaigns.park({ campaignId: campaign.id, batchId: awaitingBatchId(batch.batchId), recipientIds: rest, ...(batch.attempt ? { attempt: batch.attempt } : {}) });
    report.parked += rest.length;
  }
  return now;
}

const batchMarker = (batch: SendBatch) => batch.batchId;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ignoreConflict = (e: unknown) => {
  if (!(e instanceof SendwellError && e.code === 'conflict')) throw e;
};

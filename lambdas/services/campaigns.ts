/**
 * Campaigns as marketing and ops see them: create, change while a draft, test-send, schedule, launch, pause, resume,
 * cancel, and progress. Every lifecycle change is one conditional transaction (status checked, markers and audit
 * entry written with it); the engine that finds the audience and sends is in `campaign-launcher.ts` and
 * `campaign-sender.ts`.
 */
import { campaignMessageId, campaignProgress, waitingCounts, type CampaignAction } from '../domain/campaign.ts';
import { SendwellError, type ErrorDetail } from '../domain/errors.ts';
import { addDays, figuresOf, MAX_RANGE_DAYS, sumCounters } from '../domain/metrics.ts';
import { patched } from '../domain/patch.ts';
import type { SegmentRule } from '../domain/segments.ts';
import { parseWallTime, zonedInstant } from '../domain/time-zones.ts';
import { asBatch, markers, type StoredCampaign } from '../adapters/dynamo/campaign-store.ts';
import type { AudienceFilter, Campaign, CampaignInput, CampaignUpdate, SendResult } from '../schemas/model.ts';
import type { Actor, Deps } from './deps.ts';
import { newId } from './ids.ts';
import { resolveTemplate, SesSendError, sendMessage } from './send.ts';
import { addressProblem, normalizeEmail } from '../domain/email-address.ts';
import { AWAITING_WINNER, awaitingWinner, checkVariants, variantProgress } from './ab-tests.ts';

/** The fields a campaign is checked on whenever they change. */
type CampaignShape = Pick<CampaignInput, 'topic' | 'template' | 'class' | 'reason'>;
/** What of a template the campaign's shape depends on. */
type TemplateShape = { readonly id: string; readonly class: 'service' | 'marketing'; readonly topic?: string | undefined };

/**
 * The rules between a campaign, its template and its topic: the class follows the template (a service campaign may
 * not use a marketing template, nor the reverse); marketing goes to a topic that exists, the template's own topic if
 * it has one; a service broadcast has no topic and says why it goes to everyone.
 */
export async function checkShape(deps: Deps, c: CampaignShape): Promise<{ class: 'service' | 'marketing'; topic?: string }> {
  const template = await resolveTemplate(deps, c.template).catch((e: unknown) => {
    if (e instanceof SendwellError && e.code === 'not_found') throw new SendwellError('validation_failed', `No template ${c.template}.`, [{ path: 'template', message: 'unknown template' }]);
    throw e;
  });
  return shapeWith(deps, c, template);
}

/** {@link checkShape} with the template given: the one stored, or one about to be saved. */
async function shapeWith(deps: Deps, c: CampaignShape, template: TemplateShape): Promise<{ class: 'service' | 'marketing'; topic?: string }> {
  const problems: ErrorDetail[] = [];
  if (c.class && c.class !== template.class) {
    problems.push({
      path: 'class',
      message: c.class === 'service' ? `template ${template.id} is a marketing template; a service campaign needs a service template` : `template ${template.id} is a service template`,
    });
  }
  if (template.class === 'service') {
    if (c.topic) problems.push({ path: 'topic', message: 'a service broadcast goes to every recipient; it has no topic' });
    if (!c.reason) problems.push({ path: 'reason', message: 'a service broadcast ignores marketing consent: say why (it is recorded with the launch)' });
    if (problems.length) throw new SendwellError('validation_failed', 'The campaign is not valid.', problems);
    return { class: 'service' };
  }
  const topic = c.topic ?? template.topic;
  if (c.topic && template.topic && c.topic !== template.topic) problems.push({ path: 'topic', message: `template ${template.id} is for topic ${template.topic}` });
  if (!topic) problems.push({ path: 'topic', message: 'a marketing campaign needs a topic' });
  else if (!(await deps.catalog.getTopic(topic))) problems.push({ path: 'topic', message: `no topic ${topic}` });
  if (problems.length) throw new SendwellError('validation_failed', 'The campaign is not valid.', problems);
  return { class: 'marketing', ...(topic ? { topic } : {}) };
}

/**
 * Campaigns a change must not break: scheduled ones (their template and segment are read again at launch) and, with
 * `underway`, those sending or paused (their template is read for every batch). Drafts are checked when they launch.
 */
async function campaignsPending(deps: Deps, underway: boolean): Promise<StoredCampaign[]> {
  const ids = new Set([...(await deps.campaigns.scheduled()), ...(underway ? await deps.campaigns.active() : [])]);
  const found = await Promise.all([...ids].map((id) => deps.campaigns.get(id)));
  return found.filter((c): c is StoredCampaign => c !== undefined && ['scheduled', ...(underway ? ['sending', 'paused'] : [])].includes(c.status));
}

/** Scheduled campaigns whose audience is segment `id` (it is read when they launch): what its deletion would strand. */
export async function campaignsUsingSegment(deps: Deps, id: string): Promise<string[]> {
  return (await campaignsPending(deps, false)).filter((c) => c.audience?.segment === id).map((c) => c.id);
}

/**
 * Scheduled, sending and paused campaigns that `template`, saved as it is, would contradict: a class or topic their
 * launch or their next batch would refuse (checkShape's rules for the campaign's template, the class for a variant's).
 */
export async function campaignsBrokenBy(deps: Deps, template: TemplateShape): Promise<string[]> {
  const broken: string[] = [];
  for (const c of await campaignsPending(deps, true)) {
    const asVariant = (c.variants ?? []).some((v) => v.template === template.id) && template.class !== c.class;
    const asTemplate = c.template === template.id && (await shapeWith(deps, c, template).then(() => false, (e: unknown) => e instanceof SendwellError && e.code === 'validation_failed'));
    if (asVariant || asTemplate) broken.push(c.id);
  }
  return broken;
}

/** The rules of the audience's segment, if it names one; a segment that does not exist is a 400 naming the field. */
export async function segmentRulesOf(deps: Deps, audience: AudienceFilter | undefined): Promise<SegmentRule | undefined> {
  if (!audience?.segment) return undefined;
  const segment = await deps.catalog.getSegment(audience.segment);
  if (!segment) throw new SendwellError('validation_failed', `No segment ${audience.segment}.`, [{ path: 'audience.segment', message: 'unknown segment' }]);
  return segment.rules;
}

/**
 * A local-time campaign's `sendAt` is a wall-clock time without an offset; any other campaign's has one. The
 * earliest zone (UTC+14) reaches a wall-clock time 14 hours before UTC does: that is when it launches.
 */
function checkSendAt(c: { sendAt?: string | undefined; localTime?: boolean | undefined }): void {
  if (!c.sendAt) {
    if (c.localTime) throw new SendwellError('validation_failed', 'A local-time campaign needs its wall-clock time.', [{ path: 'sendAt', message: 'required with localTime' }]);
    return;
  }
  const wall = parseWallTime(c.sendAt);
  if (c.localTime && !wall) {
    throw new SendwellError('validation_failed', 'A local-time campaign sends at a wall-clock time in each recipient’s zone.', [
      { path: 'sendAt', message: 'give it without an offset, e.g. "2026-12-06T09:00:00"' },
    ]);
  }
  if (!c.localTime && wall) {
    throw new SendwellError('validation_failed', 'sendAt needs an offset (or set localTime: true).', [{ path: 'sendAt', message: 'e.g. "2026-12-06T09:00:00Z"' }]);
  }
}

/** The instant a campaign launches at: `sendAt`, or for a local-time campaign the moment the first zone (UTC+14) reaches it. */
export function launchInstant(c: { sendAt: string; localTime?: boolean | undefined }): Date {
  const wall = c.localTime ? parseWallTime(c.sendAt) : undefined;
  return wall ? zonedInstant(wall, 'Etc/GMT-14') : new Date(c.sendAt);
}

export async function createCampaign(deps: Deps, input: CampaignInput, actor: Actor): Promise<Campaign> {
  const shape = await checkShape(deps, input);
  await checkVariants(deps, input, shape);
  checkSendAt(input);
  await segmentRulesOf(deps, input.audience);
  const at = deps.clock().toISOString();
  const id = newId('cmp');
  const { class: _class, topic: _topic, ...rest } = input;
  await deps.campaigns.create({ ...rest, id, ...shape, status: 'draft', createdAt: at, updatedAt: at, createdBy: actor });
  return getCampaign(deps, id);
}

export async function updateCampaign(deps: Deps, id: string, patch: CampaignUpdate): Promise<Campaign> {
  const current = await mustGet(deps, id);
  // A new template brings its own topic unless the change names one.
  const topic = patch.topic ?? (patch.template ? undefined : current.topic);
  const reason = patch.reason ?? current.reason;
  const shape = await checkShape(deps, {
    template: patch.template ?? current.template,
    ...(topic ? { topic } : {}),
    ...(reason ? { reason } : {}),
    ...(patch.class ? { class: patch.class } : {}),
  });
  // The A/B test as it will be, against the template and topic as they will be (`null` takes a setting back).
  await checkVariants(deps, { variants: patched(patch.variants, current.variants), holdout: patched(patch.holdout, current.holdout), test: patched(patch.test, current.test) }, shape);
  checkSendAt({ sendAt: patched(patch.sendAt, current.sendAt), localTime: patched(patch.localTime, current.localTime) });
  if (patch.audience) await segmentRulesOf(deps, patch.audience);
  const { class: _c, topic: _t, ...fields } = patch;
  await deps.campaigns.transition(id, 'update', { ...fields, ...shape, updatedAt: deps.clock().toISOString() });
  return getCampaign(deps, id);
}

export async function getCampaign(deps: Deps, id: string): Promise<Campaign> {
  const stored = await mustGet(deps, id);
  const [campaign, history, engagement] = await Promise.all([view(deps, stored, true), deps.campaigns.audit(id), campaignEngagement(deps, stored)]);
  return {
    ...campaign,
    ...(engagement ? { progress: { ...campaign.progress, engagement } } : {}),
    history: history as NonNullable<Campaign['history']>,
  };
}

/**
 * Opens and clicks of a launched campaign's mail, human and machine apart (lambdas/domain/engagement.ts), from its
 * day counters since the launch. Only for one campaign at a time: a list would read the counters of every campaign.
 */
async function campaignEngagement(deps: Deps, c: StoredCampaign): Promise<NonNullable<Campaign['progress']['engagement']> | undefined> {
  if (!c.launchedAt) return undefined;
  const today = deps.clock().toISOString().slice(0, 10);
  const launched = c.launchedAt.slice(0, 10);
  const from = launched < addDays(today, -(MAX_RANGE_DAYS - 1)) ? addDays(today, -(MAX_RANGE_DAYS - 1)) : launched;
  const f = figuresOf(sumCounters((await deps.messages.counterSeries(`C#${c.id}`, from, today)).map((d) => d.figures)));
  const part = (e: typeof f.opens) => ({ total: e.total.total, human: e.human.total, machine: e.machine.total, uniqueHuman: e.uniqueHuman.total });
  return { opens: part(f.opens), clicks: part(f.clicks) };
}

export async function listCampaigns(deps: Deps, limit: number, cursor?: string): Promise<{ campaigns: Campaign[]; next?: string }> {
  const page = await deps.campaigns.list(limit, cursor);
  const campaigns = await Promise.all(page.campaigns.map((c) => view(deps, c)));
  return page.next ? { campaigns, next: page.next } : { campaigns };
}

/** Arms the campaign to launch at `sendAt` (the body's, else the campaign's). Scheduling again moves the time. */
export async function scheduleCampaign(deps: Deps, id: string, sendAt: string | undefined, actor: Actor): Promise<Campaign> {
  const c = await mustGet(deps, id);
  const when = sendAt ?? c.sendAt;
  const now = deps.clock();
  if (!when) throw new SendwellError('validation_failed', 'Say when to send.', [{ path: 'sendAt', message: 'required (here or on the campaign)' }]);
  checkSendAt({ sendAt: when, localTime: c.localTime });
  const launchAt = launchInstant({ sendAt: when, localTime: c.localTime });
  if (launchAt.getTime() <= now.getTime()) {
    throw new SendwellError(
      'validation_failed',
      c.localTime
        ? 'The first time zones have passed sendAt already; launch the campaign now instead (those recipients get it at once and are counted late).'
        : 'sendAt is in the past; launch the campaign now instead.',
      [{ path: 'sendAt', message: 'must be in the future' }],
    );
  }
  const at = now.toISOString();
  const iso = launchAt.toISOString();
  await transition(deps, c, 'schedule', actor, { status: 'scheduled', sendAt: c.localTime ? when : iso, updatedAt: at }, {
    put: [markers.schedule(id, iso)],
    ...(c.status === 'scheduled' && c.sendAt ? { remove: [markers.scheduleKey(id, launchInstant({ sendAt: c.sendAt, localTime: c.localTime }).toISOString())] } : {}),
  });
  return getCampaign(deps, id);
}

/**
 * Launches now: the campaign is `sending` and the launcher is asked to find its audience. If handing it to the
 * launcher fails after the status changed, the minute sweep notices the launch never started and starts it.
 */
export async function launchCampaign(deps: Deps, id: string, actor: Actor): Promise<Campaign> {
  const c = await mustGet(deps, id);
  await checkShape(deps, c);
  await refuseWhileMarketingPaused(deps, c, 'launch');
  if (c.localTime && !c.sendAt) throw new SendwellError('validation_failed', 'A local-time campaign needs its wall-clock time.', [{ path: 'sendAt', message: 'required with localTime' }]);
  // The segment is read once, now: who is in it does not change while the campaign sends.
  const segmentRules = await segmentRulesOf(deps, c.audience);
  const at = deps.clock().toISOString();
  await transition(deps, c, 'launch', actor, { status: 'sending', launchedAt: at, launchedBy: actor, launcherAt: at, updatedAt: at, ...(segmentRules ? { segmentRules } : {}) }, {
    put: [markers.active(id)],
    ...(c.status === 'scheduled' && c.sendAt ? { remove: [markers.scheduleKey(id, launchInstant({ sendAt: c.sendAt, localTime: c.localTime }).toISOString())] } : {}),
  });
  await deps.queues.launch(id);
  return getCampaign(deps, id);
}

export async function pauseCampaign(deps: Deps, id: string, actor: Actor, reason: 'manual' | 'ses_sending_paused' | 'ses_account_suspended' | 'marketing_paused' = 'manual'): Promise<Campaign> {
  const c = await mustGet(deps, id);
  const at = deps.clock().toISOString();
  await transition(deps, c, 'pause', actor, { status: 'paused', pausedAt: at, pauseReason: reason, pausedBy: actor, updatedAt: at }, {}, reason === 'manual' ? undefined : reason);
  return getCampaign(deps, id);
}

/**
 * Resumes where the campaign stopped: the batches set aside while paused go back on the send queue and, if the
 * audience was not all found yet, the launcher carries on from its cursor. Nobody is skipped (parked batches are
 * kept until re-queued) and nobody is mailed twice (each recipient's message is claimed once).
 */
export async function resumeCampaign(deps: Deps, id: string, actor: Actor): Promise<Campaign> {
  const c = await mustGet(deps, id);
  await refuseWhileMarketingPaused(deps, c, 'resume');
  const now = deps.clock();
  const at = now.toISOString();
  const pausedFor = c.pausedAt ? Math.max(0, now.getTime() - Date.parse(c.pausedAt)) : 0;
  await transition(deps, c, 'resume', actor, { status: 'sending', updatedAt: at, launcherAt: at }, { add: { pausedMs: pausedFor } });
  await requeueParked(deps, c);
  if (!c.audienceComplete) await deps.queues.launch(id);
  else await deps.campaigns.completeIfDone(id, at);
  return getCampaign(deps, id);
}

/**
 * Sends a campaign's parked batches back to the send queue: on resume, and from the sweep for a campaign that is
 * sending (a sender that read it paused just before a resume parks its batch after the resume sent the parked ones
 * back; nothing else would ever send it). Queued before they are unparked: a failure in between leaves them parked for
 * the next try, and the senders find anyone already claimed. Recipients waiting for an A/B test's winner stay parked
 * until it is decided (the sweep releases them then): sent back now, a sender would park them again under the same
 * key while this unparks it. Returns the batches sent.
 */
export async function requeueParked(deps: Deps, c: Pick<StoredCampaign, 'id' | 'test' | 'decision'>): Promise<number> {
  const parked = (await deps.campaigns.parked(c.id)).filter((b) => !(c.test && !c.decision && b.batchId.endsWith(AWAITING_WINNER)));
  if (parked.length) await deps.queues.send(parked.map(asBatch));
  await Promise.all(parked.map((batch) => deps.campaigns.unpark(c.id, batch.batchId, batch.parkVersion)));
  return parked.length;
}

export async function cancelCampaign(deps: Deps, id: string, actor: Actor): Promise<Campaign> {
  const c = await mustGet(deps, id);
  const at = deps.clock().toISOString();
  await transition(deps, c, 'cancel', actor, { status: 'cancelled', cancelledAt: at, cancelledBy: actor, updatedAt: at }, {
    remove: [markers.activeKey(id), ...(c.status === 'scheduled' && c.sendAt ? [markers.scheduleKey(id, launchInstant({ sendAt: c.sendAt, localTime: c.localTime }).toISOString())] : [])],
  });
  for (const batch of await deps.campaigns.parked(id)) {
    await releaseCapSlots(deps, c, batch.recipientIds);
    await deps.campaigns.unpark(id, batch.batchId, batch.parkVersion);
  }
  // The launcher's page in hand (recipient ids): no launch reads it again.
  if (c.status === 'sending' || c.status === 'paused') await deps.campaigns.dropLaunchPage(id, c.page);
  return getCampaign(deps, id);
}

/**
 * Recipients of a cancelled marketing campaign, who will not be tried again, give back the frequency-cap slot an
 * earlier attempt took (SES throttled or refused it, or paused): otherwise that slot holds other marketing for the
 * cap's window. Only those whose record is `failed`: a mail that went out, or may have, keeps its slot.
 */
export async function releaseCapSlots(deps: Deps, c: Pick<StoredCampaign, 'id' | 'class'>, recipientIds: readonly string[]): Promise<void> {
  if (c.class !== 'marketing' || recipientIds.length === 0) return;
  const recipientOf = new Map(recipientIds.map((r) => [campaignMessageId(c.id, r), r]));
  for (const messageId of await deps.messages.failedOf([...recipientOf.keys()])) await deps.delivery.release(recipientOf.get(messageId)!, messageId);
}

export interface TestSendResult extends SendResult {
  readonly to: string;
  /** `failed` or `sending` (SES refused it, or did not answer): what SES said. */
  readonly error?: string;
}

/**
 * Sends the campaign's mail to a few named addresses, `[Test] ` before the subject, through the normal send path
 * (claimed, recorded, counted). A tester need not be subscribed to the topic, but an address that opted out,
 * unsubscribed, complained or cannot receive mail is held like any other. Every address is checked before any is
 * sent; then each has its own outcome: SES refusing one (`failed`) or not answering (`sending`: it may be out) does
 * not hide what went to the others, so trying again is a choice made knowing who already has it.
 */
export async function testSendCampaign(deps: Deps, id: string, to: readonly string[], actor: Actor): Promise<TestSendResult[]> {
  const c = await mustGet(deps, id);
  const invalid = to.flatMap((address, i) => {
    const n = normalizeEmail(address);
    return n.ok ? [] : [{ path: `to.${i}`, message: addressProblem(n.reason) }];
  });
  if (invalid.length) throw new SendwellError('validation_failed', 'Some test addresses are not valid; nothing was sent.', invalid);
  const results: TestSendResult[] = [];
  for (const address of to) {
    try {
      const result = await sendMessage(deps, { template: c.template, to: { email: address }, data: c.data ?? {} }, { actor, subjectPrefix: '[Test] ', test: true });
      results.push({ to: address, ...result });
    } catch (e) {
      if (!(e instanceof SesSendError)) throw e;
      results.push({ to: address, messageId: e.messageId, status: e.outcome === 'unknown' ? 'sending' : 'failed', error: e.message });
    }
  }
  return results;
}

/** Marketing paused stage-wide holds every marketing campaign until marketing is resumed (`POST /v1/marketing/resume`). */
async function refuseWhileMarketingPaused(deps: Deps, c: StoredCampaign, action: 'launch' | 'resume'): Promise<void> {
  if (c.class !== 'marketing') return;
  const pause = await deps.control.getMarketingPause();
  if (!pause) return;
  throw new SendwellError('conflict', `Marketing is paused since ${pause.since} (${pause.reason}); resume marketing before you ${action} a marketing campaign.`, [
    { path: 'marketing', message: 'paused: POST /v1/marketing/resume with a reason' },
  ]);
}

async function mustGet(deps: Deps, id: string): Promise<StoredCampaign> {
  const c = await deps.campaigns.get(id);
  if (!c) throw new SendwellError('not_found', `No campaign ${id}.`);
  return c;
}

async function transition(
  deps: Deps,
  c: StoredCampaign,
  action: CampaignAction,
  actor: Actor,
  fields: Readonly<Record<string, unknown>>,
  extra: Parameters<Deps['campaigns']['transition']>[3] = {},
  reason?: string,
): Promise<void> {
  const at = String(fields.updatedAt);
  // A service broadcast's launch is recorded with the reason it overrides marketing consent.
  const why = reason ?? (action === 'launch' && c.class === 'service' ? c.reason : undefined);
  await deps.campaigns.transition(c.id, action, fields, { ...extra, put: [...(extra.put ?? []), markers.audit(c.id, at, action, actor, why)] });
}

/**
 * The API shape: the stored campaign without the engine's fields, with its progress. `one`: a single campaign's
 * answer, which may read more (an A/B test's engagement per variant and who waits for its winner).
 */
async function view(deps: Deps, c: StoredCampaign, one = false): Promise<Campaign> {
  const now = deps.clock();
  const [counters, waits] = await Promise.all([deps.campaigns.counters(c), deps.campaigns.waits(c.id)]);
  const ab = c.variants
    ? {
        variants: await variantProgress(deps, c, counters.variants ?? {}, one && c.launchedAt !== undefined),
        ...(one && c.test && !c.decision && c.launchedAt ? { awaitingWinner: await awaitingWinner(deps, c.id) } : {}),
      }
    : {};
  const pausedNow = c.status === 'paused' && c.pausedAt ? now.getTime() - Date.parse(c.pausedAt) : 0;
  // A finished campaign's rate is over its sending time, not up to now (it would fall for ever after).
  const ended = c.status === 'completed' ? c.completedAt : c.status === 'cancelled' ? c.cancelledAt : undefined;
  const { found: _f, audienceComplete: _ac, page: _p, cursor: _cu, launcherAt: _l, pausedMs, segmentRules: _sr, ...fields } = c;
  const progress = { ...campaignProgress(counters, { now: ended ? new Date(ended) : now, launchedAt: c.launchedAt, pausedMs: pausedMs + pausedNow }, waitingCounts(waits)), ...ab };
  const { pauseReason, pausedAt, pausedBy, ...rest } = fields;
  return { ...rest, ...(c.status === 'paused' ? { ...(pauseReason ? { pauseReason } : {}), ...(pausedAt ? { pausedAt } : {}), ...(pausedBy ? { pausedBy } : {}) } : {}), progress } as Campaign;
}

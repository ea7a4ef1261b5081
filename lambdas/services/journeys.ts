/**
 * Journeys: definitions (checked in full when saved), the lifecycle (draft → active ⇄ paused → archived), events and
 * the other triggers that enrol recipients, and the engine that walks each enrolment through its steps.
 *
 * Exactly once per recipient and step: every send goes through `sendMessage` (the same send rule as any mail, at its
 * moment) under an idempotency key made of the journey, the recipient, the enrolment's run and its visit of the step, so a step run
 * twice — by a redelivered event, a sweep racing the request that enrolled, or a process killed between the send and
 * the move — claims the same message record and mails once. Each move is conditional on the version it read and
 * carries its figures in the same transaction (lambdas/adapters/dynamo/journey-store.ts), so figures count once too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { addressHash, addressProblem, normalizeEmail } from '../domain/email-address.ts';
import { SendwellError } from '../domain/errors.ts';
import {
  figureName,
  journeyStepKey,
  graphProblems,
  mayEnrolAgain,
  nextOf,
  segmentRuleOf,
  sumFigures,
  templatesOf,
  waitUntil,
  type JourneyInput,
  type JourneyStep,
  type JourneyUpdate,
} from '../domain/journeys.ts';
import { consentTopicsOf, matchesSegment, ruleLimits } from '../domain/segments.ts';
import { recipientTimeZone } from '../domain/time-zones.ts';
import { WELCOME_TEMPLATE_ID } from '../domain/system-templates.ts';
import { logger } from '../adapters/logger.ts';
import { JOURNEY_DUE_SHARDS, type Enrolment, type FigureDelta } from '../adapters/dynamo/journey-store.ts';
import type { EventInput, EventResult, Journey } from '../schemas/journeys.ts';
import { segmentSubject, withEngagement } from './campaign-verdict.ts';
import type { Actor, Deps } from './deps.ts';
import { requestHash } from './ids.ts';
import { resolveTemplate, sendMessage } from './send.ts';

/** How long a step may take before the sweep takes the enrolment over (a process that died mid-step). */
export const STEP_LEASE_MS = 20_000;
/** After a deferred step's time: the due-message sweep (every minute) has sent it by then. */
const DEFERRED_SEND_MARGIN_MS = 2 * 60_000;
/** How often a paused journey's due recipients are looked at again. */
export const PAUSED_RECHECK_MS = 5 * 60_000;
/** A step that failed (SES refused, DynamoDB throttled) is tried again this much later. */
export const STEP_RETRY_MS = 60_000;
/** Steps one call runs for one recipient before it leaves the rest to the sweep (a long chain of sends and branches). */
const MAX_HOPS = 60;
/** How long a posted event's idempotency record is kept. */
const EVENT_RETENTION_DAYS = 30;

// ---- definitions ----

/** Everything a saved journey must satisfy beyond its schema: its graph, templates, topic and rules exist. */
async function check(deps: Deps, def: JourneyUpdate): Promise<{ topics: string[] }> {
  const problems = [...graphProblems(def.steps)];
  def.exitOn.forEach((n, i) => def.exitOn.indexOf(n) !== i && problems.push({ path: `exitOn.${i}`, message: `${n} is named twice` }));
  const topics = new Set<string>();
  for (const { template, path } of templatesOf(def.steps)) {
    try {
      const t = await resolveTemplate(deps, template);
      if (t.class === 'marketing' && t.topic) topics.add(t.topic);
    } catch (e) {
      if (!(e instanceof SendwellError)) throw e;
      problems.push({ path, message: `unknown template ${template}` });
    }
  }
  def.steps.forEach((s, i) => {
    const rule = s.branch ? segmentRuleOf(s.branch.if) : undefined;
    // One condition is always within the limits; a rule's size and depth are checked as a segment's are.
    const tooBig = rule && !('field' in rule) ? ruleLimits(rule) : undefined;
    if (tooBig) problems.push({ path: `steps.${i}.branch.if`, message: tooBig });
  });
  if (def.trigger.optedIn) {
    if (!(await deps.catalog.getTopic(def.trigger.optedIn))) problems.push({ path: 'trigger.optedIn', message: `unknown topic ${def.trigger.optedIn}` });
    else topics.add(def.trigger.optedIn);
  }
  if (problems.length) throw new SendwellError('validation_failed', 'The journey is not valid.', problems);
  return { topics: [...topics].sort() };
}

export async function createJourney(deps: Deps, input: JourneyInput, actor: Actor): Promise<Journey> {
  const { topics } = await check(deps, input);
  const at = deps.clock().toISOString();
  const journey: Journey = { ...input, status: 'draft', topics, createdAt: at, updatedAt: at, createdBy: actor };
  await deps.journeys.putJourney(journey, 'create');
  return journey;
}

/**
 * Replaces a draft or paused journey's definition. Recipients waiting at a step the new version no longer has leave
 * the journey at their next move (counted `exited`, reason `step_removed`).
 */
export async function updateJourney(deps: Deps, id: string, input: JourneyUpdate): Promise<Journey> {
  const current = await deps.journeys.getJourney(id);
  if (!current) throw new SendwellError('not_found', `No journey ${id}.`);
  if (current.status !== 'draft' && current.status !== 'paused') {
    const hint = current.status === 'archived' ? 'an archived journey is kept as it was; create a new one' : 'pause it to change it';
    throw new SendwellError('conflict', `Journey ${id} is ${current.status}: ${hint}.`, [{ path: 'status', message: 'must be draft or paused' }]);
  }
  const { topics } = await check(deps, input);
  const journey: Journey = {
    ...input,
    id,
    status: current.status,
    topics,
    createdAt: current.createdAt,
    createdBy: current.createdBy,
    updatedAt: deps.clock().toISOString(),
    ...(current.activatedAt ? { activatedAt: current.activatedAt } : {}),
  };
  await deps.journeys.putJourney(journey, 'replace', [current.status]);
  return journey;
}

export async function getJourney(deps: Deps, id: string) {
  const found = await deps.journeys.getJourneyWithFigures(id);
  if (!found) throw new SendwellError('not_found', `No journey ${id}.`);
  return { ...found.journey, figures: sumFigures(found.journey.steps, found.figures) };
}

export async function listJourneys(deps: Deps, limit: number, cursor?: string) {
  return deps.journeys.listJourneys(limit, cursor);
}

const TRANSITIONS = {
  activate: { from: ['draft', 'paused'], to: 'active' },
  pause: { from: ['active'], to: 'paused' },
  archive: { from: ['draft', 'active', 'paused'], to: 'archived' },
} as const;

/** activate (draft or paused → active), pause (active → paused), archive (any but archived → archived, for good). */
export async function changeJourneyStatus(deps: Deps, id: string, action: keyof typeof TRANSITIONS) {
  const t = TRANSITIONS[action];
  if (!(await deps.journeys.setStatus(id, t.from, t.to, deps.clock().toISOString()))) {
    const current = await deps.journeys.getJourney(id);
    if (!current) throw new SendwellError('not_found', `No journey ${id}.`);
    if (current.status === t.to) return getJourney(deps, id);
    throw new SendwellError('conflict', `Journey ${id} is ${current.status}; ${action} needs ${t.from.join(' or ')}.`, [{ path: 'status', message: current.status }]);
  }
  return getJourney(deps, id);
}

// ---- triggers ----

type Trigger = { event: string } | { optedIn: string } | { recipientCreated: true };

const matches = (j: Journey, t: Trigger): boolean =>
  j.status === 'active' &&
  (('event' in t && j.trigger.event === t.event) || ('optedIn' in t && j.trigger.optedIn === t.optedIn) || ('recipientCreated' in t && j.trigger.recipientCreated === true));

/**
 * Enrols the recipient in every active journey `trigger` starts. Called by the recipient and consent services once
 * their change is committed; a failure is logged, never the caller's: the change stands, and an enrolment that was
 * written is finished by the sweep. `inline`: run the first steps now (the admin API, which may send and count);
 * otherwise (a recipient page, which only writes the person's own items) the sweep runs them within its next round.
 */
export async function fireTrigger(deps: Deps, recipientId: string, trigger: Trigger, options: { inline: boolean; skip?: (j: Journey) => boolean }): Promise<Journey[]> {
  const enrolled: Journey[] = [];
  let journeys: Journey[];
  try {
    journeys = (await deps.journeys.allJourneys()).filter((j) => matches(j, trigger) && !options.skip?.(j));
  } catch (e) {
    logger.error('journeys: trigger look-up failed', { error: e as Error });
    return [];
  }
  for (const j of journeys) {
    try {
      if (await enrol(deps, j, recipientId, {}, options)) enrolled.push(j);
    } catch (e) {
      logger.error('journeys: enrolment failed', { error: e as Error, journey: j.id });
    }
  }
  return enrolled;
}

/** Whether an enrolled journey sends the welcome mail (then sign-up does not send it directly). */
export const sendsWelcome = (journeys: readonly Journey[]): boolean => journeys.some((j) => j.steps.some((s) => s.send?.template === WELCOME_TEMPLATE_ID));

/**
 * An event: the recipient leaves the journeys that exit on it, and is enrolled in the active journeys it triggers.
 * With an idempotency key, the same key again does nothing and answers the first event's id (`duplicate: true`);
 * without one, a `reentry: never` journey still enrols a person once.
 */
export async function postEvent(deps: Deps, input: EventInput): Promise<EventResult> {
  const recipientId = await resolveRecipient(deps, input);
  const now = deps.clock();
  const id = input.idempotencyKey
    ? `evt_k${createHash('sha256').update(`sendwell:event:v1\0${input.idempotencyKey}`).digest('base64url').slice(0, 32)}`
    : `evt_${now.getTime().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
  const hash = requestHash({ name: input.name, recipientId, properties: input.properties ?? {} });
  if (input.idempotencyKey) {
    const recorded = await deps.journeys.recordEvent({
      id,
      name: input.name,
      recipientId,
      requestHash: hash,
      at: now.toISOString(),
      expiresAt: Math.floor(now.getTime() / 1000) + EVENT_RETENTION_DAYS * 86_400,
    });
    if (!recorded.first) {
      if (recorded.requestHash !== hash) {
        throw new SendwellError('conflict', 'This idempotency key was used for a different event.', [{ path: 'idempotencyKey', message: 'reused with a different name, recipient or properties' }]);
      }
      return { id, enrolled: [], duplicate: true };
    }
  }
  const journeys = await deps.journeys.allJourneys();
  const exited: string[] = [];
  for (const j of journeys.filter((x) => x.exitOn.includes(input.name) && x.status !== 'draft')) {
    if (await exitOnEvent(deps, j, recipientId, input.name)) exited.push(j.id);
  }
  const enrolled: string[] = [];
  for (const j of journeys.filter((x) => matches(x, { event: input.name }))) {
    if (await enrol(deps, j, recipientId, input.properties ?? {}, { inline: true }, input.idempotencyKey ? id : undefined)) enrolled.push(j.id);
  }
  if (input.idempotencyKey) await deps.journeys.finishEvent(id, enrolled);
  return { id, enrolled, ...(exited.length ? { exited } : {}) };
}

async function resolveRecipient(deps: Deps, input: EventInput): Promise<string> {
  if (input.recipientId !== undefined) {
    if (!(await deps.recipients.get(input.recipientId))) throw new SendwellError('not_found', `No recipient ${input.recipientId}.`, [{ path: 'recipientId', message: 'unknown recipient' }]);
    return input.recipientId;
  }
  const n = normalizeEmail(input.email!);
  if (!n.ok) throw new SendwellError('validation_failed', 'The address is not valid.', [{ path: 'email', message: addressProblem(n.reason) }]);
  const id = await deps.recipients.findIdByAddressHash(addressHash(n.address, (await deps.keys()).addressPepper));
  if (!id) throw new SendwellError('not_found', 'No recipient has this address.', [{ path: 'email', message: 'unknown recipient' }]);
  return id;
}

async function exitOnEvent(deps: Deps, journey: Journey, recipientId: string, name: string): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const e = await deps.journeys.getEnrolment(recipientId, journey.id);
    if (!e || (e.status !== 'active' && e.status !== 'waiting')) return false;
    if (await exit(deps, e, `event:${name}`)) return true;
  }
  return false;
}

// ---- the engine ----

async function enrol(deps: Deps, journey: Journey, recipientId: string, data: Readonly<Record<string, unknown>>, options: { inline: boolean }, event?: string): Promise<boolean> {
  const previous = await deps.journeys.getEnrolment(recipientId, journey.id);
  if (!mayEnrolAgain(journey.reentry, previous?.status)) return false;
  // A keyed event retried after its run ended but before it was marked done (a crash, a copy racing it): no second run.
  if (event !== undefined && previous?.event === event) return false;
  const now = deps.clock();
  const at = now.toISOString();
  const first = journey.steps[0]!.id;
  const e: Enrolment = {
    journeyId: journey.id,
    recipientId,
    run: (previous?.run ?? 0) + 1,
    step: first,
    status: 'active',
    v: (previous?.v ?? 0) + 1,
    seq: 1,
    due: options.inline ? new Date(now.getTime() + STEP_LEASE_MS).toISOString() : at,
    ...(Object.keys(data).length ? { data } : {}),
    ...(event !== undefined ? { event } : {}),
    enrolledAt: at,
    updatedAt: at,
    ...(options.inline ? {} : { pending: true }),
  };
  if (!(await deps.journeys.enrol(e, previous, options.inline ? { enrolled: 1, [figureName('entered', first)]: 1 } : undefined))) return false;
  if (!options.inline) return true;
  try {
    await advance(deps, journey, e);
  } catch (err) {
    // Enrolled: the sweep runs the step when the lease ends.
    logger.warn('journeys: first steps left to the sweep', { error: err as Error, journey: journey.id });
  }
  return true;
}

async function exit(deps: Deps, e: Enrolment, reason: string): Promise<Enrolment | undefined> {
  const figures: Record<string, number> = { exited: 1, [figureName('exited', e.step)]: 1 };
  if (e.status === 'waiting') figures[figureName('waiting', e.step)] = -1;
  // Enrolled by a recipient page and not counted yet: counted now, so exits never outnumber enrolments.
  if (e.pending) Object.assign(figures, { enrolled: 1, [figureName('entered', e.step)]: 1 });
  return deps.journeys.move(e, { status: 'exited', exitReason: reason }, figures, deps.clock().toISOString());
}

/** To `next` (or the end), adding `figures`; the step there runs at once, or not before `notBefore` (epoch ms). */
async function go(deps: Deps, e: Enrolment, next: string, figures: FigureDelta, extra: Partial<Pick<Enrolment, 'sent'>> = {}, notBefore = 0): Promise<Enrolment | undefined> {
  const now = deps.clock();
  if (next === 'end') return deps.journeys.move(e, { step: 'end', status: 'done', seq: e.seq + 1, ...extra }, { ...figures, completed: 1 }, now.toISOString());
  return deps.journeys.move(
    e,
    { step: next, status: 'active', seq: e.seq + 1, due: new Date(Math.max(now.getTime() + STEP_LEASE_MS, notBefore)).toISOString(), ...extra },
    { ...figures, [figureName('entered', next)]: (figures[figureName('entered', next)] ?? 0) + 1 },
    now.toISOString(),
  );
}

/** Whether the person unsubscribed (from all marketing, or from a topic the journey mails about) and the journey exits on it. */
async function unsubscribed(deps: Deps, journey: Journey, recipientId: string): Promise<boolean> {
  if (!journey.exitOn.includes('unsubscribed')) return false;
  const agg = await deps.recipients.get(recipientId);
  if (!agg) return true;
  if (agg.profile.unsubscribedAll) return true;
  return (journey.topics ?? []).some((t) => agg.consents[t]?.status === 'opted_out');
}

/**
 * Runs the enrolment from where it is until it waits, ends, leaves, or another worker moved it first. Returns the
 * enrolment as it left it (undefined when it lost a race).
 */
export async function advance(deps: Deps, journey: Journey, start: Enrolment): Promise<Enrolment | undefined> {
  let cur: Enrolment | undefined = start;
  if (cur.pending && cur.status === 'active') {
    // Enrolled by a recipient page: counted now, by the move that also extends the lease.
    const now = deps.clock();
    cur = await deps.journeys.move(cur, { due: new Date(now.getTime() + STEP_LEASE_MS).toISOString() }, { enrolled: 1, [figureName('entered', cur.step)]: 1 }, now.toISOString());
  }
  for (let hops = 0; cur && hops < MAX_HOPS; hops++) {
    if (cur.status === 'done' || cur.status === 'exited') return cur;
    const now = deps.clock();
    if (journey.status === 'archived') return exit(deps, cur, 'archived');
    if (journey.status !== 'active') {
      // Paused: everyone stays where they are; their steps run once it is active again.
      const later = new Date(Math.max(now.getTime() + PAUSED_RECHECK_MS, Date.parse(cur.due ?? '') || 0)).toISOString();
      return deps.journeys.move(cur, { due: later }, {}, now.toISOString());
    }
    const index = journey.steps.findIndex((s) => s.id === cur!.step);
    if (index < 0) return exit(deps, cur, 'step_removed');
    const step = journey.steps[index]!;
    if (cur.status === 'waiting') {
      if (cur.due && Date.parse(cur.due) > now.getTime()) return cur;
      if (step.wait) cur = await go(deps, cur, nextOf(journey.steps, index), { [figureName('waiting', step.id)]: -1 });
      // An edit made the wait they are at a send or a branch: their wait is over, and the step runs now.
      else cur = await deps.journeys.move(cur, { status: 'active', due: new Date(now.getTime() + STEP_LEASE_MS).toISOString() }, { [figureName('waiting', step.id)]: -1 }, now.toISOString());
      continue;
    }
    if (step.wait) {
      const zone = 'untilLocalTime' in step.wait ? await zoneOf(deps, cur.recipientId) : 'UTC';
      const due = waitUntil(step.wait, now, zone).toISOString();
      return deps.journeys.move(cur, { status: 'waiting', due }, { [figureName('waiting', step.id)]: 1 }, now.toISOString());
    }
    if (step.branch) {
      const yes = await holds(deps, cur, step.branch.if, now);
      cur = await go(deps, cur, yes ? step.branch.then : step.branch.else, {});
      continue;
    }
    if (await unsubscribed(deps, journey, cur.recipientId)) return exit(deps, cur, 'unsubscribed');
    const outcome = await sendStep(deps, journey, cur, step);
    // A mail quiet hours deferred goes out at `until`: what follows it (a wait, a branch on its opens) starts from
    // then, not from now, so the sweep takes the next step up once the due-message sweep has had time to send it.
    const notBefore = outcome.until ? Date.parse(outcome.until) + DEFERRED_SEND_MARGIN_MS : 0;
    cur = await go(deps, cur, nextOf(journey.steps, index), outcome.figures, { sent: { ...(cur.sent ?? {}), [step.id]: outcome.messageId } }, notBefore);
    if (notBefore) return cur;
  }
  return cur;
}

async function zoneOf(deps: Deps, recipientId: string): Promise<string> {
  const agg = await deps.recipients.get(recipientId);
  const settings = await deps.delivery.getSettings({ maxAgeMs: 60_000 });
  return recipientTimeZone(agg?.profile ?? {}, settings.defaultTimeZone).timeZone;
}

/**
 * One send step through the send rule. The key names this run of the journey and this visit of the step: whoever
 * runs the step again before the move (a racing sweep, a retry after a crash) claims the same message record and
 * mails nothing more.
 */
async function sendStep(deps: Deps, journey: Journey, e: Enrolment, step: JourneyStep): Promise<{ messageId: string; figures: FigureDelta; until?: string }> {
  const idempotencyKey = journeyStepKey({ journeyId: journey.id, recipientId: e.recipientId, run: e.run, stepId: step.id, seq: e.seq });
  const input = { template: step.send!.template, to: { recipientId: e.recipientId }, data: e.data ?? {}, idempotencyKey };
  const options = { actor: `journey:${journey.id}` };
  try {
    let r = await sendMessage(deps, input, options);
    if (r.duplicate && r.status === 'sending') r = (await settleInDoubt(deps, r.messageId)) === 'sent' ? { ...r, status: 'sent' } : await sendMessage(deps, input, options);
    const kind = r.status === 'held' ? figureName('held', step.id, r.reason ?? 'held') : r.status === 'deferred' ? figureName('deferred', step.id) : figureName('sent', step.id);
    return { messageId: r.messageId, figures: { [kind]: 1 }, ...(r.status === 'deferred' && r.until ? { until: r.until } : {}) };
  } catch (err) {
    // What the caller of a send would be told is their mistake (a template deleted since, one that cannot be composed
    // for this person) holds this step for this person; anything else (SES, DynamoDB) is tried again.
    if (err instanceof SendwellError && (err.code === 'not_found' || err.code === 'validation_failed')) {
      return { messageId: '', figures: { [figureName('held', step.id, err.code === 'not_found' ? 'template_missing' : 'invalid_template')]: 1 } };
    }
    throw err;
  }
}

/**
 * A step's message left `sending` by a run that died around the SES call. SES feedback for it: it went out (`sent`).
 * None yet: in doubt until the reconcile window (`SENDWELL_SEND_RECONCILE_SECONDS`) passed, then taken over and
 * marked failed (`resend`) so the same key claims it again and the send rule decides anew — as the campaign sender
 * settles its own stale claims. Throws while in doubt: the sweep tries the step again later.
 */
async function settleInDoubt(deps: Deps, messageId: string): Promise<'sent' | 'resend'> {
  const record = await deps.messages.getRecord(messageId);
  const now = deps.clock();
  if (!record || record.status === 'sent' || record.deliveryStatus) {
    if (record?.status === 'sending') await deps.messages.settleAsSent(messageId, now.toISOString());
    return 'sent';
  }
  if (record.status !== 'sending') return 'resend';
  const age = now.getTime() - Date.parse(record.updatedAt);
  if (age >= deps.sending.reconcileSeconds * 1000 && (await deps.messages.reclaimStale(messageId, record.updatedAt, now.toISOString(), now.toISOString()))) {
    await deps.messages.markFailed(messageId, 'stale_claim', now.toISOString());
    return 'resend';
  }
  throw new Error('journey step in doubt: its mail may be out; looked at again after the reconcile window');
}

/** A branch's condition for this person now: a human open or click of an earlier step's mail, or a segment rule. */
async function holds(deps: Deps, e: Enrolment, condition: NonNullable<JourneyStep['branch']>['if'], now: Date): Promise<boolean> {
  if ('opened' in condition || 'clicked' in condition) {
    const stepId = 'opened' in condition ? condition.opened : condition.clicked;
    const messageId = e.sent?.[stepId];
    if (!messageId) return false;
    const record = await deps.messages.getRecord(messageId);
    return 'opened' in condition ? (record?.humanOpens ?? 0) > 0 : (record?.humanClicks ?? 0) > 0;
  }
  const rule = segmentRuleOf(condition)!;
  const topics = 'field' in rule ? consentTopicsOf({ all: [rule] }) : consentTopicsOf(rule);
  const views = await withEngagement(deps, await deps.recipients.getForSending([e.recipientId], undefined, topics), 'field' in rule ? { all: [rule] } : rule);
  const view = views.get(e.recipientId);
  if (!view) return false;
  const settings = await deps.delivery.getSettings({ maxAgeMs: 60_000 });
  return matchesSegment(segmentSubject(view, recipientTimeZone(view.profile, settings.defaultTimeZone).timeZone, undefined), rule, now);
}

// ---- the sweep ----

export interface JourneySweepReport {
  /** Enrolments looked at (their wait ended, or a step was left unfinished). */
  readonly due: number;
  /** Of those, the ones whose step failed and will be tried again. */
  readonly failed: number;
}

/** Enrolments read per index Query. */
const DUE_PAGE = 100;
/** Enrolments advanced at once. */
const CONCURRENCY = 4;

/**
 * Every minute (EventBridge Scheduler; every few seconds on the local stack): recipients whose wait ended, and steps a
 * dead process left unfinished, from the due index (shard by shard, never a scan), until nothing is due or `budgetMs`
 * is spent.
 */
export async function runDueJourneys(deps: Deps, budgetMs = 45_000): Promise<JourneySweepReport> {
  const started = Date.now();
  const journeys = new Map<string, Journey | undefined>();
  const seen = new Set<string>();
  let due = 0;
  let failed = 0;
  for (let shard = 0; shard < JOURNEY_DUE_SHARDS; shard++) {
    for (;;) {
      if (Date.now() - started > budgetMs) return { due, failed };
      const page = await deps.journeys.due(shard, deps.clock().toISOString(), DUE_PAGE);
      // The index is eventually consistent: an entry already moved on may show again; each is taken once per run.
      const fresh = page.filter((d) => !seen.has(`${d.recipientId}#${d.journeyId}#${d.due}`));
      if (fresh.length === 0) break;
      for (const d of fresh) seen.add(`${d.recipientId}#${d.journeyId}#${d.due}`);
      for (let i = 0; i < fresh.length; i += CONCURRENCY) {
        await Promise.all(
          fresh.slice(i, i + CONCURRENCY).map(async (d) => {
            const e = await deps.journeys.getEnrolment(d.recipientId, d.journeyId);
            if (!e || e.due !== d.due || (e.status !== 'active' && e.status !== 'waiting')) return;
            if (!journeys.has(d.journeyId)) journeys.set(d.journeyId, await deps.journeys.getJourney(d.journeyId));
            const journey = journeys.get(d.journeyId);
            if (!journey) return;
            due++;
            try {
              await advance(deps, journey, e);
            } catch (err) {
              failed++;
              logger.warn('journeys: step failed, tried again later', { error: err as Error, journey: d.journeyId });
              const latest = await deps.journeys.getEnrolment(d.recipientId, d.journeyId);
              const now = deps.clock();
              if (latest && (latest.status === 'active' || latest.status === 'waiting')) {
                await deps.journeys.move(latest, { due: new Date(now.getTime() + STEP_RETRY_MS).toISOString() }, {}, now.toISOString());
              }
            }
          }),
        );
      }
      if (page.length < DUE_PAGE) break;
    }
  }
  return { due, failed };
}

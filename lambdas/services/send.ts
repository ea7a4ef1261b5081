/**
 * Sending one message to one recipient: resolve the template and the recipient, decide, claim the message record
 * (conditional write, before SES), compose, send, record. A hold is an outcome, recorded and counted like a send;
 * while marketing is paused, marketing that would have gone out is held as `marketing_paused`.
 */
import { composeMessage } from '../domain/compose.ts';
import { decide, trackingAllowed, type Decision, type DecisionTiming } from '../domain/decide.ts';
import { capsFor, type FrequencyCap } from '../domain/delivery-timing.ts';
import { recipientTimeZone } from '../domain/time-zones.ts';
import { addressHash, addressProblem, normalizeEmail } from '../domain/email-address.ts';
import { SendOutcomeUnknown, SendwellError, UnsafeLink } from '../domain/errors.ts';
import { buildLinks } from '../domain/links.ts';
import { SYSTEM_TEMPLATES } from '../domain/system-templates.ts';
import type { Template } from '../domain/template.ts';
import type { RecipientAggregate } from '../adapters/dynamo/recipient-store.ts';
import type { SendMessageInput, SendResult, SuppressionRecord } from '../schemas/model.ts';
import { dimsOf, type Actor, type Deps } from './deps.ts';
import { createRecipientRecord } from './recipient-records.ts';
import { messageIdForKey, newId, requestHash } from './ids.ts';
import { journeyStepOf } from '../domain/journeys.ts';
import { toDecisionState } from './recipient-view.ts';

/** How long message records and their events are kept unless configured otherwise. */
export const DEFAULT_RETENTION_DAYS = 400;

/** When a message record or event written at `at` expires (epoch seconds, DynamoDB's TTL). */
export const retentionExpiry = (deps: Pick<Deps, 'retentionDays'>, at: Date): number =>
  Math.floor(at.getTime() / 1000) + (deps.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400;

export interface SendOptions {
  /** Extra system values for Sendwell's own mails (the topic a confirm link confirms). */
  readonly confirmTopic?: string;
  /** Who asked; recorded when a service mail to a new address creates its recipient. */
  readonly actor?: Actor;
  /** Put before the subject: a campaign's test sends carry `[Test] `. */
  readonly subjectPrefix?: string;
  /**
   * A test send to an address the caller names: it goes even if the address never subscribed to the topic, but
   * anything the person or their mailbox said (opt-out, unsubscribe, complaint, bounce, erasure) still holds it.
   */
  readonly test?: boolean;
}

/** The template by id: a stored one, else a built-in Sendwell template of that id. */
export async function resolveTemplate(deps: Deps, id: string): Promise<Template & { id: string }> {
  const stored = await deps.catalog.getTemplate(id);
  if (stored) return stored;
  const builtIn = SYSTEM_TEMPLATES[id];
  if (builtIn) return { ...builtIn, id };
  throw new SendwellError('not_found', `No template ${id}.`, [{ path: 'template', message: 'unknown template' }]);
}

interface Target {
  readonly aggregate?: RecipientAggregate;
  readonly address?: string;
  readonly display?: string;
  readonly addressHash?: string;
  readonly suppliedByCaller: boolean;
}

async function resolveTarget(deps: Deps, to: SendMessageInput['to'], pepper: Buffer): Promise<Target> {
  if ('recipientId' in to) {
    const aggregate = await deps.recipients.get(to.recipientId);
    if (!aggregate) return { suppliedByCaller: false };
    const { address, email, addressHash: hash } = aggregate.profile;
    return { aggregate, address, display: email, addressHash: hash, suppliedByCaller: false };
  }
  const normalized = normalizeEmail(to.email);
  if (!normalized.ok) {
    throw new SendwellError('validation_failed', 'The address is not valid.', [{ path: 'to.email', message: addressProblem(normalized.reason) }]);
  }
  const hash = addressHash(normalized.address, pepper);
  const id = await deps.recipients.findIdByAddressHash(hash);
  const aggregate = id ? await deps.recipients.get(id) : undefined;
  return {
    ...(aggregate ? { aggregate } : {}),
    address: normalized.address,
    display: normalized.display,
    addressHash: hash,
    suppliedByCaller: true,
  };
}

/**
 * Sends `input` (or holds it). With an idempotency key, the same key again returns the first outcome and never mails
 * twice; the same key with a different request is a `conflict`.
 *
 * @throws {SendwellError} `not_found` for an unknown template, `validation_failed` for a bad address or a template
 * that cannot be sent, `conflict` for a reused idempotency key.
 */
export async function sendMessage(deps: Deps, input: SendMessageInput, options: SendOptions = {}): Promise<SendResult> {
  const { now, at, template, target, state, decision, caps, log } = await judge(deps, input, options);

  const messageId = input.idempotencyKey ? messageIdForKey(input.idempotencyKey) : newId('msg');
  const hash = requestHash({ template: input.template, to: input.to, data: input.data, confirmTopic: options.confirmTopic });
  // A service mail to an address we do not know yet (a receipt for a first order) creates its recipient, so the
  // preference link in it leads somewhere. Marketing to a stranger creates nothing: it is held.
  let recipientId = target.aggregate?.profile.id;
  if (recipientId === undefined && decision.action === 'send' && target.display !== undefined) {
    const created = await createRecipientRecord(deps, { email: target.display }, { source: 'api', actor: options.actor ?? 'api' });
    recipientId = created.recipient.id;
  }
  const base = {
    messageId,
    class: template.class,
    template: template.id,
    ...(template.topic ? { topic: template.topic } : {}),
    ...(recipientId ? { recipientId } : {}),
    createdAt: at,
    expiresAt: retentionExpiry(deps, now),
    requestHash: hash,
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
  };
  const claim =
    decision.action === 'defer'
      ? await deps.messages.claimDeferred({
          ...base,
          status: 'deferred',
          until: decision.until,
          deferral: 'quiet_hours',
          // What the due-message sweep sends when the quiet hours are over (kept only as long as the record).
          request: { template: input.template, to: input.to, data: input.data, ...(options.confirmTopic ? { confirmTopic: options.confirmTopic } : {}) },
        })
      : await deps.messages.claim({ ...base, status: decision.action === 'send' ? 'sending' : 'held', ...(decision.action === 'hold' ? { reason: decision.reason } : {}) });
  if (!claim.claimed) {
    if (claim.requestHash !== hash) {
      throw new SendwellError('conflict', 'This idempotency key was used for a different request.', [
        { path: 'idempotencyKey', message: 'reused with a different template, recipient or data' },
      ]);
    }
    const { existing } = claim;
    return { messageId, status: existing.status, ...(existing.reason ? { reason: existing.reason } : {}), ...(existing.status === 'deferred' && existing.until ? { until: existing.until } : {}), duplicate: true };
  }

  if (decision.action === 'defer') {
    await deps.messages.count(at, { [`deferred_${template.class}`]: 1 }, dimsOf(template));
    return { messageId, status: 'deferred', until: decision.until };
  }
  if (decision.action === 'hold') {
    await deps.messages.count(at, { [`held_${template.class}`]: 1, [`held_reason_${decision.reason}`]: 1 }, dimsOf(template));
    return { messageId, status: 'held', reason: decision.reason };
  }
  return dispatch(deps, { template, messageId, recipientId, target, state, data: input.data, options, caps, log, now, at });
}

interface Judged {
  readonly now: Date;
  readonly at: string;
  readonly template: Template & { id: string };
  readonly target: Target;
  readonly state: ReturnType<typeof toDecisionState>;
  readonly decision: Decision | { action: 'hold'; reason: 'unknown_recipient' };
  /** The frequency caps this mail is held to (marketing only, never a test send). */
  readonly caps: readonly FrequencyCap[];
  /** Whether this mail goes into the recipient's send log (marketing, while any cap exists: the stage's or a topic's). */
  readonly log: boolean;
}

/**
 * Everything the decision needs, read now, and the decision: the template, the recipient and their suppressions, the
 * marketing pause and, for marketing, the stage's quiet hours and caps read in the recipient's own zone.
 */
async function judge(deps: Deps, input: SendMessageInput, options: SendOptions): Promise<Judged> {
  const now = deps.clock();
  const at = now.toISOString();
  const keys = await deps.keys();
  const template = await resolveTemplate(deps, input.template);
  const target = await resolveTarget(deps, input.to, keys.addressPepper);
  const suppressions: SuppressionRecord[] = target.addressHash ? await deps.suppressions.list(target.addressHash) : [];
  const state = toDecisionState(target.aggregate, suppressions);
  // The marketing auto-pause (services/marketing-control.ts) holds marketing only; service mail never asks.
  const marketingPaused = template.class === 'marketing' && (await deps.control.getMarketingPause()) !== undefined;
  // Timing rules are for marketing to a known recipient (a stranger is held anyway), never for a test send.
  let timing: DecisionTiming | undefined;
  let caps: FrequencyCap[] = [];
  let log = false;
  if (template.class === 'marketing' && !options.test && target.aggregate) {
    const settings = await deps.delivery.getSettings();
    const topicCap = template.topic ? (await deps.catalog.getTopic(template.topic))?.frequencyCap : undefined;
    caps = capsFor(settings.frequencyCap, topicCap);
    log = settings.frequencyCap !== undefined || settings.topicCaps === true;
    const id = target.aggregate.profile.id;
    timing = {
      timeZone: recipientTimeZone(target.aggregate.profile, settings.defaultTimeZone).timeZone,
      quietHours: settings.quietHours,
      stageCap: settings.frequencyCap,
      topicCap,
      // A retry with the same key holds the slot its first attempt took: not another mail.
      marketingSentAt: caps.length ? ((await deps.delivery.sentLogs([id], () => (input.idempotencyKey ? messageIdForKey(input.idempotencyKey) : undefined))).get(id) ?? []) : [],
    };
  }

  const decision: Judged['decision'] =
    target.address === undefined
      ? { action: 'hold', reason: 'unknown_recipient' }
      : decide(
          state,
          {
            class: template.class,
            ...(template.topic ? { topic: template.topic } : {}),
            // A recipient record after an erasure tombstone means the person gave us the address again (signed up
            // anew): like a caller naming the address, that allows service mail; marketing stays held until a
            // fresh opt-in with evidence lifts the tombstone.
            addressSuppliedByCaller: target.suppliedByCaller || target.aggregate !== undefined,
            ...(options.test ? { test: true } : {}),
          },
          now,
          { marketingPaused, timing },
        );
  return { now, at, template, target, state, decision, caps, log };
}

/**
 * A claimed message (`sending`) goes out: a slot under the frequency caps first (marketing; a conditional write, so
 * racing sends cannot both take the last one), then SES. Held `frequency_capped` when the caps are full.
 */
async function dispatch(
  deps: Deps,
  m: {
    template: Template & { id: string };
    messageId: string;
    recipientId: string | undefined;
    target: Target;
    state: ReturnType<typeof toDecisionState>;
    data: Readonly<Record<string, unknown>>;
    options: SendOptions;
    caps: readonly FrequencyCap[];
    log: boolean;
    now: Date;
    at: string;
  },
): Promise<SendResult> {
  const { template, messageId, recipientId, options, now, at } = m;
  // Every marketing mail is logged while any cap exists (a mail of a topic without one counts towards a topic's that has one).
  if (m.log && recipientId && (await deps.delivery.reserve(recipientId, messageId, now, m.caps)) === 'capped') {
    await deps.messages.markHeld(messageId, 'frequency_capped', at);
    await deps.messages.count(at, { [`held_${template.class}`]: 1, held_reason_frequency_capped: 1 }, dimsOf(template));
    return { messageId, status: 'held', reason: 'frequency_capped' };
  }
  try {
    await deliver(deps, {
      template,
      messageId,
      recipientId: recipientId ?? unreachable('a sent message always has a recipient'),
      to: m.target.display ?? m.target.address ?? '',
      data: m.data,
      trackingAllowed: trackingAllowed(m.state),
      ...(options.confirmTopic ? { confirmTopic: options.confirmTopic } : {}),
      ...(options.subjectPrefix ? { subjectPrefix: options.subjectPrefix } : {}),
      now,
    });
  } catch (e) {
    if (e instanceof UnsafeLink) {
      // Held for this recipient, like any other hold: recorded (deliver marked it), counted, returned; nothing went
      // out, so a frequency-cap slot goes back.
      if (m.log && recipientId) await deps.delivery.release(recipientId, messageId);
      await deps.messages.count(at, { [`held_${template.class}`]: 1, held_reason_invalid_link: 1 }, dimsOf(template));
      return { messageId, status: 'held', reason: 'invalid_link' };
    }
    if (e instanceof SendOutcomeUnknown) {
      throw new SesSendError('unknown', messageId, 'SES did not answer: the message may have been sent. Do not send it again under a new idempotency key; GET /v1/messages/{id} shows it once SES reports it.', [
        { path: 'messageId', message: messageId },
      ]);
    }
    // Nothing went out: the slot goes back.
    if (m.log && recipientId) await deps.delivery.release(recipientId, messageId);
    if (e instanceof SendwellError) throw e;
    await deps.messages.count(at, { [`failed_${template.class}`]: 1 }, dimsOf(template));
    throw new SesSendError('refused', messageId, 'SES did not accept the message; it was not sent and can be retried with the same idempotency key.', [
      { message: (e as Error).name || 'ses_error' },
    ]);
  }
  await deps.messages.count(at, { [`sent_${template.class}`]: 1 }, dimsOf(template));
  return { messageId, status: 'sent' };
}

/** A send's 502: SES `refused` the mail (nothing went out) or gave no answer (`unknown`: it may be out). */
export class SesSendError extends SendwellError {
  readonly outcome: 'refused' | 'unknown';
  readonly messageId: string;
  constructor(outcome: 'refused' | 'unknown', messageId: string, message: string, details: ConstructorParameters<typeof SendwellError>[2]) {
    super('bad_gateway', message, details);
    this.outcome = outcome;
    this.messageId = messageId;
  }
}

export type DeferredOutcome = 'sent' | 'held' | 'deferred' | 'not_due' | 'gone' | 'taken';

/**
 * A deferred transactional message whose time came (the due-message sweep): decided again now, with everything read
 * again, then sent, held, or deferred once more. Conditional on it still being that deferral, so two sweeps never
 * both send it.
 */
export async function sendDeferredMessage(deps: Deps, messageId: string): Promise<DeferredOutcome> {
  const stored = await deps.messages.deferredRequest(messageId);
  if (!stored || stored.record.status !== 'deferred' || !stored.record.until || !stored.request) return 'gone';
  const was = { until: stored.record.until, deferral: stored.record.deferral ?? 'quiet_hours' } as const;
  if (Date.parse(was.until) > deps.clock().getTime()) return 'not_due';
  const request = stored.request as SendMessageInput & { confirmTopic?: string };
  const options: SendOptions = request.confirmTopic ? { confirmTopic: request.confirmTopic } : {};
  const { now, at, template, target, state, decision, caps, log } = await judge(deps, { ...request, data: request.data ?? {} }, options);
  // A journey's step deferred by quiet hours goes only while the person is still in that run of the journey: one
  // who left it since (an exit event: "purchased" after an abandoned-cart step) or whose journey was archived is
  // not sent what it was about.
  if (decision.action !== 'hold' && (await leftJourney(deps, stored.idempotencyKey))) {
    if (!(await deps.messages.leaveDeferred(messageId, was, { status: 'held', reason: 'journey_left' }, at))) return 'taken';
    await deps.messages.count(at, { [`held_${template.class}`]: 1, held_reason_journey_left: 1 }, dimsOf(template));
    return 'held';
  }
  if (decision.action === 'defer') {
    return (await deps.messages.leaveDeferred(messageId, was, { status: 'deferred', until: decision.until, deferral: 'quiet_hours' }, at)) ? 'deferred' : 'taken';
  }
  if (decision.action === 'hold') {
    if (!(await deps.messages.leaveDeferred(messageId, was, { status: 'held', reason: decision.reason }, at))) return 'taken';
    await deps.messages.count(at, { [`held_${template.class}`]: 1, [`held_reason_${decision.reason}`]: 1 }, dimsOf(template));
    return 'held';
  }
  if (!(await deps.messages.leaveDeferred(messageId, was, { status: 'sending', decidedAt: at }, at))) return 'taken';
  const result = await dispatch(deps, { template, messageId, recipientId: stored.record.recipientId, target, state, data: request.data ?? {}, options, caps, log, now, at });
  return result.status === 'sent' ? 'sent' : 'held';
}

/** Whether a journey step's message (domain/journeys.ts `journeyStepKey`) is for someone no longer in that run. */
async function leftJourney(deps: Deps, idempotencyKey: string | undefined): Promise<boolean> {
  const step = journeyStepOf(idempotencyKey);
  if (!step) return false;
  const [journey, enrolment] = await Promise.all([deps.journeys.getJourney(step.journeyId), deps.journeys.getEnrolment(step.recipientId, step.journeyId)]);
  return journey?.status === 'archived' || !enrolment || enrolment.run !== step.run || enrolment.status === 'exited';
}

/** A claimed message, ready to go out. */
export interface Delivery {
  readonly template: Template & { id: string };
  readonly messageId: string;
  readonly recipientId: string;
  /** The address as typed (what goes in `To`). */
  readonly to: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly trackingAllowed: boolean;
  readonly confirmTopic?: string;
  /** Put before the subject (`[Test] `). */
  readonly subjectPrefix?: string;
  readonly now: Date;
}

/**
 * Builds the message's links, composes it and hands it to SES, then records it as sent. The record must already be
 * claimed. A template that cannot be composed marks the record failed and throws the `SendwellError`; no answer from
 * SES (`SendOutcomeUnknown`) leaves it `sending`; any other SES error
 * marks it failed (so it may be claimed again: nothing went out) and is rethrown as SES gave it, for the caller to
 * tell a throttle from a refusal.
 */
export async function deliver(deps: Deps, d: Delivery): Promise<{ sesMessageId: string }> {
  const keys = await deps.keys();
  const links = buildLinks({
    baseUrl: deps.settings.publicBaseUrl,
    keyring: keys.tokens,
    recipientId: d.recipientId,
    messageId: d.messageId,
    class: d.template.class,
    ...(d.template.topic ? { topic: d.template.topic } : {}),
    trackingAllowed: d.trackingAllowed,
    ...(d.confirmTopic ? { confirmTopic: d.confirmTopic } : {}),
    ...(deps.settings.unsubscribeMailbox ? { unsubscribeMailbox: deps.settings.unsubscribeMailbox } : {}),
    now: d.now,
  });
  let composed;
  try {
    composed = composeMessage({
      template: d.subjectPrefix ? { ...d.template, subject: d.subjectPrefix + d.template.subject } : d.template,
      data: d.data,
      recipient: { address: d.to },
      links,
      trackingAllowed: d.trackingAllowed,
      postalAddress: deps.settings.postalAddress,
      from: deps.settings.fromAddress,
    });
  } catch (e) {
    if (e instanceof UnsafeLink) {
      await deps.messages.markHeld(d.messageId, 'invalid_link', d.now.toISOString(), e.details.map((x) => x.message).join('; '));
    } else {
      await deps.messages.markFailed(d.messageId, 'compose_failed', d.now.toISOString());
    }
    throw e;
  }
  if (composed.linkSet) {
    try {
      await rememberLinkSet(deps, d.template.id, composed.linkSet);
    } catch (e) {
      // Nothing went out: failed like a refused send, so a retry (same key, or the campaign's redelivery) sends it.
      await deps.messages.markFailed(d.messageId, 'link_set_not_stored', deps.clock().toISOString());
      throw e;
    }
  }
  let sesMessageId: string;
  try {
    sesMessageId = await deps.mailer.send(composed, {
      ...(deps.settings.configurationSet ? { configurationSet: deps.settings.configurationSet } : {}),
      tags: { sendwell_message: d.messageId, sendwell_class: d.template.class, ...(d.template.topic ? { sendwell_topic: d.template.topic } : {}) },
    });
  } catch (e) {
    // No answer from SES: the mail may be out. The record stays `sending`, claimed, so nothing resends it blindly;
    // SES's events for it (found by its message tag) settle it.
    if (!(e instanceof SendOutcomeUnknown)) await deps.messages.markFailed(d.messageId, (e as Error).name || 'ses_error', deps.clock().toISOString());
    throw e;
  }
  await deps.messages.markSent(d.messageId, sesMessageId, { links: composed.links, linkSet: composed.linkSet }, deps.clock().toISOString());
  return { sesMessageId };
}

// Link sets already stored by this process: each is written once per cold start, not once per message.
const storedLinkSets = new Set<string>();

/** Stores the template's shared links where erasure does not reach (lambdas/domain/hrefs.ts). Idempotent. */
async function rememberLinkSet(deps: Deps, templateId: string, linkSet: { id: string; links: readonly (string | null)[] }): Promise<void> {
  if (storedLinkSets.has(linkSet.id)) return;
  await deps.messages.putLinkSet({ id: linkSet.id, template: templateId, links: linkSet.links });
  storedLinkSets.add(linkSet.id);
}

function unreachable(what: string): never {
  throw new Error(`Invariant broken: ${what}`);
}

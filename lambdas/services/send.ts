/**
 * Sending one message to one recipient: resolve the template and the recipient, decide, claim the message record
 * (conditional write, before SES), compose, send, record. A hold is an outcome, recorded and counted like a send;
 * while marketing is paused, marketing that would have gone out is held as `marketing_paused`.
 */
import { composeMessage } from '../domain/compose.ts';
import { decide, trackingAllowed, type Decision } from '../domain/decide.ts';
import { addressHash, normalizeEmail } from '../domain/email-address.ts';
import { SendOutcomeUnknown, SendwellError, UnsafeLink } from '../domain/errors.ts';
import { buildLinks } from '../domain/links.ts';
import { SYSTEM_TEMPLATES } from '../domain/system-templates.ts';
import type { Template } from '../domain/template.ts';
import type { RecipientAggregate } from '../adapters/dynamo/recipient-store.ts';
import type { SendMessageInput, SendResult, SuppressionRecord } from '../schemas/model.ts';
import { dimsOf, type Actor, type Deps } from './deps.ts';
import { createRecipientRecord } from './recipient-records.ts';
import { messageIdForKey, newId, requestHash } from './ids.ts';
import { toDecisionState } from './recipient-view.ts';

/** How long message records and their events are kept unless configured otherwise. */
export const DEFAULT_RETENTION_DAYS = 400;

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
    throw new SendwellError('validation_failed', 'The address is not valid.', [{ path: 'to.email', message: normalized.reason }]);
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
  const now = deps.clock();
  const at = now.toISOString();
  const keys = await deps.keys();
  const template = await resolveTemplate(deps, input.template);
  const target = await resolveTarget(deps, input.to, keys.addressPepper);
  const suppressions: SuppressionRecord[] = target.addressHash ? await deps.suppressions.list(target.addressHash) : [];
  const state = toDecisionState(target.aggregate, suppressions);
  // The marketing auto-pause (services/marketing-control.ts) holds marketing only; service mail never asks.
  const marketingPaused = template.class === 'marketing' && (await deps.control.getMarketingPause()) !== undefined;

  const decision: Decision | { action: 'hold'; reason: 'unknown_recipient' } =
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
          { marketingPaused },
        );

  const messageId = input.idempotencyKey ? messageIdForKey(input.idempotencyKey) : newId('msg');
  const hash = requestHash({ template: input.template, to: input.to, data: input.data, confirmTopic: options.confirmTopic });
  // A service mail to an address we do not know yet (a receipt for a first order) creates its recipient, so the
  // preference link in it leads somewhere. Marketing to a stranger creates nothing: it is held.
  let recipientId = target.aggregate?.profile.id;
  if (recipientId === undefined && decision.action === 'send' && target.display !== undefined) {
    const created = await createRecipientRecord(deps, { email: target.display }, { source: 'api', actor: options.actor ?? 'api' });
    recipientId = created.recipient.id;
  }
  const claim = await deps.messages.claim({
    messageId,
    status: decision.action === 'send' ? 'sending' : 'held',
    ...(decision.action === 'hold' ? { reason: decision.reason } : {}),
    class: template.class,
    template: template.id,
    ...(template.topic ? { topic: template.topic } : {}),
    ...(recipientId ? { recipientId } : {}),
    createdAt: at,
    expiresAt: Math.floor(now.getTime() / 1000) + (deps.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400,
    requestHash: hash,
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
  });
  if (!claim.claimed) {
    if (claim.requestHash !== hash) {
      throw new SendwellError('conflict', 'This idempotency key was used for a different request.', [
        { path: 'idempotencyKey', message: 'reused with a different template, recipient or data' },
      ]);
    }
    const { existing } = claim;
    return { messageId, status: existing.status, ...(existing.reason ? { reason: existing.reason } : {}), duplicate: true };
  }

  if (decision.action === 'hold') {
    await deps.messages.count(at, { [`held_${template.class}`]: 1, [`held_reason_${decision.reason}`]: 1 }, dimsOf(template));
    return { messageId, status: 'held', reason: decision.reason };
  }

  try {
    await deliver(deps, {
      template,
      messageId,
      recipientId: recipientId ?? unreachable('a sent message always has a recipient'),
      to: target.display ?? target.address ?? '',
      data: input.data,
      trackingAllowed: trackingAllowed(state),
      ...(options.confirmTopic ? { confirmTopic: options.confirmTopic } : {}),
      ...(options.subjectPrefix ? { subjectPrefix: options.subjectPrefix } : {}),
      now,
    });
  } catch (e) {
    if (e instanceof UnsafeLink) {
      // Held for this recipient, like any other hold: recorded (deliver marked it), counted, returned.
      await deps.messages.count(at, { [`held_${template.class}`]: 1, held_reason_invalid_link: 1 }, dimsOf(template));
      return { messageId, status: 'held', reason: 'invalid_link' };
    }
    if (e instanceof SendwellError) throw e;
    if (e instanceof SendOutcomeUnknown) {
      throw new SendwellError('bad_gateway', 'SES did not answer: the message may have been sent. Do not send it again under a new idempotency key; GET /v1/messages/{id} shows it once SES reports it.', [
        { path: 'messageId', message: messageId },
      ]);
    }
    await deps.messages.count(at, { [`failed_${template.class}`]: 1 }, dimsOf(template));
    throw new SendwellError('bad_gateway', 'SES did not accept the message; it was not sent and can be retried with the same idempotency key.', [
      { message: (e as Error).name || 'ses_error' },
    ]);
  }
  await deps.messages.count(at, { [`sent_${template.class}`]: 1 }, dimsOf(template));
  return { messageId, status: 'sent' };
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
  await deps.messages.markSent(d.messageId, sesMessageId, composed.links, deps.clock().toISOString());
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

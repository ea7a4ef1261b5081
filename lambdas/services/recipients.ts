/**
 * Recipients and their consent: create (merging duplicates), read, update, change consent with its ledger entry,
 * preferences, double opt-in (confirmation mail, confirm), and the welcome mail.
 */
import { addressHash, maskEmail } from '../domain/email-address.ts';
import { SendwellError } from '../domain/errors.ts';
import { CONFIRM_TEMPLATE_ID, WELCOME_TEMPLATE_ID } from '../domain/system-templates.ts';
import type { CounterDims } from '../adapters/dynamo/counters.ts';
import type { RecipientAggregate } from '../adapters/dynamo/recipient-store.ts';
import type { Evidence } from '../schemas/fields.ts';
import type { ConsentChange, LedgerEntry, PreferencesChange, Recipient, RecipientInput, RecipientUpdate, SendResult, SuppressionRecord, Topic } from '../schemas/model.ts';
import type { Actor, Deps } from './deps.ts';
import {
  createRecipientRecord,
  getRecipient,
  ledgerEntry,
  normalizeOrReject,
  view,
  type InitialConsent,
  type LedgerContext,
} from './recipient-records.ts';
import { changeConsent, changePreferences, hasTombstone, RECIPIENT_ACTOR, tombstoneLifted } from './consent-changes.ts';
import { messageIdForKey } from './ids.ts';
import { sendMessage } from './send.ts';
import { fireTrigger, sendsWelcome } from './journeys.ts';
import type { Journey } from '../schemas/journeys.ts';
import { SLUG } from '../domain/slug.ts';

export { findRecipientByEmail, getRecipient, normalizeOrReject, type InitialConsent, type LedgerContext } from './recipient-records.ts';

/**
 * Creates a recipient (see {@link createRecipientRecord}) and, when asked and the recipient is new, sends the welcome
 * mail that explains how to opt out.
 */
export async function createRecipient(
  deps: Deps,
  input: Omit<RecipientInput, 'welcome'> & { welcome?: boolean },
  ctx: LedgerContext,
  consents: readonly InitialConsent[] = [],
): Promise<{ created: boolean; recipient: Recipient }> {
  const result = await createRecipientRecord(deps, input, ctx, consents);
  if (!result.created) {
    // A repeat of a create whose welcome mail SES did not take (that answer was a 502): the same idempotency key
    // sends it now. A recipient whose welcome went out, or who was never to have one, is sent none.
    if (input.welcome && (await deps.messages.getRecord(messageIdForKey(welcomeKey(result.recipient.id))))?.status === 'failed') {
      await sendMessage(deps, { template: WELCOME_TEMPLATE_ID, to: { recipientId: result.recipient.id }, data: {}, idempotencyKey: welcomeKey(result.recipient.id) });
    }
    return result;
  }
  const id = result.recipient.id;
  // Journeys (issue 19): a new recipient, and each topic they are opted in to from the start, may start one.
  // `welcome: false` asks for no welcome mail: journeys that send it do not take this person.
  const options = { inline: true, ...(input.welcome === false ? { skip: (j: Journey) => sendsWelcome([j]) } : {}) };
  const journeys = await fireTrigger(deps, id, { recipientCreated: true }, options);
  for (const c of consents.filter((x) => x.status === 'opted_in')) journeys.push(...(await fireTrigger(deps, id, { optedIn: c.topic }, options)));
  // A welcome journey sends the welcome mail as its step: never a second one directly.
  if (input.welcome && !sendsWelcome(journeys)) {
    await sendMessage(deps, { template: WELCOME_TEMPLATE_ID, to: { recipientId: id }, data: {}, idempotencyKey: welcomeKey(id) });
  }
  return result;
}

/** The welcome mail's idempotency key: one welcome per recipient, however often its create is sent. */
const welcomeKey = (recipientId: string) => `welcome:${recipientId}`;

/**
 * Suppressions that describe a mailbox stay with the old address (a hard bounce, or ops declaring it dead); those
 * that describe the person's wishes move with them to the new one (a complaint, a marketing suppression).
 */
const MOVES_WITH_PERSON = (s: SuppressionRecord) => s.reason === 'complaint' || (s.reason === 'manual' && s.scope === 'marketing');

/** Rectification of the address: consent history stays with the recipient; see {@link MOVES_WITH_PERSON}. */
async function changeAddress(deps: Deps, agg: RecipientAggregate, email: string, actor: Actor, at: string): Promise<void> {
  const n = normalizeOrReject(email);
  const keys = await deps.keys();
  const hash = addressHash(n.address, keys.addressPepper);
  const old = agg.profile;
  if (hash === old.addressHash) {
    if (n.display !== old.email) await deps.recipients.apply(old.id, { at, profile: { email: n.display }, ledger: [] });
    return;
  }
  // The ledger never holds an address: the change is recorded with both masked.
  const entry = ledgerEntry(keys, { id: old.id, country: old.country }, 'email', maskEmail(old.email), maskEmail(n.display), { source: 'api', actor }, at);
  await deps.recipients.changeAddress(old.id, { addressHash: old.addressHash }, { email: n.display, address: n.address, addressHash: hash }, [entry], at);
  for (const s of (await deps.suppressions.list(old.addressHash)).filter(MOVES_WITH_PERSON)) {
    await deps.suppressions.put(hash, s);
    await deps.suppressions.remove(old.addressHash, s.reason);
  }
}

/** What AttributesSchema allows in one request, and a recipient in all. */
const MAX_ATTRIBUTES = 50;

export async function updateRecipient(deps: Deps, id: string, input: RecipientUpdate, actor: Actor): Promise<Recipient> {
  const agg = await deps.recipients.get(id);
  if (!agg) throw new SendwellError('not_found', `No recipient ${id}.`);
  const keys = await deps.keys();
  const at = deps.clock().toISOString();
  const { email, ...patch } = input;
  if (email !== undefined) await changeAddress(deps, agg, email, actor, at);
  if (Object.keys(patch).length === 0) return getRecipient(deps, id);
  const ledger: LedgerEntry[] = [];
  // A new country can change the jurisdiction, which changes what consent means: that is worth proof.
  if (patch.country !== undefined && patch.country !== agg.profile.country) {
    ledger.push(ledgerEntry(keys, { id, country: patch.country }, 'country', agg.profile.country ?? null, patch.country, { source: 'api', actor }, at));
  }
  const { attributes, ...fields } = patch;
  if (attributes) {
    // `null` takes an attribute away (the API's partial-update rule); the 50 a person may have count after the change.
    const after = new Set(Object.keys(agg.profile.attributes ?? {}));
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null) after.delete(name);
      else after.add(name);
    }
    if (after.size > MAX_ATTRIBUTES) {
      throw new SendwellError('validation_failed', `A recipient has at most ${MAX_ATTRIBUTES} attributes; this change would leave ${after.size}.`, [
        { path: 'attributes', message: `at most ${MAX_ATTRIBUTES} attributes, ${after.size} after this change` },
      ]);
    }
  }
  // In place, attribute by attribute; a profile without the map yet (none is written so) gets it whole.
  const inPlace = attributes && agg.profile.attributes !== undefined;
  const whole = attributes && !inPlace ? { attributes: Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== null)) } : {};
  await deps.recipients.apply(id, { at, profile: { ...fields, ...whole }, ...(inPlace ? { attributes } : {}), ledger });
  return getRecipient(deps, id);
}

/**
 * Opts a recipient in to or out of a topic (services/consent-changes.ts writes it). Where double opt-in applies, an
 * opt-in becomes `pending` and a confirmation mail goes out; it counts only after {@link confirmOptIn}. An import
 * without evidence is refused: it would make someone mailable without proof. An effective opt-in may start a journey.
 */
export async function setConsent(deps: Deps, id: string, topicId: string, change: ConsentChange, actor: Actor, dims: CounterDims = {}): Promise<Recipient> {
  return (await changeTopicConsent(deps, id, topicId, change, actor, dims)).recipient;
}

/** A consent change, and the confirmation mail's outcome where it made the opt-in pending and sent one. */
export interface TopicConsentResult {
  readonly recipient: Recipient;
  readonly confirmation?: SendResult;
}

/** {@link setConsent}, saying what became of the confirmation mail (the preference page tells the person). */
export async function changeTopicConsent(deps: Deps, id: string, topicId: string, change: ConsentChange, actor: Actor, dims: CounterDims = {}): Promise<TopicConsentResult> {
  const topic = await deps.catalog.getTopic(topicId);
  if (!topic) throw new SendwellError('not_found', `No topic ${topicId}.`, [{ path: 'topic', message: 'unknown topic' }]);
  if (change.status === 'opted_in' && change.source === 'import' && !change.evidence?.at) {
    throw new SendwellError('validation_failed', 'An imported opt-in needs its evidence: when and how the person opted in.', [
      { path: 'evidence.at', message: 'required for source "import"' },
    ]);
  }
  if (change.source === 'confirmation') {
    throw new SendwellError('validation_failed', 'Confirmation comes only from the confirm link in the mail.', [{ path: 'source', message: 'not allowed here' }]);
  }
  const agg = await deps.recipients.get(id);
  if (!agg) throw new SendwellError('not_found', `No recipient ${id}.`);
  const { changed, status } = await changeConsent(deps, agg, topic, change, actor, dims);
  if (!changed) return { recipient: await view(deps, agg) };
  // Journeys (issue 19): an effective opt-in may start one; the sweep runs its steps (this may be a recipient page).
  if (status === 'opted_in') await fireTrigger(deps, id, { optedIn: topicId }, { inline: false });
  const confirmation = status === 'pending' ? await sendConfirmation(deps, id, topic) : undefined;
  return { recipient: await getRecipient(deps, id), ...(confirmation ? { confirmation } : {}) };
}

/** The confirmation mail of a pending opt-in (a service mail: `confirmTopic` puts the confirm link in it). */
const sendConfirmation = (deps: Deps, recipientId: string, topic: Pick<Topic, 'id' | 'name'>, idempotencyKey?: string) =>
  sendMessage(deps, { template: CONFIRM_TEMPLATE_ID, to: { recipientId }, data: { topic_name: topic.name }, ...(idempotencyKey ? { idempotencyKey } : {}) }, { confirmTopic: topic.id });

export type ResendOutcome = 'sent' | 'held' | 'not_pending' | 'already_sent';

/**
 * Sends a pending opt-in's confirmation mail again, when the person asks on the preference page (the first went to
 * spam, or SES did not take it): at most one a topic an hour (an idempotency key per hour), so the button cannot be
 * made to mail anyone a stream of them.
 */
export async function resendConfirmation(deps: Deps, recipientId: string, topicId: string): Promise<ResendOutcome> {
  // The id comes from a form: one that cannot be a topic's is not read (nor put in a key).
  if (!SLUG.test(topicId)) return 'not_pending';
  const [agg, topic] = await Promise.all([deps.recipients.get(recipientId), deps.catalog.getTopic(topicId)]);
  if (!agg || !topic || agg.consents[topicId]?.status !== 'pending') return 'not_pending';
  // A key seen before answers its first outcome (`duplicate`); one whose send failed is sent again.
  const result = await sendConfirmation(deps, recipientId, topic, `confirm-again:${recipientId}:${topicId}:${deps.clock().toISOString().slice(0, 13)}`);
  if (result.duplicate) return 'already_sent';
  return result.status === 'sent' ? 'sent' : 'held';
}

export type ConfirmOutcome = 'confirmed' | 'already_confirmed' | 'not_pending' | 'unknown_recipient';

/** Confirms a pending opt-in from the link in the confirmation mail. Idempotent. */
export async function confirmOptIn(
  deps: Deps,
  recipientId: string,
  topicId: string,
  evidence: Evidence,
): Promise<ConfirmOutcome> {
  const agg = await deps.recipients.get(recipientId);
  if (!agg) return 'unknown_recipient';
  const current = agg.consents[topicId];
  if (current?.status === 'opted_in') return 'already_confirmed';
  if (current?.status !== 'pending') return 'not_pending';
  const keys = await deps.keys();
  const at = deps.clock().toISOString();
  const who = { id: recipientId, country: agg.profile.country };
  const ctx = { source: 'confirmation', actor: RECIPIENT_ACTOR, evidence } as const;
  // A confirmed opt-in is the freshest evidence there is: it lifts an erasure tombstone (the ledger's reader does,
  // this is a recipient's page: consent-changes.ts RECIPIENT_ACTOR).
  const lift = await hasTombstone(deps, agg);
  try {
    await deps.recipients.apply(recipientId, {
      at,
      consents: [{ previous: 'pending', next: { topic: topicId, status: 'opted_in', updatedAt: at, confirmedAt: at, source: 'confirmation' } }],
      ledger: [ledgerEntry(keys, who, `topic:${topicId}`, 'pending', 'opted_in', ctx, at), ...(lift ? [tombstoneLifted(keys, who, ctx, at)] : [])],
    });
  } catch (e) {
    if (!(e instanceof SendwellError) || e.code !== 'conflict') throw e;
    // Confirmed (or changed) meanwhile: a second click of the button, or a second tab. Say what holds now.
    const again = await deps.recipients.get(recipientId);
    if (!again) return 'unknown_recipient';
    return again.consents[topicId]?.status === 'opted_in' ? 'already_confirmed' : 'not_pending';
  }
  await fireTrigger(deps, recipientId, { optedIn: topicId }, { inline: false });
  return 'confirmed';
}

/** "Unsubscribe from all marketing", tracking consent and "do not sell or share" (services/consent-changes.ts). */
export async function setPreferences(deps: Deps, id: string, change: PreferencesChange, actor: Actor, dims: CounterDims = {}): Promise<Recipient> {
  const agg = await deps.recipients.get(id);
  if (!agg) throw new SendwellError('not_found', `No recipient ${id}.`);
  await changePreferences(deps, agg, change, actor, dims);
  return getRecipient(deps, id);
}

export async function getLedger(deps: Deps, id: string, cursor?: string) {
  const agg = await deps.recipients.get(id);
  if (!agg) throw new SendwellError('not_found', `No recipient ${id}.`);
  return deps.recipients.ledger(id, 500, cursor);
}


/**
 * Recipients and their consent: create (merging duplicates), read, update, change consent with its ledger entry,
 * preferences, double opt-in (confirmation mail, confirm), and the welcome mail.
 */
import type { ConsentStatus } from '../domain/decide.ts';
import { addressHash, maskEmail } from '../domain/email-address.ts';
import { SendwellError } from '../domain/errors.ts';
import { jurisdictionFor } from '../domain/jurisdiction.ts';
import { CONFIRM_TEMPLATE_ID, WELCOME_TEMPLATE_ID } from '../domain/system-templates.ts';
import type { CounterDims } from '../adapters/dynamo/counters.ts';
import type { RecipientAggregate } from '../adapters/dynamo/recipient-store.ts';
import type { Evidence } from '../schemas/fields.ts';
import type { ConsentChange, LedgerEntry, PreferencesChange, Recipient, RecipientInput, RecipientUpdate, SuppressionRecord } from '../schemas/model.ts';
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
import { sendMessage } from './send.ts';
import { fireTrigger, sendsWelcome } from './journeys.ts';
import type { Journey } from '../schemas/journeys.ts';

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
  if (!result.created) return result;
  const id = result.recipient.id;
  // Journeys (issue 19): a new recipient, and each topic they are opted in to from the start, may start one.
  // `welcome: false` asks for no welcome mail: journeys that send it do not take this person.
  const options = { inline: true, ...(input.welcome === false ? { skip: (j: Journey) => sendsWelcome([j]) } : {}) };
  const journeys = await fireTrigger(deps, id, { recipientCreated: true }, options);
  for (const c of consents.filter((x) => x.status === 'opted_in')) journeys.push(...(await fireTrigger(deps, id, { optedIn: c.topic }, options)));
  // A welcome journey sends the welcome mail as its step: never a second one directly.
  if (input.welcome && !sendsWelcome(journeys)) {
    await sendMessage(deps, { template: WELCOME_TEMPLATE_ID, to: { recipientId: id }, data: {}, idempotencyKey: `welcome:${id}` });
  }
  return result;
}

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
  await deps.recipients.apply(id, {
    at,
    profile: {
      ...patch,
      ...(patch.attributes ? { attributes: { ...agg.profile.attributes, ...patch.attributes } } : {}),
    },
    ledger,
  });
  return getRecipient(deps, id);
}

/** The status a requested opt-in becomes: `pending` where confirmation is required and not yet given. */
function needsConfirmation(agg: RecipientAggregate, topicDoubleOptIn: boolean): boolean {
  return topicDoubleOptIn || jurisdictionFor(agg.profile.country).requiresDoubleOptIn;
}

/**
 * Opts a recipient in to or out of a topic. Where double opt-in applies, an opt-in becomes `pending` and a
 * confirmation mail goes out; it counts only after {@link confirmOptIn}. An import without evidence is refused:
 * it would make someone mailable without proof. An opt-out that changes something is counted as an unsubscribe by
 * source, in the topic's series and in `dims.campaign`'s when the change came from a campaign's mail.
 */
export async function setConsent(deps: Deps, id: string, topicId: string, change: ConsentChange, actor: Actor, dims: CounterDims = {}): Promise<Recipient> {
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

  for (let attempt = 0; ; attempt++) {
    const agg = await deps.recipients.get(id);
    if (!agg) throw new SendwellError('not_found', `No recipient ${id}.`);
    const current = agg.consents[topicId];
    const pending = change.status === 'opted_in' && needsConfirmation(agg, topic.doubleOptIn);
    const nextStatus: ConsentStatus = change.status === 'opted_out' ? 'opted_out' : pending ? 'pending' : 'opted_in';
    // Already where the request wants it: nothing to write. (An opt-in already confirmed stays confirmed.)
    if (current?.status === nextStatus && nextStatus !== 'pending') return view(deps, agg);
    if (current?.status === 'opted_in' && nextStatus === 'pending') return view(deps, agg);

    const keys = await deps.keys();
    const at = deps.clock().toISOString();
    const ctx: LedgerContext = { source: change.source, actor, ...(change.evidence ? { evidence: change.evidence } : {}) };
    const who = { id, country: agg.profile.country };
    // An erasure tombstone on this address is lifted only by a fresh, explicit opt-in that carries its evidence.
    const liftTombstone =
      change.status === 'opted_in' && change.evidence?.at !== undefined &&
      (await deps.suppressions.list(agg.profile.addressHash)).some((s) => s.reason === 'erased');
    try {
      await deps.recipients.apply(id, {
        at,
        consents: [{ previous: current?.status, next: { topic: topicId, status: nextStatus, updatedAt: at, source: change.source } }],
        ledger: [
          ledgerEntry(keys, who, `topic:${topicId}`, current?.status ?? null, nextStatus, ctx, at),
          ...(liftTombstone ? [ledgerEntry(keys, who, 'suppression:erased', 'active', 'lifted', { ...ctx, note: 'fresh opt-in with evidence after erasure' }, at)] : []),
        ],
      });
    } catch (e) {
      if (attempt < 2 && e instanceof SendwellError && e.code === 'conflict') continue;
      throw e;
    }
    if (liftTombstone) await deps.suppressions.remove(agg.profile.addressHash, 'erased');
    if (nextStatus === 'opted_out') await countUnsubscribe(deps, at, change.source, { ...dims, topic: topicId });
    // Journeys (issue 19): an effective opt-in may start one; the sweep runs its steps (this may be a recipient page).
    if (nextStatus === 'opted_in') await fireTrigger(deps, id, { optedIn: topicId }, { inline: false });
    if (nextStatus === 'pending') {
      await sendMessage(
        deps,
        { template: CONFIRM_TEMPLATE_ID, to: { recipientId: id }, data: { topic_name: topic.name } },
        { confirmTopic: topicId },
      );
    }
    return getRecipient(deps, id);
  }
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
  await deps.recipients.apply(recipientId, {
    at,
    consents: [{ previous: 'pending', next: { topic: topicId, status: 'opted_in', updatedAt: at, confirmedAt: at, source: 'confirmation' } }],
    ledger: [ledgerEntry(keys, { id: recipientId, country: agg.profile.country }, `topic:${topicId}`, 'pending', 'opted_in', { source: 'confirmation', actor: 'recipient', evidence }, at)],
  });
  await fireTrigger(deps, recipientId, { optedIn: topicId }, { inline: false });
  return 'confirmed';
}

/**
 * Counts one unsubscribe that changed something (`unsubscribed`, `unsubscribed_<source>`): the figure ops read by
 * source (link, one-click, preference page, complaint, mailto, api…).
 */
async function countUnsubscribe(deps: Deps, at: string, source: string, dims: CounterDims): Promise<void> {
  await deps.messages.count(at, { unsubscribed: 1, [`unsubscribed_${source}`]: 1 }, dims);
}

/**
 * "Unsubscribe from all marketing", tracking consent and "do not sell or share", each ledgered. Turning
 * "unsubscribe from all" on counts an unsubscribe, in the series of `dims` (the topic and campaign of the mail it came
 * from, when known).
 */
export async function setPreferences(deps: Deps, id: string, change: PreferencesChange, actor: Actor, dims: CounterDims = {}): Promise<Recipient> {
  const agg = await deps.recipients.get(id);
  if (!agg) throw new SendwellError('not_found', `No recipient ${id}.`);
  const keys = await deps.keys();
  const at = deps.clock().toISOString();
  const ctx: LedgerContext = { source: change.source, actor, ...(change.evidence ? { evidence: change.evidence } : {}) };
  const p = agg.profile;
  const who = { id, country: p.country };
  const ledger: LedgerEntry[] = [];
  const profile: { unsubscribedAll?: boolean; tracking?: boolean; doNotSell?: boolean } = {};
  const str = (v: boolean | undefined) => (v === undefined ? null : String(v));
  if (change.unsubscribedAll !== undefined && change.unsubscribedAll !== p.unsubscribedAll) {
    profile.unsubscribedAll = change.unsubscribedAll;
    ledger.push(ledgerEntry(keys, who, 'unsubscribed_all', str(p.unsubscribedAll), str(change.unsubscribedAll), ctx, at));
  }
  if (change.tracking !== undefined && change.tracking !== p.tracking) {
    profile.tracking = change.tracking;
    ledger.push(ledgerEntry(keys, who, 'tracking', str(p.tracking), str(change.tracking), ctx, at));
  }
  if (change.doNotSell !== undefined && change.doNotSell !== p.doNotSell) {
    profile.doNotSell = change.doNotSell;
    ledger.push(ledgerEntry(keys, who, 'do_not_sell', str(p.doNotSell), str(change.doNotSell), ctx, at));
  }
  if (ledger.length > 0) await deps.recipients.apply(id, { at, profile, ledger });
  if (profile.unsubscribedAll === true) await countUnsubscribe(deps, at, change.source, dims);
  return getRecipient(deps, id);
}

export async function getLedger(deps: Deps, id: string, cursor?: string) {
  const agg = await deps.recipients.get(id);
  if (!agg) throw new SendwellError('not_found', `No recipient ${id}.`);
  return deps.recipients.ledger(id, 500, cursor);
}


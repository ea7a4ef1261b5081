/**
 * What recipients do from their mail, with nothing but a signed token, besides unsubscribing (services/unsubscribe.ts):
 * the preference page (topics, all marketing, tracking, do not sell or share,
 * Global Privacy Control). Each change goes through the same consent services as the admin API, so it is ledgered
 * the same way, with `actor: 'recipient'` and the page's evidence.
 */
import type { ConsentStatus } from '../domain/decide.ts';
import { SendwellError } from '../domain/errors.ts';
import type { Evidence } from '../schemas/fields.ts';
import type { Recipient, Topic } from '../schemas/model.ts';
import type { Deps } from './deps.ts';
import { changeConsent, changePreferences, RECIPIENT_ACTOR, type ConsentDeps } from './consent-changes.ts';
import { toRecipient } from './recipient-view.ts';
import { changeTopicConsent } from './recipients.ts';

export interface PreferenceView {
  /** What the page shows of the person (suppressions are not shown, so not read). */
  readonly recipient: Pick<Recipient, 'email' | 'unsubscribedAll' | 'tracking' | 'doNotSell' | 'doNotSellChoice' | 'consents'>;
  readonly topics: ReadonlyArray<Topic & { readonly status: ConsentStatus | 'none' }>;
}

/** The person's items and the topics, read at once: two reads, nothing else. */
export async function preferenceView(deps: Pick<Deps, 'recipients' | 'catalog'>, recipientId: string): Promise<PreferenceView | undefined> {
  const [agg, topics] = await Promise.all([deps.recipients.get(recipientId), deps.catalog.listTopics()]);
  if (!agg) return undefined;
  const recipient = toRecipient(agg, []);
  return { recipient, topics: topics.map((t) => ({ ...t, status: recipient.consents[t.id]?.status ?? ('none' as const) })) };
}

/** What the form said; a setting absent here was not on the form posted and stays as it is. */
export interface PreferenceForm {
  /** Topic id → ticked or not, for the topics the form carried. */
  readonly topics: Readonly<Record<string, boolean>>;
  readonly unsubscribedAll?: boolean;
  readonly tracking?: boolean;
  readonly doNotSell?: boolean;
}

export interface SaveResult {
  readonly changes: readonly string[];
  /** Topics whose opt-in waits for the confirmation mail just sent. */
  readonly pending: readonly string[];
  /** Topics whose opt-in waits for a confirmation mail that could not be sent just now (SES did not take it). */
  readonly unsent: readonly string[];
  /** Topics whose confirmation mail is held: this address takes no mail (a hard bounce on record). */
  readonly undeliverable: readonly string[];
}

/**
 * Applies the preference form: only settings the form carried and that differ from the stored state are changed
 * (and ledgered). While the request carries Global Privacy Control, do-not-sell cannot be turned off.
 */
export async function savePreferences(deps: Deps, recipientId: string, form: PreferenceForm, evidence: Evidence, gpc: boolean): Promise<SaveResult> {
  const view = await preferenceView(deps, recipientId);
  if (!view) return { changes: [], pending: [], unsent: [], undeliverable: [] };
  const changes: string[] = [];
  const pending: string[] = [];
  const unsent: string[] = [];
  const undeliverable: string[] = [];
  for (const topic of view.topics) {
    const wants = form.topics[topic.id];
    if (wants === undefined) continue;
    const has = topic.status === 'opted_in' || topic.status === 'pending';
    if (wants === has) continue;
    const outcome = wants ? await optIn(deps, recipientId, topic, evidence) : { status: await optOut(deps, recipientId, topic, evidence) };
    const status = outcome.status;
    if (status === undefined) break;
    if (status === 'pending') {
      const mail = 'confirmation' in outcome ? outcome.confirmation : undefined;
      (mail === 'sent' ? pending : mail === 'unsent' ? unsent : undeliverable).push(topic.name);
      changes.push(`${topic.name}: ${mail === 'sent' ? 'confirmation mail sent' : 'waiting for your confirmation'}`);
    } else {
      changes.push(`${topic.name}: ${wants ? 'subscribed' : 'unsubscribed'}`);
    }
  }
  // With Global Privacy Control on, "do not sell or share" stays on whatever the form says: the signal is the request.
  const doNotSell = gpc ? (form.doNotSell === undefined ? undefined : true) : form.doNotSell;
  const r = view.recipient;
  const prefs = {
    ...(form.unsubscribedAll !== undefined && form.unsubscribedAll !== r.unsubscribedAll ? { unsubscribedAll: form.unsubscribedAll } : {}),
    ...(form.tracking !== undefined && form.tracking !== r.tracking ? { tracking: form.tracking } : {}),
    ...(doNotSell !== undefined && doNotSell !== r.doNotSell ? { doNotSell } : {}),
  };
  const agg = Object.keys(prefs).length > 0 ? await deps.recipients.get(recipientId) : undefined;
  if (agg) {
    await changePreferences(deps, agg, { ...prefs, source: 'preference_page', evidence }, RECIPIENT_ACTOR);
    if (prefs.unsubscribedAll !== undefined) changes.push(prefs.unsubscribedAll ? 'unsubscribed from all marketing' : 'marketing you chose is back on');
    if (prefs.tracking !== undefined) changes.push(prefs.tracking ? 'open and click tracking on' : 'open and click tracking off');
    if (prefs.doNotSell !== undefined) changes.push(prefs.doNotSell ? 'your information will not be sold or shared' : 'sharing allowed');
  }
  return { changes, pending, unsent, undeliverable };
}

/** A `Sec-GPC: 1` request: record "do not sell or share" unless it is already on. */
export async function honorGpc(deps: ConsentDeps, recipientId: string, evidence: Evidence): Promise<boolean> {
  const agg = await deps.recipients.get(recipientId);
  if (!agg || agg.profile.doNotSell === true) return false;
  await changePreferences(deps, agg, { doNotSell: true, source: 'gpc', evidence }, RECIPIENT_ACTOR);
  return true;
}

/**
 * A ticked topic, with all an opt-in sets off (a confirmation mail, a journey: services/recipients.ts), and what became
 * of the confirmation mail. SES not taking it leaves the opt-in pending (written before the mail) and the rest of the
 * form to save: the page says so and offers to send it again.
 */
async function optIn(deps: Deps, recipientId: string, topic: Topic, evidence: Evidence): Promise<{ status: ConsentStatus | undefined; confirmation?: 'sent' | 'unsent' | 'held' }> {
  try {
    const after = await changeTopicConsent(deps, recipientId, topic.id, { status: 'opted_in', source: 'preference_page', evidence }, RECIPIENT_ACTOR);
    const status = after.recipient.consents[topic.id]?.status;
    if (!after.confirmation) return { status };
    return { status, confirmation: after.confirmation.status === 'sent' ? 'sent' : 'held' };
  } catch (e) {
    if (!(e instanceof SendwellError) || e.code !== 'bad_gateway') throw e;
    return { status: 'pending', confirmation: 'unsent' };
  }
}

/**
 * An unticked topic: the same consent change as the unsubscribe page's, on the person read again (a change before may
 * have moved them), without reading back the whole recipient view (suppressions, settings, engagement) after it.
 */
async function optOut(deps: ConsentDeps, recipientId: string, topic: Topic, evidence: Evidence): Promise<ConsentStatus | undefined> {
  const agg = await deps.recipients.get(recipientId);
  if (!agg) return undefined;
  return (await changeConsent(deps, agg, topic, { status: 'opted_out', source: 'preference_page', evidence }, RECIPIENT_ACTOR)).status;
}

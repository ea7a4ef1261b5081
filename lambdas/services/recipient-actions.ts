/**
 * What recipients do from their mail, with nothing but a signed token, besides unsubscribing (services/unsubscribe.ts):
 * the preference page (topics, all marketing, tracking, do not sell or share,
 * Global Privacy Control). Each change goes through the same consent services as the admin API, so it is ledgered
 * the same way, with `actor: 'recipient'` and the page's evidence.
 */
import type { ConsentStatus } from '../domain/decide.ts';
import type { Evidence } from '../schemas/fields.ts';
import type { Recipient, Topic } from '../schemas/model.ts';
import type { Deps } from './deps.ts';
import { getRecipient } from './recipient-records.ts';
import { setConsent, setPreferences } from './recipients.ts';

export interface PreferenceView {
  readonly recipient: Recipient;
  readonly topics: ReadonlyArray<Topic & { readonly status: ConsentStatus | 'none' }>;
}

export async function preferenceView(deps: Deps, recipientId: string): Promise<PreferenceView | undefined> {
  const recipient = await getRecipient(deps, recipientId).catch(() => undefined);
  if (!recipient) return undefined;
  const topics = (await deps.catalog.listTopics()).map((t) => ({ ...t, status: recipient.consents[t.id]?.status ?? ('none' as const) }));
  return { recipient, topics };
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
}

/**
 * Applies the preference form: only settings the form carried and that differ from the stored state are changed
 * (and ledgered). While the request carries Global Privacy Control, do-not-sell cannot be turned off.
 */
export async function savePreferences(deps: Deps, recipientId: string, form: PreferenceForm, evidence: Evidence, gpc: boolean): Promise<SaveResult> {
  const view = await preferenceView(deps, recipientId);
  if (!view) return { changes: [], pending: [] };
  const changes: string[] = [];
  const pending: string[] = [];
  for (const topic of view.topics) {
    const wants = form.topics[topic.id];
    if (wants === undefined) continue;
    const has = topic.status === 'opted_in' || topic.status === 'pending';
    if (wants === has) continue;
    const after = await setConsent(deps, recipientId, topic.id, { status: wants ? 'opted_in' : 'opted_out', source: 'preference_page', evidence }, 'recipient');
    const status = after.consents[topic.id]?.status;
    if (status === 'pending') pending.push(topic.name);
    changes.push(`${topic.name}: ${status === 'pending' ? 'confirmation mail sent' : wants ? 'subscribed' : 'unsubscribed'}`);
  }
  // With Global Privacy Control on, "do not sell or share" stays on whatever the form says: the signal is the request.
  const doNotSell = gpc ? (form.doNotSell === undefined ? undefined : true) : form.doNotSell;
  const r = view.recipient;
  const prefs = {
    ...(form.unsubscribedAll !== undefined && form.unsubscribedAll !== r.unsubscribedAll ? { unsubscribedAll: form.unsubscribedAll } : {}),
    ...(form.tracking !== undefined && form.tracking !== r.tracking ? { tracking: form.tracking } : {}),
    ...(doNotSell !== undefined && doNotSell !== r.doNotSell ? { doNotSell } : {}),
  };
  if (Object.keys(prefs).length > 0) {
    await setPreferences(deps, recipientId, { ...prefs, source: 'preference_page', evidence }, 'recipient');
    if (prefs.unsubscribedAll !== undefined) changes.push(prefs.unsubscribedAll ? 'unsubscribed from all marketing' : 'marketing you chose is back on');
    if (prefs.tracking !== undefined) changes.push(prefs.tracking ? 'open and click tracking on' : 'open and click tracking off');
    if (prefs.doNotSell !== undefined) changes.push(prefs.doNotSell ? 'your information will not be sold or shared' : 'sharing allowed');
  }
  return { changes, pending };
}

/** A `Sec-GPC: 1` request: record "do not sell or share" unless it is already on. */
export async function honorGpc(deps: Deps, recipientId: string, evidence: Evidence): Promise<boolean> {
  const view = await preferenceView(deps, recipientId);
  if (!view || view.recipient.doNotSellChoice === true) return false;
  await setPreferences(deps, recipientId, { doNotSell: true, source: 'gpc', evidence }, 'recipient');
  return true;
}

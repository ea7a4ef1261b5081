/**
 * Unsubscribing from a mail with nothing but its signed token: the page's buttons, the one-click POST of RFC 8058, a
 * `mailto:` request. Ledgered like any consent change (services/consent-changes.ts), with `actor: 'recipient'` and the
 * request's evidence. Nothing here can opt anyone in, so none of what an opt-in sets off is loaded.
 */
import type { Evidence } from '../schemas/fields.ts';
import type { Topic } from '../schemas/model.ts';
import { changeConsent, changePreferences, type ConsentDeps } from './consent-changes.ts';
import { dimsOf, type Deps } from './deps.ts';

export type UnsubscribeScope = 'topic' | 'all';

/** What an unsubscribe needs: the consent writes, and the message it came from (for its series). */
export type UnsubscribeDeps = ConsentDeps & { readonly messages: Pick<Deps['messages'], 'getRecord' | 'count'> };

/**
 * Unsubscribes the token's recipient from the token's topic, or from all marketing (also when the topic no longer
 * exists: the caller passes the topic record it already loaded, or none). Idempotent; an unknown recipient (erased
 * since) is a no-op: there is nobody left to mail. With the token's `messageId`, the unsubscribe is also counted in the
 * series of that message's topic and campaign.
 */
export async function unsubscribe(
  deps: UnsubscribeDeps,
  target: { recipientId: string; topic?: Topic | undefined; messageId?: string | undefined },
  scope: UnsubscribeScope,
  source: 'one_click' | 'link' | 'mailto',
  evidence: Evidence,
): Promise<'unsubscribed' | 'unknown_recipient'> {
  const [agg, message] = await Promise.all([
    deps.recipients.get(target.recipientId),
    target.messageId ? deps.messages.getRecord(target.messageId) : undefined,
  ]);
  if (!agg) return 'unknown_recipient';
  // The token binds the message to this recipient; a record that says otherwise is not theirs to count under.
  const dims = message?.recipientId === target.recipientId ? dimsOf(message) : {};
  // The person as just read: a repeat (mail clients post one-click more than once) writes nothing and reads no more.
  if (scope === 'all' || !target.topic) await changePreferences(deps, agg, { unsubscribedAll: true, source, evidence }, 'recipient', dims);
  else await changeConsent(deps, agg, target.topic, { status: 'opted_out', source, evidence }, 'recipient', dims);
  return 'unsubscribed';
}

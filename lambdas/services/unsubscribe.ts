/**
 * Unsubscribing from a mail with nothing but its signed token: the page's buttons, the one-click POST of RFC 8058, a
 * `mailto:` request. Ledgered like any consent change (services/consent-changes.ts), with `actor: 'recipient'` and the
 * request's evidence. Nothing here can opt anyone in, so none of what an opt-in sets off is loaded.
 */
import type { Evidence } from '../schemas/fields.ts';
import type { Topic } from '../schemas/model.ts';
import { changeConsent, changePreferences, RECIPIENT_ACTOR, type ConsentDeps } from './consent-changes.ts';
import { dimsOf, type Deps } from './deps.ts';

export type UnsubscribeScope = 'topic' | 'all';

/** What an unsubscribe needs: the consent writes, the topic, and the message it came from (for its series). */
export type UnsubscribeDeps = ConsentDeps & {
  readonly messages: Pick<Deps['messages'], 'getRecord' | 'count'>;
  readonly catalog: Pick<Deps['catalog'], 'getTopic'>;
};

export interface Unsubscribed {
  readonly outcome: 'unsubscribed' | 'unknown_recipient';
  /** The token's topic, when it still exists (for the page to name it). */
  readonly topic?: Topic;
}

/**
 * Unsubscribes the token's recipient from the token's topic, or from all marketing (also when the topic no longer
 * exists). Idempotent; an unknown recipient (erased since) is a no-op: there is nobody left to mail. With the token's
 * `messageId`, the unsubscribe is also counted in the series of that message's topic and campaign. The person, the
 * topic and the message are read at once, and only once: a repeat (mail clients post one-click more than once) is
 * those reads and nothing else.
 */
export async function unsubscribe(
  deps: UnsubscribeDeps,
  target: { readonly recipientId: string; readonly topicId?: string | undefined; readonly messageId?: string | undefined },
  scope: UnsubscribeScope,
  source: 'one_click' | 'link' | 'mailto',
  evidence: Evidence,
): Promise<Unsubscribed> {
  const [agg, topic, message] = await Promise.all([
    deps.recipients.get(target.recipientId),
    target.topicId ? deps.catalog.getTopic(target.topicId) : undefined,
    target.messageId ? deps.messages.getRecord(target.messageId) : undefined,
  ]);
  const found = topic ? { topic } : {};
  if (!agg) return { outcome: 'unknown_recipient', ...found };
  // The token binds the message to this recipient; a record that says otherwise is not theirs to count under.
  const dims = message?.recipientId === target.recipientId ? dimsOf(message) : {};
  if (scope === 'all' || !topic) await changePreferences(deps, agg, { unsubscribedAll: true, source, evidence }, RECIPIENT_ACTOR, dims);
  else await changeConsent(deps, agg, topic, { status: 'opted_out', source, evidence }, RECIPIENT_ACTOR, dims);
  return { outcome: 'unsubscribed', ...found };
}

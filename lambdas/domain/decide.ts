/**
 * The send decision: given what we know about a recipient, does this message go out or is it held, and why.
 * It implements the table "The rule: who gets what" in DESIGN.md and nothing else. It is made again at the moment
 * of sending, so it must be cheap and must not read anything but its arguments.
 */
import { capsFor, overCap, quietUntil, type FrequencyCap, type QuietHours } from './delivery-timing.ts';
import { jurisdictionFor } from './jurisdiction.ts';
// Types only: the schemas (lambdas/schemas/decision.ts) are zod, and the rule loads no validation library.
import type { MessageClass, HoldReason, ConsentStatus, TopicConsent, Suppression, SuppressionReason, RecipientState, DecisionMessage } from '../schemas/decision.ts';

export type { MessageClass, HoldReason, ConsentStatus, TopicConsent, Suppression, SuppressionReason, RecipientState, DecisionMessage };

/**
 * Every reason a message can be held, in precedence order: when several apply, the first one is reported.
 * The order goes from what the address can no longer receive, through what the person or their mailbox
 * provider said about all marketing, to what is specific to one topic. The reason shown should be the one a
 * change of consent could not undo: telling ops "not opted in" for an address that complained would invite
 * exactly the wrong fix. `bouncing` (repeated transient bounces) comes after the lasting suppressions because it
 * expires on its own. `frequency_capped` (the recipient had their share of marketing in the cap's window) comes after
 * every consent reason: it is about timing, not about what the person wants. `marketing_paused` is last: it is no fact about the recipient but the stage's auto-pause
 * (docs/operations.md), reported only for mail that would otherwise have gone out, so its count is exactly the mail
 * the pause held back.
 */
export const HOLD_REASONS = [
  'erased',
  'undeliverable',
  'complained',
  'suppressed',
  'bouncing',
  'unsubscribed_all',
  'opted_out',
  'pending_confirmation',
  'not_opted_in',
  'frequency_capped',
  'marketing_paused',
] as const;
/** Every reason a suppression record can have (lambdas/schemas/decision.ts `SuppressionSchema` fixes each one's scope). */
export const SUPPRESSION_REASONS = ['hard_bounce', 'complaint', 'manual', 'erased', 'soft_bounce'] as const;

/**
 * When marketing may go out for this recipient (quiet hours, frequency caps). Service mail never reads it.
 */
export interface DecisionTiming {
  /** The recipient's IANA zone (`recipientTimeZone`): quiet hours are read in it. */
  readonly timeZone: string;
  readonly quietHours?: QuietHours | undefined;
  /** The stage's cap and the topic's stricter one; every cap must allow one more mail. */
  readonly stageCap?: FrequencyCap | undefined;
  readonly topicCap?: FrequencyCap | undefined;
  /** When the recipient's earlier marketing mails were sent (epoch ms), as far back as the longest cap. */
  readonly marketingSentAt?: readonly number[] | undefined;
}

/** What holds mail whoever the recipient is: the stage's marketing auto-pause, and the stage's timing rules. */
export interface DecisionContext {
  /** Marketing is paused (auto-pause on bounce or complaint rate, or by ops); service mail is never affected. */
  readonly marketingPaused?: boolean;
  /** Quiet hours and frequency caps; absent: none apply. */
  readonly timing?: DecisionTiming | undefined;
}

export type Decision =
  | { readonly action: 'send' }
  | { readonly action: 'hold'; readonly reason: HoldReason }
  /** Marketing inside the recipient's quiet hours: not dropped, sent at `until` (decided again then). */
  | { readonly action: 'defer'; readonly until: string };

const SEND: Decision = { action: 'send' };

/**
 * Decides whether `message` may go to `recipient` at `now`.
 *
 * Service mail is held only when the address cannot receive mail (`undeliverable`: a hard bounce or an all-scope
 * manual suppression), or when the person was erased and the caller did not supply the address again (`erased`).
 * Marketing is held for the first reason that applies, in {@link HOLD_REASONS} order:
 * `erased` > `undeliverable` > `complained` > `suppressed` > `bouncing` > `unsubscribed_all` > `opted_out` >
 * `pending_confirmation` > `not_opted_in` > `frequency_capped` > `marketing_paused`. It goes out only with an
 * `opted_in` consent for that exact topic, confirmed where the recipient's jurisdiction requires double opt-in, and
 * while marketing is not paused (`context.marketingPaused`). A marketing message with no topic has no consent to
 * find, so it is held as `not_opted_in`.
 *
 * Timing (`context.timing`, marketing only, never a test send): inside the recipient's quiet hours (read in their own
 * zone) marketing the person may receive is **deferred** to the end of the quiet hours — decided again then, so the
 * cap is judged at the moment it really goes; outside them, a mail that would exceed a frequency cap is held as
 * `frequency_capped`. Service mail is never deferred, capped or counted.
 *
 * A suppression with `expiresAt` is lifted only once `now` is provably past it; an unreadable date keeps it.
 *
 * @example
 * const jane = RecipientStateSchema.parse({ country: 'US', consents: { news: { status: 'opted_in' } } });
 * decide(jane, { class: 'marketing', topic: 'news' }, new Date())   // { action: 'send' }
 * decide(jane, { class: 'marketing', topic: 'offers' }, new Date()) // { action: 'hold', reason: 'not_opted_in' }
 * decide({ ...jane, suppressions: [{ reason: 'complaint', scope: 'marketing' }] }, { class: 'service' }, new Date())
 * // { action: 'send' }: a complaint never blocks service mail
 * decide(jane, { class: 'marketing', topic: 'news' }, new Date(), { marketingPaused: true })
 * // { action: 'hold', reason: 'marketing_paused' }
 * decide(jane, { class: 'marketing', topic: 'news' }, new Date('2026-12-05T23:00:00Z'),
 *   { timing: { timeZone: 'UTC', quietHours: { start: '21:00', end: '08:00' } } })
 * // { action: 'defer', until: '2026-12-06T08:00:00.000Z' }
 */
export function decide(recipient: RecipientState, message: DecisionMessage, now: Date, context: DecisionContext = {}): Decision {
  const active = recipient.suppressions.filter((s) => isActive(s, now));
  const has = (pred: (s: Suppression) => boolean) => active.some(pred);
  const erased = recipient.erased || has((s) => s.reason === 'erased');
  const undeliverable = has((s) => s.reason === 'hard_bounce' || (s.reason === 'manual' && s.scope === 'all'));

  if (message.class === 'service') {
    if (erased && message.addressSuppliedByCaller !== true) return hold('erased');
    if (undeliverable) return hold('undeliverable');
    return SEND;
  }

  if (erased) return hold('erased');
  if (undeliverable) return hold('undeliverable');
  if (has((s) => s.reason === 'complaint')) return hold('complained');
  if (has((s) => s.reason === 'manual' && s.scope === 'marketing')) return hold('suppressed');
  if (has((s) => s.reason === 'soft_bounce')) return hold('bouncing');
  if (recipient.unsubscribedAll) return hold('unsubscribed_all');

  const topic = message.topic;
  // Own properties only: a topic named `constructor` must not find Object.prototype's.
  const consent = topic !== undefined && Object.hasOwn(recipient.consents, topic) ? recipient.consents[topic] : undefined;
  if (consent?.status === 'opted_out') return hold('opted_out');
  if (message.test !== true) {
    if (consent === undefined) return hold('not_opted_in');
    if (consent.status === 'pending') return hold('pending_confirmation');
    // An unconfirmed `opted_in` should not exist where confirmation is required; if it does, it does not count.
    if (consent.confirmedAt === undefined && jurisdictionFor(recipient.country).requiresDoubleOptIn) {
      return hold('pending_confirmation');
    }
  }
  const timing = message.test === true ? undefined : context.timing;
  if (timing?.quietHours) {
    const until = quietUntil(now, timing.timeZone, timing.quietHours);
    if (until) return { action: 'defer', until: until.toISOString() };
  }
  if (timing && overCap(timing.marketingSentAt ?? [], now, capsFor(timing.stageCap, timing.topicCap))) return hold('frequency_capped');
  if (context.marketingPaused === true) return hold('marketing_paused');
  return SEND;
}

/**
 * Whether opens and clicks may be tracked for this recipient: their own choice, else their jurisdiction's default.
 * Never for an erased person.
 *
 * @example
 * trackingAllowed(RecipientStateSchema.parse({ country: 'US' }))                  // true
 * trackingAllowed(RecipientStateSchema.parse({ country: 'FR' }))                  // false
 * trackingAllowed(RecipientStateSchema.parse({ country: 'FR', tracking: true }))  // true
 */
export function trackingAllowed(recipient: Pick<RecipientState, 'erased' | 'tracking' | 'country'>): boolean {
  if (recipient.erased) return false;
  return recipient.tracking ?? jurisdictionFor(recipient.country).trackingDefault;
}

/**
 * Whether this recipient's data may be sold or shared with partners: not if they said "do not sell or share",
 * else their jurisdiction's default. Never for an erased person.
 *
 * @example
 * sharingAllowed(RecipientStateSchema.parse({ country: 'US' }))                   // true
 * sharingAllowed(RecipientStateSchema.parse({ country: 'US', doNotSell: true }))  // false
 */
export function sharingAllowed(recipient: Pick<RecipientState, 'country' | 'doNotSell'> & { readonly erased?: boolean }): boolean {
  if (recipient.erased) return false;
  return recipient.doNotSell === undefined ? jurisdictionFor(recipient.country).sharingDefault : !recipient.doNotSell;
}

function hold(reason: HoldReason): Decision {
  return { action: 'hold', reason };
}

function isActive(s: Suppression, now: Date): boolean {
  if (s.expiresAt === undefined) return true;
  // Written so that NaN on either side (an unreadable date) keeps the suppression: lifting it must be proven.
  return !(Date.parse(s.expiresAt) <= now.getTime());
}

/**
 * What partners are told: every consent, unsubscribe, do-not-sell-or-share and erasure change, as a small event,
 * and how a partner checks that it came from us. The signature header is `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">` with the partner's own secret: the timestamp lets a partner refuse replays.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const PARTNER_EVENT_TYPES = ['consent.changed', 'marketing.unsubscribed_all', 'sharing.changed', 'tracking.changed', 'recipient.erased'] as const;
export type PartnerEventType = (typeof PARTNER_EVENT_TYPES)[number];

export interface PartnerEvent {
  /** Stable per change: the same change relayed twice has the same id (partners deduplicate by it). */
  readonly id: string;
  readonly type: PartnerEventType;
  readonly at: string;
  readonly recipientId: string;
  readonly topic?: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly source: string;
  /** Only for partners configured to receive addresses, and only while the recipient exists. */
  readonly email?: string;
  readonly externalId?: string;
}

/** The ledger fields an event is made from (a ledger entry as stored). */
export interface LedgerChange {
  readonly at: string;
  readonly recipientId: string;
  readonly subject: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly source: string;
}

/**
 * Whether an event asks the partner to stop something (an opt-out of a topic, of all marketing, of tracking, of
 * sharing): the partner must be able to tell whom it is about, whatever the person's sharing choice.
 *
 * @example
 * isOptOut({ type: 'consent.changed', to: 'opted_out' })         // true
 * isOptOut({ type: 'marketing.unsubscribed_all', to: 'true' })   // true
 * isOptOut({ type: 'consent.changed', to: 'opted_in' })          // false
 */
export function isOptOut(event: Pick<PartnerEvent, 'type' | 'to'>): boolean {
  if (event.type === 'consent.changed') return event.to === 'opted_out';
  if (event.type === 'marketing.unsubscribed_all' || event.type === 'sharing.changed') return event.to === 'true';
  if (event.type === 'tracking.changed') return event.to === 'false';
  return false;
}

/**
 * The partner event for a ledger entry, or `undefined` for entries partners are not told about (a recipient's
 * creation, a change of country, a lifted suppression).
 *
 * @example
 * toPartnerEvent({ at: '2026-11-22T10:00:00Z', recipientId: 'rcp_1', subject: 'topic:news', from: 'opted_in', to: 'opted_out', source: 'one_click' }, 'L1')
 * // { id: 'L1', type: 'consent.changed', topic: 'news', from: 'opted_in', to: 'opted_out', … }
 */
export function toPartnerEvent(change: LedgerChange, id: string): PartnerEvent | undefined {
  const base = { id, at: change.at, recipientId: change.recipientId, from: change.from, to: change.to, source: change.source };
  if (change.subject.startsWith('topic:')) return { ...base, type: 'consent.changed', topic: change.subject.slice(6) };
  switch (change.subject) {
    case 'unsubscribed_all':
      return { ...base, type: 'marketing.unsubscribed_all' };
    case 'do_not_sell':
      return { ...base, type: 'sharing.changed' };
    case 'tracking':
      return { ...base, type: 'tracking.changed' };
    case 'recipient':
      return change.to === 'erased' ? { ...base, type: 'recipient.erased' } : undefined;
    default:
      return undefined;
  }
}

/** The `Sendwell-Signature` header value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(body: string, secret: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * What a partner runs to check a delivery: the signature matches and is at most `toleranceSeconds` old.
 *
 * @example
 * verifyWebhook(rawBody, req.headers['sendwell-signature'], secret, Date.now() / 1000) // true or false
 */
export function verifyWebhook(body: string, header: string | undefined, secret: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const timestamp = Number(m[1]);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(body, secret, timestamp).slice(-64), 'hex');
  return timingSafeEqual(expected, Buffer.from(m[2] ?? '', 'hex'));
}

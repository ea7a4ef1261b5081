/**
 * SES feedback, normalized. SES publishes one JSON shape per event type (bounce, complaint, delivery, …); through a
 * configuration set's EventBridge destination it arrives as the `detail` of an EventBridge event. Every shape is
 * parsed with zod (lambdas/schemas/ses-events.ts) and turned into one `Feedback`, the only thing the rest of Sendwell reads.
 */

// Types only: the SES shapes are zod schemas (lambdas/schemas/ses-events.ts), parsed by the SES events handler.
import type { SesEvent } from '../schemas/ses-events.ts';

export type { SesEvent };

export type FeedbackKind = 'sent' | 'delivered' | 'bounced_hard' | 'bounced_soft' | 'complained' | 'rejected' | 'delayed' | 'rendering_failed';

export interface Feedback {
  readonly kind: FeedbackKind;
  /** Unique per event: duplicates of one event share it, so they change nothing twice. */
  readonly eventKey: string;
  readonly at: string;
  readonly sesMessageId: string;
  /** Sendwell's message id, from the `sendwell_message` tag the sender set. */
  readonly messageId?: string;
  /** The addresses the event is about (bounced, complained, delivered). */
  readonly addresses: readonly string[];
  readonly detail: Readonly<Record<string, string>>;
}

/**
 * A bounce or complaint SES makes up without trying: the address is on SES's account-level suppression list
 * (`bounceSubType` or `complaintSubType` `OnAccountSuppressionList`; SES accepted the mail and never attempted it).
 * That list has no scope (an address lands there for a complaint as well), so it says nothing about the address
 * Sendwell's rule can act on: no suppression is added, nobody is unsubscribed, the auto-pause does not count it (SES
 * does not count it against the account either), and it is counted apart as `ses_suppressed`. The configuration set
 * turns the list off (lib/email.ts), so seeing one means the account-level list was applied anyway: the figure makes
 * that visible.
 *
 * @example
 * isAccountSuppressed('bounced_hard', { bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList' }) // true
 * isAccountSuppressed('complained', { complaintSubType: 'OnAccountSuppressionList' })                         // true
 * isAccountSuppressed('complained', { feedbackType: 'abuse' })                                                // false
 */
export const isAccountSuppressed = (kind: string, detail: Readonly<Record<string, unknown>>): boolean =>
  (kind === 'bounced_hard' && detail.bounceSubType === 'OnAccountSuppressionList') ||
  (kind === 'complained' && detail.complaintSubType === 'OnAccountSuppressionList');

/**
 * A feedback report whose ARF `Feedback-Type` is `not-spam` (RFC 5965): the mailbox provider tells us the person marked
 * the mail as *not* spam. SES still publishes it as a `Complaint`, but it is the opposite of one: it is recorded (the
 * message's events, the recent list) and nothing else: no suppression, no unsubscribe, no `complained` figure, and it
 * moves no delivery status forward.
 *
 * @example
 * isNotSpam('complained', { feedbackType: 'not-spam' }) // true
 * isNotSpam('complained', { feedbackType: 'abuse' })    // false
 */
export const isNotSpam = (kind: string, detail: Readonly<Record<string, unknown>>): boolean =>
  kind === 'complained' && typeof detail.feedbackType === 'string' && detail.feedbackType.toLowerCase() === 'not-spam';

/**
 * Rank of a delivery state: a later event only moves a message forward, so a `Delivery` that arrives after a
 * `Bounce` (reordered) leaves it bounced.
 */
export const DELIVERY_RANK: Readonly<Record<FeedbackKind, number>> = {
  sent: 1,
  delayed: 2,
  delivered: 3,
  rendering_failed: 4,
  rejected: 4,
  bounced_soft: 4,
  bounced_hard: 5,
  complained: 6,
};

/**
 * The rank a feedback moves its message's delivery status to: a not-spam report none (0: the mail was delivered, and
 * the report is no state of it).
 *
 * @example
 * deliveryRankOf({ kind: 'complained', detail: { feedbackType: 'abuse' } })    // 6
 * deliveryRankOf({ kind: 'complained', detail: { feedbackType: 'not-spam' } }) // 0
 */
export const deliveryRankOf = (f: Pick<Feedback, 'kind' | 'detail'>): number => (isNotSpam(f.kind, f.detail) ? 0 : DELIVERY_RANK[f.kind]);

/**
 * @example
 * toFeedback(SesEventSchema.parse(bounceJson))
 * // { kind: 'bounced_hard', addresses: ['x@example.com'], messageId: 'msg_…', eventKey: 'bounce:0100…', … }
 */
export function toFeedback(event: SesEvent): Feedback {
  const base = {
    sesMessageId: event.mail.messageId,
    ...(event.mail.tags.sendwell_message?.[0] ? { messageId: event.mail.tags.sendwell_message[0] } : {}),
  };
  switch (event.eventType) {
    case 'Send':
      return { ...base, kind: 'sent', eventKey: `send:${event.mail.messageId}`, at: event.mail.timestamp, addresses: event.mail.destination, detail: {} };
    case 'Delivery':
      return { ...base, kind: 'delivered', eventKey: `delivery:${event.mail.messageId}`, at: event.delivery.timestamp, addresses: event.delivery.recipients, detail: {} };
    case 'Bounce':
      return {
        ...base,
        kind: event.bounce.bounceType === 'Permanent' ? 'bounced_hard' : 'bounced_soft',
        eventKey: `bounce:${event.bounce.feedbackId}`,
        at: event.bounce.timestamp,
        addresses: event.bounce.bouncedRecipients.map((r) => r.emailAddress),
        detail: { bounceType: event.bounce.bounceType, bounceSubType: event.bounce.bounceSubType },
      };
    case 'Complaint':
      return {
        ...base,
        kind: 'complained',
        eventKey: `complaint:${event.complaint.feedbackId}`,
        at: event.complaint.timestamp,
        addresses: event.complaint.complainedRecipients.map((r) => r.emailAddress),
        detail: {
          ...(event.complaint.complaintFeedbackType ? { feedbackType: event.complaint.complaintFeedbackType } : {}),
          ...(event.complaint.complaintSubType ? { complaintSubType: event.complaint.complaintSubType } : {}),
        },
      };
    case 'Reject':
      // Keys from the SES event itself, never the EventBridge envelope's id: an event SES or EventBridge delivers again
      // comes in a new envelope. SES rejects a message once; it may delay it several times, each at its own time.
      return { ...base, kind: 'rejected', eventKey: `reject:${event.mail.messageId}`, at: event.mail.timestamp, addresses: event.mail.destination, detail: { reason: event.reject.reason } };
    case 'DeliveryDelay':
      return {
        ...base,
        kind: 'delayed',
        eventKey: `delay:${event.mail.messageId}:${event.deliveryDelay.timestamp}`,
        at: event.deliveryDelay.timestamp,
        addresses: event.deliveryDelay.delayedRecipients.map((r) => r.emailAddress),
        detail: { delayType: event.deliveryDelay.delayType },
      };
    case 'Rendering Failure':
      return { ...base, kind: 'rendering_failed', eventKey: `rendering:${event.mail.messageId}`, at: event.mail.timestamp, addresses: event.mail.destination, detail: { error: event.failure.errorMessage.slice(0, 200) } };
  }
}

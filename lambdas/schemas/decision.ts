/**
 * The send rule's inputs as zod schemas: a recipient's state (consents, suppressions, preferences) and a message's
 * class and topic. The rule itself (lambdas/domain/decide.ts) is plain TypeScript and imports only their types, so the
 * functions that decide or check tracking load no validation library.
 */
import * as z from 'zod';
import { HOLD_REASONS } from '../domain/decide.ts';

export const MessageClassSchema = z.enum(['service', 'marketing']);
export type MessageClass = z.infer<typeof MessageClassSchema>;

export const HoldReasonSchema = z.enum(HOLD_REASONS);
export type HoldReason = z.infer<typeof HoldReasonSchema>;

export const ConsentStatusSchema = z.enum(['opted_in', 'opted_out', 'pending']);
export type ConsentStatus = z.infer<typeof ConsentStatusSchema>;

export const TopicConsentSchema = z.object({
  status: ConsentStatusSchema,
  /** When the opt-in was confirmed from the mailbox; required for `opted_in` to count where double opt-in applies. */
  confirmedAt: z.iso.datetime({ offset: true }).optional(),
});
export type TopicConsent = z.infer<typeof TopicConsentSchema>;

const suppressionFields = {
  createdAt: z.iso.datetime({ offset: true }).optional(),
  /** A suppression stops applying at this instant; absent means never. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
};

/**
 * One suppression record. Each reason carries its own scope and none implies another. The scope each reason may
 * have is fixed here, so a state the rule cannot honour cannot be stored:
 * - `hard_bounce`: `all` — the mailbox does not exist, for any kind of mail.
 * - `complaint`: `marketing` — a spam report must never stop a password reset.
 * - `manual`: `marketing` (ops stop marketing to the address; held as `suppressed`) or `all` (ops declare the
 *   address unable to receive mail — a dead domain, a spam trap; held as `undeliverable`, for service mail too).
 *   An all-scope manual suppression is deliberately the same outcome as a hard bounce, so service mail is never
 *   held for anything but an address that cannot receive it (or an erased person).
 * - `erased`: `all` — the tombstone left when a person's data is deleted.
 * - `soft_bounce`: `marketing`, with `expiresAt` — the mailbox bounced transiently (full, over quota, greylisting)
 *   again and again within a window. It exists and may recover, so marketing pauses for a while; a password reset
 *   or a receipt is still attempted (held as `bouncing`).
 */
export const SuppressionSchema = z.discriminatedUnion('reason', [
  z.object({ reason: z.literal('hard_bounce'), scope: z.literal('all'), ...suppressionFields }),
  z.object({ reason: z.literal('complaint'), scope: z.literal('marketing'), ...suppressionFields }),
  z.object({ reason: z.literal('manual'), scope: z.enum(['all', 'marketing']), ...suppressionFields }),
  z.object({ reason: z.literal('erased'), scope: z.literal('all'), ...suppressionFields }),
  z.object({ reason: z.literal('soft_bounce'), scope: z.literal('marketing'), ...suppressionFields }),
]);
export type Suppression = z.infer<typeof SuppressionSchema>;
export type SuppressionReason = Suppression['reason'];

export const RecipientStateSchema = z.object({
  /** ISO 3166-1 alpha-2; decides whether opt-ins need confirmation (unknown counts as strict). */
  country: z.string().nullish(),
  /** Per topic id. A topic with no entry was never opted in to. */
  consents: z.record(z.string(), TopicConsentSchema).default({}),
  /** "Unsubscribe from all marketing": stops every topic whatever its own consent says. */
  unsubscribedAll: z.boolean().default(false),
  suppressions: z.array(SuppressionSchema).default([]),
  /** Only a hashed tombstone remains of this person. */
  erased: z.boolean().default(false),
  /** Open and click tracking; absent means the person has not chosen and the jurisdiction default applies. */
  tracking: z.boolean().optional(),
  /** "Do not sell or share my personal information"; absent means not chosen yet. */
  doNotSell: z.boolean().optional(),
});
export type RecipientState = z.infer<typeof RecipientStateSchema>;

export const DecisionMessageSchema = z.object({
  class: MessageClassSchema,
  /** The marketing topic; ignored for service mail. */
  topic: z.string().min(1).optional(),
  /**
   * The caller named the address itself (`to: {email}`), rather than a recipient id. Only this lets service mail
   * reach an erased person: we no longer hold their address, they gave it to the caller again.
   */
  addressSuppliedByCaller: z.boolean().optional(),
  /**
   * A test send (a campaign's `…/test`) to an address the caller named: a missing or unconfirmed subscription does
   * not hold it, but everything the person or their mailbox said (opt-out, unsubscribe, complaint, bounce, erasure)
   * still does, and so does the marketing pause.
   */
  test: z.boolean().optional(),
});
export type DecisionMessage = z.infer<typeof DecisionMessageSchema>;

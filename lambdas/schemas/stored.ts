/**
 * The admin API's nouns that the DynamoDB stores read back and parse (topics, templates, segments, suppressions,
 * ledger entries, message records): part of the model (./model.ts re-exports them), kept in a module of their own so
 * that a function reading them (the public routes) does not build every admin schema at cold start.
 */
import * as z from 'zod';
import { HoldReasonSchema, MessageClassSchema } from './decision.ts';
import { FrequencyCapSchema } from './delivery-timing.ts';
import { SegmentRuleSchema } from './segments.ts';
import { ConsentSourceSchema, IsoDateTimeSchema, LineSchema, SlugSchema } from './fields.ts';

// ---- topics -------------------------------------------------------------------------------------------------

export const TopicInputSchema = z
  .object({
    id: SlugSchema,
    name: LineSchema(120).pipe(z.string().min(1)),
    description: z.string().max(1000).default(''),
    doubleOptIn: z
      .boolean()
      .optional()
      .meta({ description: 'Require confirmation from everyone, not only where the jurisdiction requires it.' }),
    frequencyCap: FrequencyCapSchema.optional().meta({ description: 'At most `max` marketing mails in any `days` for mail of this topic; must be stricter than the stage’s cap.' }),
  })
  .strict()
  .meta({ id: 'TopicInput' });

export const TopicSchema = TopicInputSchema.extend({
  doubleOptIn: z.boolean(),
  createdAt: IsoDateTimeSchema,
  updatedAt: IsoDateTimeSchema.optional(),
  frequencyCap: FrequencyCapSchema.optional().meta({ description: 'A cap stricter than the stage’s, for marketing of this topic.' }),
}).meta({ id: 'Topic' });
export type TopicInput = z.infer<typeof TopicInputSchema>;
export type Topic = z.infer<typeof TopicSchema>;

// ---- templates ----------------------------------------------------------------------------------------------

export const TemplateInputSchema = z
  .object({
    id: SlugSchema,
    class: MessageClassSchema,
    topic: SlugSchema.optional(),
    subject: LineSchema(998).pipe(z.string().min(1)),
    html: z.string().min(1).max(400_000),
    text: z.string().min(1).max(400_000),
  })
  .strict()
  .meta({ id: 'TemplateInput' });

export const TemplateRecordSchema = TemplateInputSchema.extend({ createdAt: IsoDateTimeSchema, updatedAt: IsoDateTimeSchema }).meta({
  id: 'Template',
});
export type TemplateInput = z.infer<typeof TemplateInputSchema>;
export type TemplateRecord = z.infer<typeof TemplateRecordSchema>;

export const SuppressionRecordSchema = z
  .object({
    reason: z.enum(['hard_bounce', 'complaint', 'manual', 'erased', 'soft_bounce']),
    scope: z.enum(['all', 'marketing']),
    createdAt: IsoDateTimeSchema,
    expiresAt: IsoDateTimeSchema.optional(),
    source: z.string(),
    note: z.string().optional(),
  })
  .meta({ id: 'Suppression' });
export type SuppressionRecord = z.infer<typeof SuppressionRecordSchema>;

export const LedgerEntrySchema = z
  .object({
    at: IsoDateTimeSchema,
    recipientId: z.string(),
    subject: z.string().meta({ description: '`topic:<id>`, `unsubscribed_all`, `tracking`, `do_not_sell`, `suppression:<reason>`, `recipient`.' }),
    from: z.string().nullable(),
    to: z.string().nullable(),
    source: ConsentSourceSchema,
    jurisdiction: z.enum(['strict', 'standard']),
    wording: z.string().optional(),
    evidenceAt: IsoDateTimeSchema.optional(),
    ipPseudonym: z.string().optional(),
    userAgent: z.string().optional(),
    actor: z.string().optional(),
    note: z.string().optional(),
  })
  .meta({ id: 'LedgerEntry' });
export type LedgerEntry = z.infer<typeof LedgerEntrySchema>;

export const MessageStatusSchema = z.enum(['deferred', 'sending', 'sent', 'held', 'failed']);
/**
 * Hold reasons of a message: the send rule's, and four of the paths around it: `unknown_recipient`; `invalid_link`, a
 * link of the template rendered, for this recipient, to something that is not an http, https or mailto URL
 * (lambdas/domain/hrefs.ts); `journey_left`, a deferred journey step whose person left the journey; `not_in_audience`,
 * a campaign recipient who waited (local time, quiet hours) and no longer matched its audience or segment when due.
 */
export const MessageHoldReasonSchema = z.union([
  HoldReasonSchema,
  z.literal('unknown_recipient'),
  z.literal('invalid_link'),
  z.literal('journey_left'),
  z.literal('not_in_audience'),
]);

export const MessageRecordSchema = z
  .object({
    messageId: z.string(),
    status: MessageStatusSchema,
    reason: MessageHoldReasonSchema.optional(),
    class: MessageClassSchema,
    template: z.string(),
    topic: z.string().optional(),
    campaignId: z.string().optional().meta({ description: 'The campaign this message was sent for, if any.' }),
    variant: z.string().optional().meta({ description: 'A/B tests: the campaign variant this recipient got.' }),
    until: IsoDateTimeSchema.optional().meta({ description: '`deferred`: when it is due (quiet hours end, or the recipient’s local time).' }),
    deferral: z.enum(['quiet_hours', 'local_time']).optional(),
    decidedAt: IsoDateTimeSchema.optional().meta({
      description: 'Campaigns: when consent and suppressions were read for this message; anything stored before then was honoured.',
    }),
    recipientId: z.string().optional(),
    sesMessageId: z.string().optional(),
    sentAt: IsoDateTimeSchema.optional(),
    deliveryStatus: z
      .enum(['sent', 'delivered', 'bounced_hard', 'bounced_soft', 'complained', 'rejected', 'delayed', 'rendering_failed'])
      .optional()
      .meta({ description: 'The furthest SES feedback: a reordered event never moves it back.' }),
    deliveryAt: z.string().optional(),
    error: z.string().optional(),
    createdAt: IsoDateTimeSchema,
    updatedAt: IsoDateTimeSchema,
    links: z.array(z.string()).optional(),
    opens: z.number().optional().meta({ description: 'Every open, human and machine.' }),
    humanOpens: z.number().optional(),
    machineOpens: z.number().optional().meta({ description: 'Apple Mail Privacy Protection, scanners, prefetchers.' }),
    firstOpenAt: IsoDateTimeSchema.optional(),
    clicks: z.number().optional().meta({ description: 'Every click, human and machine.' }),
    humanClicks: z.number().optional(),
    machineClicks: z.number().optional().meta({ description: 'Scanners, prefetchers, clicks too soon after the send, bursts on every link (docs/operations.md).' }),
    firstClickAt: IsoDateTimeSchema.optional(),
    events: z.array(z.object({ at: IsoDateTimeSchema, type: z.string(), detail: z.record(z.string(), z.unknown()).optional() })),
  })
  .meta({ id: 'Message' });
export type MessageRecord = z.infer<typeof MessageRecordSchema>;

export const SegmentInputSchema = z
  .object({
    id: SlugSchema,
    name: LineSchema(200).pipe(z.string().trim().min(1)),
    description: z.string().max(1000).optional(),
    rules: SegmentRuleSchema.meta({
      description:
        '`{all: [...]}` or `{any: [...]}` of conditions `{field, op, value}` and nested rules. Fields: `country`, `locale`, `timeZone`, `createdAt`, `attributes.<name>`, `lastOpenedAt`, `lastClickedAt` (human only), `consent.<topic>`. Ops: `eq ne in notIn exists notExists gt gte lt lte contains withinDays notWithinDays`.',
    }),
  })
  .strict()
  .meta({ id: 'SegmentInput' });
export type SegmentInput = z.infer<typeof SegmentInputSchema>;

export const SegmentSchema = SegmentInputSchema.extend({ createdAt: IsoDateTimeSchema, updatedAt: IsoDateTimeSchema, createdBy: z.string() }).meta({ id: 'Segment' });
export type Segment = z.infer<typeof SegmentSchema>;

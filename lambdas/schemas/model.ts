/**
 * The nouns of the admin API, as zod schemas: what a client sends (`…Input`) and what it gets back. Types come from
 * here (`z.infer`); the stores return these shapes and the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import { ConsentStatusSchema, HoldReasonSchema, MessageClassSchema } from '../domain/decide.ts';
import {
  AttributesSchema,
  ConsentSourceSchema,
  CountrySchema,
  EvidenceSchema,
  IdSchema,
  IsoDateTimeSchema,
  LineSchema,
  LocaleSchema,
  SlugSchema,
} from './fields.ts';

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
  })
  .meta({ id: 'TopicInput' });

export const TopicSchema = TopicInputSchema.extend({ doubleOptIn: z.boolean(), createdAt: IsoDateTimeSchema }).meta({ id: 'Topic' });
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
  .meta({ id: 'TemplateInput' });

export const TemplateRecordSchema = TemplateInputSchema.extend({ createdAt: IsoDateTimeSchema, updatedAt: IsoDateTimeSchema }).meta({
  id: 'Template',
});
export type TemplateInput = z.infer<typeof TemplateInputSchema>;
export type TemplateRecord = z.infer<typeof TemplateRecordSchema>;

// ---- recipients ---------------------------------------------------------------------------------------------

export const RecipientInputSchema = z
  .object({
    email: z.string().max(320),
    externalId: LineSchema(128).optional(),
    country: CountrySchema.optional(),
    locale: LocaleSchema.optional(),
    attributes: AttributesSchema.optional(),
    welcome: z.boolean().default(true).meta({ description: 'Send the welcome mail when the recipient is new.' }),
  })
  .meta({ id: 'RecipientInput' });

export const RecipientUpdateSchema = RecipientInputSchema.omit({ welcome: true })
  .partial()
  .refine((o) => Object.keys(o).length > 0, 'send at least one field to change')
  .meta({ id: 'RecipientUpdate' });

export const ConsentStateSchema = z.object({
  status: ConsentStatusSchema,
  updatedAt: IsoDateTimeSchema,
  confirmedAt: IsoDateTimeSchema.optional(),
  source: ConsentSourceSchema,
});

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

export const RecipientSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    externalId: z.string().optional(),
    country: z.string().optional(),
    locale: z.string().optional(),
    attributes: z.record(z.string(), z.unknown()),
    jurisdiction: z.enum(['strict', 'standard']),
    consents: z.record(z.string(), ConsentStateSchema),
    unsubscribedAll: z.boolean(),
    tracking: z.boolean().meta({ description: 'Whether open and click tracking is on (choice, or jurisdiction default).' }),
    trackingChoice: z.boolean().optional(),
    doNotSell: z.boolean().meta({ description: '"Do not sell or share my personal information" (choice, or jurisdiction default).' }),
    doNotSellChoice: z.boolean().optional(),
    suppressions: z.array(SuppressionRecordSchema),
    createdAt: IsoDateTimeSchema,
    updatedAt: IsoDateTimeSchema,
  })
  .meta({ id: 'Recipient' });
export type Recipient = z.infer<typeof RecipientSchema>;
export type RecipientInput = z.infer<typeof RecipientInputSchema>;
export type RecipientUpdate = z.infer<typeof RecipientUpdateSchema>;

export const ConsentChangeSchema = z
  .object({
    status: z.enum(['opted_in', 'opted_out']),
    source: ConsentSourceSchema.default('api'),
    evidence: EvidenceSchema.optional(),
  })
  .meta({ id: 'ConsentChange' });
export type ConsentChange = z.infer<typeof ConsentChangeSchema>;

export const PreferencesChangeSchema = z
  .object({
    unsubscribedAll: z.boolean().optional(),
    tracking: z.boolean().optional(),
    doNotSell: z.boolean().optional(),
    source: ConsentSourceSchema.default('api'),
    evidence: EvidenceSchema.optional(),
  })
  .refine((o) => o.unsubscribedAll !== undefined || o.tracking !== undefined || o.doNotSell !== undefined, 'change at least one preference')
  .meta({ id: 'PreferencesChange' });
export type PreferencesChange = z.infer<typeof PreferencesChangeSchema>;

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

// ---- suppressions -------------------------------------------------------------------------------------------

export const SuppressionInputSchema = z
  .object({
    email: z.string().max(320),
    reason: z.enum(['manual', 'hard_bounce', 'complaint']).default('manual'),
    scope: z.enum(['all', 'marketing']).default('marketing'),
    note: z.string().max(500).optional(),
    expiresAt: IsoDateTimeSchema.optional(),
  })
  .meta({ id: 'SuppressionInput' });

export const SuppressionLiftSchema = z
  .object({
    email: z.string().max(320),
    reason: z.enum(['manual', 'hard_bounce', 'complaint', 'soft_bounce']),
    note: z.string().max(500).optional().meta({ description: 'Why; required to lift a complaint.' }),
  })
  .meta({ id: 'SuppressionLift' });

// ---- messages -----------------------------------------------------------------------------------------------

export const SendMessageSchema = z
  .object({
    template: SlugSchema,
    to: z.union([z.object({ recipientId: IdSchema }).strict(), z.object({ email: z.string().max(320) }).strict()]),
    data: z.record(z.string(), z.unknown()).default({}),
    idempotencyKey: z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/, '1-200 printable ASCII characters')
      .optional()
      .meta({ description: 'The same key again never mails twice; it returns the first outcome.' }),
  })
  .meta({ id: 'SendMessage' });
export type SendMessageInput = z.infer<typeof SendMessageSchema>;

export const MessageStatusSchema = z.enum(['sending', 'sent', 'held', 'failed']);
export const MessageHoldReasonSchema = z.union([HoldReasonSchema, z.literal('unknown_recipient')]);

export const SendResultSchema = z
  .object({
    messageId: z.string(),
    status: MessageStatusSchema,
    reason: MessageHoldReasonSchema.optional(),
    duplicate: z.boolean().optional().meta({ description: 'The idempotency key was seen before; this is the first outcome.' }),
  })
  .meta({ id: 'SendResult' });
export type SendResult = z.infer<typeof SendResultSchema>;

export const MessageRecordSchema = z
  .object({
    messageId: z.string(),
    status: MessageStatusSchema,
    reason: MessageHoldReasonSchema.optional(),
    class: MessageClassSchema,
    template: z.string(),
    topic: z.string().optional(),
    campaignId: z.string().optional().meta({ description: 'The campaign this message was sent for, if any.' }),
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
    clicks: z.number().optional(),
    firstClickAt: IsoDateTimeSchema.optional(),
    events: z.array(z.object({ at: IsoDateTimeSchema, type: z.string(), detail: z.record(z.string(), z.unknown()).optional() })),
  })
  .meta({ id: 'Message' });
export type MessageRecord = z.infer<typeof MessageRecordSchema>;

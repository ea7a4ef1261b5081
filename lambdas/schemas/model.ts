/**
 * The nouns of the admin API, as zod schemas: what a client sends (`…Input`) and what it gets back. Types come from
 * here (`z.infer`); the stores return these shapes and the OpenAPI document is generated from them.
 */
import * as z from 'zod';
import { ConsentStatusSchema, MessageClassSchema } from './decision.ts';
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
  TimeZoneSchema,
} from './fields.ts';
import { FrequencyCapSchema, QuietHoursSchema as QuietHoursSchemaRef } from './delivery-timing.ts';
import { SegmentRuleSchema } from './segments.ts';
import { MessageHoldReasonSchema, MessageStatusSchema, SegmentInputSchema, SuppressionRecordSchema } from './stored.ts';

// The nouns the stores read back live in ./stored.ts (the public routes load only those); they are part of this model.
export * from './stored.ts';

export const TopicUpdateSchema = z
  .object({
    name: LineSchema(120).pipe(z.string().min(1)).optional(),
    description: z.string().max(1000).optional(),
    doubleOptIn: z.boolean().optional(),
    frequencyCap: FrequencyCapSchema.nullable()
      .optional()
      .meta({ description: 'At most `max` marketing mails in any `days` for mail of this topic; must be stricter than the stage’s cap. `null` removes it.' }),
  })
  .strict()
  .refine((o) => Object.keys(o).length > 0, 'send at least one field to change')
  .meta({ id: 'TopicUpdate' });
export type TopicUpdate = z.infer<typeof TopicUpdateSchema>;

// ---- recipients ---------------------------------------------------------------------------------------------

export const RecipientInputSchema = z
  .object({
    email: z.string().max(320),
    externalId: LineSchema(128).optional(),
    country: CountrySchema.optional(),
    locale: LocaleSchema.optional(),
    timeZone: TimeZoneSchema.optional(),
    attributes: AttributesSchema.optional(),
    welcome: z.boolean().default(true).meta({ description: 'Send the welcome mail when the recipient is new.' }),
  })
  .strict()
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

export const RecipientSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    externalId: z.string().optional(),
    country: z.string().optional(),
    locale: z.string().optional(),
    timeZone: z.string().meta({ description: 'The zone mail is timed in (quiet hours, local-time campaigns).' }),
    timeZoneSource: z.enum(['recipient', 'country', 'default']).meta({ description: 'Set on the recipient, derived from a single-zone country, or the stage default.' }),
    attributes: z.record(z.string(), z.unknown()),
    lastOpenedAt: IsoDateTimeSchema.optional().meta({ description: 'Last human open (machine opens never count).' }),
    lastClickedAt: IsoDateTimeSchema.optional().meta({ description: 'Last human click.' }),
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
  .strict()
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
  .strict()
  .refine((o) => o.unsubscribedAll !== undefined || o.tracking !== undefined || o.doNotSell !== undefined, 'change at least one preference')
  .meta({ id: 'PreferencesChange' });
export type PreferencesChange = z.infer<typeof PreferencesChangeSchema>;

export const LedgerQuerySchema = z.object({
  cursor: z.string().max(1000).optional().meta({ description: 'The `next` of the previous page, passed back unchanged. A cursor this list did not issue is a 400.' }),
});

// ---- suppressions -------------------------------------------------------------------------------------------

export const SuppressionInputSchema = z
  .object({
    email: z.string().max(320),
    reason: z.enum(['manual', 'hard_bounce', 'complaint']).default('manual'),
    scope: z.enum(['all', 'marketing']).default('marketing'),
    note: z.string().max(500).optional(),
    expiresAt: IsoDateTimeSchema.optional(),
  })
  .strict()
  .meta({ id: 'SuppressionInput' });

export const SuppressionLiftSchema = z
  .object({
    email: z.string().max(320),
    reason: z.enum(['manual', 'hard_bounce', 'complaint', 'soft_bounce']),
    note: z.string().max(500).optional().meta({ description: 'Why; required to lift a complaint.' }),
  })
  .strict()
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
  .strict()
  .meta({ id: 'SendMessage' });
export type SendMessageInput = z.infer<typeof SendMessageSchema>;

export const MessageIdSchema = z.string().regex(/^(?:msg_[A-Za-z0-9_-]{1,64}|cmp_[A-Za-z0-9]{1,40}-rcp_[A-Za-z0-9]{1,40})$/, 'not a message id');

export const SendResultSchema = z
  .object({
    messageId: z.string(),
    status: MessageStatusSchema,
    reason: MessageHoldReasonSchema.optional(),
    until: IsoDateTimeSchema.optional().meta({ description: '`deferred`: inside the recipient’s quiet hours; it is sent then (decided again at that moment).' }),
    duplicate: z.boolean().optional().meta({ description: 'The idempotency key was seen before; this is the first outcome.' }),
  })
  .meta({ id: 'SendResult' });
export type SendResult = z.infer<typeof SendResultSchema>;

// ---- campaigns ----------------------------------------------------------------------------------------------

const AttributeValueSchema = z.union([z.string().max(1000), z.number(), z.boolean()]);

export const AudienceFilterSchema = z
  .object({
    countries: z.array(CountrySchema).min(1).max(250).optional().meta({ description: 'Only recipients in one of these countries.' }),
    attributes: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'attribute names are 1-64 letters, digits, _ . -'), z.union([AttributeValueSchema, z.array(AttributeValueSchema).min(1).max(100)]))
      .refine((r) => Object.keys(r).length <= 20, 'at most 20 attribute conditions')
      .optional()
      .meta({ description: 'Each attribute must equal the value (or one of the values of a list). All conditions must hold.' }),
    segment: SlugSchema.optional().meta({ description: 'Only recipients in this segment (its rules are read at launch); with the filters above, all must hold.' }),
  })
  .strict()
  .meta({ id: 'AudienceFilter', description: 'Narrows the audience; recipients it leaves out are `excluded`, not held.' });
export type AudienceFilter = z.infer<typeof AudienceFilterSchema>;

/** Template variables shared by every mail of the campaign; a recipient's own attributes of the same name win. */
const CampaignDataSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), AttributeValueSchema).refine((r) => Object.keys(r).length <= 50, 'at most 50 values');

/** A/B tests (issue 19): the variants a campaign's audience is split over, a holdout, and a test share with a winner. */
export const VariantIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,20}$/, 'use 1-20 letters, digits, "-" or "_"');

export const CampaignVariantSchema = z
  .object({
    id: VariantIdSchema.meta({ description: 'Names the variant in progress, metrics (`?variant=`) and the winner.' }),
    template: SlugSchema.optional().meta({ description: 'Instead of the campaign’s template (same class and topic).' }),
    subject: LineSchema(998).pipe(z.string().trim().min(1)).optional().meta({ description: 'Instead of the template’s subject (template variables work).' }),
    weight: z.number().positive('must be positive').max(1000).meta({ description: 'Positive; a recipient gets this variant with probability weight / sum of weights.' }),
  })
  .strict()
  .meta({ id: 'CampaignVariant', description: 'Overrides the campaign’s template, its subject, or both.' });

export const CampaignTestSchema = z
  .object({
    share: z.number().gt(0, 'above 0').lt(100, 'below 100').meta({ description: 'Percent of the audience (above 0, below 100, with the holdout at most 100) that gets the variants first.' }),
    metric: z.enum(['humanOpens', 'clicks']).meta({ description: 'Unique human opens or unique human clicks per delivered mail; machine opens and clicks never count.' }),
    decideAfterSeconds: z.number().int().min(1, 'at least 1 second').max(30 * 86_400, 'at most 30 days').meta({ description: 'After this long from when the test share was mailed (the launch; with local time or quiet hours, the last moment any of it waited for) the winner is picked and goes to the rest of the audience.' }),
  })
  .strict()
  .meta({ id: 'CampaignTest' });

export const WinnerDecisionSchema = z
  .object({
    variant: z.string(),
    reason: z.enum(['metric', 'tie', 'tooLittleData', 'manual']).meta({
      description: '`metric`: it led on the test metric; `tie` / `tooLittleData`: nothing decided it by `decideAfterSeconds`, so the first variant; `manual`: `POST …/winner`.',
    }),
    at: IsoDateTimeSchema,
    by: z.string().optional().meta({ description: 'Who chose it (`manual` only).' }),
  })
  .meta({ id: 'WinnerDecision' });

const campaignFields = {
  name: LineSchema(200).pipe(z.string().trim().min(1)),
  topic: SlugSchema.optional().meta({ description: 'Marketing: the topic whose subscribers get it (the template’s topic if left out).' }),
  template: SlugSchema,
  class: MessageClassSchema.optional().meta({ description: 'Follows the template; a `service` campaign needs `reason` and a service template.' }),
  reason: z.string().trim().min(10).max(1000).optional().meta({ description: 'Why a service (mandatory) broadcast goes to everyone: recorded with its launch.' }),
  audience: AudienceFilterSchema.optional(),
  data: CampaignDataSchema.optional(),
  sendAt: z
    .union([IsoDateTimeSchema, z.iso.datetime({ local: true })])
    .optional()
    .meta({ description: 'When to launch; `POST …/schedule` arms it. With `localTime: true`, a wall-clock time without an offset (`2026-12-06T09:00:00`) each recipient gets it at in their own zone.' }),
  localTime: z
    .boolean()
    .optional()
    .meta({ description: 'Deliver at `sendAt` (no offset) in each recipient’s own time zone; recipients whose moment passed before the launch get it at launch (counted `late`).' }),
  ratePerSecond: z.number().min(0.01, 'at least 0.01 (one mail every 100 s)').max(1000).optional().meta({ description: 'At most this many mails per second (default: the stage’s send rate).' }),
  variants: z
    .array(CampaignVariantSchema)
    .min(2, '2 to 5 variants')
    .max(5, '2 to 5 variants')
    .optional()
    .meta({ description: 'A/B test: 2 to 5 variants. Each recipient gets exactly one, picked from a hash of campaign and recipient (the same on every retry).' }),
  holdout: z.number().min(0, 'from 0').lt(100, 'below 100').optional().meta({ description: 'Percent of the audience (0 to below 100) that gets nothing; counted as `holdout` in the progress.' }),
  test: CampaignTestSchema.optional().meta({ description: 'With variants: only `share` percent get them; after `decideAfterSeconds` the winner goes to the rest.' }),
};

export const CampaignInputSchema = z.object(campaignFields).strict().meta({ id: 'CampaignInput' });
export type CampaignInput = z.infer<typeof CampaignInputSchema>;

/** An optional setting a change may take back with `null` (its description kept). */
const removable = <T extends z.ZodType>(field: z.ZodOptional<T>) => field.unwrap().nullable().optional().meta(field.meta() ?? {});
const REMOVABLE = {
  audience: removable(campaignFields.audience),
  data: removable(campaignFields.data),
  sendAt: removable(campaignFields.sendAt),
  localTime: removable(campaignFields.localTime),
  ratePerSecond: removable(campaignFields.ratePerSecond),
  variants: removable(campaignFields.variants),
  holdout: removable(campaignFields.holdout),
  test: removable(campaignFields.test),
};

export const CampaignUpdateSchema = z
  .object({ ...campaignFields, name: campaignFields.name.optional(), template: campaignFields.template.optional(), ...REMOVABLE })
  .strict()
  .meta({
    id: 'CampaignUpdate',
    description: `Fields to change while the campaign is a draft; leave a field out to keep it. \`null\` takes back an optional setting (${Object.keys(REMOVABLE).map((k) => `\`${k}\``).join(', ')}): an A/B test, an audience filter, a schedule.`,
  });
export type CampaignUpdate = z.infer<typeof CampaignUpdateSchema>;

export const CampaignStatusSchema = z.enum(['draft', 'scheduled', 'sending', 'paused', 'completed', 'cancelled']);
export type CampaignStatus = z.infer<typeof CampaignStatusSchema>;

/** Why a campaign is paused: by a person, or by Sendwell because SES stopped taking mail or marketing is paused. */
export const PauseReasonSchema = z.enum(['manual', 'ses_sending_paused', 'ses_account_suspended', 'marketing_paused']);
export type PauseReason = z.infer<typeof PauseReasonSchema>;

const EngagementCountSchema = z.object({
  total: z.number().int(),
  human: z.number().int(),
  machine: z.number().int().meta({ description: 'Scanners, prefetchers, Apple Mail Privacy Protection, too soon after the send, bursts (docs/operations.md).' }),
  uniqueHuman: z.number().int().meta({ description: 'Messages opened (clicked) at least once by a person.' }),
});

export const CampaignProgressSchema = z
  .object({
    audience: z.number().int().meta({ description: 'Recipients found in the audience index so far.' }),
    audienceComplete: z.boolean().meta({ description: 'Whether the whole audience has been found and queued.' }),
    excluded: z.number().int().meta({ description: 'Left out by the audience filter.' }),
    targeted: z.number().int().meta({ description: 'audience − excluded: the recipients the campaign is for.' }),
    sent: z.number().int(),
    held: z.partialRecord(MessageHoldReasonSchema, z.number().int()).meta({ description: 'Held back at send time, by reason; only the reasons that occurred.' }),
    heldTotal: z.number().int(),
    failed: z.number().int().meta({ description: 'SES refused after every attempt; dead-lettered with the reason.' }),
    remaining: z.number().int().meta({ description: 'Found but not yet sent, held, failed or excluded.' }),
    scheduled: z.number().int().meta({ description: 'Local-time campaigns: waiting for their moment in their own zone.' }),
    deferred: z.number().int().meta({ description: 'Waiting for the end of their quiet hours.' }),
    late: z.number().int().meta({ description: 'Local-time campaigns: their moment had passed at the launch; sent at once (included in `sent`).' }),
    nextDueAt: IsoDateTimeSchema.optional().meta({ description: 'When the next scheduled or deferred recipients are due.' }),
    timeline: z
      .array(z.object({ at: IsoDateTimeSchema, scheduled: z.number().int(), deferred: z.number().int() }))
      .optional()
      .meta({ description: 'Who waits for which moment, soonest first.' }),
    ratePerSecond: z.number().optional().meta({ description: 'Recipients settled per second since the launch, pauses excluded.' }),
    etaSeconds: z.number().optional().meta({ description: 'Seconds to go at that rate, once the audience is complete.' }),
    holdout: z.number().int().optional().meta({ description: 'A/B tests: recipients in the holdout; they get nothing (counted as settled).' }),
    awaitingWinner: z.number().int().optional().meta({ description: 'A/B tests with a test share: recipients waiting for the winner.' }),
    variants: z
      .array(
        z.object({
          id: z.string(),
          sent: z.number().int(),
          heldTotal: z.number().int(),
          failed: z.number().int(),
          delivered: z.number().int().optional(),
          opensUniqueHuman: z.number().int().optional(),
          clicksUniqueHuman: z.number().int().optional(),
          openRate: z.number().nullable().optional().meta({ description: 'Unique human opens / delivered.' }),
          clickRate: z.number().nullable().optional().meta({ description: 'Unique human clicks / delivered.' }),
        }),
      )
      .optional()
      .meta({ description: 'A/B tests: figures per variant (engagement and rates in one campaign’s answer only).' }),
    engagement: z
      .object({ opens: EngagementCountSchema, clicks: EngagementCountSchema })
      .optional()
      .meta({ description: 'One campaign’s answer only (`GET /v1/campaigns/{id}`), once launched: opens and clicks of its mail, human and machine apart; rates use human ones.' }),
  })
  .meta({ id: 'CampaignProgress' });
export type CampaignProgress = z.infer<typeof CampaignProgressSchema>;

export const CampaignSchema = z
  .object({
    id: z.string(),
    ...campaignFields,
    class: MessageClassSchema,
    status: CampaignStatusSchema,
    createdAt: IsoDateTimeSchema,
    updatedAt: IsoDateTimeSchema,
    createdBy: z.string(),
    launchedAt: IsoDateTimeSchema.optional(),
    launchedBy: z.string().optional(),
    pausedAt: IsoDateTimeSchema.optional(),
    pauseReason: PauseReasonSchema.optional(),
    pausedBy: z.string().optional(),
    completedAt: IsoDateTimeSchema.optional(),
    cancelledAt: IsoDateTimeSchema.optional(),
    cancelledBy: z.string().optional(),
    decision: WinnerDecisionSchema.optional().meta({ description: 'A/B tests: the winner, why, and when.' }),
    progress: CampaignProgressSchema,
    history: z
      .array(z.object({ at: IsoDateTimeSchema, action: z.string(), actor: z.string(), reason: z.string().optional() }))
      .optional()
      .meta({ description: 'Who scheduled, launched, paused, resumed or cancelled it, when, and why (one campaign only, not in lists).' }),
  })
  .meta({ id: 'Campaign' });
export type Campaign = z.infer<typeof CampaignSchema>;

export const CampaignListSchema = z.object({ campaigns: z.array(CampaignSchema), next: z.string().optional() }).meta({ id: 'CampaignList' });

export const CampaignTestSendSchema = z
  .object({ to: z.array(z.string().max(320)).min(1).max(10).meta({ description: 'Up to 10 addresses; each gets the mail with `[Test]` before the subject.' }) })
  .strict()
  .meta({ id: 'CampaignTestSend' });

export const CampaignWinnerSchema = z
  .object({ variant: VariantIdSchema.meta({ description: 'The variant the rest of the audience gets.' }) })
  .strict()
  .meta({ id: 'CampaignWinner' });

export const CampaignScheduleSchema = z
  .object({ sendAt: campaignFields.sendAt.meta({ description: 'When to launch (default: the campaign’s own `sendAt`); for a local-time campaign a wall-clock time without an offset.' }) })
  .strict()
  .meta({ id: 'CampaignSchedule' });

export const CampaignIdSchema = z.string().regex(/^cmp_[A-Za-z0-9]{1,40}$/, 'not a campaign id');

/** An opaque page cursor: the `next` of the previous page, passed back unchanged (lambdas/domain/cursor.ts). */
export const CursorSchema = z
  .string()
  .max(1000)
  .meta({ description: 'The `next` of the previous page, passed back unchanged. A cursor this list did not issue is a 400.' });

export const ListCampaignsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: CursorSchema.optional(),
});

export const CampaignTestResultsSchema = z
  .object({
    results: z.array(
      SendResultSchema.extend({
        to: z.string(),
        error: z.string().optional().meta({ description: '`failed`: SES refused this address’s mail (nothing went out); `sending`: SES did not answer (it may be out). What SES said.' }),
      }),
    ),
  })
  .meta({ id: 'CampaignTestResults' });

// ---- segments -----------------------------------------------------------------------------------------------

export const SegmentUpdateSchema = SegmentInputSchema.omit({ id: true }).meta({ id: 'SegmentUpdate' });
export type SegmentUpdate = z.infer<typeof SegmentUpdateSchema>;

export const SegmentRulesPreviewSchema = z
  .object({ rules: SegmentRuleSchema, topic: SlugSchema.meta({ description: 'The topic whose opted-in audience the rules narrow.' }) })
  .strict()
  .meta({ id: 'SegmentRulesPreview', description: 'Rules not saved yet (the console’s live count): counted like a stored segment’s preview.' });

export const SegmentPreviewQuerySchema = z.object({
  topic: SlugSchema.meta({ description: 'The topic whose opted-in audience the segment narrows, as a campaign to that topic would.' }),
});

// ---- delivery settings ----------------------------------------------------------------------------------------

export const DeliverySettingsInputSchema = z
  .object({
    quietHours: QuietHoursSchemaRef.nullable().optional(),
    frequencyCap: FrequencyCapSchema.nullable().optional().meta({ description: 'At most `max` marketing mails per recipient in any `days` rolling window. `null` removes it.' }),
    defaultTimeZone: TimeZoneSchema.nullable().optional().meta({ description: 'The zone of recipients with none of their own and no single-zone country (default UTC).' }),
  })
  .strict()
  .meta({ id: 'DeliverySettingsInput', description: 'Fields left out are kept; `null` removes one.' });
export type DeliverySettingsInput = z.infer<typeof DeliverySettingsInputSchema>;

export const DeliverySettingsSchema = z
  .object({
    quietHours: QuietHoursSchemaRef.optional(),
    frequencyCap: FrequencyCapSchema.optional(),
    defaultTimeZone: z.string(),
    topicCaps: z
      .boolean()
      .optional()
      .meta({ description: 'A topic has had a cap of its own: every marketing mail is logged for the caps (set by `PUT /v1/topics/{id}`).' }),
    updatedAt: IsoDateTimeSchema.optional(),
    updatedBy: z.string().optional(),
  })
  .meta({ id: 'DeliverySettings' });
export type DeliverySettings = z.infer<typeof DeliverySettingsSchema>;

/** The ops API's shapes: figures and rates over a range of days, recent feedback, the marketing switch. */
import * as z from 'zod';
import { SlugSchema } from './fields.ts';

/** A figure in total and per message class. */
export const ClassCountSchema = z.object({ total: z.number(), service: z.number(), marketing: z.number() });
export type ClassCount = z.infer<typeof ClassCountSchema>;

export const FiguresSchema = z.object({
  sent: ClassCountSchema.meta({ description: 'Accepted by SES.' }),
  held: ClassCountSchema.extend({ byReason: z.record(z.string(), z.number()) }).meta({ description: 'Held back by the send rule, by reason.' }),
  failed: ClassCountSchema.meta({ description: 'SES refused the call; nothing was sent.' }),
  deferred: ClassCountSchema.meta({ description: 'Marketing deferred to the end of the recipient’s quiet hours, or waiting for a local-time moment (counted in `sent` when it goes).' }),
  late: z.number().meta({ description: 'Local-time campaigns: sent at once because the recipient’s moment had passed at the launch (also in `sent`).' }),
  delivered: ClassCountSchema,
  bouncedHard: ClassCountSchema.meta({ description: 'Permanent bounces: the address is suppressed for all mail.' }),
  bouncedSoft: ClassCountSchema.meta({ description: 'Transient bounces (mailbox full, greylisting…).' }),
  complained: ClassCountSchema,
  rejected: ClassCountSchema,
  delayed: ClassCountSchema,
  renderingFailed: ClassCountSchema,
  sesSuppressed: ClassCountSchema.meta({
    description:
      'Bounces and complaints SES made up without attempting the mail: the address is on the account-level suppression list. Not in `bouncedHard` or `complained`, no suppression added; the configuration set turns that list off, so any here means it was applied anyway.',
  }),
  opens: z
    .object({
      total: ClassCountSchema.meta({ description: 'Every counted open (total = human + machine).' }),
      unique: ClassCountSchema.meta({ description: 'Messages opened at least once, by a person or a machine.' }),
      human: ClassCountSchema,
      machine: ClassCountSchema.meta({ description: 'Apple Mail Privacy Protection, scanners, prefetchers, opens too soon after the send.' }),
      uniqueHuman: ClassCountSchema.meta({ description: 'Messages opened at least once by a person: what the open rate uses.' }),
    })
    .meta({ description: 'The pixel, where tracking consent allows. A HEAD is never counted.' }),
  clicks: z
    .object({
      total: ClassCountSchema.meta({ description: 'Every counted click (total = human + machine).' }),
      unique: ClassCountSchema.meta({ description: 'Messages with at least one click, by a person or a machine.' }),
      human: ClassCountSchema,
      machine: ClassCountSchema.meta({ description: 'Scanners, prefetchers, clicks too soon after the send, bursts on every link of a mail.' }),
      uniqueHuman: ClassCountSchema.meta({ description: 'Messages clicked at least once by a person: what the click rate uses.' }),
    })
    .meta({ description: 'Tracked links, where tracking consent allows. A HEAD is never counted.' }),
  unsubscribed: ClassCountSchema.extend({
    bySource: z.record(z.string(), z.number()).meta({ description: '`link`, `one_click`, `preference_page`, `complaint`, `mailto`, `api`…' }),
  }).meta({ description: 'Opt-outs that changed something. Every one is from marketing (service mail has nothing to unsubscribe from), so service is always 0.' }),
  suppressionsAdded: z
    .object({ total: z.number(), byReason: z.record(z.string(), z.number()) })
    .meta({ description: 'Suppressions SES feedback added. About an address, not a message: no class.' }),
  erasures: z.number().meta({ description: 'People erased. About a person, not a message: no class.' }),
});
export type Figures = z.infer<typeof FiguresSchema>;

const rate = z.number().nullable();
export const RatesSchema = z
  .object({
    bounce: rate.meta({ description: 'Hard bounces / sent (SES counts only hard bounces).' }),
    complaint: rate.meta({ description: 'Complaints / sent.' }),
    open: rate.meta({ description: 'Unique human opens / delivered (machine opens left out).' }),
    humanOpen: rate.meta({ description: 'The same as `open` (kept for clients written before `open` left machine opens out).' }),
    click: rate.meta({ description: 'Unique human clicks / delivered (machine clicks left out).' }),
    unsubscribe: rate.meta({ description: 'Unsubscribes / delivered.' }),
  })
  .meta({ description: 'Fractions (0.05 is 5 %); null when the denominator is zero.' });
export type Rates = z.infer<typeof RatesSchema>;

const Day = z.string().meta({ description: 'A calendar day, `yyyy-mm-dd` (UTC).' });

export const MetricsQuerySchema = z
  .object({
    from: Day.optional().meta({ description: 'First day, inclusive. Default: 29 days before `to`.' }),
    to: Day.optional().meta({ description: 'Last day, inclusive. Default: today (UTC).' }),
    campaign: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a campaign id').optional().meta({ description: 'Only this campaign’s mail.' }),
    topic: SlugSchema.optional().meta({ description: 'Only this topic’s mail.' }),
    variant: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,20}$/, 'not a variant id')
      .optional()
      .meta({ description: 'With `campaign`: only the mail of this A/B test variant.' }),
  })
  // Not a named component: it is only ever spread into query parameters.
  .refine((q) => !(q.campaign && q.topic), { message: 'ask for a campaign or a topic, not both', path: ['topic'] })
  .refine((q) => !q.variant || q.campaign, { message: 'a variant belongs to a campaign: give campaign too', path: ['variant'] });
export type MetricsQuery = z.infer<typeof MetricsQuerySchema>;

const Rates = RatesSchema.meta({ id: 'Rates' });
const Figures = FiguresSchema.meta({ id: 'Figures' });

export const MarketingPauseSchema = z
  .object({
    since: z.string(),
    reason: z.string(),
    actor: z.string().optional().meta({ description: '`auto` for the auto-pause, else who paused it.' }),
    figures: z.record(z.string(), z.unknown()).optional().meta({ description: 'What the auto-pause judged: sent, hard bounces, complaints, rates, window.' }),
  })
  .meta({ id: 'MarketingPause' });

export const MetricsResponseSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    series: z.string().meta({ description: '`ALL`, `T#<topic>`, `C#<campaign>` or `C#<campaign>#V#<variant>`.' }),
    days: z.array(z.object({ day: z.string(), figures: Figures, rates: Rates })).meta({ description: 'Every day of the range, oldest first (days without mail are zeros).' }),
    totals: Figures,
    rates: Rates,
    holdReasons: z.array(z.object({ reason: z.string(), count: z.number() })).meta({ description: 'Top hold reasons of the range, most frequent first.' }),
    thresholds: z.object({
      sesReview: z.object({ bounce: z.number(), complaint: z.number() }).meta({ description: 'Where SES puts the account under review.' }),
      warning: z.object({ bounce: z.number(), complaint: z.number() }).meta({ description: 'Where the CloudWatch alarms fire.' }),
      autoPause: z.object({ bounce: z.number(), complaint: z.number(), minSent: z.number(), windowDays: z.number() }),
    }),
    marketing: z.object({ paused: z.boolean(), pause: MarketingPauseSchema.optional() }),
  })
  .meta({ id: 'Metrics' });
export type MetricsResponse = z.infer<typeof MetricsResponseSchema>;

export const RecentFeedbackSchema = z
  .object({
    at: z.string(),
    kind: z.enum(['bounced_hard', 'bounced_soft', 'complained']),
    address: z.string().meta({ description: 'Masked: `j***@e***.com`. The address itself is never shown or logged.' }),
    detail: z.string().optional().meta({ description: '`Permanent/General`, `Transient/MailboxFull`, the complaint feedback type…' }),
    messageId: z.string().optional(),
    class: z.string().optional(),
    topic: z.string().optional(),
    campaignId: z.string().optional(),
  })
  .meta({ id: 'RecentFeedback' });

export const RecentFeedbackQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: 'How many, newest first (1-200, default 50).' }),
});

export const MarketingActionSchema = z
  .object({ reason: z.string().trim().min(3, 'say why, in a few words').max(500) })
  .meta({ id: 'MarketingAction' });

export const MarketingStateSchema = z
  .object({
    paused: z.boolean(),
    pause: MarketingPauseSchema.optional(),
    lastResume: z.object({ at: z.string(), actor: z.string(), reason: z.string() }).optional(),
    history: z.array(z.object({ at: z.string(), action: z.enum(['pause', 'resume']), actor: z.string(), reason: z.string() })).meta({ description: 'Pauses and resumes, newest first.' }),
  })
  .meta({ id: 'MarketingState' });

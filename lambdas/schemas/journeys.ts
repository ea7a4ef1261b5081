/**
 * Journeys and events: the definition and what the API takes and answers. The definition's checks and the walk
 * (lambdas/domain/journeys.ts) use only these types, so a function that runs journeys loads no validation library.
 */
import * as z from 'zod';
import { JOURNEY_STATUSES, MAX_STEPS, MAX_WAIT_SECONDS } from '../domain/journeys.ts';
import { parseClock } from '../domain/time-zones.ts';
import { IdSchema, IsoDateTimeSchema } from './fields.ts';
import { SegmentConditionSchema, SegmentRuleSchema } from './segments.ts';
import { SLUG, SLUG_HINT } from '../domain/slug.ts';

/** Journey and step ids are slugs (domain/slug.ts); event names take "." and ":" too. */
export const JourneyIdSchema = z.string().regex(SLUG, SLUG_HINT);
export const StepIdSchema = z.string().regex(SLUG, SLUG_HINT).refine((s) => s !== 'end', '"end" is not a step id: it names the end of the journey');
export const EventNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_.:-]{0,63}$/, 'use 1-64 lower-case letters, digits, "-", "_", "." or ":"');

const NextSchema = z.string().regex(/^(?:end|[a-z0-9][a-z0-9_-]{0,63})$/, 'a step id, or "end"');

export const EngagementConditionSchema = z.union([
  z.object({ opened: StepIdSchema.meta({ description: 'A send step: holds when its mail to this recipient had a human open.' }) }).strict(),
  z.object({ clicked: StepIdSchema.meta({ description: 'A send step: holds when its mail to this recipient had a human click.' }) }).strict(),
]);

export const BranchConditionSchema = z
  .union([EngagementConditionSchema, SegmentConditionSchema, SegmentRuleSchema])
  .meta({
    id: 'JourneyCondition',
    description: 'A segment rule (`{all|any: [...]}` or one condition `{field, op, value}`), or `{opened: stepId}` / `{clicked: stepId}` (human opens and clicks only).',
  });
export type BranchCondition = z.infer<typeof BranchConditionSchema>;

const WaitSchema = z.union([
  z.object({ seconds: z.number().int().min(1).max(MAX_WAIT_SECONDS) }).strict(),
  z
    .object({ untilLocalTime: z.string().refine((s) => parseClock(s) !== undefined, 'use HH:MM, 00:00-23:59').meta({ description: 'The next time the recipient’s own clock shows HH:MM.' }) })
    .strict(),
]);

export const JourneyStepSchema = z
  .object({
    id: StepIdSchema,
    send: z.object({ template: z.string().regex(SLUG, SLUG_HINT) }).strict().optional(),
    wait: WaitSchema.optional(),
    branch: z.object({ if: BranchConditionSchema, then: NextSchema, else: NextSchema }).strict().optional(),
    next: NextSchema.optional().meta({ description: 'Where to go after this step (a step id, or "end"); default the following step. Not on a branch.' }),
  })
  .strict()
  .superRefine((s, ctx) => {
    const kinds = (['send', 'wait', 'branch'] as const).filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'a step is exactly one of send, wait or branch' });
    if (s.branch && s.next !== undefined) ctx.addIssue({ code: 'custom', path: ['next'], message: 'a branch goes to its then or else, not to next' });
  })
  .meta({ id: 'JourneyStep' });
export type JourneyStep = z.infer<typeof JourneyStepSchema>;

export const JourneyTriggerSchema = z
  .object({
    event: EventNameSchema.optional().meta({ description: 'An event of this name (`POST /v1/events`).' }),
    optedIn: z.string().regex(SLUG, SLUG_HINT).optional().meta({ description: 'The recipient’s opt-in to this topic becomes effective (confirmed where double opt-in applies).' }),
    recipientCreated: z.literal(true).optional().meta({ description: 'A new recipient is created through the API (not by a bulk import).' }),
  })
  .strict()
  .refine((t) => [t.event, t.optedIn, t.recipientCreated].filter((v) => v !== undefined).length === 1, 'a trigger is exactly one of event, optedIn or recipientCreated')
  .meta({ id: 'JourneyTrigger' });
export type JourneyTrigger = z.infer<typeof JourneyTriggerSchema>;

export const ExitOnSchema = z
  .array(z.union([z.literal('unsubscribed'), EventNameSchema]))
  .max(20)
  .meta({ description: '`unsubscribed` (the person unsubscribed from all marketing or from a topic this journey mails about: they leave at their next step) and event names (they leave when it is posted). Default `["unsubscribed"]`; `[]` keeps everyone in, and the send rule holds each marketing step.' });

export const JourneyDefinitionSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(1000).optional(),
    trigger: JourneyTriggerSchema,
    steps: z.array(JourneyStepSchema).min(1).max(MAX_STEPS),
    exitOn: ExitOnSchema.default(['unsubscribed']),
    reentry: z.enum(['never', 'afterExit']).default('never').meta({ description: '`never`: once per recipient. `afterExit`: again once they finished or left.' }),
  })
  .strict();

export const JourneyInputSchema = JourneyDefinitionSchema.extend({ id: JourneyIdSchema }).strict().meta({ id: 'JourneyInput' });
export type JourneyInput = z.infer<typeof JourneyInputSchema>;
export const JourneyUpdateSchema = JourneyDefinitionSchema.meta({ id: 'JourneyUpdate' });
export type JourneyUpdate = z.infer<typeof JourneyUpdateSchema>;

export const JourneySchema = JourneyInputSchema.extend({
  status: z.enum(JOURNEY_STATUSES).meta({ description: '`draft` (created), `active` (enrols and runs), `paused` (enrols nobody; waits are held until it is active again), `archived` (for good: whoever is in it leaves at their next step).' }),
  topics: z.array(z.string()).optional().meta({ description: 'The topics of its marketing templates: unsubscribing from one of them is `unsubscribed` for `exitOn`.' }),
  createdAt: IsoDateTimeSchema,
  updatedAt: IsoDateTimeSchema,
  createdBy: z.string(),
  activatedAt: IsoDateTimeSchema.optional(),
}).meta({ id: 'Journey' });
export type Journey = z.infer<typeof JourneySchema>;

const count = z.number().int();
export const StepFiguresSchema = z
  .object({
    entered: count.meta({ description: 'Recipients who reached the step.' }),
    waiting: count.meta({ description: 'Recipients waiting at it now (wait steps).' }),
    sent: count.meta({ description: 'Mails of this step that went out (send steps).' }),
    deferred: count.meta({ description: 'Mails of this step deferred by quiet hours (sent when they end, by the deferred-mail sweep).' }),
    held: z.record(z.string(), count).meta({ description: 'Mails of this step the send rule held, by reason.' }),
    exited: count.meta({ description: 'Recipients who left the journey at this step (exitOn, archive).' }),
  })
  .meta({ id: 'JourneyStepFigures' });

export const JourneyFiguresSchema = z
  .object({
    enrolled: count,
    completed: count.meta({ description: 'Reached the end.' }),
    exited: count.meta({ description: 'Left before the end.' }),
    steps: z.record(z.string(), StepFiguresSchema).meta({ description: 'By step id.' }),
  })
  .meta({ id: 'JourneyFigures' });

export const JourneyWithFiguresSchema = JourneySchema.extend({ figures: JourneyFiguresSchema }).meta({ id: 'JourneyWithFigures' });

export const JourneyListSchema = z
  .object({ journeys: z.array(JourneySchema), next: z.string().optional().meta({ description: 'Cursor of the next page; absent on the last.' }) })
  .meta({ id: 'JourneyList' });

export const ListJourneysQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(1000).optional().meta({ description: 'The `next` of the previous page, passed back unchanged. A cursor this list did not issue is a 400.' }),
});

export const JourneyParamsSchema = z.object({ id: JourneyIdSchema });

export const EventInputSchema = z
  .object({
    recipientId: IdSchema.optional(),
    email: z.string().max(320).optional(),
    name: EventNameSchema,
    properties: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'property names are letters, digits and _'), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]))
      .refine((r) => Object.keys(r).length <= 50, 'at most 50 properties')
      .optional()
      .meta({ description: 'Handed to the journey’s templates as data (`{{name}}`).' }),
    idempotencyKey: z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/, '1-200 printable ASCII characters')
      .optional()
      .meta({ description: 'The same key again enrols nobody a second time and answers the first event’s id.' }),
  })
  .strict()
  .refine((e) => (e.recipientId === undefined) !== (e.email === undefined), { message: 'give exactly one of recipientId or email', path: ['recipientId'] })
  .meta({ id: 'EventInput' });
export type EventInput = z.infer<typeof EventInputSchema>;

export const EventResultSchema = z
  .object({
    id: z.string(),
    enrolled: z.array(z.string()).meta({ description: 'Journeys this event enrolled the recipient in.' }),
    exited: z.array(z.string()).optional().meta({ description: 'Journeys the recipient left because of it (`exitOn`).' }),
    duplicate: z.boolean().optional().meta({ description: 'The idempotency key was seen before: nothing was done again.' }),
  })
  .meta({ id: 'EventResult' });
export type EventResult = z.infer<typeof EventResultSchema>;

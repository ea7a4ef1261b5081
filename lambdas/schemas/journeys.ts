/** Journeys and events: what the API takes and answers (the definition itself is in lambdas/domain/journeys.ts). */
import * as z from 'zod';
import { EventNameSchema, JOURNEY_STATUSES, JourneyIdSchema, JourneyInputSchema } from '../domain/journeys.ts';
import { IdSchema, IsoDateTimeSchema } from './fields.ts';

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

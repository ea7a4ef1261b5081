/** The caller (`GET /v1/me`) and the two previews: a template rendered for a sample, a campaign's audience counted. */
import * as z from 'zod';
import { AttributesSchema, IdSchema } from './fields.ts';
import { CampaignInputSchema, MessageHoldReasonSchema, TemplateInputSchema } from './model.ts';

export const RoleSchema = z.enum(['admin', 'marketing', 'ops', 'privacy']);

export const MeSchema = z
  .object({
    id: z.string().meta({ description: 'An IAM ARN (service) or the console user’s address; recorded as the actor of every change.' }),
    roles: z.array(RoleSchema).meta({ description: '`admin` for SigV4 callers; a console user’s Cognito groups that are roles. Empty: every route but this one is refused.' }),
    kind: z.enum(['service', 'user']),
  })
  .meta({ id: 'Me' });
export type Me = z.infer<typeof MeSchema>;

export const TemplatePreviewInputSchema = TemplateInputSchema.extend({
  id: TemplateInputSchema.shape.id.optional().meta({ description: 'The id it will be saved under (checked like a save: a Sendwell mail’s id must stay service).' }),
  sample: z
    .object({
      recipientId: IdSchema.optional().meta({ description: 'Render with this recipient’s attributes.' }),
      email: z.string().max(320).optional().meta({ description: 'Render for this address (a known recipient’s attributes are used).' }),
      data: AttributesSchema.optional().meta({ description: 'Template variables; the recipient’s own attributes of the same name win, as in a campaign.' }),
    })
    .strict()
    .optional(),
})
  // Unknown fields are dropped, as on create: a console can send the template record it holds.
  .meta({ id: 'TemplatePreviewInput' });
export type TemplatePreviewInput = z.infer<typeof TemplatePreviewInputSchema>;

export const TemplatePreviewSchema = z
  .object({
    subject: z.string(),
    html: z.string(),
    text: z.string(),
    problems: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .meta({ description: 'What would keep this template from being saved (the same check as `POST /v1/templates`); empty when it is fine.' }),
    missing: z.array(z.string()).meta({ description: 'Variables the template uses that had no value for the sample (rendered empty).' }),
  })
  .meta({ id: 'TemplatePreview' });
export type TemplatePreview = z.infer<typeof TemplatePreviewSchema>;

export const CampaignPreviewInputSchema = CampaignInputSchema.pick({ topic: true, template: true, class: true, audience: true, reason: true })
  .strict()
  .meta({ id: 'CampaignPreviewInput', description: 'The fields of a campaign that decide who gets it; `reason` is not needed to preview a service broadcast.' });
export type CampaignPreviewInput = z.infer<typeof CampaignPreviewInputSchema>;

export const CampaignPreviewSchema = z
  .object({
    audience: z.number().int().meta({ description: 'Found in the index the launcher pages (a topic’s opted-in subscribers, or everyone for a service broadcast).' }),
    excluded: z.number().int().meta({ description: 'Left out by the audience filter or the segment.' }),
    eligible: z.number().int().meta({ description: 'Would be sent the mail now.' }),
    deferred: z.number().int().meta({ description: 'Inside their quiet hours now: would get it when they end.' }),
    held: z.partialRecord(MessageHoldReasonSchema, z.number().int()).meta({ description: 'Would be held now, by reason (the send rule, read as the sender reads it); only the reasons that occur.' }),
    complete: z.boolean().meta({ description: 'false: the count stopped at its limit; the figures are those so far.' }),
  })
  .meta({ id: 'CampaignPreview' });
export type CampaignPreview = z.infer<typeof CampaignPreviewSchema>;

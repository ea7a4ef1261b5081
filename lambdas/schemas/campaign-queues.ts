/**
 * The messages on the campaign queues as zod schemas: the launcher and the sender parse what SQS hands them. The
 * campaign rules (lambdas/domain/campaign.ts) use only their types.
 */
import * as z from 'zod';
import { SEND_BATCH_SIZE } from '../domain/campaign.ts';

/** A message on the launch queue: find (more of) this campaign's audience. */
export const LaunchMessageSchema = z.object({ campaignId: z.string().min(1) });
export type LaunchMessage = z.infer<typeof LaunchMessageSchema>;

/**
 * A message on the send queue. `batchId` is derived from where in the audience the launcher found the recipients,
 * so a launcher that runs a page twice (it died before saving its cursor) produces the same batch again: the sender
 * then finds every recipient already claimed.
 */
export const SendBatchSchema = z.object({
  campaignId: z.string().min(1),
  batchId: z.string().min(1).max(200),
  recipientIds: z.array(z.string().min(1)).min(1).max(SEND_BATCH_SIZE),
  /** How many times these recipients were tried already (a retry after throttling or an SES error). */
  attempt: z.number().int().min(0).max(100).optional(),
});
export type SendBatch = z.infer<typeof SendBatchSchema>;

/** What a batch that kept failing carries to the dead-letter queue: the recipients still unsent and why. */
export const DeadLetterSchema = SendBatchSchema.extend({ reason: z.string(), attempts: z.number().int() });
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

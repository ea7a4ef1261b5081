/**
 * The SES event shapes Sendwell reads, as zod schemas: one per event type, inside the EventBridge envelope a
 * configuration set's event destination puts on the bus. lambdas/domain/ses-events.ts turns each into a `Feedback`.
 */
import * as z from 'zod';

const Recipient = z.object({ emailAddress: z.string() }).loose();

const Mail = z
  .object({
    timestamp: z.string(),
    messageId: z.string(),
    destination: z.array(z.string()).default([]),
    tags: z.record(z.string(), z.array(z.string())).default({}),
  })
  .loose();

export const SesEventSchema = z.discriminatedUnion('eventType', [
  z.object({ eventType: z.literal('Send'), mail: Mail }).loose(),
  z.object({ eventType: z.literal('Delivery'), mail: Mail, delivery: z.object({ timestamp: z.string(), recipients: z.array(z.string()).default([]) }).loose() }).loose(),
  z
    .object({
      eventType: z.literal('Bounce'),
      mail: Mail,
      bounce: z
        .object({
          bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
          bounceSubType: z.string().default('General'),
          bouncedRecipients: z.array(Recipient),
          timestamp: z.string(),
          feedbackId: z.string(),
        })
        .loose(),
    })
    .loose(),
  z
    .object({
      eventType: z.literal('Complaint'),
      mail: Mail,
      complaint: z
        .object({
          complainedRecipients: z.array(Recipient),
          timestamp: z.string(),
          feedbackId: z.string(),
          // The report's ARF Feedback-Type (`abuse`, `not-spam`, …); absent when SES made the complaint up itself.
          complaintFeedbackType: z.string().optional(),
          // `OnAccountSuppressionList`: SES never attempted the mail (the address is on the account-level list).
          complaintSubType: z.string().nullish(),
        })
        .loose(),
    })
    .loose(),
  z.object({ eventType: z.literal('Reject'), mail: Mail, reject: z.object({ reason: z.string() }).loose() }).loose(),
  z
    .object({
      eventType: z.literal('DeliveryDelay'),
      mail: Mail,
      deliveryDelay: z.object({ timestamp: z.string(), delayType: z.string(), delayedRecipients: z.array(Recipient).default([]) }).loose(),
    })
    .loose(),
  z.object({ eventType: z.literal('Rendering Failure'), mail: Mail, failure: z.object({ errorMessage: z.string() }).loose() }).loose(),
]);
export type SesEvent = z.infer<typeof SesEventSchema>;

/** The EventBridge envelope a configuration set's event destination puts on the bus. */
export const SesEventBridgeSchema = z.object({ id: z.string(), 'detail-type': z.string(), source: z.literal('aws.ses'), time: z.string(), detail: SesEventSchema }).loose();

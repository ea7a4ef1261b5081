/**
 * SES events from the configuration set's EventBridge destination (and, on the local stack, from the emulator of
 * the SES mailbox simulator). An event that does not parse is logged and dropped (retrying cannot fix it); anything
 * else that fails is thrown, so EventBridge retries and then parks it in the dead-letter queue. The figures it counted
 * (suppressions added) are flushed as CloudWatch metrics either way; the events' own figures, and the marketing
 * auto-pause, come from the messages stream (handlers/count-message-figures.ts).
 */
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import { publishMetrics } from '../adapters/metrics.ts';
import { toFeedback } from '../domain/ses-events.ts';
import { SesEventBridgeSchema } from '../schemas/ses-events.ts';
import { processFeedback, type FeedbackOutcome } from '../services/feedback.ts';

export const handler = async (event: unknown): Promise<FeedbackOutcome | 'unreadable'> => {
  try {
    const parsed = SesEventBridgeSchema.safeParse(event);
    if (!parsed.success) {
      logger.warn('SES event not understood', { issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) });
      return 'unreadable';
    }
    const feedback = toFeedback(parsed.data.detail);
    const { outcome } = await processFeedback(container(), feedback);
    logger.info('SES event', { kind: feedback.kind, outcome, messageId: feedback.messageId });
    return outcome;
  } finally {
    publishMetrics();
  }
};

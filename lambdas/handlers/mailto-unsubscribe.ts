/**
 * The `mailto:` alternative of `List-Unsubscribe`: SES receives the mail (receipt rule → Lambda action) and this
 * handler unsubscribes the recipient named by the signed token in its subject (`unsubscribe <token>`, as Sendwell
 * writes the mailto link). The token is the credential, as for the web link; the sender address is not trusted.
 * Mail that fails the virus check, or carries no valid token, changes nothing.
 */
import type { SESEvent } from 'aws-lambda';
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import { publishMetrics } from '../adapters/metrics.ts';
import { verifyToken } from '../domain/tokens.ts';
import { unsubscribe } from '../services/unsubscribe.ts';

export const MAILTO_WORDING = 'mailto-unsubscribe-v1';

/** The token in `unsubscribe <token>` (also after `Re:`/`Fwd:` prefixes some clients add). */
export function tokenFromSubject(subject: string | undefined): string | undefined {
  return /(?:^|\s)unsubscribe\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i.exec(subject ?? '')?.[1];
}

export type MailtoOutcome = 'unsubscribed' | 'unknown_recipient' | 'no_token' | 'invalid_token' | 'rejected';

export const handler = async (event: SESEvent): Promise<{ outcomes: MailtoOutcome[] }> => {
  const deps = container();
  const keys = await deps.keys();
  const outcomes: MailtoOutcome[] = [];
  for (const record of event.Records ?? []) {
    const { mail, receipt } = record.ses;
    if (receipt.virusVerdict?.status === 'FAIL') {
      outcomes.push('rejected');
      continue;
    }
    const token = tokenFromSubject(mail.commonHeaders.subject);
    if (!token) {
      outcomes.push('no_token');
      continue;
    }
    const verified = verifyToken(token, 'unsubscribe', keys.tokens, deps.clock());
    if (!verified.ok) {
      outcomes.push('invalid_token');
      continue;
    }
    const { recipientId, topic, messageId } = verified.payload;
    outcomes.push(
      (
        await unsubscribe(deps, { recipientId, topicId: topic, messageId }, 'topic', 'mailto', {
          at: new Date(mail.timestamp).toISOString(),
          wording: MAILTO_WORDING,
        })
      ).outcome,
    );
  }
  logger.info('mailto unsubscribe', { outcomes });
  publishMetrics();
  return { outcomes };
};

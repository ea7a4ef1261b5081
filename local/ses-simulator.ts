/**
 * The SES mailbox simulator, emulated: aws-ses-v2-local stores mail but produces no events, so the local stack
 * makes the events SES would publish for each message (EventBridge shape, as the configuration set destination
 * delivers them) and hands them to the same `ses-events` handler, a moment after the send.
 *
 * | address (any `+label`)                       | events                                          |
 * |----------------------------------------------|-------------------------------------------------|
 * | success@simulator.amazonses.com, any other   | Send, Delivery                                  |
 * | bounce@simulator.amazonses.com               | Send, Bounce (Permanent, General)               |
 * | suppressionlist@simulator.amazonses.com      | Send, Bounce (Permanent, OnAccountSuppressionList) |
 * | complaint@simulator.amazonses.com            | Send, Delivery, Complaint (abuse)               |
 * | ooto@simulator.amazonses.com                 | Send, Delivery (the auto-reply is not emulated) |
 */
import { randomUUID } from 'node:crypto';
import type { SentMail } from '../lambdas/adapters/ses-mailer.ts';

const SIMULATOR = /^([a-z]+)(?:\+[^@]*)?@simulator\.amazonses\.com$/i;

type Detail = Record<string, unknown>;

function envelope(detailType: string, detail: Detail, time: string) {
  return { version: '0', id: randomUUID(), 'detail-type': detailType, source: 'aws.ses', account: '000000000000', time, region: 'us-east-1', resources: [], detail };
}

/** The events SES would publish for `mail`, in order. */
export function simulatedEvents(mail: SentMail): ReturnType<typeof envelope>[] {
  const at = mail.at;
  const mailPart = {
    timestamp: at,
    source: 'no-reply@sendwell.local',
    messageId: mail.sesMessageId,
    destination: [mail.to],
    headersTruncated: false,
    tags: { 'ses:configuration-set': ['sendwell-local'], ...Object.fromEntries(Object.entries(mail.tags).map(([k, v]) => [k, [v]])) },
  };
  const send = envelope('Email Sent', { eventType: 'Send', mail: mailPart, send: {} }, at);
  const delivery = envelope('Email Delivered', { eventType: 'Delivery', mail: mailPart, delivery: { timestamp: at, processingTimeMillis: 120, recipients: [mail.to], smtpResponse: '250 2.6.0 Message received', reportingMTA: 'local.simulator' } }, at);
  const bounce = (subType: string) =>
    envelope(
      'Email Bounced',
      {
        eventType: 'Bounce',
        mail: mailPart,
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: subType,
          bouncedRecipients: [{ emailAddress: mail.to, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
          timestamp: at,
          feedbackId: `local-${randomUUID()}`,
          reportingMTA: 'dns; local.simulator',
        },
      },
      at,
    );
  const kind = SIMULATOR.exec(mail.to)?.[1]?.toLowerCase();
  switch (kind) {
    case 'bounce':
      return [send, bounce('General')];
    case 'suppressionlist':
      return [send, bounce('OnAccountSuppressionList')];
    case 'complaint':
      return [
        send,
        delivery,
        envelope(
          'Email Complaint Received',
          { eventType: 'Complaint', mail: mailPart, complaint: { complainedRecipients: [{ emailAddress: mail.to }], timestamp: at, feedbackId: `local-${randomUUID()}`, complaintFeedbackType: 'abuse' } },
          at,
        ),
      ];
    default:
      return [send, delivery];
  }
}

/**
 * Registers the emulator: every accepted message produces its simulated events, handed in order to `handle`
 * `delayMs` later (SES publishes within a second or two). Returns the function that unregisters it.
 */
export function startSesEventEmulator(
  listeners: Set<(mail: SentMail) => void>,
  handle: (event: unknown) => Promise<unknown>,
  options: { delayMs?: number; onError?: (e: unknown) => void } = {},
): () => void {
  const listener = (mail: SentMail) => {
    setTimeout(() => {
      void (async () => {
        for (const event of simulatedEvents(mail)) await handle(event);
      })().catch((e: unknown) => options.onError?.(e));
    }, options.delayMs ?? 300);
  };
  listeners.add(listener);
  return () => listeners.delete(listener);
}

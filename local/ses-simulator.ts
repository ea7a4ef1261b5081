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
import { createHash } from 'node:crypto';
import type { SentMail } from '../lambdas/adapters/ses-mailer.ts';
import type { MailJournal } from './mail-journal.ts';

const SIMULATOR = /^([a-z]+)(?:\+[^@]*)?@simulator\.amazonses\.com$/i;

type Detail = Record<string, unknown>;

/**
 * A UUID-shaped id derived from the mail and the event: the events of one mail are the same however often they are
 * made (a replay from the mail journal after a crash is then a duplicate the handler recognizes, not a new bounce).
 */
function stableId(sesMessageId: string, what: string): string {
  const h = createHash('sha256').update(`${sesMessageId}#${what}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function envelope(sesMessageId: string, detailType: string, detail: Detail, time: string) {
  return { version: '0', id: stableId(sesMessageId, detailType), 'detail-type': detailType, source: 'aws.ses', account: '000000000000', time, region: 'us-east-1', resources: [], detail };
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
  const send = envelope(mail.sesMessageId, 'Email Sent', { eventType: 'Send', mail: mailPart, send: {} }, at);
  const delivery = envelope(mail.sesMessageId, 'Email Delivered', { eventType: 'Delivery', mail: mailPart, delivery: { timestamp: at, processingTimeMillis: 120, recipients: [mail.to], smtpResponse: '250 2.6.0 Message received', reportingMTA: 'local.simulator' } }, at);
  const bounce = (subType: string) =>
    envelope(
      mail.sesMessageId,
      'Email Bounced',
      {
        eventType: 'Bounce',
        mail: mailPart,
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: subType,
          bouncedRecipients: [{ emailAddress: mail.to, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
          timestamp: at,
          feedbackId: `local-${stableId(mail.sesMessageId, 'bounce')}`,
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
          mail.sesMessageId,
          'Email Complaint Received',
          { eventType: 'Complaint', mail: mailPart, complaint: { complainedRecipients: [{ emailAddress: mail.to }], timestamp: at, feedbackId: `local-${stableId(mail.sesMessageId, 'complaint')}`, complaintFeedbackType: 'abuse' } },
          at,
        ),
      ];
    default:
      return [send, delivery];
  }
}

export interface EmulatorOptions {
  /** How long after the send the events are handed over (SES publishes within a second or two). @default 300 */
  readonly delayMs?: number;
  /**
   * Waits before each retry of an event the handler failed (EventBridge retries a failed target for hours; a
   * DynamoDB Local restart takes seconds). @default [500, 1000, 2000, 4000, 8000, 15000, 30000]
   */
  readonly retryDelaysMs?: readonly number[];
  /** Every event of `mail` was handled (the local stack marks it in the mail journal). */
  readonly onHandled?: (mail: SentMail) => void;
  /** An event failed (each failed try) or was given up (`final`). */
  readonly onError?: (e: unknown, final: boolean) => void;
}

const DEFAULT_RETRY_DELAYS = [500, 1000, 2000, 4000, 8000, 15000, 30000];

/** Hands `mail`'s events to `handle` in order, each retried after the given delays; true when all were handled. */
async function deliverEvents(mail: SentMail, handle: (event: unknown) => Promise<unknown>, options: EmulatorOptions, isStopped: () => boolean): Promise<boolean> {
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS;
  for (const event of simulatedEvents(mail)) {
    for (let attempt = 0; ; attempt++) {
      try {
        await handle(event);
        break;
      } catch (e) {
        const wait = delays[attempt];
        options.onError?.(e, wait === undefined || isStopped());
        if (wait === undefined || isStopped()) return false;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
  options.onHandled?.(mail);
  return true;
}

/**
 * Registers the emulator: every accepted message produces its simulated events, handed in order to `handle`
 * `delayMs` later; an event the handler fails is retried. Returns the function that unregisters it. `listeners` is
 * the local SES's `accepted` set (the local stack) or the mailer's `sentListeners` (tests without a local SES hook).
 */
export function startSesEventEmulator(
  listeners: Set<(mail: SentMail) => void>,
  handle: (event: unknown) => Promise<unknown>,
  options: EmulatorOptions = {},
): () => void {
  let stopped = false;
  const listener = (mail: SentMail) => {
    setTimeout(() => {
      void deliverEvents(mail, handle, options, () => stopped).catch((e: unknown) => options.onError?.(e, true));
    }, options.delayMs ?? 300);
  };
  listeners.add(listener);
  return () => {
    stopped = true;
    listeners.delete(listener);
  };
}

/**
 * At start: the mail an earlier run accepted whose events were not all handled (it stopped, or was killed, in
 * between) gets its events now, through the same handler, before the senders run again. The events are the same as
 * the first time (ids derive from the mail), so what was already handled is recognized as a duplicate.
 */
export async function replayJournal(
  journal: MailJournal,
  handle: (event: unknown) => Promise<unknown>,
  options: Pick<EmulatorOptions, 'retryDelaysMs' | 'onError'> = {},
): Promise<{ replayed: number; failed: number }> {
  let replayed = 0;
  let failed = 0;
  for (const entry of journal.unhandled()) {
    const { mail: _mail, ...sent } = entry;
    const ok = await deliverEvents(sent, handle, { ...options, onHandled: (m) => journal.handled(m.sesMessageId) }, () => false);
    if (ok) replayed++;
    else failed++;
  }
  return { replayed, failed };
}

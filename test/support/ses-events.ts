/**
 * SES events in the recorded shapes of `test/fixtures/ses/`, moved to today (counters are kept by day, and the ops
 * figures are read for a range of recent days) and filled in for one sent message.
 */
import { readFileSync } from 'node:fs';

export interface SesEventValues {
  readonly messageId: string;
  readonly sesId: string;
  readonly address: string;
}

const FIXTURE_DAY = '2026-11-22';

/**
 * The fixture `name` for the message in `values`, dated today. `overrides` sets the envelope id (a redelivery of the
 * same event has a new one), the feedback id (a distinct bounce or complaint) or the event time.
 */
export function sesEvent(name: string, values: SesEventValues, overrides: { id?: string; feedbackId?: string; at?: string } = {}): Record<string, any> {
  const today = new Date().toISOString().slice(0, 10);
  const text = readFileSync(new URL(`../fixtures/ses/${name}.json`, import.meta.url), 'utf8')
    .replaceAll('__MESSAGE_ID__', values.messageId)
    .replaceAll('__SES_ID__', values.sesId)
    .replaceAll('__ADDRESS__', values.address)
    .replaceAll(FIXTURE_DAY, today);
  const event = JSON.parse(text) as Record<string, any>;
  if (overrides.id) event.id = overrides.id;
  const part = event.detail.bounce ?? event.detail.complaint;
  if (overrides.feedbackId && part) part.feedbackId = overrides.feedbackId;
  if (overrides.at && part) part.timestamp = overrides.at;
  return event;
}

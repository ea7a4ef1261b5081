/**
 * What one SES event is taken to be, from its published shape (`test/fixtures/ses/`) to what its stored event item
 * counts as on the messages stream and where that shows in `GET /v1/metrics`: the feedback that acts on nobody (SES's
 * account-level list, `not-spam` reports) must never reach `complained` or `bouncedHard`.
 */
import { describe, expect, it } from 'vitest';
import { SesEventBridgeSchema } from '../../../lambdas/schemas/ses-events.ts';
import { deliveryRankOf, isAccountSuppressed, isNotSpam, toFeedback, type Feedback } from '../../../lambdas/domain/ses-events.ts';
import { figuresOfChange } from '../../../lambdas/domain/message-figures.ts';
import { figuresOf, sumCounters } from '../../../lambdas/domain/metrics.ts';
import { sesEvent } from '../../support/ses-events.ts';

const values = { messageId: 'msg_1', sesId: '0100019a-ses-1', address: 'jane@example.com' };
const feedbackOf = (name: string, edit: (e: Record<string, any>) => void = () => {}): Feedback => {
  const event = sesEvent(name, values);
  edit(event);
  return toFeedback(SesEventBridgeSchema.parse(event).detail);
};

/** The day's counters the stream adds for the feedback's event item, as `recordFeedback` stores it for marketing mail. */
const countedAs = (f: Feedback) =>
  sumCounters(
    figuresOfChange({ eventName: 'INSERT', newImage: { pk: `M#${values.messageId}`, sk: `E#${f.at}#${f.kind}#x`, type: f.kind, at: f.at, detail: { ...f.detail }, class: 'marketing' } }).map(
      (c) => c.figures,
    ),
  );

describe('a complaint SES made up from its account-level suppression list', () => {
  const f = feedbackOf('complaint-account-suppressed');

  it('keeps its sub-type, and is account-suppressed like the bounce twin', () => {
    expect(f).toMatchObject({ kind: 'complained', detail: { complaintSubType: 'OnAccountSuppressionList' } });
    expect(isAccountSuppressed(f.kind, f.detail)).toBe(true);
  });

  it('counts as ses_suppressed, never as complained (so it cannot move the complaint rate or the auto-pause)', () => {
    expect(countedAs(f)).toEqual({ ses_suppressed: 1, ses_suppressed_marketing: 1 });
  });

  it('is not confused with a real complaint, whose sub-type SES sends as null', () => {
    const real = feedbackOf('complaint', (e) => (e.detail.complaint.complaintSubType = null));
    expect(isAccountSuppressed(real.kind, real.detail)).toBe(false);
    expect(countedAs(real)).toEqual({ complained: 1, complained_marketing: 1 });
  });
});

describe('a not-spam feedback report', () => {
  const f = feedbackOf('complaint-not-spam');

  it('is recorded as the complaint SES calls it, but is no complaint: not counted, moving no delivery status', () => {
    expect(f).toMatchObject({ kind: 'complained', detail: { feedbackType: 'not-spam' } });
    expect(isNotSpam(f.kind, f.detail)).toBe(true);
    expect(countedAs(f)).toEqual({});
    expect(deliveryRankOf(f)).toBe(0);
  });

  it('leaves an abuse report a complaint', () => {
    const abuse = feedbackOf('complaint');
    expect(isNotSpam(abuse.kind, abuse.detail)).toBe(false);
    expect(deliveryRankOf(abuse)).toBe(6);
  });
});

describe('the ses_suppressed figure', () => {
  it('shows in the ops figures as sesSuppressed, apart from hard bounces and complaints', () => {
    const bounce = feedbackOf('bounce-permanent', (e) => (e.detail.bounce.bounceSubType = 'OnAccountSuppressionList'));
    const figures = figuresOf(sumCounters([countedAs(bounce), countedAs(feedbackOf('complaint-account-suppressed'))]));
    expect(figures.sesSuppressed).toEqual({ total: 2, service: 0, marketing: 2 });
    expect(figures.bouncedHard.total).toBe(0);
    expect(figures.complained.total).toBe(0);
    expect(figuresOf({}).sesSuppressed).toEqual({ total: 0, service: 0, marketing: 0 });
  });
});

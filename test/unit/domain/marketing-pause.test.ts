import { describe, expect, it } from 'vitest';
import { DEFAULT_PAUSE_POLICY, pauseVerdict, windowCounters } from '../../../lambdas/domain/marketing-pause.ts';
import { SES_REVIEW_RATES } from '../../../lambdas/domain/metrics.ts';

const range = { from: '2026-11-01', to: '2026-11-07' };

describe('pauseVerdict', () => {
  it('pauses before SES would review: below 5 % bounces and 0.1 % complaints', () => {
    expect(DEFAULT_PAUSE_POLICY.bounceRate).toBeLessThan(SES_REVIEW_RATES.bounce);
    expect(DEFAULT_PAUSE_POLICY.complaintRate).toBeLessThan(SES_REVIEW_RATES.complaint);
    const bounce = pauseVerdict({ sent_marketing: 2000, bounced_hard: 90 }, DEFAULT_PAUSE_POLICY, range);
    expect(bounce).toMatchObject({ pause: true, reason: 'bounce rate 4.5 % ≥ 4.5 % over 2000 sent (2026-11-01 to 2026-11-07)', figures: { sent: 2000, bouncedHard: 90, bounceRate: 0.045 } });
    const complaint = pauseVerdict({ sent_service: 1000, sent_marketing: 1000, complained: 2 }, DEFAULT_PAUSE_POLICY, range);
    expect(complaint).toMatchObject({ pause: true, reason: expect.stringMatching(/^complaint rate 0\.1 % ≥ 0\.09 %/) });
  });

  it('does not pause below the thresholds', () => {
    expect(pauseVerdict({ sent_marketing: 2000, bounced_hard: 89, complained: 1 }, DEFAULT_PAUSE_POLICY, range).pause).toBe(false);
  });

  it('judges nothing below the minimum volume: one bounce in three mails pauses nothing', () => {
    expect(pauseVerdict({ sent_marketing: 3, bounced_hard: 1 }, DEFAULT_PAUSE_POLICY, range)).toMatchObject({ pause: false, figures: { bounceRate: 1 / 3 } });
    expect(pauseVerdict({ sent_marketing: 999, bounced_hard: 999 }, DEFAULT_PAUSE_POLICY, range).pause).toBe(false);
    expect(pauseVerdict({}, DEFAULT_PAUSE_POLICY, range)).toMatchObject({ pause: false, figures: { sent: 0, bounceRate: null } });
  });

  it('honours a custom policy', () => {
    expect(pauseVerdict({ sent_marketing: 10, bounced_hard: 1 }, { ...DEFAULT_PAUSE_POLICY, minSent: 10, bounceRate: 0.1 }, range).pause).toBe(true);
  });
});

describe('windowCounters', () => {
  const days: Array<{ day: string; figures: Record<string, number> }> = [
    { day: '2026-11-01', figures: { sent_marketing: 100, bounced_hard: 10 } },
    { day: '2026-11-02', figures: { sent_marketing: 50, bounced_hard: 6 } },
    { day: '2026-11-03', figures: { sent_marketing: 20 } },
  ];

  it('sums the window', () => {
    expect(windowCounters(days)).toEqual({ sent_marketing: 170, bounced_hard: 16 });
  });

  it('after a resume, leaves out earlier days and what the resume day had counted before it', () => {
    expect(windowCounters(days, { day: '2026-11-02', counters: { sent_marketing: 40, bounced_hard: 6 } })).toEqual({ sent_marketing: 30, bounced_hard: 0 });
    // A resume day no longer in the window (or before it) changes nothing but the cut.
    expect(windowCounters(days, { day: '2026-10-20', counters: { sent_marketing: 999 } })).toEqual({ sent_marketing: 170, bounced_hard: 16 });
  });
});

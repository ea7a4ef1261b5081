import { describe, expect, it } from 'vitest';
import { parsePolicies } from '../../../lambdas/adapters/container.ts';
import { DEFAULT_PAUSE_POLICY } from '../../../lambdas/domain/marketing-pause.ts';
import { DEFAULT_SOFT_BOUNCE_POLICY } from '../../../lambdas/domain/soft-bounces.ts';
import { ENV } from '../../../lambdas/wiring/env-keys.ts';

describe('parsePolicies', () => {
  it('fills the documented defaults', () => {
    expect(parsePolicies({})).toEqual({ softBounces: DEFAULT_SOFT_BOUNCE_POLICY, pausePolicy: DEFAULT_PAUSE_POLICY });
    expect(DEFAULT_SOFT_BOUNCE_POLICY).toEqual({ limit: 3, windowDays: 7, suppressDays: 30 });
    expect(DEFAULT_PAUSE_POLICY).toEqual({ bounceRate: 0.045, complaintRate: 0.0009, minSent: 1000, windowDays: 7 });
  });

  it('reads every variable', () => {
    const env = {
      [ENV.softBounceLimit]: '5',
      [ENV.softBounceWindowDays]: '14',
      [ENV.softBounceSuppressDays]: '10',
      [ENV.pauseBounceRate]: '0.03',
      [ENV.pauseComplaintRate]: '0.0005',
      [ENV.pauseMinSent]: '500',
      [ENV.pauseWindowDays]: '3',
      [ENV.pauseWindowDays.replace('DAYS', 'X')]: 'ignored',
    };
    expect(parsePolicies(env)).toEqual({
      softBounces: { limit: 5, windowDays: 14, suppressDays: 10 },
      pausePolicy: { bounceRate: 0.03, complaintRate: 0.0005, minSent: 500, windowDays: 3 },
    });
  });

  it('refuses a pause threshold at or above SES review, or a non-number, naming the variable', () => {
    expect(() => parsePolicies({ [ENV.pauseBounceRate]: '0.05' })).toThrow(/SENDWELL_PAUSE_BOUNCE_RATE: must be below SES's review threshold 0\.05/);
    expect(() => parsePolicies({ [ENV.pauseComplaintRate]: '0.002' })).toThrow(/SENDWELL_PAUSE_COMPLAINT_RATE/);
    expect(() => parsePolicies({ [ENV.softBounceLimit]: 'three' })).toThrow(/SENDWELL_SOFT_BOUNCE_LIMIT/);
  });
});

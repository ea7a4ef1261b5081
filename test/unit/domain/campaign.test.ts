import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_FROM,
  backoffMs,
  campaignMessageId,
  campaignProgress,
  canDo,
  derivedBatchId,
  isThrottle,
  matchesAudience,
  sesPauseReason,
  type CampaignAction,
  type CampaignStatus,
} from '../../../lambdas/domain/campaign.ts';
import { SendBatchSchema } from '../../../lambdas/schemas/campaign-queues.ts';

describe('matchesAudience', () => {
  const pro = { country: 'DE', attributes: { plan: 'pro', seats: 5, beta: true } };

  it('no filter (or an empty one) matches everyone', () => {
    expect(matchesAudience(pro, undefined)).toBe(true);
    expect(matchesAudience({ attributes: {} }, {})).toBe(true);
  });

  it('countries: the recipient must be in one of them; no country never matches', () => {
    expect(matchesAudience(pro, { countries: ['AT', 'DE'] })).toBe(true);
    expect(matchesAudience(pro, { countries: ['US'] })).toBe(false);
    expect(matchesAudience({ attributes: {} }, { countries: ['DE'] })).toBe(false);
  });

  it('attributes: equal to the value or one of a list, as segments compare (5 is "5", true is "true"); all conditions must hold', () => {
    expect(matchesAudience(pro, { attributes: { plan: 'pro' } })).toBe(true);
    expect(matchesAudience(pro, { attributes: { plan: ['team', 'pro'] } })).toBe(true);
    expect(matchesAudience(pro, { attributes: { seats: 5, beta: true } })).toBe(true);
    // A CSV import stores text, the JSON API types, the console sends text: the same person either way.
    expect(matchesAudience(pro, { attributes: { seats: '5', beta: 'true' } })).toBe(true);
    expect(matchesAudience({ attributes: { seats: '5', beta: 'TRUE' } }, { attributes: { seats: 5, beta: true } })).toBe(true);
    expect(matchesAudience(pro, { attributes: { seats: '6' } })).toBe(false);
    expect(matchesAudience(pro, { attributes: { plan: 'PRO' } })).toBe(false);
    expect(matchesAudience(pro, { attributes: { plan: 'pro', beta: false } })).toBe(false);
    expect(matchesAudience(pro, { attributes: { missing: 'x' } })).toBe(false);
    expect(matchesAudience(pro, { countries: ['DE'], attributes: { plan: 'free' } })).toBe(false);
  });

  it('adding a condition never lets more recipients in (property)', () => {
    const value = fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 3 }), fc.boolean());
    const candidate = fc.record({ country: fc.option(fc.constantFrom('DE', 'US', 'FR'), { nil: undefined }), attributes: fc.dictionary(fc.constantFrom('x', 'y', 'z'), value) });
    const filter = fc.record({ countries: fc.option(fc.array(fc.constantFrom('DE', 'US', 'FR'), { minLength: 1 }), { nil: undefined }), attributes: fc.dictionary(fc.constantFrom('x', 'y', 'z'), value) });
    fc.assert(
      fc.property(candidate, filter, fc.constantFrom('x', 'y', 'z'), value, (c, f, name, v) => {
        const narrower = { ...f, attributes: { ...f.attributes, [name]: v } };
        if (matchesAudience(c, narrower) && !(name in f.attributes)) expect(matchesAudience(c, f)).toBe(true);
      }),
    );
  });
});

describe('campaign transitions', () => {
  const statuses: CampaignStatus[] = ['draft', 'scheduled', 'sending', 'paused', 'completed', 'cancelled'];
  it('a finished campaign (completed, cancelled) allows nothing', () => {
    for (const action of Object.keys(ALLOWED_FROM) as CampaignAction[]) {
      expect(canDo(action, 'completed')).toBe(false);
      expect(canDo(action, 'cancelled')).toBe(false);
    }
  });
  it('only a draft changes; only sending pauses; only paused resumes', () => {
    expect(statuses.filter((s) => canDo('update', s))).toEqual(['draft']);
    expect(statuses.filter((s) => canDo('pause', s))).toEqual(['sending']);
    expect(statuses.filter((s) => canDo('resume', s))).toEqual(['paused']);
    expect(statuses.filter((s) => canDo('launch', s))).toEqual(['draft', 'scheduled']);
  });
});

describe('campaignProgress', () => {
  const base = { audience: 100, audienceComplete: true, excluded: 10, sent: 40, failed: 2, held: { opted_out: 5, complained: 3 } };

  it('adds up: targeted = audience − excluded = sent + held + failed + remaining', () => {
    const p = campaignProgress(base, { now: new Date('2026-01-01T00:00:10Z'), launchedAt: '2026-01-01T00:00:00Z', pausedMs: 0 });
    expect(p).toMatchObject({ targeted: 90, heldTotal: 8, remaining: 40, ratePerSecond: 5, etaSeconds: 8 });
    expect(p.sent + p.heldTotal + p.failed + p.remaining).toBe(p.targeted);
  });

  it('pauses do not count against the rate; no ETA while the audience is still being found', () => {
    const paused = campaignProgress(base, { now: new Date('2026-01-01T00:00:20Z'), launchedAt: '2026-01-01T00:00:00Z', pausedMs: 10_000 });
    expect(paused.ratePerSecond).toBe(5);
    const finding = campaignProgress({ ...base, audienceComplete: false }, { now: new Date('2026-01-01T00:00:10Z'), launchedAt: '2026-01-01T00:00:00Z', pausedMs: 0 });
    expect(finding.etaSeconds).toBeUndefined();
  });

  it('an A/B test’s holdout is settled (not remaining) and shown; a campaign without one shows no holdout', () => {
    const p = campaignProgress({ ...base, holdout: 9, variants: {} }, { now: new Date('2026-01-01T00:00:10Z'), launchedAt: '2026-01-01T00:00:00Z', pausedMs: 0 });
    expect(p).toMatchObject({ holdout: 9, remaining: 31 });
    expect(p.sent + p.heldTotal + p.failed + p.holdout! + p.remaining).toBe(p.targeted);
    expect(campaignProgress(base, { now: new Date(), pausedMs: 0 })).not.toHaveProperty('holdout');
  });

  it('before launch: no rate, no ETA, nothing negative even if more settled than found (a re-run page)', () => {
    expect(campaignProgress({ ...base, sent: 0, failed: 0, held: {} }, { now: new Date(), pausedMs: 0 }).ratePerSecond).toBeUndefined();
    expect(campaignProgress({ ...base, sent: 95 }, { now: new Date('2026-01-01T00:00:10Z'), launchedAt: '2026-01-01T00:00:00Z', pausedMs: 0 }).remaining).toBe(0);
  });
});

describe('SES errors', () => {
  it('tells a throttle from a refusal', () => {
    expect(isThrottle({ name: 'TooManyRequestsException' })).toBe(true);
    expect(isThrottle({ name: 'LimitExceededException', message: 'Maximum sending rate exceeded.' })).toBe(true);
    expect(isThrottle({ name: 'Throttling', message: 'Rate exceeded' })).toBe(true);
    expect(isThrottle({ name: 'MessageRejected', message: 'Email address is not verified.' })).toBe(false);
    expect(isThrottle({ name: 'LimitExceededException', message: 'Daily message quota exceeded.' })).toBe(false);
  });

  it('names an account-wide stop', () => {
    expect(sesPauseReason({ name: 'SendingPausedException' })).toBe('ses_sending_paused');
    expect(sesPauseReason({ name: 'AccountSuspendedException' })).toBe('ses_account_suspended');
    expect(sesPauseReason({ name: 'TooManyRequestsException' })).toBeUndefined();
  });

  it('backs off exponentially up to a cap, jittered below the ceiling', () => {
    expect(backoffMs(1, 100, 5000, () => 0.999)).toBe(99);
    expect(backoffMs(4, 100, 5000, () => 0.999)).toBe(799);
    expect(backoffMs(20, 100, 5000, () => 0.999)).toBe(4995);
    expect(backoffMs(3, 100, 5000, () => 0)).toBe(0);
  });
});

describe('queue messages', () => {
  it('one message id per campaign and recipient, valid in tokens and routes', () => {
    expect(campaignMessageId('cmp_a1', 'rcp_b2')).toBe('cmp_a1-rcp_b2');
  });
  it('a send batch holds 1-50 recipients', () => {
    expect(SendBatchSchema.safeParse({ campaignId: 'c', batchId: 'p0-0', recipientIds: [] }).success).toBe(false);
    expect(SendBatchSchema.safeParse({ campaignId: 'c', batchId: 'p0-0', recipientIds: Array.from({ length: 51 }, (_, i) => `r${i}`) }).success).toBe(false);
    expect(SendBatchSchema.safeParse({ campaignId: 'c', batchId: 'p0-0', recipientIds: ['r1'], attempt: 2 }).success).toBe(true);
  });
});

describe('derived batch ids', () => {
  it('number a repeated step instead of growing: a day of looking again stays a valid queue message', () => {
    expect(derivedBatchId('p12-3', 'check')).toBe('p12-3~check');
    expect(derivedBatchId('p12-3~check', 'check')).toBe('p12-3~check2');
    expect(derivedBatchId('p12-3~check9', 'check')).toBe('p12-3~check10');
    expect(derivedBatchId('p12-3~check2', 'more')).toBe('p12-3~check2~more');
    expect(derivedBatchId('p12-3~more~parked', 'parked')).toBe('p12-3~more~parked2');
    // A stale claim inside quiet hours is looked at again every reconcile window (600 s): 144 times in a day.
    let id = 'due-0123456789abcdef0123456789abcdef~3';
    const seen = new Set<string>();
    for (let i = 0; i < 144; i++) {
      id = derivedBatchId(id, 'check');
      seen.add(id);
      expect(SendBatchSchema.safeParse({ campaignId: 'c', batchId: id, recipientIds: ['r1'] }).success).toBe(true);
    }
    // Each round its own id (recipients without a record are counted once per batch id).
    expect(seen.size).toBe(144);
  });
});

describe('waiting recipients in the progress', () => {
  it('sums the wait items by kind, soonest first, leaving out emptied moments; no ETA while any wait', async () => {
    const { waitingCounts, campaignProgress } = await import('../../../lambdas/domain/campaign.ts');
    const w = waitingCounts([
      { deferral: 'local_time', until: '2026-12-06T17:00:00.000Z', n: 2 },
      { deferral: 'quiet_hours', until: '2026-12-06T08:00:00.000Z', n: 1 },
      { deferral: 'local_time', until: '2026-12-06T08:00:00.000Z', n: 3 },
      { deferral: 'local_time', until: '2026-12-05T19:00:00.000Z', n: 0 },
    ]);
    expect(w).toEqual({
      scheduled: 5,
      deferred: 1,
      nextDueAt: '2026-12-06T08:00:00.000Z',
      timeline: [
        { at: '2026-12-06T08:00:00.000Z', scheduled: 3, deferred: 1 },
        { at: '2026-12-06T17:00:00.000Z', scheduled: 2, deferred: 0 },
      ],
    });
    const counters = { audience: 10, audienceComplete: true, excluded: 0, sent: 4, failed: 0, held: {}, late: 1 };
    const times = { now: new Date('2026-01-01T00:00:10Z'), launchedAt: '2026-01-01T00:00:00Z', pausedMs: 0 };
    expect(campaignProgress(counters, times, w)).toMatchObject({ scheduled: 5, deferred: 1, late: 1, remaining: 6, nextDueAt: '2026-12-06T08:00:00.000Z' });
    expect(campaignProgress(counters, times, w).etaSeconds).toBeUndefined();
    expect(campaignProgress(counters, times).etaSeconds).toBe(15);
  });
});

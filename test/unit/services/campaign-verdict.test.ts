import { describe, expect, it } from 'vitest';
import type { SendingView, StoredProfile } from '../../../lambdas/adapters/dynamo/recipient-store.ts';
import type { SuppressionRecord } from '../../../lambdas/schemas/model.ts';
import { campaignVerdict } from '../../../lambdas/services/campaign-verdict.ts';

const now = new Date('2026-11-22T10:00:00Z');
const profile = (over: Partial<StoredProfile> = {}): StoredProfile => ({
  id: 'rcp_1',
  email: 'a@example.com',
  address: 'a@example.com',
  addressHash: 'h1',
  country: 'US',
  attributes: { plan: 'pro' },
  unsubscribedAll: false,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});
const optedIn: SendingView = { profile: profile(), consent: { topic: 'news', status: 'opted_in', updatedAt: '2026-01-01T00:00:00Z', source: 'signup_form' } };
const none = new Map<string, SuppressionRecord[]>();
const marketing = { class: 'marketing' as const, topic: 'news' };

const outcome = (v: ReturnType<typeof campaignVerdict>) => (v === 'excluded' ? 'excluded' : v.decision.action === 'hold' ? v.decision.reason : v.decision.action);

describe('campaignVerdict', () => {
  it('sends marketing to an opted-in recipient the filter keeps', () => {
    expect(outcome(campaignVerdict({ ...marketing, audience: { countries: ['US'], attributes: { plan: 'pro' } } }, optedIn, none, now))).toBe('send');
  });

  it('excludes whom the audience filter leaves out, before the send rule is asked', () => {
    const unsubscribed = { ...optedIn, profile: profile({ country: 'FR', unsubscribedAll: true }) };
    expect(outcome(campaignVerdict({ ...marketing, audience: { countries: ['US'] } }, unsubscribed, none, now))).toBe('excluded');
  });

  it('holds by the send rule: unsubscribed from all, a complaint, a hard bounce', () => {
    expect(outcome(campaignVerdict(marketing, { ...optedIn, profile: profile({ unsubscribedAll: true }) }, none, now))).toBe('unsubscribed_all');
    const suppressed = (reason: SuppressionRecord['reason'], scope: SuppressionRecord['scope']) =>
      new Map([['h1', [{ reason, scope, createdAt: '2026-02-01T00:00:00Z', source: 'test' }]]]);
    expect(outcome(campaignVerdict(marketing, optedIn, suppressed('complaint', 'marketing'), now))).toBe('complained');
    expect(outcome(campaignVerdict(marketing, optedIn, suppressed('hard_bounce', 'all'), now))).toBe('undeliverable');
  });

  it('reads only the consent to the campaign’s topic', () => {
    expect(outcome(campaignVerdict(marketing, { profile: profile() }, none, now))).toBe('not_opted_in');
  });

  it('a service broadcast goes to everyone whatever their marketing consent', () => {
    expect(outcome(campaignVerdict({ class: 'service' }, { profile: profile({ unsubscribedAll: true }) }, none, now))).toBe('send');
  });
});

import { describe, expect, it } from 'vitest';
import { signWebhook, toPartnerEvent, verifyWebhook } from '../../../lambdas/domain/partner-events.ts';

const change = { at: '2026-11-22T10:00:00Z', recipientId: 'rcp_1', from: 'opted_in', to: 'opted_out', source: 'one_click' };

describe('toPartnerEvent', () => {
  it('relays consent, unsubscribe-all, sharing, tracking and erasure changes', () => {
    expect(toPartnerEvent({ ...change, subject: 'topic:news' }, 'e1')).toMatchObject({ id: 'e1', type: 'consent.changed', topic: 'news', to: 'opted_out' });
    expect(toPartnerEvent({ ...change, subject: 'unsubscribed_all' }, 'e2')?.type).toBe('marketing.unsubscribed_all');
    expect(toPartnerEvent({ ...change, subject: 'do_not_sell' }, 'e3')?.type).toBe('sharing.changed');
    expect(toPartnerEvent({ ...change, subject: 'tracking' }, 'e4')?.type).toBe('tracking.changed');
    expect(toPartnerEvent({ ...change, subject: 'recipient', from: null, to: 'erased' }, 'e5')?.type).toBe('recipient.erased');
  });

  it('keeps internal bookkeeping to itself', () => {
    expect(toPartnerEvent({ ...change, subject: 'recipient', from: null, to: 'created' }, 'x')).toBeUndefined();
    expect(toPartnerEvent({ ...change, subject: 'country' }, 'x')).toBeUndefined();
    expect(toPartnerEvent({ ...change, subject: 'suppression:complaint' }, 'x')).toBeUndefined();
  });
});

describe('webhook signatures', () => {
  const body = '{"id":"e1"}';
  const now = 1_800_000_000;

  it('verify with the partner secret within the tolerance', () => {
    expect(verifyWebhook(body, signWebhook(body, 's3cret', now), 's3cret', now + 10)).toBe(true);
  });

  it('fail for another secret, another body, an old timestamp or a garbled header', () => {
    const header = signWebhook(body, 's3cret', now);
    expect(verifyWebhook(body, header, 'other', now)).toBe(false);
    expect(verifyWebhook('{"id":"e2"}', header, 's3cret', now)).toBe(false);
    expect(verifyWebhook(body, header, 's3cret', now + 301)).toBe(false);
    expect(verifyWebhook(body, 'v1=abc', 's3cret', now)).toBe(false);
    expect(verifyWebhook(body, undefined, 's3cret', now)).toBe(false);
  });
});

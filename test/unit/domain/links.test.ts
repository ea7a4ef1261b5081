import { describe, expect, it } from 'vitest';
import { buildLinks } from '../../../lambdas/domain/links.ts';
import { verifyToken, type Keyring } from '../../../lambdas/domain/tokens.ts';

const keyring: Keyring = { current: 'k1', keys: { k1: 'a-test-key-of-enough-length-000' } };
const now = new Date('2026-11-22T00:00:00Z');
const base = { baseUrl: 'https://m.example', keyring, recipientId: 'rcp_1', messageId: 'msg_1', now };
const token = (url: string) => url.split('/').at(-1)!.replace(/\.gif$/, '');

describe('buildLinks', () => {
  it('gives marketing an unsubscribe token bound to the topic, and one-click the same URL', () => {
    const links = buildLinks({ ...base, class: 'marketing', topic: 'news', trackingAllowed: false });
    expect(links.oneClickUrl).toBe(links.unsubscribeUrl);
    const v = verifyToken(token(links.unsubscribeUrl!), 'unsubscribe', keyring, now);
    expect(v).toMatchObject({ ok: true, payload: { recipientId: 'rcp_1', topic: 'news', messageId: 'msg_1' } });
    expect(links.pixelUrl).toBeUndefined();
    expect(links.clickUrl).toBeUndefined();
  });

  it('gives service mail a preference link and nothing to unsubscribe from', () => {
    const links = buildLinks({ ...base, class: 'service', trackingAllowed: false });
    expect(links.unsubscribeUrl).toBeUndefined();
    expect(links.mailtoUnsubscribe).toBeUndefined();
    expect(verifyToken(token(links.preferencesUrl), 'preferences', keyring, now).ok).toBe(true);
  });

  it('makes pixel and click links only when tracking is allowed, each bound to its purpose', () => {
    const links = buildLinks({ ...base, class: 'service', trackingAllowed: true });
    expect(links.pixelUrl).toMatch(/^https:\/\/m\.example\/o\/.+\.gif$/);
    expect(verifyToken(token(links.pixelUrl!), 'open', keyring, now).ok).toBe(true);
    expect(verifyToken(token(links.pixelUrl!), 'unsubscribe', keyring, now)).toEqual({ ok: false, reason: 'wrong_purpose' });
    const click = token(links.clickUrl!(3));
    expect(verifyToken(click, 'click', keyring, now)).toMatchObject({ ok: true, payload: { linkIndex: 3 } });
  });

  it('adds a confirm link for the topic being confirmed and a mailto alternative when a mailbox is set', () => {
    const links = buildLinks({ ...base, class: 'marketing', topic: 'news', trackingAllowed: false, confirmTopic: 'beta', unsubscribeMailbox: 'unsub@m.example' });
    expect(verifyToken(token(links.confirmUrl!), 'confirm', keyring, now)).toMatchObject({ ok: true, payload: { topic: 'beta' } });
    expect(links.mailtoUnsubscribe).toMatch(/^mailto:unsub@m\.example\?subject=unsubscribe%20/);
  });
});

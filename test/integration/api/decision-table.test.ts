/**
 * Every row of DESIGN.md's "who gets what" table, end to end: the real handlers behind the local gateway, DynamoDB
 * Local and the local SES. For each recipient state a service mail and a marketing mail are sent through
 * `POST /v1/messages`; the answer, the stored message record and the captured mail are checked.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoDb } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { SuppressionStore } from '../../../lambdas/adapters/dynamo/suppression-store.ts';
import { runtimeKeys } from '../../../lambdas/adapters/keys.ts';
import { addressHash } from '../../../lambdas/domain/email-address.ts';
import { adminClient } from '../../support/admin-client.ts';
import type { TestGateway } from '../../support/gateway.ts';
import { useGateway } from '../../support/suite.ts';
import { header, hrefs, mailTo, uniqueAddress } from '../../support/mailbox.ts';

let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
const topic = `news-${Date.now().toString(36)}`;
const marketing = `weekly-${Date.now().toString(36)}`;
const service = `receipt-${Date.now().toString(36)}`;

const suite = useGateway();

beforeAll(async () => {
  gw = suite.gw;
  api = suite.api;
  expect((await api.post('/v1/topics', { id: topic, name: 'Weekly news', description: 'What is new, once a week' })).status).toBe(201);
  const m = await api.post('/v1/templates', {
    id: marketing,
    class: 'marketing',
    topic,
    subject: 'News for {{name}}',
    html: '<html><body><p>Hi {{name}}</p><p><a href="https://shop.example/sale?a=1&amp;b=2">Sale</a></p><footer><a href="{{unsubscribe_url}}">Unsubscribe</a> · <a href="{{preferences_url}}">Preferences</a> · {{postal_address}}</footer></body></html>',
    text: 'Hi {{name}}\nSale: https://shop.example/sale\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}',
  });
  expect(m.status).toBe(201);
  const s = await api.post('/v1/templates', {
    id: service,
    class: 'service',
    subject: 'Your receipt {{order}}',
    html: '<html><body><p>Order {{order}}</p><p><a href="{{preferences_url}}">Preferences</a></p></body></html>',
    text: 'Order {{order}}\nPreferences: {{preferences_url}}',
  });
  expect(s.status).toBe(201);
});

async function recipient(label: string, country = 'US') {
  const email = uniqueAddress(label);
  const res = await api.post('/v1/recipients', { email, country, welcome: false });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, email };
}

const optIn = (id: string) => api.put(`/v1/recipients/${id}/consents/${topic}`, { status: 'opted_in', source: 'api' });

async function sendBoth(to: { recipientId: string } | { email: string }) {
  const svc = await api.post('/v1/messages', { template: service, to, data: { order: 'A-1' } });
  const mkt = await api.post('/v1/messages', { template: marketing, to, data: { name: 'Jane' } });
  expect(svc.status).toBe(202);
  expect(mkt.status).toBe(202);
  return { service: svc.body, marketing: mkt.body };
}

async function suppress(email: string, reason: 'hard_bounce' | 'complaint' | 'erased') {
  // `erased` is written by the erasure flow, which is not an admin route: write the tombstone as it would.
  const keys = await runtimeKeys();
  const store = new SuppressionStore(dynamoDb(), config().tables);
  await store.put(addressHash(email, keys.addressPepper), {
    reason,
    scope: reason === 'complaint' ? 'marketing' : 'all',
    createdAt: new Date().toISOString(),
    source: 'test',
  });
}

describe('who gets what', () => {
  it('opted in: both go out; marketing carries the one-click headers, footer links, postal address and pixel', async () => {
    const r = await recipient('optedin');
    expect((await optIn(r.id)).body.consents[topic].status).toBe('opted_in');
    const out = await sendBoth({ recipientId: r.id });
    expect(out.service).toMatchObject({ status: 'sent' });
    expect(out.marketing).toMatchObject({ status: 'sent' });

    const mails = await mailTo(r.email);
    expect(mails).toHaveLength(2);
    const [svc, mkt] = [mails.find((m) => m.subject === 'Your receipt A-1')!, mails.find((m) => m.subject === 'News for Jane')!];
    expect(svc).toBeDefined();
    expect(mkt).toBeDefined();

    // Marketing: RFC 2369 / 8058 headers, through SES's structured Headers.
    const listUnsubscribe = header(mkt, 'List-Unsubscribe');
    expect(listUnsubscribe).toMatch(/^<http:\/\/127\.0\.0\.1:3000\/u\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+>, <mailto:unsubscribe@sendwell\.local\?subject=unsubscribe%20[A-Za-z0-9_.-]+>$/);
    expect(header(mkt, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const links = hrefs(mkt.body.html ?? '');
    const unsubscribeUrl = /^<([^>]+)>/.exec(listUnsubscribe!)![1]!;
    expect(links).toContain(unsubscribeUrl);
    expect(links.some((l) => /\/p\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(l))).toBe(true);
    expect(mkt.body.text).toContain(unsubscribeUrl);
    expect(mkt.body.html).toContain('Sendwell Local, 1 Example Street, Springfield');
    expect(mkt.body.text).toContain('Sendwell Local, 1 Example Street, Springfield');
    // US default: tracking on → pixel and tracked links (never the unsubscribe or preference link).
    expect(mkt.body.html).toMatch(/<img src="http:\/\/127\.0\.0\.1:3000\/o\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.gif" width="1" height="1" alt="">/);
    expect(links.filter((l) => l.includes('/c/'))).toHaveLength(1);
    expect(links).not.toContain('https://shop.example/sale?a=1&b=2');

    // Service: preference link, no one-click header (nothing to unsubscribe from).
    expect(header(svc, 'List-Unsubscribe')).toBeUndefined();
    expect(header(svc, 'List-Unsubscribe-Post')).toBeUndefined();
    expect(hrefs(svc.body.html ?? '').some((l) => l.includes('/p/'))).toBe(true);

    const record = await api.get(`/v1/messages/${out.marketing.messageId}`);
    expect(record.body).toMatchObject({ status: 'sent', class: 'marketing', topic, recipientId: r.id, links: ['https://shop.example/sale?a=1&b=2'] });
    expect(record.body.sesMessageId).toBe(mkt.messageId);
    // Since issue 17 the send is the record's own `sentAt`, not an event item of its own.
    expect(typeof record.body.sentAt).toBe('string');
    expect(record.body.events.map((e: { type: string }) => e.type)).not.toContain('send');
  });

  it('never opted in: service goes out, marketing is held as not_opted_in', async () => {
    const r = await recipient('never');
    const out = await sendBoth({ recipientId: r.id });
    expect(out.service.status).toBe('sent');
    expect(out.marketing).toMatchObject({ status: 'held', reason: 'not_opted_in' });
    expect((await mailTo(r.email)).map((m) => m.subject)).toEqual(['Your receipt A-1']);
    expect((await api.get(`/v1/messages/${out.marketing.messageId}`)).body).toMatchObject({ status: 'held', reason: 'not_opted_in' });
  });

  it('opt-in pending confirmation (EU): held as pending_confirmation until the confirm link is used; no pixel without consent', async () => {
    const r = await recipient('pending', 'DE');
    const state = await optIn(r.id);
    expect(state.body.consents[topic].status).toBe('pending');
    const confirmMail = (await mailTo(r.email)).find((m) => m.subject.startsWith('Please confirm'));
    expect(confirmMail).toBeDefined();
    expect(header(confirmMail!, 'List-Unsubscribe')).toBeUndefined();

    let out = await sendBoth({ recipientId: r.id });
    expect(out.service.status).toBe('sent');
    expect(out.marketing).toMatchObject({ status: 'held', reason: 'pending_confirmation' });

    const confirmUrl = hrefs(confirmMail!.body.html ?? '').find((l) => l.includes('/confirm/'))!;
    const path = new URL(confirmUrl).pathname;
    const page = await gw.call(path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Yes, subscribe me');
    expect((await api.get(`/v1/recipients/${r.id}`)).body.consents[topic].status).toBe('pending'); // GET changed nothing
    const confirmed = await gw.call(path, { method: 'POST' });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('You are subscribed');

    const after = (await api.get(`/v1/recipients/${r.id}`)).body;
    expect(after.consents[topic]).toMatchObject({ status: 'opted_in', source: 'confirmation' });
    expect(after.consents[topic].confirmedAt).toBeDefined();
    out = await sendBoth({ recipientId: r.id });
    expect(out.marketing.status).toBe('sent');
    const news = (await mailTo(r.email)).find((m) => m.subject === 'News for Jane')!;
    expect(news.body.html).not.toContain('/o/');
    expect(hrefs(news.body.html ?? '').some((l) => l.includes('/c/'))).toBe(false);
  });

  it('opted out: held as opted_out', async () => {
    const r = await recipient('optedout');
    await optIn(r.id);
    expect((await api.put(`/v1/recipients/${r.id}/consents/${topic}`, { status: 'opted_out' })).body.consents[topic].status).toBe('opted_out');
    const out = await sendBoth({ recipientId: r.id });
    expect(out.service.status).toBe('sent');
    expect(out.marketing).toMatchObject({ status: 'held', reason: 'opted_out' });
  });

  it('unsubscribed from all marketing: held as unsubscribed_all, service continues', async () => {
    const r = await recipient('unsuball');
    await optIn(r.id);
    expect((await api.put(`/v1/recipients/${r.id}/preferences`, { unsubscribedAll: true })).body.unsubscribedAll).toBe(true);
    const out = await sendBoth({ recipientId: r.id });
    expect(out.service.status).toBe('sent');
    expect(out.marketing).toMatchObject({ status: 'held', reason: 'unsubscribed_all' });
  });

  it('spam complaint on record: held as complained, a password reset still goes out', async () => {
    const r = await recipient('complained');
    await optIn(r.id);
    await suppress(r.email, 'complaint');
    const out = await sendBoth({ recipientId: r.id });
    expect(out.service.status).toBe('sent');
    expect(out.marketing).toMatchObject({ status: 'held', reason: 'complained' });
  });

  it('hard bounce on record: both held as undeliverable, nothing reaches SES', async () => {
    const r = await recipient('bounced');
    await optIn(r.id);
    await suppress(r.email, 'hard_bounce');
    const out = await sendBoth({ recipientId: r.id });
    expect(out.service).toMatchObject({ status: 'held', reason: 'undeliverable' });
    expect(out.marketing).toMatchObject({ status: 'held', reason: 'undeliverable' });
    expect(await mailTo(r.email)).toHaveLength(0);
  });

  it('erased (only a hashed tombstone): service only because the caller supplies the address, marketing held as erased', async () => {
    const email = uniqueAddress('erased');
    await suppress(email, 'erased');
    const out = await sendBoth({ email });
    expect(out.service.status).toBe('sent');
    expect(out.marketing).toMatchObject({ status: 'held', reason: 'erased' });
    expect((await mailTo(email)).map((m) => m.subject)).toEqual(['Your receipt A-1']);
  });

  it('unknown recipient id: held as unknown_recipient', async () => {
    const out = await api.post('/v1/messages', { template: service, to: { recipientId: 'rcp_doesnotexist' }, data: { order: 'x' } });
    expect(out).toMatchObject({ status: 202, body: { status: 'held', reason: 'unknown_recipient' } });
  });

  it('counts holds by reason', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const { MessageStore } = await import('../../../lambdas/adapters/dynamo/message-store.ts');
    const counters = await new MessageStore(dynamoDb(), config().tables).dayCounters(day);
    expect(counters.held_reason_not_opted_in).toBeGreaterThanOrEqual(1);
    expect(counters.held_reason_undeliverable).toBeGreaterThanOrEqual(2);
    expect(counters.sent_service).toBeGreaterThanOrEqual(6);
  });
});

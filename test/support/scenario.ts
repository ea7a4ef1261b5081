/**
 * A marketing setup most public-endpoint tests share: a topic, a marketing template with a tracked link, a service
 * template, and helpers to make an opted-in recipient and send them mail through the admin API.
 */
import { expect } from 'vitest';
import type { adminClient } from './admin-client.ts';
import { header, mailTo, uniqueAddress, type CapturedMail } from './mailbox.ts';

export interface Scenario {
  readonly topic: string;
  readonly topicName: string;
  readonly marketing: string;
  readonly service: string;
  recipient(label: string, country?: string): Promise<{ id: string; email: string }>;
  sendMarketing(to: { recipientId: string }): Promise<{ messageId: string; status: string; reason?: string }>;
  sendService(to: { recipientId: string }): Promise<{ messageId: string; status: string; reason?: string }>;
  /** The last marketing mail captured for `email`. */
  lastMarketingMail(email: string): Promise<CapturedMail>;
}

export async function marketingScenario(api: ReturnType<typeof adminClient>, label: string): Promise<Scenario> {
  const suffix = `${label}-${Date.now().toString(36)}`;
  const topic = `t-${suffix}`;
  const topicName = `Offers ${suffix}`;
  const marketing = `m-${suffix}`;
  const service = `s-${suffix}`;
  expect((await api.post('/v1/topics', { id: topic, name: topicName, description: 'Deals and offers' })).status).toBe(201);
  expect(
    (
      await api.post('/v1/templates', {
        id: marketing,
        class: 'marketing',
        topic,
        subject: `Offer ${suffix}`,
        html: '<html><body><p>Hello</p><p><a href="https://shop.example/deal?x=1">See the deal</a></p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> · <a href="{{preferences_url}}">Preferences</a></p><p>{{postal_address}}</p></body></html>',
        text: 'Hello\nhttps://shop.example/deal?x=1\nUnsubscribe: {{unsubscribe_url}}\nPreferences: {{preferences_url}}\n{{postal_address}}',
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await api.post('/v1/templates', {
        id: service,
        class: 'service',
        subject: `Receipt ${suffix}`,
        html: '<p>Receipt</p><a href="{{preferences_url}}">Preferences</a>',
        text: 'Receipt {{preferences_url}}',
      })
    ).status,
  ).toBe(201);

  return {
    topic,
    topicName,
    marketing,
    service,
    async recipient(name, country = 'US') {
      const email = uniqueAddress(name);
      const r = await api.post('/v1/recipients', { email, country, welcome: false });
      expect(r.status).toBe(201);
      expect((await api.put(`/v1/recipients/${r.body.id}/consents/${topic}`, { status: 'opted_in', source: 'signup_form' })).status).toBe(200);
      return { id: r.body.id as string, email };
    },
    async sendMarketing(to) {
      return (await api.post('/v1/messages', { template: marketing, to })).body;
    },
    async sendService(to) {
      return (await api.post('/v1/messages', { template: service, to })).body;
    },
    async lastMarketingMail(email) {
      const mail = (await mailTo(email)).filter((m) => header(m, 'List-Unsubscribe')).at(-1);
      expect(mail).toBeDefined();
      return mail!;
    },
  };
}

/** The path (and query) of an absolute link from a mail, to call on the test gateway. */
export const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

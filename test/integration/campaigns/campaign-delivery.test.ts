/**
 * A marketing campaign to a few thousand recipients of mixed consent, end to end on the local engine: the launch API,
 * the launcher paging the topic index into the send queue, the senders re-checking consent and suppressions,
 * claiming, sending through the local SES and settling. Every opted-in recipient gets exactly one mail, nobody else
 * gets any, and the held counts by reason add up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { mailsBySubject, optIn, seedCohorts, startTestEngine, waitForCampaign, waitForIdle } from '../../support/campaigns.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway({ ownTables: 'delivery' });
let engine: CampaignEngine;

beforeAll(async () => {
  engine = await startTestEngine('delivery');
});
afterAll(async () => {
  await engine?.stop();
});

async function topicAndTemplate(label: string) {
  const suite = `${label}-${Date.now().toString(36)}`;
  const topic = `news-${suite}`;
  const template = `tpl-${suite}`;
  const subject = `Campaign ${suite}`;
  expect((await suiteApi().post('/v1/topics', { id: topic, name: `News ${suite}` })).status).toBe(201);
  expect(
    (
      await suiteApi().post('/v1/templates', {
        id: template,
        class: 'marketing',
        topic,
        subject: `${subject} for {{first_name}}`,
        html: '<p>Hi {{first_name}}, {{offer}}</p><p><a href="https://shop.example/x">Shop</a></p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>',
        text: 'Hi {{first_name}}, {{offer}}\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}',
      })
    ).status,
  ).toBe(201);
  return { topic, template, subject };
}

const suiteApi = () => suite.api;

describe('a marketing campaign to a few thousand recipients of mixed consent', () => {
  it('mails every opted-in, eligible recipient exactly once, nobody else, and the held counts add up', { timeout: 600_000 }, async () => {
    const api = suite.api;
    const { topic, template, subject } = await topicAndTemplate('mixed');
    const other = `other-${Date.now().toString(36)}`;
    expect((await api.post('/v1/topics', { id: other, name: 'Other' })).status).toBe(201);

    const cohorts = await seedCohorts(api, [
      { label: 'in', count: 2000, row: (_e, i) => ({ country: i % 3 === 0 ? 'DE' : 'US', attributes: { first_name: `P${i}` }, consents: { [topic]: optIn() } }) },
      { label: 'out', count: 150, row: () => ({ country: 'US', consents: { [topic]: { ...optIn(), status: 'opted_out' } } }) },
      { label: 'none', count: 150, row: () => ({ country: 'US' }) },
      { label: 'elsewhere', count: 100, row: () => ({ country: 'US', consents: { [other]: optIn() } }) },
      // Germany requires confirmation: an opt-in without it is stored pending and is not in the audience.
      { label: 'pending', count: 100, row: () => ({ country: 'DE', consents: { [topic]: { status: 'opted_in', at: '2026-01-15T10:00:00Z', source: 'signup_form' } } }) },
      { label: 'unsub', count: 30, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) },
      { label: 'complained', count: 30, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) },
      { label: 'bounced', count: 30, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) },
    ]);
    // Opted in, but since then: unsubscribed from all marketing, complained, hard-bounced.
    for (const email of cohorts.unsub!) {
      const id = (await api.get(`/v1/recipients?email=${encodeURIComponent(email)}`)).body.id;
      expect((await api.put(`/v1/recipients/${id}/preferences`, { unsubscribedAll: true, source: 'preference_page' })).status).toBe(200);
    }
    for (const email of cohorts.complained!) expect((await api.post('/v1/suppressions', { email, reason: 'complaint' })).status).toBe(201);
    for (const email of cohorts.bounced!) expect((await api.post('/v1/suppressions', { email, reason: 'hard_bounce', scope: 'all' })).status).toBe(201);

    const created = await api.post('/v1/campaigns', { name: 'Spring sale', template, data: { offer: '20% off', first_name: 'friend' }, ratePerSecond: 1000 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', class: 'marketing', topic, progress: { audience: 0, sent: 0, remaining: 0 } });
    const launched = await api.post(`/v1/campaigns/${created.body.id}/launch`);
    expect(launched.status).toBe(202);
    expect(launched.body.status).toBe('sending');
    expect(launched.body.launchedBy).toBeTruthy();

    const done = await waitForCampaign(api, created.body.id, (c) => c.status === 'completed', 400_000);
    await waitForIdle(engine);

    const eligible = cohorts.in!;
    expect(done.progress).toMatchObject({
      audience: eligible.length + 90,
      audienceComplete: true,
      excluded: 0,
      targeted: eligible.length + 90,
      sent: eligible.length,
      held: { unsubscribed_all: 30, complained: 30, undeliverable: 30 },
      heldTotal: 90,
      failed: 0,
      remaining: 0,
    });
    expect(done.progress.sent + done.progress.heldTotal + done.progress.failed).toBe(done.progress.targeted);

    const mails = await mailsBySubject(subject);
    for (const email of eligible) expect(mails.get(email.toLowerCase())?.length ?? 0, email).toBe(1);
    const everyoneElse = Object.entries(cohorts).filter(([label]) => label !== 'in').flatMap(([, list]) => list);
    for (const email of everyoneElse) expect(mails.get(email.toLowerCase()), email).toBeUndefined();
    expect([...mails.values()].reduce((n, list) => n + list.length, 0)).toBe(eligible.length);

    // Personalised from the recipient's attributes (which win over the campaign's data), with the campaign's data.
    const sample = mails.get(eligible[7]!.toLowerCase())![0]!;
    expect(sample.subject).toBe(`${subject} for P7`);
    expect(sample.body.text).toContain('20% off');
    expect(sample.headers?.some((h) => h.name.toLowerCase() === 'list-unsubscribe')).toBe(true);

    // Each mail's message record belongs to the campaign; a held one says why.
    const firstId = `${created.body.id}-${(await api.get(`/v1/recipients?email=${encodeURIComponent(eligible[0]!)}`)).body.id}`;
    expect((await api.get(`/v1/messages/${firstId}`)).body).toMatchObject({ status: 'sent', campaignId: created.body.id, topic });
    const heldId = `${created.body.id}-${(await api.get(`/v1/recipients?email=${encodeURIComponent(cohorts.complained![0]!)}`)).body.id}`;
    expect((await api.get(`/v1/messages/${heldId}`)).body).toMatchObject({ status: 'held', reason: 'complained', campaignId: created.body.id });
  });

  it('an audience filter narrows who gets it; the rest are excluded, not held', { timeout: 120_000 }, async () => {
    const api = suite.api;
    const { topic, template, subject } = await topicAndTemplate('filter');
    const cohorts = await seedCohorts(api, [
      { label: 'pro-de', count: 40, row: () => ({ country: 'DE', attributes: { plan: 'pro', first_name: 'A' }, consents: { [topic]: optIn() } }) },
      { label: 'team-at', count: 30, row: () => ({ country: 'AT', attributes: { plan: 'team', first_name: 'B' }, consents: { [topic]: optIn() } }) },
      { label: 'free-de', count: 50, row: () => ({ country: 'DE', attributes: { plan: 'free', first_name: 'C' }, consents: { [topic]: optIn() } }) },
      { label: 'pro-us', count: 20, row: () => ({ country: 'US', attributes: { plan: 'pro', first_name: 'D' }, consents: { [topic]: optIn() } }) },
    ]);
    const c = await api.post('/v1/campaigns', { name: 'DACH paid', template, audience: { countries: ['DE', 'AT'], attributes: { plan: ['pro', 'team'] } }, ratePerSecond: 500 });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect((await api.post(`/v1/campaigns/${c.body.id}/launch`)).status).toBe(202);
    const done = await waitForCampaign(api, c.body.id, (x) => x.status === 'completed');
    expect(done.progress).toMatchObject({ audience: 140, excluded: 70, targeted: 70, sent: 70, heldTotal: 0, remaining: 0 });
    const mails = await mailsBySubject(subject);
    for (const e of [...cohorts['pro-de']!, ...cohorts['team-at']!]) expect(mails.get(e.toLowerCase())?.length ?? 0).toBe(1);
    for (const e of [...cohorts['free-de']!, ...cohorts['pro-us']!]) expect(mails.get(e.toLowerCase())).toBeUndefined();
  });

  it('an empty audience completes at once with nothing sent', async () => {
    const api = suite.api;
    const { template } = await topicAndTemplate('empty');
    const c = await api.post('/v1/campaigns', { name: 'Nobody', template });
    await api.post(`/v1/campaigns/${c.body.id}/launch`);
    const done = await waitForCampaign(api, c.body.id, (x) => x.status === 'completed', 30_000);
    expect(done.progress).toMatchObject({ audience: 0, targeted: 0, sent: 0, remaining: 0, audienceComplete: true });
  });
});

/**
 * The campaign preview counts who a launch would reach by the launch's own rules (the launcher's index pages, the
 * sender's reads and `decide()`), so on a mixed-consent audience its figures are the ones the launched campaign
 * then reports: audience, excluded, sent (= eligible) and held by reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { container } from '../../../lambdas/adapters/container.ts';
import { previewStoredCampaign } from '../../../lambdas/services/campaign-preview.ts';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { optIn, seedCohorts, startTestEngine, waitForCampaign, waitForIdle } from '../../support/campaigns.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway({ ownTables: 'preview' });
let engine: CampaignEngine;

beforeAll(async () => {
  engine = await startTestEngine('preview');
});
afterAll(async () => {
  await engine?.stop();
});

async function topicAndTemplate(run: string) {
  const topic = `news-${run}`;
  const template = `tpl-${run}`;
  expect((await suite.api.post('/v1/topics', { id: topic, name: `News ${run}` })).status).toBe(201);
  const created = await suite.api.post('/v1/templates', {
    id: template,
    class: 'marketing',
    topic,
    subject: `Preview ${run}`,
    html: '<p>Hi</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>',
    text: 'Hi\n{{unsubscribe_url}}\n{{postal_address}}',
  });
  expect(created.status).toBe(201);
  return { topic, template };
}

describe('campaign preview', () => {
  it('predicts exactly what the launched campaign reports on a mixed-consent audience', { timeout: 300_000 }, async () => {
    const api = suite.api;
    const run = Date.now().toString(36);
    const { topic, template } = await topicAndTemplate(run);
    const cohorts = await seedCohorts(api, [
      { label: 'in-us', count: 40, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) },
      { label: 'in-de', count: 25, row: () => ({ country: 'DE', consents: { [topic]: optIn() } }) },
      // Opted in, but the audience filter (US, DE) leaves them out: excluded, not held.
      { label: 'in-fr', count: 12, row: () => ({ country: 'FR', consents: { [topic]: optIn() } }) },
      // Not in the topic's index at all: neither counted nor mailed.
      { label: 'out', count: 10, row: () => ({ country: 'US', consents: { [topic]: { ...optIn(), status: 'opted_out' } } }) },
      { label: 'none', count: 10, row: () => ({ country: 'US' }) },
      { label: 'pending', count: 8, row: () => ({ country: 'DE', consents: { [topic]: { status: 'opted_in', at: '2026-01-15T10:00:00Z', source: 'signup_form' } } }) },
      // In the index, held at send time.
      { label: 'unsub', count: 7, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) },
      { label: 'complained', count: 6, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) },
      { label: 'bounced', count: 5, row: () => ({ country: 'DE', consents: { [topic]: optIn() } }) },
    ]);
    for (const email of cohorts.unsub!) {
      const id = (await api.get(`/v1/recipients?email=${encodeURIComponent(email)}`)).body.id;
      expect((await api.put(`/v1/recipients/${id}/preferences`, { unsubscribedAll: true, source: 'preference_page' })).status).toBe(200);
    }
    for (const email of cohorts.complained!) expect((await api.post('/v1/suppressions', { email, reason: 'complaint' })).status).toBe(201);
    for (const email of cohorts.bounced!) expect((await api.post('/v1/suppressions', { email, reason: 'hard_bounce', scope: 'all' })).status).toBe(201);

    const audience = { countries: ['US', 'DE'] };
    const expected = {
      audience: 40 + 25 + 12 + 7 + 6 + 5,
      excluded: 12,
      eligible: 65,
      deferred: 0,
      held: { unsubscribed_all: 7, complained: 6, undeliverable: 5 },
      complete: true,
    };
    // Before the campaign exists, as ops would ask it.
    const before = await suite.as('ops').post('/v1/campaigns/preview', { template, audience });
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.body).toEqual(expected);

    const created = await suite.as('marketing').post('/v1/campaigns', { name: 'Preview check', template, audience, ratePerSecond: 500 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const stored = await suite.as('marketing').get(`/v1/campaigns/${id}/preview`);
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual(expected);
    // Previews send nothing and change nothing.
    expect((await api.get(`/v1/campaigns/${id}`)).body).toMatchObject({ status: 'draft', progress: { audience: 0, sent: 0 } });

    expect((await api.post(`/v1/campaigns/${id}/launch`)).status).toBe(202);
    const done = await waitForCampaign(api, id, (c) => c.status === 'completed', 200_000);
    await waitForIdle(engine);
    expect({
      audience: done.progress.audience,
      excluded: done.progress.excluded,
      eligible: done.progress.sent,
      deferred: done.progress.deferred,
      held: done.progress.held,
      complete: done.progress.audienceComplete,
    }).toEqual(stored.body);
  });

  it('stops at its limit and says the count is not complete', async () => {
    const run = `lim${Date.now().toString(36)}`;
    const { topic, template } = await topicAndTemplate(run);
    await seedCohorts(suite.api, [{ label: `lim-${run}`, count: 120, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) }]);
    const c = await suite.api.post('/v1/campaigns', { name: 'Limit', template });
    const partial = await previewStoredCampaign(container(), c.body.id, { limit: 50 });
    expect(partial).toEqual({ audience: 50, excluded: 0, eligible: 50, deferred: 0, held: {}, complete: false });
    const whole = await previewStoredCampaign(container(), c.body.id);
    expect(whole).toEqual({ audience: 120, excluded: 0, eligible: 120, deferred: 0, held: {}, complete: true });
  });

  it('checks the campaign like a create does, and answers 404 for an unknown campaign', async () => {
    const bad = await suite.api.post('/v1/campaigns/preview', { template: 'no-such-template' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: 'template' })]);
    expect((await suite.api.get('/v1/campaigns/cmp_nope/preview')).status).toBe(404);
  });
});

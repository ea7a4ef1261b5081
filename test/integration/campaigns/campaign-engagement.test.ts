/**
 * Issue 16 in a campaign: a link filled from a recipient's data that is not an http(s) or mailto URL holds that
 * recipient (`invalid_link`, counted in the progress like any hold) while the rest are sent; the campaign's progress
 * shows opens and clicks with human and machine apart.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { container } from '../../../lambdas/adapters/container.ts';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { marketingTopic, optIn, seedCohorts, startTestEngine, waitForCampaign } from '../../support/campaigns.ts';
import { hrefs, mailTo } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';
import { settleFigures } from '../../support/figures-stream.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway({ ownTables: 'engagement' });
let engine: CampaignEngine;

beforeAll(async () => {
  engine = await startTestEngine('engagement', { sweepMs: 500 });
});
afterAll(async () => {
  await engine?.stop();
});

const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';

describe('a campaign', () => {
  it('gives back the cap slot of a recipient held for an unsafe link: no mail went out, so none counts', { timeout: 120_000 }, async () => {
    const api = suite.api;
    expect((await api.put('/v1/settings/delivery', { frequencyCap: { max: 1, days: 7 } })).status).toBe(200);
    try {
      const { topic, template, run } = await marketingTopic(api, 'capslot', 'Cap slot', {
        html: '<p><a href="{{profile_url}}">Your profile</a></p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>',
        text: 'Profile\n{{unsubscribe_url}}\n{{postal_address}}',
      });
      const cohorts = await seedCohorts(api, [{ label: `bad-${run}`, count: 1, row: () => ({ country: 'US', attributes: { profile_url: 'javascript:alert(1)' }, consents: { [topic]: optIn() } }) }]);
      const c = (await api.post('/v1/campaigns', { name: 'Cap slot', template })).body;
      expect((await api.post(`/v1/campaigns/${c.id}/launch`)).status).toBe(202);
      expect((await waitForCampaign(api, c.id, (x) => x.status === 'completed')).progress).toMatchObject({ held: { invalid_link: 1 } });
      const id = (await api.get(`/v1/recipients?email=${encodeURIComponent(cohorts[`bad-${run}`]![0]!)}`)).body.id as string;
      expect((await container().delivery.sentLogs([id])).get(id) ?? []).toEqual([]);
      // The next marketing mail, with a link that renders, is theirs to have.
      const again = await api.post('/v1/messages', { template, to: { recipientId: id }, data: { profile_url: 'https://shop.example/p/1' } });
      expect(again.body.status, JSON.stringify(again.body)).toBe('sent');
    } finally {
      expect((await api.put('/v1/settings/delivery', { frequencyCap: null })).status).toBe(200);
    }
  });

  it('holds the recipient whose data makes a link unsafe, sends the rest, and shows human and machine engagement apart', { timeout: 120_000 }, async () => {
    const api = suite.api;
    const { topic, template, run } = await marketingTopic(api, 'eng', 'Engagement', {
      html: '<p><a href="https://shop.example/sale">Sale</a> <a href="{{profile_url}}">Your profile</a></p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>',
      text: 'Sale\n{{unsubscribe_url}}\n{{postal_address}}',
    });
    const cohorts = await seedCohorts(api, [
      { label: `ok-${run}`, count: 2, row: (_e, i) => ({ country: 'US', attributes: { profile_url: `https://shop.example/p/${i}` }, consents: { [topic]: optIn() } }) },
      { label: `bad-${run}`, count: 1, row: () => ({ country: 'US', attributes: { profile_url: 'javascript:alert(document.cookie)' }, consents: { [topic]: optIn() } }) },
    ]);
    const c = (await api.post('/v1/campaigns', { name: 'Engagement', template })).body;
    expect((await api.post(`/v1/campaigns/${c.id}/launch`)).status).toBe(202);
    const done = await waitForCampaign(api, c.id, (x) => x.status === 'completed');
    expect(done.progress).toMatchObject({ sent: 2, heldTotal: 1, held: { invalid_link: 1 }, failed: 0 });
    expect(await mailTo(cohorts[`bad-${run}`]![0]!)).toEqual([]);
    const metrics = (await api.get(`/v1/metrics?campaign=${c.id}`)).body.totals;
    expect(metrics.held).toMatchObject({ total: 1, marketing: 1, byReason: { invalid_link: 1 } });

    // One mail: a scanner clicks the shared link, then (an hour later, as far as the rules know) a person does.
    const email = cohorts[`ok-${run}`]![0]!;
    const mail = (await mailTo(email)).at(-1)!;
    const sale = hrefs(mail.body.html ?? '').filter((l) => l.includes('/c/'))[0]!;
    await settleFigures();
    expect((await api.get(`/v1/campaigns/${c.id}`)).body.progress.engagement).toEqual({
      opens: { total: 0, human: 0, machine: 0, uniqueHuman: 0 },
      clicks: { total: 0, human: 0, machine: 0, uniqueHuman: 0 },
    });
    await suite.gw.call(pathOf(sale), { headers: { 'user-agent': 'Proofpoint URL Defense' }, redirect: 'manual' });
    const recipientId = (await api.get(`/v1/recipients?email=${encodeURIComponent(email)}`)).body.id;
    await documentClient().send(
      new UpdateCommand({
        TableName: config().tables.messages,
        Key: { pk: `M#${c.id}-${recipientId}`, sk: 'MSG' },
        UpdateExpression: 'SET sentAt = :at',
        ExpressionAttributeValues: { ':at': new Date(Date.now() - 3_600_000).toISOString() },
      }),
    );
    await suite.gw.call(pathOf(sale), { headers: { 'user-agent': iphone }, redirect: 'manual' });
    // Counted from the messages stream a batch after each click.
    await settleFigures();
    const progress = (await api.get(`/v1/campaigns/${c.id}`)).body.progress;
    expect(progress.engagement.clicks).toEqual({ total: 2, human: 1, machine: 1, uniqueHuman: 1 });
    // A list of campaigns does not read every campaign's counters.
    const listed = (await api.get('/v1/campaigns?limit=50')).body.campaigns.find((x: { id: string }) => x.id === c.id);
    expect(listed?.progress.engagement).toBeUndefined();
  });
});

/**
 * Segments end to end: CRUD with rules checked field by field; a segment's preview counts exactly the recipients its
 * rules select (among the topic's opted-in subscribers) with the campaign preview's figures; a campaign with the
 * segment mails exactly them. Recipients' `timeZone` on create, update, import and export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { mailsBySubject, marketingTopic, optIn, seedCohorts, startTestEngine, waitForCampaign, waitForIdle } from '../../support/campaigns.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway({ ownTables: 'segments' });
let engine: CampaignEngine;

beforeAll(async () => {
  engine = await startTestEngine('segments');
});
afterAll(async () => {
  await engine?.stop();
});

const run = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;

describe('recipients: timeZone', () => {
  it('is kept on create and update, derived from a single-zone country, else the stage default; an invalid one is a 400 naming the field', async () => {
    const api = suite.api;
    const r = run();
    const kiri = await api.post('/v1/recipients', { email: `kiri.${r}@example.com`, country: 'KI', timeZone: 'pacific/kiritimati', welcome: false });
    expect(kiri.status).toBe(201);
    expect(kiri.body).toMatchObject({ timeZone: 'Pacific/Kiritimati', timeZoneSource: 'recipient' });

    const jp = await api.post('/v1/recipients', { email: `jp.${r}@example.com`, country: 'JP', welcome: false });
    expect(jp.body).toMatchObject({ timeZone: 'Asia/Tokyo', timeZoneSource: 'country' });
    const us = await api.post('/v1/recipients', { email: `us.${r}@example.com`, country: 'US', welcome: false });
    expect(us.body).toMatchObject({ timeZone: 'UTC', timeZoneSource: 'default' });

    const bad = await api.post('/v1/recipients', { email: `bad.${r}@example.com`, timeZone: 'Mars/Olympus', welcome: false });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toContainEqual(expect.objectContaining({ path: 'timeZone' }));

    const updated = await api.patch(`/v1/recipients/${us.body.id}`, { timeZone: 'America/Los_Angeles' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ timeZone: 'America/Los_Angeles', timeZoneSource: 'recipient' });
    expect((await api.patch(`/v1/recipients/${us.body.id}`, { timeZone: '+02:00' })).status).toBe(400);

    const exported = await suite.as('privacy').get(`/v1/recipients/${us.body.id}/export`);
    expect(exported.body.recipient).toMatchObject({ timeZone: 'America/Los_Angeles' });
  });

  it('is imported from JSON lines and CSV; a bad zone rejects the row, naming the field', async () => {
    const api = suite.api;
    const r = run();
    const lines = [
      JSON.stringify({ email: `a.${r}@example.com`, timeZone: 'Europe/Berlin' }),
      JSON.stringify({ email: `b.${r}@example.com`, timeZone: 'Nowhere/Land' }),
    ].join('\n');
    const jsonl = await api.post('/v1/recipients/import', lines, { 'content-type': 'application/x-ndjson' });
    expect(jsonl.status).toBe(200);
    expect(jsonl.body.created).toBe(1);
    expect(jsonl.body.rejected).toEqual([{ line: 2, reason: expect.stringContaining('timeZone') }]);
    expect((await api.get(`/v1/recipients?email=a.${r}@example.com`)).body.timeZone).toBe('Europe/Berlin');

    const csv = await api.post('/v1/recipients/import', `email,time_zone\nc.${r}@example.com,America/Los_Angeles\n`, { 'content-type': 'text/csv' });
    expect(csv.body.created).toBe(1);
    expect((await api.get(`/v1/recipients?email=c.${r}@example.com`)).body.timeZone).toBe('America/Los_Angeles');
  });
});

describe('segments', () => {
  it('CRUD, with rules checked and errors naming the field', async () => {
    const api = suite.as('marketing');
    const id = `seg-${run()}`;
    const rules = { all: [{ field: 'country', op: 'in', value: ['DE', 'AT'] }, { any: [{ field: 'attributes.plan', op: 'eq', value: 'pro' }, { field: 'lastOpenedAt', op: 'withinDays', value: 30 }] }] };
    const created = await api.post('/v1/segments', { id, name: 'DACH pros', rules });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ id, name: 'DACH pros', rules, createdBy: 'marketing@local.invalid' });
    expect((await api.post('/v1/segments', { id, name: 'again', rules })).status).toBe(409);
    expect((await api.get(`/v1/segments/${id}`)).body.rules).toEqual(rules);
    expect((await suite.as('ops').get('/v1/segments')).body.segments.map((s: { id: string }) => s.id)).toContain(id);

    const bad = await api.post('/v1/segments', { id: `bad-${run()}`, name: 'bad', rules: { all: [{ field: 'email', op: 'eq', value: 'x' }] } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.details)).toContain('rules');

    const replaced = await api.put(`/v1/segments/${id}`, { name: 'DE only', rules: { all: [{ field: 'country', op: 'eq', value: 'DE' }] } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ name: 'DE only', createdAt: created.body.createdAt });
    expect((await suite.as('ops').put(`/v1/segments/${id}`, { name: 'x', rules })).status).toBe(403);
    expect((await api.del(`/v1/segments/${id}`)).status).toBe(200);
    expect((await api.get(`/v1/segments/${id}`)).status).toBe(404);
    expect((await api.del(`/v1/segments/${id}`)).status).toBe(404);
  });

  it('previews exactly the recipients its rules select, and a campaign with it mails exactly them', { timeout: 240_000 }, async () => {
    const api = suite.api;
    const { topic, template, subject } = await marketingTopic(api, 'seg', 'Segment news');
    const other = (await marketingTopic(api, 'segother', 'Other topic')).topic;
    const cohorts = await seedCohorts(api, [
      // In: DE or AT, plan pro or team, and opted in to the other topic as well.
      { label: 'in-de-pro', count: 6, row: () => ({ country: 'DE', attributes: { plan: 'pro', seats: '12' }, consents: { [topic]: optIn(), [other]: optIn() } }) },
      { label: 'in-at-team', count: 4, row: () => ({ country: 'AT', attributes: { plan: 'team', seats: 30 }, consents: { [topic]: optIn(), [other]: optIn() } }) },
      // Out by each condition in turn.
      { label: 'out-fr', count: 3, row: () => ({ country: 'FR', attributes: { plan: 'pro', seats: 12 }, consents: { [topic]: optIn(), [other]: optIn() } }) },
      { label: 'out-free', count: 3, row: () => ({ country: 'DE', attributes: { plan: 'free', seats: 12 }, consents: { [topic]: optIn(), [other]: optIn() } }) },
      { label: 'out-small', count: 2, row: () => ({ country: 'DE', attributes: { plan: 'pro', seats: 2 }, consents: { [topic]: optIn(), [other]: optIn() } }) },
      { label: 'out-other', count: 2, row: () => ({ country: 'DE', attributes: { plan: 'pro', seats: 12 }, consents: { [topic]: optIn() } }) },
      // Selected, but held at send time.
      { label: 'in-complained', count: 2, row: () => ({ country: 'DE', attributes: { plan: 'pro', seats: 50 }, consents: { [topic]: optIn(), [other]: optIn() } }) },
      // Not subscribed to the topic: not in its audience at all.
      { label: 'not-subscribed', count: 3, row: () => ({ country: 'DE', attributes: { plan: 'pro', seats: 12 }, consents: { [other]: optIn() } }) },
    ]);
    for (const email of cohorts['in-complained']!) expect((await api.post('/v1/suppressions', { email, reason: 'complaint' })).status).toBe(201);

    const id = `seg-${run()}`;
    const rules = {
      all: [
        { field: 'country', op: 'in', value: ['DE', 'AT'] },
        { field: 'attributes.plan', op: 'notIn', value: ['free'] },
        { field: 'attributes.seats', op: 'gte', value: 10 },
        { field: `consent.${other}`, op: 'eq', value: 'opted_in' },
        { field: 'createdAt', op: 'withinDays', value: 1 },
      ],
    };
    expect((await api.post('/v1/segments', { id, name: 'Big DACH accounts', rules })).status).toBe(201);

    const preview = await suite.as('ops').get(`/v1/segments/${id}/preview?topic=${topic}`);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toEqual({ audience: 6 + 4 + 3 + 3 + 2 + 2 + 2, excluded: 3 + 3 + 2 + 2, eligible: 10, deferred: 0, held: { complained: 2 }, complete: true });
    // Rules not saved yet (the console's live count) are counted the same way.
    expect((await suite.as('marketing').post('/v1/segments/preview', { rules, topic })).body).toEqual(preview.body);
    expect((await api.get(`/v1/segments/${id}/preview`)).status).toBe(400);
    expect((await api.get(`/v1/segments/${id}/preview?topic=no-such-topic`)).status).toBe(400);

    // The campaign preview with the segment (and an extra filter that keeps everyone) says the same.
    const campaignPreview = await api.post('/v1/campaigns/preview', { template, audience: { segment: id, countries: ['DE', 'AT', 'FR'] } });
    expect(campaignPreview.body).toEqual(preview.body);
    expect((await api.post('/v1/campaigns', { name: 'x', template, audience: { segment: 'no-such-segment' } })).body.error.details).toContainEqual(
      expect.objectContaining({ path: 'audience.segment' }),
    );

    const created = await suite.as('marketing').post('/v1/campaigns', { name: 'Segment campaign', template, audience: { segment: id }, ratePerSecond: 500 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const cmp = created.body.id as string;
    expect((await suite.as('marketing').post(`/v1/campaigns/${cmp}/launch`)).status).toBe(202);
    const done = await waitForCampaign(api, cmp, (c) => c.status === 'completed');
    await waitForIdle(engine);
    expect(done.progress).toMatchObject({ audience: 22, excluded: 10, sent: 10, held: { complained: 2 }, scheduled: 0, deferred: 0, late: 0 });

    const mails = await mailsBySubject(subject);
    const expected = [...cohorts['in-de-pro']!, ...cohorts['in-at-team']!].map((e) => e.toLowerCase()).sort();
    expect([...mails.keys()].sort()).toEqual(expected);
    for (const list of mails.values()) expect(list).toHaveLength(1);
  });
});

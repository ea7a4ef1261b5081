/**
 * A campaign's life through the admin API on the local engine: opt-outs while it sends, pause and resume, cancel,
 * schedule, a restart of the engine mid-campaign, a mandatory service broadcast, test sends, and the checks on what
 * may be created and changed.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, dynamoDb, sesClient } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { CampaignStore } from '../../../lambdas/adapters/dynamo/campaign-store.ts';
import { container } from '../../../lambdas/adapters/container.ts';
import { handler as startDueCampaigns } from '../../../lambdas/handlers/start-due-campaigns.ts';
import { launchCampaign } from '../../../lambdas/services/campaigns.ts';
import type { SendBatch } from '../../../lambdas/domain/campaign.ts';
import { runLaunch } from '../../../lambdas/services/campaign-launcher.ts';
import { asFunction } from '../../../local/table-access-guard.ts';
import { ENV } from '../../../lambdas/wiring/env-keys.ts';
import { metrics } from '../../../lambdas/adapters/metrics.ts';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { mailsBySubject, optIn, seedCohorts, staleOnce, startTestEngine, waitForCampaign, waitForIdle, withMethods } from '../../support/campaigns.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway({ ownTables: 'lifecycle' });
let engine: CampaignEngine;
const queuePrefix = `lifecycle-${Date.now().toString(36)}`;

beforeAll(async () => {
  engine = await startTestEngine('lifecycle', { queuePrefix, sweepMs: 500 });
});
afterAll(async () => {
  await engine?.stop();
});

async function setup(label: string, opts: { count: number; extra?: Parameters<typeof seedCohorts>[1] } = { count: 50 }) {
  const api = suite.api;
  const run = `${label}-${Date.now().toString(36)}`;
  const topic = `t-${run}`;
  const template = `m-${run}`;
  const subject = `Lifecycle ${run}`;
  expect((await api.post('/v1/topics', { id: topic, name: `Topic ${run}` })).status).toBe(201);
  expect(
    (
      await api.post('/v1/templates', {
        id: template,
        class: 'marketing',
        topic,
        subject,
        html: '<p>News</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>',
        text: 'News\n{{unsubscribe_url}}\n{{postal_address}}',
      })
    ).status,
  ).toBe(201);
  const cohorts = await seedCohorts(api, [{ label: `in-${label}`, count: opts.count, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) }, ...(opts.extra ?? [])]);
  return { topic, template, subject, audience: cohorts[`in-${label}`]!, cohorts };
}

/**
 * A campaign launched with the launcher's queue captured: `queued` is what the launcher puts on the send queue (the
 * engine is not involved, so the tests drive the launcher alone).
 */
async function launchedAlone(name: string, template: string) {
  const queued: SendBatch[] = [];
  const base = container();
  const deps: typeof base = { ...base, queues: { ...base.queues, send: async (batches) => void queued.push(...batches), launch: async () => undefined } };
  const c = await suite.api.post('/v1/campaigns', { name, template });
  await launchCampaign(deps, c.body.id, 'test');
  return { c, deps, queued };
}

const idOf = async (email: string) => (await suite.api.get(`/v1/recipients?email=${encodeURIComponent(email)}`)).body.id as string;

describe('opt-outs while a campaign is sending', () => {
  it('no one gets a mail whose consent check came after their opt-out was stored', { timeout: 300_000 }, async () => {
    const api = suite.api;
    const { topic, template, subject, audience } = await setup('optout', { count: 240 });
    const ids = new Map<string, string>();
    for (const email of audience) ids.set(email, await idOf(email));
    // 20 mails a second: the campaign takes about 12 s, and the opt-outs land all through it.
    const c = await api.post('/v1/campaigns', { name: 'Opt-out race', template, ratePerSecond: 20 });
    expect((await api.post(`/v1/campaigns/${c.body.id}/launch`)).status).toBe(202);

    const leavers = audience.filter((_, i) => i % 4 === 1);
    const storedBy = new Map<string, number>();
    for (const email of leavers) {
      await new Promise((r) => setTimeout(r, 60));
      const r = await api.put(`/v1/recipients/${ids.get(email)}/consents/${topic}`, { status: 'opted_out', source: 'preference_page' });
      expect(r.status).toBe(200);
      storedBy.set(email, Date.now());
    }
    const done = await waitForCampaign(api, c.body.id, (x) => x.status === 'completed', 240_000);
    const mails = await mailsBySubject(subject);

    let mailedBeforeOptOut = 0;
    let held = 0;
    for (const email of leavers) {
      const record = (await api.get(`/v1/messages/${c.body.id}-${ids.get(email)}`)).body;
      const got = mails.get(email.toLowerCase())?.length ?? 0;
      if (record.status === 'sent') {
        // Sent: its consent was read before the opt-out had been stored.
        expect(got).toBe(1);
        expect(Date.parse(record.decidedAt)).toBeLessThanOrEqual(storedBy.get(email)!);
        mailedBeforeOptOut++;
      } else {
        expect(record).toMatchObject({ status: 'held', reason: 'opted_out' });
        expect(got).toBe(0);
        held++;
      }
    }
    // Both outcomes occurred: the race was real, and the send-time check caught the later opt-outs.
    expect(held).toBeGreaterThan(5);
    expect(mailedBeforeOptOut).toBeGreaterThan(0);
    expect(done.progress.held.opted_out).toBe(held);
    expect(done.progress.sent).toBe(audience.length - held);
    for (const email of audience.filter((e) => !leavers.includes(e))) expect(mails.get(email.toLowerCase())?.length ?? 0).toBe(1);

    // The rate held across all senders: no second gave out more than 20 sends, and every send took one.
    const windows = await new CampaignStore(dynamoDb(), config().tables).rateWindows(c.body.id);
    expect(Math.max(...windows.map((w) => w.used))).toBeLessThanOrEqual(20);
    expect(windows.reduce((n, w) => n + w.used, 0)).toBeGreaterThanOrEqual(done.progress.sent);
    expect(windows.length).toBeGreaterThanOrEqual(Math.floor(audience.length / 20) - 1);
  });
});

describe('the send budget', () => {
  it('a window below one mail a second expires an hour after it ends, never in the past (its number is no epoch second)', async () => {
    const store = new CampaignStore(dynamoDb(), config().tables);
    const id = `cmp_budget${Date.now().toString(36)}`;
    const windowMs = 4_000; // 0.25 mails a second
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    expect(await store.takeSendTokens(id, window, 1, 1, (window + 1) * windowMs)).toBe(1);
    expect(await store.takeSendTokens(id, window, 1, 1, (window + 1) * windowMs)).toBe(0);
    const item = await documentClient().send(new GetCommand({ TableName: config().tables.campaigns, Key: { pk: `C#${id}`, sk: `RATE#${window}` }, ConsistentRead: true }));
    const expiresAt = Number(item.Item?.expiresAt);
    expect(expiresAt).toBeGreaterThan(now / 1000 + 3_500);
    expect(expiresAt).toBeLessThan(now / 1000 + 3_700);
  });
});

describe('pause, resume, cancel', () => {
  it('a paused campaign sends nothing until resumed, then finishes with everyone mailed exactly once', { timeout: 300_000 }, async () => {
    const api = suite.api;
    // A slow rate (40 recipients at 2 a second: about 20 s) leaves a wide window for the pause to land mid-send even
    // on a loaded machine.
    const { template, subject, audience } = await setup('pause', { count: 40 });
    const c = await api.post('/v1/campaigns', { name: 'Pause me', template, ratePerSecond: 2 });
    expect((await api.post(`/v1/campaigns/${c.body.id}/launch`)).status).toBe(202);
    // Watched at SES, not in the progress: several senders share the budget, and each settles (and counts) its batch of
    // ten only when done, so the progress can show nothing until the very end.
    const until = Date.now() + 60_000;
    while ((await mailsBySubject(subject)).size < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    const paused = await api.post(`/v1/campaigns/${c.body.id}/pause`);
    expect(paused.status).toBe(202);
    expect(paused.body).toMatchObject({ status: 'paused', pauseReason: 'manual' });
    await waitForIdle(engine);
    const during = await api.get(`/v1/campaigns/${c.body.id}`);
    const sentAtPause = during.body.progress.sent;
    expect(sentAtPause).toBeLessThan(audience.length);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api.get(`/v1/campaigns/${c.body.id}`)).body.progress.sent).toBe(sentAtPause);
    expect((await mailsBySubject(subject)).size).toBe(sentAtPause);
    // Pausing twice is a mistake the caller should hear about.
    expect((await api.post(`/v1/campaigns/${c.body.id}/pause`)).status).toBe(409);

    expect((await api.post(`/v1/campaigns/${c.body.id}/resume`)).body.status).toBe('sending');
    const done = await waitForCampaign(api, c.body.id, (x) => x.status === 'completed', 240_000);
    expect(done.progress).toMatchObject({ sent: audience.length, remaining: 0, failed: 0 });
    const mails = await mailsBySubject(subject);
    for (const email of audience) expect(mails.get(email.toLowerCase())?.length ?? 0).toBe(1);
  });

  it('a cancelled campaign stops for good; what was sent stays sent', { timeout: 120_000 }, async () => {
    const api = suite.api;
    const { template, subject, audience } = await setup('cancel', { count: 120 });
    const c = await api.post('/v1/campaigns', { name: 'Cancel me', template, ratePerSecond: 20 });
    await api.post(`/v1/campaigns/${c.body.id}/launch`);
    await waitForCampaign(api, c.body.id, (x) => x.progress.sent >= 20, 60_000);
    const cancelled = await api.post(`/v1/campaigns/${c.body.id}/cancel`);
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    await waitForIdle(engine);
    const after = (await api.get(`/v1/campaigns/${c.body.id}`)).body;
    expect(after.status).toBe('cancelled');
    expect(after.progress.sent).toBeLessThan(audience.length);
    expect((await mailsBySubject(subject)).size).toBe(after.progress.sent);
    expect((await api.post(`/v1/campaigns/${c.body.id}/resume`)).status).toBe(409);
    expect((await api.post(`/v1/campaigns/${c.body.id}/launch`)).status).toBe(409);
  });
});

describe('scheduling and restarts', () => {
  it('a scheduled campaign that can no longer launch (its segment deleted) holds up no other: it is reported and stays scheduled', { timeout: 120_000 }, async () => {
    const api = suite.api;
    const { template, subject, audience } = await setup('sweep-broken', { count: 3 });
    const segment = `seg-${Date.now().toString(36)}`;
    expect((await api.post('/v1/segments', { id: segment, name: 'Soon gone', rules: { all: [{ field: 'country', op: 'eq', value: 'US' }] } })).status).toBe(201);
    const broken = await api.post('/v1/campaigns', { name: 'Broken', template, audience: { segment } });
    const fine = await api.post('/v1/campaigns', { name: 'Fine', template });
    // The broken one is due first: before, its launch error ended the sweep there, every minute.
    expect((await api.post(`/v1/campaigns/${broken.body.id}/schedule`, { sendAt: new Date(Date.now() + 1_500).toISOString() })).status).toBe(202);
    expect((await api.post(`/v1/campaigns/${fine.body.id}/schedule`, { sendAt: new Date(Date.now() + 2_500).toISOString() })).status).toBe(202);
    // The API refuses to delete a scheduled campaign's segment; one deleted in a race with the schedule is gone all the same.
    const refused = await api.del(`/v1/segments/${segment}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(broken.body.id);
    expect(await container().catalog.deleteSegment(segment)).toBe(true);
    await new Promise((r) => setTimeout(r, 3_000));
    // The sweep's function: the failure is logged and counted for its alarm (the function itself does not fail).
    const counted = vi.spyOn(metrics, 'addMetric');
    const report = await startDueCampaigns();
    expect(report.failed.map((f) => f.id)).toEqual([broken.body.id]);
    expect(counted).toHaveBeenCalledWith('campaign_sweep_failed', 'Count', 1);
    counted.mockRestore();
    expect(report.failed[0]!.error).toMatch(/segment/i);
    const done = await waitForCampaign(api, fine.body.id, (x) => x.status === 'completed', 60_000);
    expect(done.launchedBy).toBe('scheduler');
    expect((await mailsBySubject(subject)).size).toBe(audience.length);
    expect((await api.get(`/v1/campaigns/${broken.body.id}`)).body.status).toBe('scheduled');
    expect((await api.post(`/v1/campaigns/${broken.body.id}/cancel`)).status).toBe(202);
  });

  it('a template or segment a scheduled, sending or paused campaign depends on cannot be changed from under it', { timeout: 120_000 }, async () => {
    const api = suite.api;
    const { template, topic } = await setup('depends', { count: 3 });
    const segment = `segd-${Date.now().toString(36)}`;
    expect((await api.post('/v1/segments', { id: segment, name: 'Kept', rules: { all: [{ field: 'country', op: 'eq', value: 'US' }] } })).status).toBe(201);
    const draft = await api.post('/v1/campaigns', { name: 'Draft', template, audience: { segment } });
    const scheduled = await api.post('/v1/campaigns', { name: 'Scheduled', template, audience: { segment } });
    expect((await api.post(`/v1/campaigns/${scheduled.body.id}/schedule`, { sendAt: new Date(Date.now() + 3_600_000).toISOString() })).status).toBe(202);
    const stored = (await api.get(`/v1/templates/${template}`)).body;
    const { createdAt: _c, updatedAt: _u, ...input } = stored;
    // A marketing template turned service under a scheduled marketing campaign: refused, naming the campaign.
    const asService = await api.put(`/v1/templates/${template}`, { ...input, class: 'service', topic: undefined });
    expect(asService.status, JSON.stringify(asService.body)).toBe(409);
    expect(asService.body.error.message).toContain(scheduled.body.id);
    expect(asService.body.error.message).not.toContain(draft.body.id);
    const deleting = await api.del(`/v1/segments/${segment}`);
    expect(deleting.status).toBe(409);
    expect(deleting.body.error.message).toContain(scheduled.body.id);
    // What does not touch the campaign's shape goes through: the subject, the segment's rules.
    expect((await api.put(`/v1/templates/${template}`, { ...input, subject: `${input.subject} (v2)` })).status).toBe(200);
    expect((await api.put(`/v1/segments/${segment}`, { name: 'Kept', rules: { all: [{ field: 'country', op: 'eq', value: 'DE' }] } })).status).toBe(200);
    // A paused campaign reads its template for every batch it has left: the same.
    const slow = await api.post('/v1/campaigns', { name: 'Slow', template, ratePerSecond: 0.01 });
    expect((await api.post(`/v1/campaigns/${slow.body.id}/launch`)).status).toBe(202);
    expect((await api.post(`/v1/campaigns/${slow.body.id}/pause`)).status).toBe(202);
    const underPaused = await api.put(`/v1/templates/${template}`, { ...input, class: 'service', topic: undefined });
    expect(underPaused.status).toBe(409);
    expect(underPaused.body.error.message).toContain(slow.body.id);
    // Cancelled, they depend on nothing: both changes go through.
    expect((await api.post(`/v1/campaigns/${slow.body.id}/cancel`)).status).toBe(202);
    expect((await api.post(`/v1/campaigns/${scheduled.body.id}/cancel`)).status).toBe(202);
    expect((await api.del(`/v1/segments/${segment}`)).status).toBe(200);
    const other = `${topic}-other`;
    expect((await api.post('/v1/topics', { id: other, name: other })).status).toBe(201);
    expect((await api.put(`/v1/templates/${template}`, { ...input, topic: other })).status).toBe(200);
  });

  it('a local-time draft is scheduled with a wall-clock time (as the console sends it), and refuses one with an offset', async () => {
    const api = suite.api;
    const { template } = await setup('schedule-local', { count: 1 });
    const wall = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 19);
    const c = await api.post('/v1/campaigns', { name: 'Local later', template, localTime: true, sendAt: wall(2) });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const withOffset = await api.post(`/v1/campaigns/${c.body.id}/schedule`, { sendAt: `${wall(3)}Z` });
    expect(withOffset.status).toBe(400);
    expect(withOffset.body.error.details).toContainEqual(expect.objectContaining({ path: 'sendAt' }));
    const at = wall(3);
    const scheduled = await api.post(`/v1/campaigns/${c.body.id}/schedule`, { sendAt: at });
    expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(202);
    expect(scheduled.body).toMatchObject({ status: 'scheduled', localTime: true, sendAt: at });
    expect((await api.post(`/v1/campaigns/${c.body.id}/cancel`)).status).toBe(202);
  });

  it('a scheduled campaign launches itself when its time comes (the sweep), recorded as launched by the scheduler', { timeout: 120_000 }, async () => {
    const api = suite.api;
    const { template, subject, audience } = await setup('schedule', { count: 20 });
    const c = await api.post('/v1/campaigns', { name: 'Later', template });
    const past = await api.post(`/v1/campaigns/${c.body.id}/schedule`, { sendAt: new Date(Date.now() - 60_000).toISOString() });
    expect(past.status).toBe(400);
    const sendAt = new Date(Date.now() + 3_000).toISOString();
    const scheduled = await api.post(`/v1/campaigns/${c.body.id}/schedule`, { sendAt });
    expect(scheduled.status).toBe(202);
    expect(scheduled.body).toMatchObject({ status: 'scheduled', sendAt });
    expect((await mailsBySubject(subject)).size).toBe(0);
    const done = await waitForCampaign(api, c.body.id, (x) => x.status === 'completed', 60_000);
    expect(Date.parse(done.launchedAt)).toBeGreaterThanOrEqual(Date.parse(sendAt));
    expect(done.launchedBy).toBe('scheduler');
    expect(done.history.map((h: { action: string; actor: string }) => `${h.action}:${h.actor}`)).toEqual([expect.stringMatching(/^schedule:.*local-admin/), 'launch:scheduler']);
    // Its rate is over its sending time: read an hour later, the same.
    expect(done.progress.ratePerSecond).toBeGreaterThan(0);
    process.env[ENV.clockOffsetMs] = '3600000';
    try {
      expect((await api.get(`/v1/campaigns/${c.body.id}`)).body.progress.ratePerSecond).toBe(done.progress.ratePerSecond);
    } finally {
      delete process.env[ENV.clockOffsetMs];
    }
    expect((await mailsBySubject(subject)).size).toBe(audience.length);
  });

  it('a launcher that died after queueing a page queues the same people under the same batches again, whatever changed meanwhile', async () => {
    const api = suite.api;
    const { topic, template, audience } = await setup('relaunch', { count: 4 });
    const { c, deps, queued } = await launchedAlone('Relaunch', template);
    // The first launcher dies after queueing its page, before it advances.
    const died = async (): Promise<boolean> => {
      throw new Error('died');
    };
    const dying: typeof deps = { ...deps, campaigns: withMethods(deps.campaigns, { advanceLaunch: died }) };
    await expect(asFunction('campaignLauncher', runLaunch)(dying, c.body.id, 10_000)).rejects.toThrow('died');
    const first = queued.splice(0);
    expect(first.flatMap((b) => b.recipientIds)).toHaveLength(4);
    // Meanwhile one person opts out of the topic and another joins it.
    const leaver = await idOf(audience[0]!);
    expect((await api.put(`/v1/recipients/${leaver}/consents/${topic}`, { status: 'opted_out', source: 'link' })).status).toBe(200);
    const joiner = await api.post('/v1/recipients', { email: `joiner.${Date.now().toString(36)}@example.com`, country: 'US', welcome: false });
    expect((await api.put(`/v1/recipients/${joiner.body.id}/consents/${topic}`, { status: 'opted_in', source: 'signup_form' })).status).toBe(200);
    // The launch is tried again: the page it queues is the one the first launcher queued.
    expect(await asFunction('campaignLauncher', runLaunch)(deps, c.body.id, 10_000)).toBe('complete');
    expect(queued).toEqual(first);
    expect((await api.get(`/v1/campaigns/${c.body.id}`)).body.progress).toMatchObject({ audience: 4, audienceComplete: true });
    expect((await api.post(`/v1/campaigns/${c.body.id}/cancel`)).status).toBe(202);
  });

  it('a launcher that lags behind another (it read the campaign before the other moved past the page) queues nothing', async () => {
    const api = suite.api;
    const { topic, template, audience } = await setup('lagging', { count: 4 });
    const { c, deps, queued } = await launchedAlone('Lagging', template);
    const before = (await deps.campaigns.get(c.body.id))!;
    // The first launcher runs the whole audience (one page) and drops its page.
    expect(await asFunction('campaignLauncher', runLaunch)(deps, c.body.id, 10_000)).toBe('complete');
    const first = queued.splice(0);
    expect(first.flatMap((b) => b.recipientIds)).toHaveLength(4);
    // The audience changes; a second launcher goes on from the campaign as it read it before.
    expect((await api.put(`/v1/recipients/${await idOf(audience[0]!)}/consents/${topic}`, { status: 'opted_out', source: 'link' })).status).toBe(200);
    const lagging = staleOnce(deps.campaigns, () => ({ ...before, status: 'sending' as const }));
    expect(await asFunction('campaignLauncher', runLaunch)({ ...deps, campaigns: lagging }, c.body.id, 10_000)).toBe('stopped');
    // Nothing queued under the first page's batch ids, and no page left holding recipient ids.
    expect(queued).toEqual([]);
    const pages = await documentClient().send(
      new QueryCommand({ TableName: config().tables.campaigns, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': `C#${c.body.id}`, ':p': 'PAGE#' } }),
    );
    expect(pages.Items ?? []).toEqual([]);
  });

  it('a campaign in progress finishes after the engine restarts, with no one skipped or mailed twice', { timeout: 300_000 }, async () => {
    const api = suite.api;
    // One batch at a time, so most of the campaign is still queued when the engine goes.
    await engine.stop();
    engine = await startTestEngine('lifecycle', { queuePrefix, sweepMs: 500, senderConcurrency: 1, senderBatchSize: 1 });
    const { template, subject, audience } = await setup('restart', { count: 160 });
    const c = await api.post('/v1/campaigns', { name: 'Survive a restart', template, ratePerSecond: 20 });
    await api.post(`/v1/campaigns/${c.body.id}/launch`);
    await waitForCampaign(api, c.body.id, (x) => x.progress.sent >= 20, 60_000);
    // As if the process died: the batch being sent is not deleted from the queue and comes back after a restart.
    await engine.stop({ abandon: true });
    const atStop = (await api.get(`/v1/campaigns/${c.body.id}`)).body.progress.sent;
    expect(atStop).toBeLessThan(audience.length);
    // A new engine on the same queues (kept in DynamoDB Local), as `npm start` after a restart.
    engine = await startTestEngine('lifecycle', { queuePrefix, sweepMs: 500 });
    const done = await waitForCampaign(api, c.body.id, (x) => x.status === 'completed', 240_000);
    expect(done.progress).toMatchObject({ sent: audience.length, remaining: 0 });
    const mails = await mailsBySubject(subject);
    for (const email of audience) expect(mails.get(email.toLowerCase())?.length ?? 0).toBe(1);
  });
});

describe('a mandatory service broadcast', () => {
  it('goes to every recipient whatever their marketing consent, holds only for what service mail holds for, and records who and why', { timeout: 120_000 }, async () => {
    const api = suite.api;
    const run = Date.now().toString(36);
    const subject = `Policy change ${run}`;
    const marketing = await setup('svc', { count: 5 });
    expect(
      (
        await api.post('/v1/templates', { id: `notice-${run}`, class: 'service', subject, html: '<p>Our privacy policy changes on 1 January.</p>', text: 'Our privacy policy changes on 1 January.' })
      ).status,
    ).toBe(201);
    // Not a marketing template, and it must say why.
    const noReason = await api.post('/v1/campaigns', { name: 'Notice', template: `notice-${run}` });
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body.error.details)).toContain('reason');
    const marketingAsService = await api.post('/v1/campaigns', { name: 'Sneaky', template: marketing.template, class: 'service', reason: 'Trying to reach everyone with an offer' });
    expect(marketingAsService.status).toBe(400);
    expect(JSON.stringify(marketingAsService.body.error.details)).toContain('marketing template');

    // Everyone in this stage is the audience; the filter keeps the broadcast to this test's people (the rest of the
    // stage, other tests' recipients, are counted as excluded).
    const attributes = { notice: run };
    const unsub = (await api.post('/v1/recipients', { email: `svc.unsub.${run}@example.com`, country: 'US', attributes })).body.id;
    await api.put(`/v1/recipients/${unsub}/preferences`, { unsubscribedAll: true, source: 'link' });
    const optedIn = (await api.post('/v1/recipients', { email: `svc.in.${run}@example.com`, country: 'US', attributes })).body.id;
    await api.put(`/v1/recipients/${optedIn}/consents/${marketing.topic}`, { status: 'opted_in', source: 'signup_form' });
    await api.post('/v1/recipients', { email: `svc.never.${run}@example.com`, country: 'DE', attributes });
    await api.post('/v1/recipients', { email: `svc.bounced.${run}@example.com`, country: 'US', attributes });
    expect((await api.post('/v1/suppressions', { email: `svc.bounced.${run}@example.com`, reason: 'hard_bounce', scope: 'all' })).status).toBe(201);
    await api.post('/v1/recipients', { email: `svc.complained.${run}@example.com`, country: 'US', attributes });
    expect((await api.post('/v1/suppressions', { email: `svc.complained.${run}@example.com`, reason: 'complaint' })).status).toBe(201);

    const reason = 'Material change to the privacy policy (legal notice, art. 13 GDPR)';
    const c = await api.post('/v1/campaigns', { name: 'Privacy policy notice', template: `notice-${run}`, reason, audience: { attributes }, ratePerSecond: 500 });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect(c.body).toMatchObject({ class: 'service', reason });
    expect(c.body.topic).toBeUndefined();
    await api.post(`/v1/campaigns/${c.body.id}/launch`);
    const done = await waitForCampaign(api, c.body.id, (x) => x.status === 'completed', 100_000);
    const mails = await mailsBySubject(subject);
    for (const who of ['unsub', 'in', 'never', 'complained']) expect(mails.get(`svc.${who}.${run}@example.com`)?.length ?? 0, who).toBe(1);
    expect(mails.get(`svc.bounced.${run}@example.com`)).toBeUndefined();
    expect(done.progress).toMatchObject({ targeted: 5, sent: 4, held: { undeliverable: 1 }, remaining: 0 });
    expect(done.progress.excluded).toBe(done.progress.audience - 5);
    expect(done.history).toEqual([{ at: done.launchedAt, action: 'launch', actor: done.launchedBy, reason }]);
    expect(done.launchedBy).toContain('local-admin');
  });
});

describe('test sends and the rules of a draft', () => {
  it('test-sends to named addresses with [Test] in the subject, holding an address that opted out', async () => {
    const api = suite.api;
    const { topic, template, subject } = await setup('testsend', { count: 1 });
    const c = await api.post('/v1/campaigns', { name: 'Try me', template });
    const optedOut = `tester.out.${Date.now().toString(36)}@example.com`;
    const o = await api.post('/v1/recipients', { email: optedOut, country: 'US' });
    await api.put(`/v1/recipients/${o.body.id}/consents/${topic}`, { status: 'opted_in', source: 'signup_form' });
    await api.put(`/v1/recipients/${o.body.id}/consents/${topic}`, { status: 'opted_out', source: 'link' });
    const tester = `tester.${Date.now().toString(36)}@example.com`;
    const r = await api.post(`/v1/campaigns/${c.body.id}/test`, { to: [tester, optedOut] });
    expect(r.status).toBe(200);
    expect(r.body.results).toMatchObject([
      { to: tester, status: 'sent' },
      { to: optedOut, status: 'held', reason: 'opted_out' },
    ]);
    const mails = await mailsBySubject(subject);
    expect(mails.get(tester)?.[0]?.subject).toBe(`[Test] ${subject}`);
    expect(mails.get(optedOut)).toBeUndefined();
    // A test send is not the campaign: it is still a draft with nothing sent.
    expect((await api.get(`/v1/campaigns/${c.body.id}`)).body).toMatchObject({ status: 'draft', progress: { sent: 0 } });
  });

  it('a test send SES refuses for one address still tells what went to the others; a bad address sends nothing', async () => {
    const api = suite.api;
    const { template, subject } = await setup('testfail', { count: 1 });
    const c = await api.post('/v1/campaigns', { name: 'Try again', template });
    const run = Date.now().toString(36);
    const [first, refused, last] = [`t1.${run}@example.com`, `refuse.${run}@example.com`, `t3.${run}@example.com`];
    // The local SES takes every mail: this address is refused as SES refuses an unverified one in the sandbox.
    sesClient().middlewareStack.add(
      (next, context) => async (args) => {
        const to = (args.input as { Destination?: { ToAddresses?: string[] } }).Destination?.ToAddresses?.[0] ?? '';
        if (context.commandName === 'SendEmailCommand' && to.includes(refused)) throw Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected', $metadata: { httpStatusCode: 400 } });
        return next(args);
      },
      { step: 'initialize', name: `refuse-${run}` },
    );
    try {
      const bad = await api.post(`/v1/campaigns/${c.body.id}/test`, { to: [first, 'not an address'] });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details).toEqual([expect.objectContaining({ path: 'to.1' })]);
      expect((await mailsBySubject(subject)).size).toBe(0);
      const r = await api.post(`/v1/campaigns/${c.body.id}/test`, { to: [first, refused, last] });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.results).toMatchObject([
        { to: first, status: 'sent' },
        { to: refused, status: 'failed', error: expect.stringContaining('SES did not accept') },
        { to: last, status: 'sent' },
      ]);
      expect((await api.get(`/v1/messages/${r.body.results[1].messageId}`)).body).toMatchObject({ status: 'failed', error: 'MessageRejected' });
      expect([...(await mailsBySubject(subject)).keys()].sort()).toEqual([first, last].sort());
    } finally {
      sesClient().middlewareStack.remove(`refuse-${run}`);
    }
  });

  it('a draft can change; a launched campaign cannot; bad input gets a 400 naming the field', { timeout: 60_000 }, async () => {
    const api = suite.api;
    const { template } = await setup('rules', { count: 1 });
    expect((await api.post('/v1/campaigns', { name: 'x', template: 'no-such-template' })).body.error.details).toEqual([{ path: 'template', message: 'unknown template' }]);
    expect((await api.post('/v1/campaigns', { name: 'x', template, ratePerSecond: -1 })).status).toBe(400);
    expect((await api.post('/v1/campaigns', { name: 'x', template, audience: { countries: ['Germany'] } })).status).toBe(400);
    expect((await api.post('/v1/campaigns', { name: 'x', template, unknownField: 1 })).status).toBe(400);
    const c = await api.post('/v1/campaigns', { name: 'Draft', template });
    const changed = await api.patch(`/v1/campaigns/${c.body.id}`, { name: 'Renamed', audience: { countries: ['US'] } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'Renamed', audience: { countries: ['US'] }, status: 'draft' });
    await api.post(`/v1/campaigns/${c.body.id}/launch`);
    await waitForCampaign(api, c.body.id, (x) => x.status === 'completed', 60_000);
    const late = await api.patch(`/v1/campaigns/${c.body.id}`, { name: 'Too late' });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toContain('completed');
    expect((await api.get('/v1/campaigns/cmp_doesnotexist')).status).toBe(404);
    expect((await api.get('/v1/campaigns/not-an-id')).status).toBe(400);
    const list = await api.get('/v1/campaigns?limit=2');
    expect(list.body.campaigns.length).toBe(2);
    expect(list.body.next).toBeTruthy();
    const page2 = await api.get(`/v1/campaigns?limit=2&cursor=${encodeURIComponent(list.body.next)}`);
    expect(page2.body.campaigns[0].id).not.toBe(list.body.campaigns[0].id);
  });
});

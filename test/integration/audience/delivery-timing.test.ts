/**
 * Delivery timing end to end, against DynamoDB Local and the local SES: quiet hours defer marketing (never service
 * mail) and the due-message sweep sends it when they end; a frequency cap of 1 in 7 days holds the second marketing
 * mail as `frequency_capped`, also when two campaigns race for the same recipients; a local-time campaign reaches a
 * recipient in UTC at its time, one in Pacific/Kiritimati at once (`late`) and holds one in America/Los_Angeles as
 * `scheduled` across pause and resume.
 *
 * Delivery settings are stage-wide and the tests move the handlers' clock (`SENDWELL_CLOCK_OFFSET_MS`), so this file
 * runs on tables of its own.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { container } from '../../../lambdas/adapters/container.ts';
import { SesMailer } from '../../../lambdas/adapters/ses-mailer.ts';
import { releaseDueMessages } from '../../../lambdas/services/due-messages.ts';
import { campaignMessageId } from '../../../lambdas/domain/campaign.ts';
import { messageIdForKey } from '../../../lambdas/services/ids.ts';
import { freePort } from '../../../local/ports.ts';
import { ENV } from '../../../lambdas/wiring/env-keys.ts';
import { wallTime } from '../../../lambdas/domain/time-zones.ts';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { mailsBySubject, marketingTopic, optIn, seedCohorts, startTestEngine, waitForCampaign, waitForIdle } from '../../support/campaigns.ts';
import { useGateway } from '../../support/suite.ts';
import { ownTables } from '../../support/own-tables.ts';

// Before anything reads the configuration: this file's own tables.
const createOwnTables = ownTables('timing');

const suite = useGateway();
let engine: CampaignEngine;

beforeAll(async () => {
  await createOwnTables();
  engine = await startTestEngine('timing');
}, 60_000);
afterAll(async () => {
  await engine?.stop();
});
afterEach(() => {
  delete process.env[ENV.clockOffsetMs];
});

const HOUR = 3_600_000;
/** An `Etc/GMT±n` zone whose local hour is `hour` right now (their sign is inverted: Etc/GMT-14 is UTC+14). */
function zoneAtLocalHour(hour: number): string {
  const utc = new Date().getUTCHours();
  let offset = (((hour - utc) % 24) + 24) % 24;
  if (offset > 14) offset -= 24;
  return offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
const moveClockTo = (instant: string, plusMs = 60_000) => {
  process.env[ENV.clockOffsetMs] = String(Date.parse(instant) + plusMs - Date.now());
};

describe('delivery settings', () => {
  it('are read and changed by marketing and ops, refused to privacy, checked field by field', async () => {
    expect((await suite.as('ops').get('/v1/settings/delivery')).body).toEqual({ defaultTimeZone: 'UTC' });
    expect((await suite.as('privacy').get('/v1/settings/delivery')).status).toBe(403);
    const bad = await suite.as('ops').put('/v1/settings/delivery', { quietHours: { start: '25:00', end: '08:00' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toContainEqual(expect.objectContaining({ path: 'quietHours.start' }));
    expect((await suite.as('ops').put('/v1/settings/delivery', { defaultTimeZone: 'Mars/Base' })).body.error.details).toContainEqual(
      expect.objectContaining({ path: 'defaultTimeZone' }),
    );
    const put = await suite.as('marketing').put('/v1/settings/delivery', { quietHours: { start: '21:00', end: '08:00' }, defaultTimeZone: 'europe/berlin' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ quietHours: { start: '21:00', end: '08:00' }, defaultTimeZone: 'Europe/Berlin', updatedBy: 'marketing@local.invalid' });
    // Fields left out are kept; null removes one.
    const again = await suite.api.put('/v1/settings/delivery', { frequencyCap: { max: 3, days: 7 } });
    expect(again.body).toMatchObject({ quietHours: { start: '21:00', end: '08:00' }, frequencyCap: { max: 3, days: 7 }, defaultTimeZone: 'Europe/Berlin' });
    const cleared = await suite.api.put('/v1/settings/delivery', { quietHours: null, frequencyCap: null, defaultTimeZone: null });
    expect(cleared.body).toMatchObject({ defaultTimeZone: 'UTC' });
    expect(cleared.body.quietHours).toBeUndefined();
  });

  it('a topic cap must be stricter than the stage cap', async () => {
    const { topic } = await marketingTopic(suite.api, 'capcheck', 'Cap check');
    await suite.api.put('/v1/settings/delivery', { frequencyCap: { max: 3, days: 7 } });
    const looser = await suite.as('marketing').put(`/v1/topics/${topic}`, { frequencyCap: { max: 5, days: 7 } });
    expect(looser.status).toBe(400);
    expect(looser.body.error.details).toContainEqual(expect.objectContaining({ path: 'frequencyCap' }));
    const stricter = await suite.as('marketing').put(`/v1/topics/${topic}`, { frequencyCap: { max: 1, days: 14 }, description: 'Once a fortnight' });
    expect(stricter.status).toBe(200);
    expect(stricter.body).toMatchObject({ id: topic, frequencyCap: { max: 1, days: 14 }, description: 'Once a fortnight' });
    expect((await suite.api.get(`/v1/topics/${topic}`)).body.frequencyCap).toEqual({ max: 1, days: 14 });
    expect((await suite.as('marketing').put(`/v1/topics/${topic}`, { frequencyCap: null })).body.frequencyCap).toBeUndefined();
    expect((await suite.as('ops').put(`/v1/topics/${topic}`, { name: 'x' })).status).toBe(403);
    expect((await suite.api.put('/v1/topics/no-such-topic', { name: 'x' })).status).toBe(404);
    // On create too: a looser cap is refused, a stricter one kept (it was dropped without a word before), and so is
    // a misspelt field rather than ignored.
    const run = Date.now().toString(36);
    const loose = await suite.as('marketing').post('/v1/topics', { id: `capnew-${run}`, name: 'New', frequencyCap: { max: 5, days: 7 } });
    expect(loose.status).toBe(400);
    expect(loose.body.error.details).toContainEqual(expect.objectContaining({ path: 'frequencyCap' }));
    const created = await suite.as('marketing').post('/v1/topics', { id: `capnew-${run}`, name: 'New', frequencyCap: { max: 1, days: 14 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await suite.api.get(`/v1/topics/capnew-${run}`)).body.frequencyCap).toEqual({ max: 1, days: 14 });
    const misspelt = await suite.as('marketing').post('/v1/topics', { id: `capodd-${run}`, name: 'Odd', doubleOptin: true });
    expect(misspelt.status).toBe(400);
    expect(JSON.stringify(misspelt.body.error.details)).toContain('doubleOptin');
    expect((await suite.api.get(`/v1/topics/capodd-${run}`)).status).toBe(404);
    await suite.api.put('/v1/settings/delivery', { frequencyCap: null });
  });
});

describe('frequency caps', () => {
  it('hold the second marketing mail as frequency_capped, exactly, when two campaigns race; service mail never counts', { timeout: 240_000 }, async () => {
    const api = suite.api;
    expect((await api.put('/v1/settings/delivery', { frequencyCap: { max: 1, days: 7 }, quietHours: null })).status).toBe(200);
    const a = await marketingTopic(api, 'race-a', 'Race A');
    const b = await marketingTopic(api, 'race-b', 'Race B');
    const N = 120;
    const cohorts = await seedCohorts(api, [{ label: 'both', count: N, row: () => ({ country: 'US', consents: { [a.topic]: optIn(), [b.topic]: optIn() } }) }]);

    const ids: string[] = [];
    for (const t of [a, b]) {
      const c = await api.post('/v1/campaigns', { name: `Race ${t.topic}`, template: t.template, ratePerSecond: 500 });
      expect(c.status).toBe(201);
      ids.push(c.body.id);
    }
    // Both launched at once: their senders race for every recipient's one slot.
    const launches = await Promise.all(ids.map((id) => api.post(`/v1/campaigns/${id}/launch`)));
    expect(launches.map((l) => l.status)).toEqual([202, 202]);
    const done = await Promise.all(ids.map((id) => waitForCampaign(api, id, (c) => c.status === 'completed')));
    await waitForIdle(engine);
    const sent = done.reduce((n, c) => n + c.progress.sent, 0);
    const capped = done.reduce((n, c) => n + (c.progress.held.frequency_capped ?? 0), 0);
    console.log(`cap race: campaign A sent ${done[0].progress.sent} held ${done[0].progress.held.frequency_capped ?? 0}, campaign B sent ${done[1].progress.sent} held ${done[1].progress.held.frequency_capped ?? 0}`);
    expect(sent).toBe(N);
    expect(capped).toBe(N);

    // Each recipient got exactly one of the two mails.
    const [mailA, mailB] = await Promise.all([mailsBySubject(a.subject), mailsBySubject(b.subject)]);
    for (const email of cohorts.both!) {
      const got = (mailA.get(email.toLowerCase())?.length ?? 0) + (mailB.get(email.toLowerCase())?.length ?? 0);
      expect(got, email).toBe(1);
    }

    // A transactional marketing mail is capped too; service mail goes out and does not count.
    const someone = (await api.get(`/v1/recipients?email=${encodeURIComponent(cohorts.both![0]!)}`)).body.id;
    const third = await api.post('/v1/messages', { template: a.template, to: { recipientId: someone } });
    expect(third.body).toMatchObject({ status: 'held', reason: 'frequency_capped' });
    expect((await api.post('/v1/templates', { id: `svc-${a.topic}`, class: 'service', subject: 'Receipt', html: '<p>{{preferences_url}}</p>', text: '{{preferences_url}}' })).status).toBe(201);
    expect((await api.post('/v1/messages', { template: `svc-${a.topic}`, to: { recipientId: someone } })).body.status).toBe('sent');
    // Ten sends racing through the API for one fresh recipient's one slot: exactly one goes out.
    const [fresh] = (await seedCohorts(api, [{ label: 'fresh', count: 1, row: () => ({ country: 'US', consents: { [a.topic]: optIn() } }) }])).fresh!;
    const freshId = (await api.get(`/v1/recipients?email=${encodeURIComponent(fresh as string)}`)).body.id;
    const racing = await Promise.all(Array.from({ length: 10 }, () => api.post('/v1/messages', { template: a.template, to: { recipientId: freshId } })));
    expect(racing.map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(racing.filter((r) => r.body.status === 'sent')).toHaveLength(1);
    expect(racing.filter((r) => r.body.reason === 'frequency_capped')).toHaveLength(9);

    // Figures: counted and shown like every hold.
    const metrics = (await api.get('/v1/metrics')).body;
    expect(metrics.holdReasons).toContainEqual(expect.objectContaining({ reason: 'frequency_capped' }));
    await api.put('/v1/settings/delivery', { frequencyCap: null });
  });
});

describe('a topic’s own cap', () => {
  it('holds that topic’s marketing when the recipient had their share of any marketing in its window; other topics go on', { timeout: 60_000 }, async () => {
    const api = suite.api;
    expect((await api.put('/v1/settings/delivery', { frequencyCap: null, quietHours: null })).status).toBe(200);
    const weekly = await marketingTopic(api, 'weekly', 'Weekly');
    const digest = await marketingTopic(api, 'digest', 'Digest');
    expect((await api.put(`/v1/topics/${digest.topic}`, { frequencyCap: { max: 1, days: 14 } })).status).toBe(200);
    const cohorts = await seedCohorts(api, [{ label: 'both', count: 1, row: () => ({ consents: { [weekly.topic]: optIn(), [digest.topic]: optIn() } }) }]);
    const id = (await api.get(`/v1/recipients?email=${encodeURIComponent(cohorts.both![0]!)}`)).body.id;
    expect((await api.post('/v1/messages', { template: weekly.template, to: { recipientId: id } })).body.status).toBe('sent');
    // The digest allows one marketing mail in 14 days, and the weekly mail was one.
    expect((await api.post('/v1/messages', { template: digest.template, to: { recipientId: id } })).body).toMatchObject({ status: 'held', reason: 'frequency_capped' });
    // No stage cap: the weekly topic goes on.
    expect((await api.post('/v1/messages', { template: weekly.template, to: { recipientId: id } })).body.status).toBe('sent');
  });

  it('a retry of a capped mail (its first attempt took the slot, then SES refused it) is sent, not held by its own slot', { timeout: 120_000 }, async () => {
    const api = suite.api;
    expect((await api.put('/v1/settings/delivery', { frequencyCap: { max: 1, days: 7 }, quietHours: null })).status).toBe(200);
    try {
      const t = await marketingTopic(api, 'retry-cap', 'Retry cap');
      const other = await marketingTopic(api, 'retry-cap-api', 'Retry cap API');
      const cohorts = await seedCohorts(api, [{ label: 'retried', count: 2, row: () => ({ consents: { [t.topic]: optIn(), [other.topic]: optIn() } }) }]);
      const ids = await Promise.all(cohorts.retried!.map(async (e) => (await api.get(`/v1/recipients?email=${encodeURIComponent(e)}`)).body.id as string));
      const c = await api.post('/v1/campaigns', { name: 'Retried under a cap', template: t.template, ratePerSecond: 500 });
      // The first attempt's slot, as the sender takes it before SES is called: one recipient's, for this campaign.
      const deps = container();
      expect(await deps.delivery.reserve(ids[0]!, campaignMessageId(c.body.id, ids[0]!), new Date(), [{ max: 1, days: 7 }])).toBe('reserved');
      expect((await api.post(`/v1/campaigns/${c.body.id}/launch`)).status).toBe(202);
      const done = await waitForCampaign(api, c.body.id, (x) => x.status === 'completed', 90_000);
      expect(done.progress).toMatchObject({ sent: 2 });
      expect((await mailsBySubject(t.subject)).size).toBe(2);
      // A transactional retry with the same key likewise: two a week, the campaign's mail is one, the key's first
      // attempt took the second slot; its retry is that mail, not a third.
      expect((await api.put('/v1/settings/delivery', { frequencyCap: { max: 2, days: 7 } })).status).toBe(200);
      const key = `cap-retry-${ids[1]}`;
      expect(await deps.delivery.reserve(ids[1]!, messageIdForKey(key), new Date(), [{ max: 2, days: 7 }])).toBe('reserved');
      const sent = await api.post('/v1/messages', { template: other.template, to: { recipientId: ids[1] }, idempotencyKey: key });
      expect(sent.body.status, JSON.stringify(sent.body)).toBe('sent');
    } finally {
      expect((await api.put('/v1/settings/delivery', { frequencyCap: null })).status).toBe(200);
    }
  });
});

describe('quiet hours', () => {
  it('defer marketing (never service mail) in the recipient’s own time zone; the sweep sends it when they end', { timeout: 240_000 }, async () => {
    const api = suite.api;
    expect((await api.put('/v1/settings/delivery', { quietHours: { start: '21:00', end: '08:00' }, frequencyCap: null })).status).toBe(200);
    const t = await marketingTopic(api, 'quiet', 'Quiet news');
    const night = zoneAtLocalHour(23);
    const day = zoneAtLocalHour(12);
    const cohorts = await seedCohorts(api, [
      { label: 'night', count: 1, row: () => ({ timeZone: night, consents: { [t.topic]: optIn() } }) },
      { label: 'day', count: 1, row: () => ({ timeZone: day, consents: { [t.topic]: optIn() } }) },
    ]);
    const nightId = (await api.get(`/v1/recipients?email=${encodeURIComponent(cohorts.night![0]!)}`)).body.id;
    const dayId = (await api.get(`/v1/recipients?email=${encodeURIComponent(cohorts.day![0]!)}`)).body.id;

    // Transactional marketing at night: 202 deferred until 08:00 local; at noon: sent. Service mail at night: sent.
    const deferred = await api.post('/v1/messages', { template: t.template, to: { recipientId: nightId }, idempotencyKey: `quiet-${t.topic}` });
    expect(deferred.status).toBe(202);
    expect(deferred.body).toMatchObject({ status: 'deferred', until: expect.any(String) });
    const until = deferred.body.until as string;
    expect(wallTime(new Date(until), night)).toMatchObject({ hour: 8, minute: 0 });
    expect((await api.post('/v1/messages', { template: t.template, to: { recipientId: nightId }, idempotencyKey: `quiet-${t.topic}` })).body).toMatchObject({
      status: 'deferred',
      until,
      duplicate: true,
    });
    expect((await api.post('/v1/messages', { template: t.template, to: { recipientId: dayId } })).body.status).toBe('sent');
    expect((await api.post('/v1/templates', { id: `svc-${t.topic}`, class: 'service', subject: `Receipt ${t.topic}`, html: '<p>{{preferences_url}}</p>', text: '{{preferences_url}}' })).status).toBe(201);
    expect((await api.post('/v1/messages', { template: `svc-${t.topic}`, to: { recipientId: nightId } })).body.status).toBe('sent');

    // A campaign defers the night recipient and sends to the day one.
    const c = await api.post('/v1/campaigns', { name: 'Quiet campaign', template: t.template, ratePerSecond: 500 });
    await api.post(`/v1/campaigns/${c.body.id}/launch`);
    const waiting = await waitForCampaign(api, c.body.id, (x) => x.progress.sent === 1 && x.progress.deferred === 1);
    expect(waiting.status).toBe('sending');
    expect(waiting.progress).toMatchObject({ deferred: 1, scheduled: 0, nextDueAt: until, remaining: 1 });
    await waitForIdle(engine);
    let mails = await mailsBySubject(t.subject);
    expect(mails.get(cohorts.night![0]!.toLowerCase())).toBeUndefined();
    expect(mails.get(cohorts.day![0]!.toLowerCase())).toHaveLength(2);
    expect((await api.get(`/v1/messages/${deferred.body.messageId}`)).body).toMatchObject({ status: 'deferred', until, deferral: 'quiet_hours' });

    // Past the end of the quiet hours: the engine's sweep sends both deferred mails, once each.
    moveClockTo(until);
    const done = await waitForCampaign(api, c.body.id, (x) => x.status === 'completed', 60_000);
    expect(done.progress).toMatchObject({ sent: 2, deferred: 0 });
    await waitForIdle(engine);
    for (let i = 0; i < 40 && (await api.get(`/v1/messages/${deferred.body.messageId}`)).body.status !== 'sent'; i++) await new Promise((r) => setTimeout(r, 250));
    expect((await api.get(`/v1/messages/${deferred.body.messageId}`)).body.status).toBe('sent');
    mails = await mailsBySubject(t.subject);
    expect(mails.get(cohorts.night![0]!.toLowerCase())).toHaveLength(2);
    await api.put('/v1/settings/delivery', { quietHours: null });
  });
});

describe('a deferred mail SES refuses when it is due', () => {
  it('is deferred again a few minutes on, and sent then', { timeout: 120_000 }, async () => {
    const api = suite.api;
    expect((await api.put('/v1/settings/delivery', { quietHours: { start: '21:00', end: '08:00' }, frequencyCap: null })).status).toBe(200);
    const t = await marketingTopic(api, 'quietfail', 'Quiet retry');
    const cohorts = await seedCohorts(api, [{ label: 'night', count: 1, row: () => ({ timeZone: zoneAtLocalHour(23), consents: { [t.topic]: optIn() } }) }]);
    const id = (await api.get(`/v1/recipients?email=${encodeURIComponent(cohorts.night![0]!)}`)).body.id;
    const deferred = (await api.post('/v1/messages', { template: t.template, to: { recipientId: id } })).body;
    expect(deferred.status).toBe('deferred');

    // The sweep runs at the end of the quiet hours with SES unreachable (its own clock: the engine's sweep still sees now).
    const deps = container();
    const dueAt = new Date(Date.parse(deferred.until) + 60_000);
    const unreachable = {
      ...deps,
      clock: () => dueAt,
      mailer: new SesMailer(new SESv2Client({ endpoint: `http://127.0.0.1:${await freePort()}`, region: 'us-east-1', maxAttempts: 1 })),
    };
    const report = await releaseDueMessages(unreachable);
    expect(report.messages.failed).toBe(1);
    const again = (await api.get(`/v1/messages/${deferred.messageId}`)).body;
    expect(again).toMatchObject({ status: 'deferred', until: new Date(dueAt.getTime() + 5 * 60_000).toISOString() });

    moveClockTo(again.until);
    for (let i = 0; i < 60 && (await api.get(`/v1/messages/${deferred.messageId}`)).body.status !== 'sent'; i++) await new Promise((r) => setTimeout(r, 250));
    expect((await api.get(`/v1/messages/${deferred.messageId}`)).body.status).toBe('sent');
    expect((await mailsBySubject(t.subject)).get(cohorts.night![0]!.toLowerCase())).toHaveLength(1);
    await api.put('/v1/settings/delivery', { quietHours: null });
  });
});

describe('local-time campaigns', () => {
  it('UTC at its time, Pacific/Kiritimati at once (late), America/Los_Angeles scheduled; pause and resume across the window', { timeout: 240_000 }, async () => {
    const api = suite.api;
    expect((await api.put('/v1/settings/delivery', { quietHours: null, frequencyCap: null })).status).toBe(200);
    const t = await marketingTopic(api, 'local', 'Local time news');
    const cohorts = await seedCohorts(api, [
      { label: 'utc', count: 1, row: () => ({ timeZone: 'UTC', consents: { [t.topic]: optIn() } }) },
      { label: 'kiri', count: 1, row: () => ({ timeZone: 'Pacific/Kiritimati', consents: { [t.topic]: optIn() } }) },
      { label: 'la', count: 1, row: () => ({ timeZone: 'America/Los_Angeles', consents: { [t.topic]: optIn() } }) },
    ]);
    const [utc, kiri, la] = [cohorts.utc![0]!, cohorts.kiri![0]!, cohorts.la![0]!].map((e) => e.toLowerCase()) as [string, string, string];
    // A wall-clock time a few seconds from now in UTC: already past in Kiritimati (UTC+14), hours away in Los Angeles.
    const sendAt = new Date(Date.now() + 8_000).toISOString().slice(0, 19);
    const refused = await api.post('/v1/campaigns', { name: 'x', template: t.template, localTime: true, sendAt: `${sendAt}Z` });
    expect(refused.body.error.details).toContainEqual(expect.objectContaining({ path: 'sendAt' }));
    // Local time needs its wall-clock time: on create, and when a change would take it back.
    const noTime = await api.post('/v1/campaigns', { name: 'x', template: t.template, localTime: true });
    expect(noTime.status).toBe(400);
    expect(noTime.body.error.details).toContainEqual({ path: 'sendAt', message: 'required with localTime' });
    const c = await api.post('/v1/campaigns', { name: 'Local time', template: t.template, localTime: true, sendAt, ratePerSecond: 500 });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const id = c.body.id as string;
    const takenBack = await api.patch(`/v1/campaigns/${id}`, { sendAt: null });
    expect(takenBack.status).toBe(400);
    expect(takenBack.body.error.details).toContainEqual({ path: 'sendAt', message: 'required with localTime' });
    expect((await api.post(`/v1/campaigns/${id}/launch`)).status).toBe(202);

    const first = await waitForCampaign(api, id, (x) => x.progress.sent === 1);
    expect(first.progress).toMatchObject({ late: 1 });
    expect([...(await mailsBySubject(t.subject)).keys()]).toEqual([kiri]);

    const second = await waitForCampaign(api, id, (x) => x.progress.sent === 2, 60_000);
    expect(second.status).toBe('sending');
    const laMoment = new Date(`${sendAt}Z`).getTime() + 8 * HOUR;
    expect(second.progress).toMatchObject({ sent: 2, late: 1, scheduled: 1, deferred: 0, remaining: 1, nextDueAt: new Date(laMoment).toISOString() });
    expect(second.progress.timeline).toEqual([{ at: new Date(laMoment).toISOString(), scheduled: 1, deferred: 0 }]);
    await waitForIdle(engine);
    expect([...(await mailsBySubject(t.subject)).keys()].sort()).toEqual([kiri, utc].sort());

    // Paused across Los Angeles' moment: nothing goes out; resumed, it does, once.
    expect((await api.post(`/v1/campaigns/${id}/pause`)).status).toBe(202);
    moveClockTo(new Date(laMoment).toISOString());
    await engine.sweep();
    await waitForIdle(engine);
    expect((await mailsBySubject(t.subject)).get(la)).toBeUndefined();
    expect((await api.get(`/v1/campaigns/${id}`)).body.status).toBe('paused');
    expect((await api.post(`/v1/campaigns/${id}/resume`)).status).toBe(202);
    const done = await waitForCampaign(api, id, (x) => x.status === 'completed', 60_000);
    expect(done.progress).toMatchObject({ sent: 3, late: 1, scheduled: 0, remaining: 0 });
    await waitForIdle(engine);
    const mails = await mailsBySubject(t.subject);
    expect([...mails.keys()].sort()).toEqual([kiri, la, utc].sort());
    for (const list of mails.values()) expect(list).toHaveLength(1);
  });

  it('erasing a recipient who waits for their time settles them as held (erased); the campaign completes', { timeout: 120_000 }, async () => {
    const api = suite.api;
    const t = await marketingTopic(api, 'localerase', 'Local erase');
    const cohorts = await seedCohorts(api, [{ label: 'la', count: 1, row: () => ({ timeZone: 'America/Los_Angeles', consents: { [t.topic]: optIn() } }) }]);
    const sendAt = new Date(Date.now() + 5_000).toISOString().slice(0, 19);
    const c = await api.post('/v1/campaigns', { name: 'Local erase', template: t.template, localTime: true, sendAt, ratePerSecond: 500 });
    await api.post(`/v1/campaigns/${c.body.id}/launch`);
    await waitForCampaign(api, c.body.id, (x) => x.progress.scheduled === 1);
    const id = (await api.get(`/v1/recipients?email=${encodeURIComponent(cohorts.la![0]!)}`)).body.id;
    expect((await api.del(`/v1/recipients/${id}`)).status).toBe(200);
    const done = await waitForCampaign(api, c.body.id, (x) => x.status === 'completed', 30_000);
    expect(done.progress).toMatchObject({ sent: 0, scheduled: 0, held: { erased: 1 }, remaining: 0 });
  });

  it('a recipient who waited and no longer matches the audience when their time comes is held, not left waiting', { timeout: 120_000 }, async () => {
    const api = suite.api;
    const t = await marketingTopic(api, 'localaud', 'Local audience');
    const cohorts = await seedCohorts(api, [{ label: 'la', count: 2, row: () => ({ timeZone: 'America/Los_Angeles', attributes: { plan: 'pro' }, consents: { [t.topic]: optIn() } }) }]);
    const [stays, leaves] = cohorts.la!.map((e) => e.toLowerCase()) as [string, string];
    const sendAt = new Date(Date.now() + 5_000).toISOString().slice(0, 19);
    const c = await api.post('/v1/campaigns', { name: 'Local audience', template: t.template, localTime: true, sendAt, audience: { attributes: { plan: 'pro' } }, ratePerSecond: 500 });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    await api.post(`/v1/campaigns/${c.body.id}/launch`);
    await waitForCampaign(api, c.body.id, (x) => x.progress.scheduled === 2);
    const leaver = (await api.get(`/v1/recipients?email=${encodeURIComponent(leaves)}`)).body.id as string;
    expect((await api.patch(`/v1/recipients/${leaver}`, { attributes: { plan: 'free' } })).status).toBe(200);
    moveClockTo(new Date(Date.parse(`${sendAt}Z`) + 8 * HOUR).toISOString());
    await engine.sweep();
    const done = await waitForCampaign(api, c.body.id, (x) => x.status === 'completed', 60_000);
    // The wait count went down with them: nobody shown as scheduled, no moment still ahead.
    expect(done.progress).toMatchObject({ sent: 1, excluded: 1, scheduled: 0, deferred: 0, remaining: 0 });
    expect(done.progress.nextDueAt).toBeUndefined();
    expect(done.progress.timeline ?? []).toEqual([]);
    expect((await api.get(`/v1/messages/${campaignMessageId(c.body.id, leaver)}`)).body).toMatchObject({ status: 'held', reason: 'not_in_audience' });
    await waitForIdle(engine);
    expect([...(await mailsBySubject(t.subject)).keys()]).toEqual([stays]);
  });

  it('cancel stops the recipients still waiting for their time', { timeout: 120_000 }, async () => {
    const api = suite.api;
    const t = await marketingTopic(api, 'localc', 'Local cancel');
    const cohorts = await seedCohorts(api, [{ label: 'la', count: 2, row: () => ({ timeZone: 'America/Los_Angeles', consents: { [t.topic]: optIn() } }) }]);
    const sendAt = new Date(Date.now() + 5_000).toISOString().slice(0, 19);
    const c = await api.post('/v1/campaigns', { name: 'Local cancel', template: t.template, localTime: true, sendAt, ratePerSecond: 500 });
    await api.post(`/v1/campaigns/${c.body.id}/launch`);
    await waitForCampaign(api, c.body.id, (x) => x.progress.scheduled === 2);
    expect((await api.post(`/v1/campaigns/${c.body.id}/cancel`)).status).toBe(202);
    moveClockTo(new Date(Date.parse(`${sendAt}Z`) + 8 * HOUR).toISOString());
    await engine.sweep();
    await waitForIdle(engine);
    expect((await mailsBySubject(t.subject)).size).toBe(0);
    expect((await api.get(`/v1/campaigns/${c.body.id}`)).body.status).toBe('cancelled');
    expect(cohorts.la).toHaveLength(2);
  });
});

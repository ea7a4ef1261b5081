/**
 * The ops figures end to end: mail sent through the API, SES events in their recorded shapes through the real
 * handler (duplicates and reordering included), unsubscribes from the public routes, and `GET /v1/metrics` reading
 * exactly those figures back for the topic; transient bounces suppressing marketing after the limit; the recent
 * feedback list with masked addresses; clear 400s for bad ranges. The topic series keeps each figure this file's own
 * (the `ALL` series is shared with every other test file of the run).
 */
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { dynamoDb } from '../../lambdas/adapters/clients.ts';
import { config } from '../../lambdas/adapters/config.ts';
import { container } from '../../lambdas/adapters/container.ts';
import { MessageStore } from '../../lambdas/adapters/dynamo/message-store.ts';
import { handler as sesEventsHandler } from '../../lambdas/handlers/ses-events.ts';
import { asFunction } from '../../local/table-access-guard.ts';
import { unsubscribe } from '../../lambdas/services/unsubscribe.ts';
import { hrefs } from '../support/mailbox.ts';
import { pathOf } from '../support/scenario.ts';
import { sesEvent } from '../support/ses-events.ts';
import { settleFigures } from '../support/figures-stream.ts';
import { useGateway } from '../support/suite.ts';
import { figureMismatches } from '../support/figures.ts';

// Checked against the function's table grants, as the local stack runs it.
const handler = asFunction('sesEvents', sesEventsHandler);

const suite = useGateway('opsmetrics');
const today = () => new Date().toISOString().slice(0, 10);

async function sentMarketing(label: string) {
  const { s, api } = suite;
  const r = await s.recipient(label);
  const sent = await s.sendMarketing({ recipientId: r.id });
  expect(sent.status).toBe('sent');
  const record = (await api.get(`/v1/messages/${sent.messageId}`)).body;
  return { r, values: { messageId: sent.messageId, sesId: record.sesMessageId as string, address: r.email } };
}

// The events' figures are counted from the messages stream a batch later: read once everything so far is counted.
const metrics = async (query: string) => {
  await settleFigures();
  const res = await suite.api.get(`/v1/metrics${query}`);
  expect(res.status).toBe(200);
  return res.body;
};

describe('GET /v1/metrics for a topic', () => {
  it('counts sends, deliveries, bounces, complaints, holds, unsubscribes by source and suppressions exactly once each', async () => {
    const { api, s, gw } = suite;
    const delivered = await sentMarketing('ok');
    const hard = await sentMarketing('hard');
    const complainer = await sentMarketing('complains');
    const clicker = await sentMarketing('oneclick');

    // Out of order and repeated: a delivery after the bounce, the bounce twice (a redelivery has a new envelope id).
    expect(await handler(sesEvent('bounce-permanent', hard.values))).toBe('applied');
    expect(await handler(sesEvent('delivery', hard.values))).toBe('applied');
    expect(await handler(sesEvent('bounce-permanent', hard.values, { id: 'redelivered-bounce' }))).toBe('duplicate');
    for (const m of [delivered, complainer, clicker]) expect(await handler(sesEvent('delivery', m.values))).toBe('applied');
    expect(await handler(sesEvent('complaint', complainer.values))).toBe('applied');
    expect(await handler(sesEvent('complaint', complainer.values, { id: 'redelivered-complaint' }))).toBe('duplicate');

    // One-click unsubscribe from the mail's List-Unsubscribe URL, twice: the second changes nothing, counts nothing.
    const mail = await s.lastMarketingMail(clicker.r.email);
    const unsubscribeUrl = hrefs(mail.body.html ?? '').find((h) => h.includes('/u/'))!;
    for (let i = 0; i < 2; i++) {
      const res = await gw.call(pathOf(unsubscribeUrl), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(res.status).toBe(200);
    }
    // Opens and clicks of the delivered mail: a person's and a scanner's.
    const deliveredMail = await s.lastMarketingMail(delivered.r.email);
    const pixel = /<img src="([^"]+\/o\/[^"]+\.gif)"/.exec(deliveredMail.body.html ?? '')![1]!;
    const click = hrefs(deliveredMail.body.html ?? '').find((h) => h.includes('/c/'))!;
    const browser = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
    await gw.call(pathOf(pixel), { headers: { 'user-agent': browser } });
    await gw.call(pathOf(pixel), { headers: { 'user-agent': 'Barracuda Sentinel (EE)' } });
    await gw.call(pathOf(click), { headers: { 'user-agent': 'Proofpoint URL Defense' }, redirect: 'manual' });

    // Now held: opted out, and the complainer as complained; the bounced address as undeliverable.
    expect(await s.sendMarketing({ recipientId: clicker.r.id })).toMatchObject({ status: 'held', reason: 'opted_out' });
    expect(await s.sendMarketing({ recipientId: complainer.r.id })).toMatchObject({ status: 'held', reason: 'complained' });
    expect(await s.sendMarketing({ recipientId: hard.r.id })).toMatchObject({ status: 'held', reason: 'undeliverable' });

    const m = await metrics(`?topic=${s.topic}`);
    expect(m.series).toBe(`T#${s.topic}`);
    expect(m.to).toBe(today());
    expect(m.days).toHaveLength(30);
    const t = m.totals;
    expect(t.sent).toEqual({ total: 4, service: 0, marketing: 4 });
    expect(t.delivered.total).toBe(4);
    expect(t.bouncedHard).toEqual({ total: 1, service: 0, marketing: 1 });
    expect(t.complained.total).toBe(1);
    expect(t.held).toEqual({ total: 3, service: 0, marketing: 3, byReason: { opted_out: 1, complained: 1, undeliverable: 1 } });
    expect(t.unsubscribed).toEqual({ total: 2, service: 0, marketing: 2, bySource: { one_click: 1, complaint: 1 } });
    expect(t.suppressionsAdded).toEqual({ total: 2, byReason: { hard_bounce: 1, complaint: 1 } });
    // Opens and clicks by class, like every other figure, and machines apart.
    expect(t.opens.total).toEqual({ total: 2, service: 0, marketing: 2 });
    expect(t.opens.machine.marketing).toBeGreaterThanOrEqual(1);
    expect(t.clicks.total).toEqual({ total: 1, service: 0, marketing: 1 });
    expect(t.clicks.machine).toEqual({ total: 1, service: 0, marketing: 1 });
    expect(t.clicks.uniqueHuman.total).toBe(0);
    // Every figure's parts add up to its total: by class, by reason or source, human and machine.
    expect(figureMismatches(t)).toEqual([]);
    for (const day of m.days) expect(figureMismatches(day.figures, day.day)).toEqual([]);
    expect(m.rates).toMatchObject({ bounce: 0.25, complaint: 0.25, unsubscribe: 0.5 });
    expect(m.holdReasons).toEqual([
      { reason: 'complained', count: 1 },
      { reason: 'opted_out', count: 1 },
      { reason: 'undeliverable', count: 1 },
    ]);
    expect(m.days.at(-1)).toMatchObject({ day: today(), figures: { sent: { total: 4 } } });
    expect(m.thresholds).toEqual({
      sesReview: { bounce: 0.05, complaint: 0.001 },
      warning: { bounce: 0.04, complaint: 0.0008 },
      // The minimum volume is the run's (test/support/integration-env.ts keeps the stage-wide pause out of shared tests).
      autoPause: { bounce: 0.045, complaint: 0.0009, minSent: Number(process.env[ENV.pauseMinSent]), windowDays: 7 },
    });
    // Below the minimum volume, 25 % bounces pause nothing.
    expect(m.marketing.paused).toBe(false);

    // The bounced address gets neither class; the complainer still gets service mail.
    expect(await s.sendService({ recipientId: hard.r.id })).toMatchObject({ status: 'held', reason: 'undeliverable' });
    expect((await s.sendService({ recipientId: complainer.r.id })).status).toBe('sent');
    expect((await api.get(`/v1/metrics?topic=${s.topic}`)).body.totals.sent.total).toBe(4); // service mail has no topic
  });

  it('counts an unsubscribe in the campaign of the mail its token came from', async () => {
    const { s } = suite;
    const r = await s.recipient('campaign-unsub');
    const deps = container();
    const campaignId = `cmp_${Date.now().toString(36)}`;
    const messageId = `msg_ops_${Date.now().toString(36)}`;
    const at = new Date().toISOString();
    await deps.messages.claim({ messageId, status: 'sent', class: 'marketing', template: s.marketing, topic: s.topic, campaignId, recipientId: r.id, createdAt: at, expiresAt: Math.floor(Date.now() / 1000) + 3600, requestHash: 'x' });
    expect((await unsubscribe(deps, { recipientId: r.id, topicId: s.topic, messageId }, 'all', 'link', { at })).outcome).toBe('unsubscribed');
    const m = await metrics(`?campaign=${campaignId}`);
    expect(m.totals.unsubscribed).toEqual({ total: 1, service: 0, marketing: 1, bySource: { link: 1 } });
  });
});

describe('transient bounces', () => {
  it('suppress marketing (not service mail) at the third within the window, once, whatever the order and repeats', async () => {
    const { api, s } = suite;
    const { r, values } = await sentMarketing('mailboxfull');
    const day = today();
    const bounce = (n: number, hour: string) => sesEvent('bounce-transient', values, { feedbackId: `soft-${values.messageId}-${n}`, at: `${day}T${hour}:00:00.000Z`, id: `env-${n}` });
    await settleFigures();
    const before = await new MessageStore(dynamoDb(), config().tables).dayCounters(day, `T#${s.topic}`);

    expect(await handler(bounce(3, '09'))).toBe('applied');
    expect(await handler(bounce(1, '01'))).toBe('applied');
    expect(await handler(bounce(1, '01'))).toBe('duplicate');
    expect((await api.get(`/v1/recipients/${r.id}`)).body.suppressions).toEqual([]);
    expect(await handler(bounce(2, '05'))).toBe('applied');

    const suppressions = (await api.get(`/v1/recipients/${r.id}`)).body.suppressions;
    expect(suppressions).toEqual([
      {
        reason: 'soft_bounce',
        scope: 'marketing',
        createdAt: `${day}T09:00:00.000Z`,
        expiresAt: new Date(Date.parse(`${day}T09:00:00.000Z`) + 30 * 86_400_000).toISOString(),
        source: 'ses:bounce',
        note: '3 transient bounces within 7 days',
      },
    ]);
    // A fourth bounce and a replay of the third change nothing.
    await handler(bounce(4, '10'));
    await handler(bounce(3, '09'));
    expect((await api.get(`/v1/recipients/${r.id}`)).body.suppressions).toEqual(suppressions);

    await settleFigures();
    const after = await new MessageStore(dynamoDb(), config().tables).dayCounters(day, `T#${s.topic}`);
    expect((after.bounced_soft ?? 0) - (before.bounced_soft ?? 0)).toBe(4);
    expect((after.suppressions_added_soft_bounce ?? 0) - (before.suppressions_added_soft_bounce ?? 0)).toBe(1);

    expect(await s.sendMarketing({ recipientId: r.id })).toMatchObject({ status: 'held', reason: 'bouncing' });
    expect((await s.sendService({ recipientId: r.id })).status).toBe('sent');

    // Ops can lift it like any other suppression.
    expect((await api.del('/v1/suppressions', { email: r.email, reason: 'soft_bounce' })).status).toBe(200);
    expect((await s.sendMarketing({ recipientId: r.id })).status).toBe('sent');
  });
});

describe('GET /v1/feedback/recent', () => {
  it('lists bounces and complaints newest first with masked addresses only', async () => {
    const { api } = suite;
    const { r, values } = await sentMarketing('recentlist');
    await handler(sesEvent('bounce-permanent', values, { feedbackId: `recent-${values.messageId}` }));
    const res = await api.get('/v1/feedback/recent?limit=200');
    expect(res.status).toBe(200);
    const mine = (res.body.entries as Array<Record<string, string>>).filter((e) => e.messageId === values.messageId);
    expect(mine).toEqual([
      expect.objectContaining({ kind: 'bounced_hard', address: `${r.email[0]}***@e***.com`, detail: 'Permanent/General', class: 'marketing', topic: suite.s.topic }),
    ]);
    expect(JSON.stringify(res.body)).not.toContain(r.email);
    const ats = (res.body.entries as Array<{ at: string }>).map((e) => e.at);
    expect(ats).toEqual([...ats].sort().reverse());
    expect((await api.get('/v1/feedback/recent?limit=0')).status).toBe(400);
  });
});

describe('GET /v1/metrics refuses bad ranges with a clear 400', () => {
  it.each([
    ['?from=2026-11-10&to=2026-11-01', 'from', 'after'],
    ['?from=2024-01-01&to=2026-01-01', 'from', 'at most 400'],
    ['?from=2026-02-30', 'from', 'calendar day'],
    ['?to=yesterday', 'to', 'calendar day'],
    ['?topic=a&campaign=b', 'query.topic', 'not both'],
  ])('%s', async (query, path, words) => {
    const res = await suite.api.get(`/v1/metrics${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path, message: expect.stringContaining(words) })]);
  });
});

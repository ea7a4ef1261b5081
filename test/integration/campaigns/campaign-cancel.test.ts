/**
 * Cancel means cancel: once `POST …/cancel` has answered, no recipient's consent is read for sending any more, so
 * no mail is decided (let alone sent) after it. Checked from the message records' `decidedAt` (when the sender read
 * consent for that mail) against the moment the answer arrived, on a slow campaign cancelled while it sends, with
 * two senders sharing the budget (two batches).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { mailsBySubject, optIn, seedCohorts, startTestEngine, waitForIdle } from '../../support/campaigns.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway({ ownTables: 'cancel' });
let engine: CampaignEngine;

beforeAll(async () => {
  engine = await startTestEngine('cancel', { sweepMs: 500 });
});
afterAll(async () => {
  await engine?.stop();
});

describe('cancel', () => {
  it('no mail is decided after /cancel has answered', { timeout: 300_000 }, async () => {
    const api = suite.api;
    const run = `cancel-${Date.now().toString(36)}`;
    const topic = `t-${run}`;
    const subject = `Cancel ${run}`;
    expect((await api.post('/v1/topics', { id: topic, name: 'Cancel' })).status).toBe(201);
    const tpl = await api.post('/v1/templates', {
      id: `m-${run}`,
      class: 'marketing',
      topic,
      subject,
      html: '<p>x</p><a href="{{unsubscribe_url}}">u</a> {{postal_address}}',
      text: 'x {{unsubscribe_url}} {{postal_address}}',
    });
    expect(tpl.status).toBe(201);
    const audience = (await seedCohorts(api, [{ label: run, count: 60, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) }]))[run]!;
    const ids: string[] = [];
    for (const email of audience) ids.push((await api.get(`/v1/recipients?email=${encodeURIComponent(email)}`)).body.id);

    // 3 a second over 60 recipients in two batches: ~20 s, every sender waiting on the budget most of the time.
    const c = await api.post('/v1/campaigns', { name: 'Cancel me at once', template: `m-${run}`, ratePerSecond: 3 });
    expect((await api.post(`/v1/campaigns/${c.body.id}/launch`)).status).toBe(202);
    const until = Date.now() + 120_000;
    while ((await mailsBySubject(subject)).size < 6 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));

    const cancelled = await api.post(`/v1/campaigns/${c.body.id}/cancel`);
    const answeredAt = new Date().toISOString();
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('cancelled');
    await waitForIdle(engine);
    // Anything still on its way would show up within a few rate windows.
    await new Promise((r) => setTimeout(r, 3000));
    await waitForIdle(engine);

    const decided: Array<{ id: string; decidedAt: string; status: string }> = [];
    for (const id of ids) {
      const m = await api.get(`/v1/messages/${c.body.id}-${id}`);
      if (m.status === 404) continue;
      expect(m.status).toBe(200);
      decided.push({ id, decidedAt: m.body.decidedAt, status: m.body.status });
    }
    const late = decided.filter((d) => d.decidedAt > answeredAt);
    console.log(`cancel: ${decided.length} of ${ids.length} decided before the cancel answered at ${answeredAt}; late: ${late.length}`);
    expect(late).toEqual([]);
    expect(decided.length).toBeGreaterThan(0);
    expect(decided.length).toBeLessThan(ids.length);
    // Every mail that went out belongs to a decision made before the cancel.
    const mails = await mailsBySubject(subject);
    expect(mails.size).toBe(decided.filter((d) => d.status === 'sent').length);
  });
});

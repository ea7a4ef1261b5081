/** The preference page over HTTP: what it shows, what a save changes and ledgers, and Global Privacy Control. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../support/admin-client.ts';
import { startTestGateway, type TestGateway } from '../../support/gateway.ts';
import { hrefs, mailTo } from '../../support/mailbox.ts';
import { marketingScenario, pathOf, type Scenario } from '../../support/scenario.ts';

let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
let s: Scenario;

beforeAll(async () => {
  gw = await startTestGateway();
  api = adminClient(gw);
  s = await marketingScenario(api, 'prefs');
});
afterAll(async () => {
  await gw?.stop();
});

async function preferencesPath(label: string, country = 'US') {
  const r = await s.recipient(label, country);
  await s.sendService({ recipientId: r.id });
  const mail = (await mailTo(r.email)).at(-1)!;
  return { r, path: pathOf(hrefs(mail.body.html ?? '').find((l) => l.includes('/p/'))!) };
}

const form = (fields: Record<string, string | string[]>) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const value of [v].flat()) body.append(k, value);
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() };
};

describe('preference page', () => {
  it('shows each topic with its state and every control, and a save changes only what differs', async () => {
    const { r, path } = await preferencesPath('page');
    const page = await (await gw.call(path)).text();
    expect(page).toContain(s.topicName);
    expect(page).toMatch(new RegExp(`value="${s.topic}" checked`));
    for (const label of ['Unsubscribe from all marketing', 'Let us see when I open mail', 'Do not sell or share my personal information']) expect(page).toContain(label);

    const saved = await gw.call(path, form({ form: 'preferences', tracking: 'on', do_not_sell: 'on' }));
    expect(saved.status).toBe(200);
    const text = await saved.text();
    expect(text).toContain('Saved:');
    expect(text).toContain(`${s.topicName}: unsubscribed`);
    const view = (await api.get(`/v1/recipients/${r.id}`)).body;
    expect(view.consents[s.topic]).toMatchObject({ status: 'opted_out', source: 'preference_page' });
    expect(view).toMatchObject({ doNotSell: true, tracking: true, unsubscribedAll: false });
    const ledger = (await api.get(`/v1/recipients/${r.id}/ledger`)).body.entries;
    expect(ledger.slice(-2).map((e: { subject: string; source: string }) => [e.subject, e.source])).toEqual([
      [`topic:${s.topic}`, 'preference_page'],
      ['do_not_sell', 'preference_page'],
    ]);
    expect(ledger.at(-1).ipPseudonym).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('honors Sec-GPC: 1 by recording a do-not-sell-or-share opt-out', async () => {
    const { r, path } = await preferencesPath('gpc');
    expect((await api.get(`/v1/recipients/${r.id}`)).body.doNotSell).toBe(false);
    const res = await gw.call(path, { headers: { 'sec-gpc': '1' } });
    const html = await res.text();
    expect(html).toContain('Global Privacy Control signal was honored');
    expect(html).toMatch(/id="do_not_sell"[^>]*checked disabled/);
    const view = (await api.get(`/v1/recipients/${r.id}`)).body;
    expect(view).toMatchObject({ doNotSell: true, doNotSellChoice: true });
    expect((await api.get(`/v1/recipients/${r.id}/ledger`)).body.entries.at(-1)).toMatchObject({ subject: 'do_not_sell', to: 'true', source: 'gpc' });
    // A save with GPC on keeps do-not-sell on even though the disabled box is not submitted.
    await gw.call(path, { ...form({ form: 'preferences', topic: s.topic }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-gpc': '1' } });
    expect((await api.get(`/v1/recipients/${r.id}`)).body.doNotSell).toBe(true);
  });

  it('ticking a topic where confirmation is required sends the confirmation mail and says so', async () => {
    const { r, path } = await preferencesPath('confirm', 'FR');
    await gw.call(path, form({ form: 'preferences' })); // untick the (pending) topic first
    const res = await gw.call(path, form({ form: 'preferences', topic: s.topic }));
    expect(await res.text()).toContain('We sent you a mail to confirm');
    expect((await api.get(`/v1/recipients/${r.id}`)).body.consents[s.topic].status).toBe('pending');
    expect((await mailTo(r.email)).filter((m) => m.subject.startsWith('Please confirm')).length).toBeGreaterThanOrEqual(2);
  });

  it('a preference link cannot be used as an unsubscribe link, nor the other way round', async () => {
    const { path } = await preferencesPath('purpose');
    const token = path.split('/').at(-1);
    expect((await gw.call(`/u/${token}`)).status).toBe(404);
    expect((await gw.call(`/confirm/${token}`)).status).toBe(404);
  });
});

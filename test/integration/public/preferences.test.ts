/** The preference page over HTTP: what it shows, what a save changes and ledgers, and Global Privacy Control. */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../../support/suite.ts';
import { hrefs, mailTo } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { dynamoCallsOf, WRITES } from '../../support/dynamo-calls.ts';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { container } from '../../../lambdas/adapters/container.ts';
import { SesMailer } from '../../../lambdas/adapters/ses-mailer.ts';
import { savePreferences } from '../../../lambdas/services/recipient-actions.ts';
import { resendConfirmation } from '../../../lambdas/services/recipients.ts';
import { freePort } from '../../../local/ports.ts';

const suite = useGateway('prefs');


async function preferencesPath(label: string, country = 'US') {
  const r = await suite.s.recipient(label, country);
  await suite.s.sendService({ recipientId: r.id });
  const mail = (await mailTo(r.email)).at(-1)!;
  return { r, path: pathOf(hrefs(mail.body.html ?? '').find((l) => l.includes('/p/'))!) };
}

/**
 * What a browser posts for a served page: its inputs in document order, hidden ones always, a checkbox when ticked
 * (as served, or as `ticks` sets it by name).
 */
function browserPost(html: string, ticks: Record<string, boolean> = {}): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [input] of html.matchAll(/<input [^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input)?.[1]?.replaceAll('&#58;', ':');
    if (!name || / disabled/.test(input)) continue;
    const value = /value="([^"]*)"/.exec(input)?.[1] ?? 'on';
    if (/type="checkbox"/.test(input) && !(ticks[name] ?? / checked/.test(input))) continue;
    (out[name] ??= []).push(value);
  }
  return out;
}

const form = (fields: Record<string, string | string[]>) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const value of [v].flat()) body.append(k, value);
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() };
};

describe('preference page', () => {
  it('shows each topic with its state and every control, and a save changes only what differs', async () => {
    const { r, path } = await preferencesPath('page');
    const page = await (await suite.gw.call(path)).text();
    expect(page).toContain(suite.s.topicName);
    expect(page).toContain(`<input type="hidden" name="topic:${suite.s.topic}" value="off"><input type="checkbox" id="topic-`);
    expect(page).toMatch(new RegExp(`name="topic:${suite.s.topic}" value="on" checked`));
    for (const label of ['Unsubscribe from all marketing', 'Let us see when I open mail', 'Do not sell or share my personal information']) expect(page).toContain(label);

    // What the browser posts for: topic unticked, tracking ticked, do-not-sell ticked (each box after its hidden off).
    const saved = await suite.gw.call(path, form({ form: 'preferences', [`topic:${suite.s.topic}`]: 'off', tracking: ['off', 'on'], do_not_sell: ['off', 'on'] }));
    expect(saved.status).toBe(200);
    const text = await saved.text();
    expect(text).toContain('Saved:');
    expect(text).toContain(`${suite.s.topicName}: unsubscribed`);
    const view = (await suite.api.get(`/v1/recipients/${r.id}`)).body;
    expect(view.consents[suite.s.topic]).toMatchObject({ status: 'opted_out', source: 'preference_page' });
    expect(view).toMatchObject({ doNotSell: true, tracking: true, unsubscribedAll: false });
    const ledger = (await suite.api.get(`/v1/recipients/${r.id}/ledger`)).body.entries;
    expect(ledger.slice(-2).map((e: { subject: string; source: string }) => [e.subject, e.source])).toEqual([
      [`topic:${suite.s.topic}`, 'preference_page'],
      ['do_not_sell', 'preference_page'],
    ]);
    expect(ledger.at(-1).ipPseudonym).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('honors Sec-GPC: 1 by recording a do-not-sell-or-share opt-out', async () => {
    const { r, path } = await preferencesPath('gpc');
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.doNotSell).toBe(false);
    const res = await suite.gw.call(path, { headers: { 'sec-gpc': '1' } });
    const html = await res.text();
    expect(html).toContain('Global Privacy Control signal was honored');
    expect(html).toMatch(/id="do_not_sell"[^>]*checked disabled/);
    const view = (await suite.api.get(`/v1/recipients/${r.id}`)).body;
    expect(view).toMatchObject({ doNotSell: true, doNotSellChoice: true });
    expect((await suite.api.get(`/v1/recipients/${r.id}/ledger`)).body.entries.at(-1)).toMatchObject({ subject: 'do_not_sell', to: 'true', source: 'gpc' });
    // A save with GPC on keeps do-not-sell on even though the disabled box is not submitted.
    await suite.gw.call(path, { ...form({ form: 'preferences', topic: suite.s.topic }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-gpc': '1' } });
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.doNotSell).toBe(true);
  });

  it('ticking a topic where confirmation is required sends the confirmation mail and says so', async () => {
    const { r, path } = await preferencesPath('confirm', 'FR');
    await suite.gw.call(path, form({ form: 'preferences', [`topic:${suite.s.topic}`]: 'off' })); // untick the (pending) topic first
    const res = await suite.gw.call(path, form({ form: 'preferences', topic: suite.s.topic }));
    expect(await res.text()).toContain('We sent you a mail to confirm');
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.consents[suite.s.topic].status).toBe('pending');
    expect((await mailTo(r.email)).filter((m) => m.subject.startsWith('Please confirm')).length).toBeGreaterThanOrEqual(2);
  });

  it('a topic waiting for confirmation offers the mail again: sent once an hour at most, from a form of its own', async () => {
    const { r, path } = await preferencesPath('resend', 'FR'); // FR asks for confirmation: the topic is pending
    const confirmations = async () => (await mailTo(r.email)).filter((m) => m.subject.startsWith('Please confirm')).length;
    const before = await confirmations();
    const page = await (await suite.gw.call(path)).text();
    expect(page).toContain('waiting for your confirmation');
    expect(page).toMatch(new RegExp(`<form method="post"><input type="hidden" name="form" value="resend"><input type="hidden" name="resend" value="${suite.s.topic}">`));
    const again = await (await suite.gw.call(path, form({ form: 'resend', resend: suite.s.topic }))).text();
    expect(again).toContain('We sent the mail to confirm again');
    expect(await confirmations()).toBe(before + 1);
    const twice = await (await suite.gw.call(path, form({ form: 'resend', resend: suite.s.topic }))).text();
    expect(twice).toContain('within the last hour');
    expect(await confirmations()).toBe(before + 1);
    // Nothing pending: nothing sent, and the page says so. The resend form changes no setting either.
    for (const resend of ['no-such-topic', 'x'.repeat(300), '../T#x']) {
      const other = await suite.gw.call(path, form({ form: 'resend', resend }));
      expect(other.status).toBe(200);
      expect(await other.text()).toContain('Nothing is waiting for your confirmation');
    }
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.consents[suite.s.topic].status).toBe('pending');
  });

  it('a confirmation SES does not take leaves the opt-in pending, saves the rest of the form and says so; it can be sent again', async () => {
    const { r } = await preferencesPath('ses-down', 'FR');
    await suite.api.put(`/v1/recipients/${r.id}/consents/${suite.s.topic}`, { status: 'opted_out', source: 'api' });
    const deps = container();
    const unreachable = { ...deps, mailer: new SesMailer(new SESv2Client({ endpoint: `http://127.0.0.1:${await freePort()}`, region: 'us-east-1', maxAttempts: 1 })) };
    const evidence = { at: new Date().toISOString(), wording: 'preference-page-v1' };
    const result = await savePreferences(unreachable, r.id, { topics: { [suite.s.topic]: true }, tracking: false }, evidence, false);
    expect(result).toMatchObject({ pending: [], unsent: [suite.s.topicName], undeliverable: [] });
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body).toMatchObject({ tracking: false, consents: { [suite.s.topic]: { status: 'pending' } } });
    expect(await resendConfirmation(deps, r.id, suite.s.topic)).toBe('sent');
  });

  it('a confirmation to an address that takes no mail is not promised', async () => {
    const { r, path } = await preferencesPath('bounced', 'FR');
    await suite.gw.call(path, form({ form: 'preferences', [`topic:${suite.s.topic}`]: 'off' }));
    expect((await suite.api.post('/v1/suppressions', { email: r.email, reason: 'hard_bounce', scope: 'all' })).status).toBe(201);
    const res = await (await suite.gw.call(path, form({ form: 'preferences', [`topic:${suite.s.topic}`]: 'on' }))).text();
    expect(res).toContain('Mail to this address is not delivered');
    expect(res).not.toContain('We sent you a mail to confirm');
  });

  it('a page view reads the person and the topics, nothing else, and writes nothing', async () => {
    const { path } = await preferencesPath('reads');
    let page = '';
    const calls = await dynamoCallsOf(async () => {
      page = await (await suite.gw.call(path)).text();
    });
    expect(page).toContain(suite.s.topicName);
    const { tables } = config();
    expect(calls.filter((c) => WRITES.has(c.command))).toEqual([]);
    // Topics live in the campaigns table. Not read: the suppressions, the delivery settings, the engagement.
    expect([...new Set(calls.flatMap((c) => c.tables))].sort()).toEqual([tables.campaigns, tables.recipients].sort());
  });

  it('a preference link cannot be used as an unsubscribe link, nor the other way round', async () => {
    const { path } = await preferencesPath('purpose');
    const token = path.split('/').at(-1);
    expect((await suite.gw.call(`/u/${token}`)).status).toBe(404);
    expect((await suite.gw.call(`/confirm/${token}`)).status).toBe(404);
  });
});

describe('preference page: changes only what the person changed (issue 16)', () => {
  const view = async (id: string) => (await suite.api.get(`/v1/recipients/${id}`)).body;

  it('a partial POST leaves every setting it does not carry as it is', async () => {
    const { r, path } = await preferencesPath('partial');
    const before = await view(r.id);
    expect(before.consents[suite.s.topic].status).toBe('opted_in');
    expect(before.tracking).toBe(true);
    const res = await suite.gw.call(path, form({ form: 'preferences' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Nothing changed');
    const after = await view(r.id);
    expect(after.consents[suite.s.topic].status).toBe('opted_in');
    expect(after).toMatchObject({ tracking: true, doNotSell: false, unsubscribedAll: false });
    // One field posted: only that one changes.
    await suite.gw.call(path, form({ form: 'preferences', tracking: 'off' }));
    expect(await view(r.id)).toMatchObject({ tracking: false, doNotSell: false, unsubscribedAll: false, consents: { [suite.s.topic]: { status: 'opted_in' } } });
  });

  it('a page left open undoes nothing that changed since it was served: its save changes only what the person changed on it', async () => {
    const { r, path } = await preferencesPath('stale');
    const served = await (await suite.gw.call(path)).text();
    // Meanwhile the person unsubscribes from the topic (the admin API stands in for another tab or a mail's link)
    // and from all marketing, and turns tracking off.
    await suite.api.put(`/v1/recipients/${r.id}/consents/${suite.s.topic}`, { status: 'opted_out', source: 'api' });
    await suite.api.put(`/v1/recipients/${r.id}/preferences`, { unsubscribedAll: true, tracking: false });
    // Then saves the old page, having ticked do-not-sell on it: what a browser posts for that page.
    const res = await suite.gw.call(path, form(browserPost(served, { do_not_sell: true })));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('will not be sold or shared');
    expect(await view(r.id)).toMatchObject({ doNotSell: true, tracking: false, unsubscribedAll: true, consents: { [suite.s.topic]: { status: 'opted_out' } } });
    // The save ledgered the one change the person made, nothing it would have undone.
    const ledger = (await suite.api.get(`/v1/recipients/${r.id}/ledger`)).body.entries as Array<{ subject: string; source: string }>;
    expect(ledger.filter((e) => e.source === 'preference_page').map((e) => e.subject)).toEqual(['do_not_sell']);
  });

  it('a do-not-sell set by GPC cannot be turned off by a request that still carries Sec-GPC: 1', async () => {
    const { r, path } = await preferencesPath('gpc-off');
    await suite.gw.call(path, { headers: { 'sec-gpc': '1' } });
    expect((await view(r.id)).doNotSell).toBe(true);
    const off = await suite.gw.call(path, { ...form({ form: 'preferences', do_not_sell: 'off' }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-gpc': '1' } });
    expect(off.status).toBe(200);
    expect((await view(r.id)).doNotSell).toBe(true);
    // Without the signal, the person may change their mind.
    await suite.gw.call(path, form({ form: 'preferences', do_not_sell: 'off' }));
    expect((await view(r.id)).doNotSell).toBe(false);
  });

  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
    ['an Origin of another site', { origin: 'https://evil.example' }],
  ])('refuses a POST whose %s, and changes nothing', async (_name, headers) => {
    const { r, path } = await preferencesPath(`xsite-${Object.keys(headers)[0]}-${Math.random().toString(36).slice(2, 6)}`);
    const before = (await suite.api.get(`/v1/recipients/${r.id}/ledger`)).body.entries.length;
    const res = await suite.gw.call(path, {
      ...form({ form: 'preferences', [`topic:${suite.s.topic}`]: 'off', unsubscribed_all: 'on', do_not_sell: 'off', tracking: 'off' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('another website');
    expect(await view(r.id)).toMatchObject({ tracking: true, unsubscribedAll: false, consents: { [suite.s.topic]: { status: 'opted_in' } } });
    expect((await suite.api.get(`/v1/recipients/${r.id}/ledger`)).body.entries).toHaveLength(before);
  });

  it('takes a POST from its own page: same-origin, the public origin, or Origin: null (no-referrer)', async () => {
    const { r, path } = await preferencesPath('samesite');
    for (const headers of [{ 'sec-fetch-site': 'same-origin' }, { origin: 'http://127.0.0.1:3000' }, { origin: 'null' }] as Record<string, string>[]) {
      const res = await suite.gw.call(path, { ...form({ form: 'preferences', tracking: 'off' }), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
      expect(res.status).toBe(200);
    }
    expect((await view(r.id)).tracking).toBe(false);
  });
});

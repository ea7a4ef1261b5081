/**
 * Old mail after erasure (issue 16): a tracked link still reaches its destination (nothing tracked, nothing recorded),
 * the pages say the person's data was erased, and none answers 404.
 */
import { describe, expect, it } from 'vitest';
import { hrefs, mailTo } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway('erased');
const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const run = Date.now().toString(36);

async function mailThenErase(label: string) {
  const r = await suite.s.recipient(label);
  const sent = await suite.s.sendMarketing({ recipientId: r.id });
  expect(sent.status).toBe('sent');
  const links = hrefs((await suite.s.lastMarketingMail(r.email)).body.html ?? '');
  const erase = await suite.api.del(`/v1/recipients/${r.id}`);
  expect(erase.status).toBe(200);
  expect((await suite.api.get(`/v1/messages/${sent.messageId}`)).status).toBe(404);
  return { r, messageId: sent.messageId, links };
}

describe('old mail after erasure', () => {
  it('a tracked link still reaches the shop, and nothing is recorded', async () => {
    const { r, messageId, links } = await mailThenErase('click');
    const click = links.find((l) => l.includes('/c/'))!;
    const before = (await suite.api.get(`/v1/metrics?topic=${suite.s.topic}`)).body.totals.clicks.total.total;
    const res = await suite.gw.call(pathOf(click), { headers: { 'user-agent': iphone }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.example/deal?x=1');
    // Nothing of the person's was written back: no record, no event, no recipient, no count.
    expect((await suite.api.get(`/v1/messages/${messageId}`)).status).toBe(404);
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).status).toBe(404);
    expect((await suite.api.get(`/v1/metrics?topic=${suite.s.topic}`)).body.totals.clicks.total.total).toBe(before);
  });

  it('a link that depended on the person says their data was erased (410), not 404', async () => {
    const template = `personal-${run}`;
    const html = '<a href="https://shop.example/u/{{member}}">Your page</a> <a href="{{preferences_url}}">Preferences</a>';
    expect((await suite.api.post('/v1/templates', { id: template, class: 'service', subject: 'Your page', html, text: 'Your page' })).status).toBe(201);
    const r = await suite.s.recipient('personal');
    expect((await suite.api.post('/v1/messages', { template, to: { recipientId: r.id }, data: { member: 'jane-doe' } })).body.status).toBe('sent');
    const click = hrefs((await mailTo(r.email)).at(-1)!.body.html ?? '').find((l) => l.includes('/c/'))!;
    expect((await suite.api.del(`/v1/recipients/${r.id}`)).status).toBe(200);
    const res = await suite.gw.call(pathOf(click), { headers: { 'user-agent': iphone }, redirect: 'manual' });
    expect(res.status).toBe(410);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('Your data was erased');
  });

  it('the unsubscribe page (GET and one-click POST), the preference page and its save say the data was erased', async () => {
    const { links } = await mailThenErase('pages');
    const unsubscribe = pathOf(links.find((l) => l.includes('/u/'))!);
    const preferences = pathOf(links.find((l) => l.includes('/p/'))!);
    for (const [path, init] of [
      [unsubscribe, {}],
      [unsubscribe, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' }],
      [preferences, {}],
      [preferences, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'form=preferences&tracking=on' }],
    ] as const) {
      const res = await suite.gw.call(path, init as RequestInit);
      expect(res.status, `${(init as RequestInit).method ?? 'GET'} ${path.slice(0, 3)}`).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(await res.text()).toContain('Your data was erased');
    }
  });

  it('the double opt-in confirm page (GET and POST) says the data was erased', async () => {
    const r = await suite.s.recipient('confirm', 'FR');
    const confirmMail = (await mailTo(r.email)).find((m) => m.subject.startsWith('Please confirm'))!;
    const confirm = pathOf(hrefs(confirmMail.body.html ?? '').find((l) => l.includes('/confirm/'))!);
    expect((await suite.api.del(`/v1/recipients/${r.id}`)).status).toBe(200);
    for (const init of [{}, { method: 'POST' }]) {
      const res = await suite.gw.call(confirm, init);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Your data was erased');
    }
  });
});

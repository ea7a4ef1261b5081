/**
 * The public pages as people reach them (issue 16): a trailing slash or an upper-cased `/U/` still gets the HTML
 * page, not a JSON 404; every page shows the stage's sender name and postal address from configuration; the
 * confirm page promises no mail the send rule holds.
 */
import { describe, expect, it } from 'vitest';
import { header, hrefs, mailTo } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway('pages');

async function links(label: string) {
  const r = await suite.s.recipient(label);
  expect((await suite.s.sendMarketing({ recipientId: r.id })).status).toBe('sent');
  const mail = await suite.s.lastMarketingMail(r.email);
  const oneClick = pathOf(/<(https?:[^>]+)>/.exec(header(mail, 'List-Unsubscribe')!)![1]!);
  const preferences = pathOf(hrefs(mail.body.html ?? '').find((l) => l.includes('/p/'))!);
  return { r, oneClick, preferences };
}

describe('public pages', () => {
  it.each([
    ['a trailing slash', (p: string) => `${p}/`],
    ['an upper-cased /U/', (p: string) => p.replace(/^\/u\//, '/U/')],
    ['both', (p: string) => `${p.replace(/^\/u\//, '/U/')}/`],
  ])('the unsubscribe page under %s is the HTML page, and its POST unsubscribes', async (_name, variant) => {
    const { r, oneClick } = await links(`variant${Math.random().toString(36).slice(2, 6)}`);
    const get = await suite.gw.call(variant(oneClick));
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toMatch(/text\/html/);
    expect(await get.text()).toContain(suite.s.topicName);
    const post = await suite.gw.call(variant(oneClick), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(post.status).toBe(200);
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.consents[suite.s.topic]).toMatchObject({ status: 'opted_out', source: 'one_click' });
  });

  it('the preference page under a trailing slash is the HTML page', async () => {
    const { preferences } = await links('prefslash');
    const res = await suite.gw.call(`${preferences}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Your email preferences');
  });

  it('every page shows the sender name and the postal address of the stage', async () => {
    const { oneClick, preferences } = await links('brand');
    const pages = [
      await suite.gw.call(oneClick),
      await suite.gw.call(preferences),
      await suite.gw.call('/u/not-a-token'),
      await suite.gw.call(oneClick, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    ];
    for (const res of pages) {
      const html = await res.text();
      expect(html).toContain('<header class="brand"><span>Sendwell Local</span></header>');
      expect(html).toContain('Sendwell Local, 1 Example Street, Springfield</p></footer>');
      expect(html).toMatch(/<title>[^<]+ · Sendwell Local<\/title>/);
    }
  });
});

describe('the confirm page', () => {
  it('promises no mail the send rule holds: confirmed while unsubscribed from all, it says marketing stays off and how to turn it on', async () => {
    const r = await suite.s.recipient(`confirm-held-${Math.random().toString(36).slice(2, 6)}`, 'DE'); // pending: DE asks for confirmation
    expect((await suite.api.put(`/v1/recipients/${r.id}/preferences`, { unsubscribedAll: true })).status).toBe(200);
    const mail = (await mailTo(r.email)).filter((m) => m.subject.startsWith('Please confirm')).at(-1)!;
    const confirm = pathOf(hrefs(mail.body.html ?? '').find((l) => l.includes('/confirm/'))!);
    const page = await (await suite.gw.call(confirm, { method: 'POST' })).text();
    expect(page).toContain('Your subscription is confirmed');
    expect(page).toContain('unsubscribed from all marketing');
    expect(page).not.toContain('You will receive');
    expect((await suite.s.sendMarketing({ recipientId: r.id })).reason).toBe('unsubscribed_all');
    // Back on: the page says what it used to.
    expect((await suite.api.put(`/v1/recipients/${r.id}/preferences`, { unsubscribedAll: false })).status).toBe(200);
    expect(await (await suite.gw.call(confirm, { method: 'POST' })).text()).toContain('You will receive');
  });
});

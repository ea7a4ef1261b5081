/**
 * RFC 8058 conformance of `/u/{token}`: GET is side-effect free; POST with `List-Unsubscribe=One-Click` in either
 * body encoding unsubscribes with a 200 and no redirect, no cookie needed; repeating it is harmless.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../../support/suite.ts';
import { header } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';

const suite = useGateway('oneclick');


async function oneClickPath(label: string) {
  const r = await suite.s.recipient(label);
  expect((await suite.s.sendMarketing({ recipientId: r.id })).status).toBe('sent');
  const mail = await suite.s.lastMarketingMail(r.email);
  const listUnsubscribe = header(mail, 'List-Unsubscribe')!;
  const url = /<(https?:[^>]+)>/.exec(listUnsubscribe)![1]!;
  return { r, path: pathOf(url) };
}

const ledger = async (id: string) => (await suite.api.get(`/v1/recipients/${id}/ledger`)).body.entries as Array<{ subject: string; to: string; source: string }>;

describe('RFC 8058 one-click unsubscribe', () => {
  it('GET shows the page and changes nothing', async () => {
    const { r, path } = await oneClickPath('get');
    const before = await ledger(r.id);
    for (let i = 0; i < 3; i++) {
      const res = await suite.gw.call(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(await res.text()).toContain(suite.s.topicName);
    }
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.consents[suite.s.topic].status).toBe('opted_in');
    expect(await ledger(r.id)).toEqual(before);
  });

  it('POST form-urlencoded unsubscribes: 200, no redirect, no cookie; a repeat is harmless', async () => {
    const { r, path } = await oneClickPath('urlencoded');
    const post = () =>
      suite.gw.call(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click', redirect: 'manual' });
    const first = await post();
    expect(first.status).toBe(200);
    expect(first.headers.get('location')).toBeNull();
    expect(first.headers.get('set-cookie')).toBeNull();
    const second = await post();
    expect(second.status).toBe(200);

    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.consents[suite.s.topic]).toMatchObject({ status: 'opted_out', source: 'one_click' });
    const outs = (await ledger(r.id)).filter((e) => e.subject === `topic:${suite.s.topic}` && e.to === 'opted_out');
    expect(outs).toHaveLength(1);
    expect(outs[0]?.source).toBe('one_click');
    // The very next marketing mail is held; service mail still goes.
    expect(await suite.s.sendMarketing({ recipientId: r.id })).toMatchObject({ status: 'held', reason: 'opted_out' });
    expect((await suite.s.sendService({ recipientId: r.id })).status).toBe('sent');
  });

  it('POST multipart/form-data unsubscribes too', async () => {
    const { r, path } = await oneClickPath('multipart');
    const form = new FormData();
    form.append('List-Unsubscribe', 'One-Click');
    const res = await suite.gw.call(path, { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.consents[suite.s.topic]).toMatchObject({ status: 'opted_out', source: 'one_click' });
  });

  it('the page form can unsubscribe from all marketing', async () => {
    const { r, path } = await oneClickPath('pageall');
    const res = await suite.gw.call(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'scope=all' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('all marketing');
    const view = (await suite.api.get(`/v1/recipients/${r.id}`)).body;
    expect(view.unsubscribedAll).toBe(true);
    expect(view.consents[suite.s.topic].status).toBe('opted_in');
    expect(await suite.s.sendMarketing({ recipientId: r.id })).toMatchObject({ status: 'held', reason: 'unsubscribed_all' });
    expect((await ledger(r.id)).at(-1)).toMatchObject({ subject: 'unsubscribed_all', to: 'true', source: 'link' });
  });

  it('a forged or truncated token changes nothing and is a 404 page, never a 5xx', async () => {
    const { r, path } = await oneClickPath('forged');
    const forged = path.slice(0, -2) + (path.endsWith('AA') ? 'BB' : 'AA');
    for (const p of [forged, path.slice(0, 20), '/u/x', '/u/%00']) {
      const res = await suite.gw.call(p, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(res.status).toBe(404);
    }
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.consents[suite.s.topic].status).toBe('opted_in');
  });
});

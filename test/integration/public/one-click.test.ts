/**
 * RFC 8058 conformance of `/u/{token}`: GET is side-effect free; POST with `List-Unsubscribe=One-Click` in either
 * body encoding unsubscribes with a 200 and no redirect, no cookie needed; repeating it is harmless.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../../support/suite.ts';
import { header } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { container } from '../../../lambdas/adapters/container.ts';
import { unsubscribe } from '../../../lambdas/services/unsubscribe.ts';
import { dynamoCallsOf, WRITES } from '../../support/dynamo-calls.ts';

const suite = useGateway('oneclick');


async function oneClickPath(label: string) {
  const r = await suite.s.recipient(label);
  const sent = await suite.s.sendMarketing({ recipientId: r.id });
  expect(sent.status).toBe('sent');
  const mail = await suite.s.lastMarketingMail(r.email);
  const listUnsubscribe = header(mail, 'List-Unsubscribe')!;
  const url = /<(https?:[^>]+)>/.exec(listUnsubscribe)![1]!;
  return { r, path: pathOf(url), messageId: sent.messageId };
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

  it('a repeat reads the person, the topic and the message once each, all at once, and writes nothing (mail clients post more than once)', async () => {
    const { r, messageId } = await oneClickPath('repeat');
    const deps = container();
    const at = new Date().toISOString();
    const once = () => unsubscribe(deps, { recipientId: r.id, topicId: suite.s.topic, messageId }, 'topic', 'one_click', { at });
    const first = await dynamoCallsOf(once);
    expect(first.some((c) => WRITES.has(c.command))).toBe(true);
    const repeat = await dynamoCallsOf(once);
    const { tables } = config();
    expect(repeat.filter((c) => WRITES.has(c.command))).toEqual([]);
    expect(repeat.map((c) => c.tables.join()).sort()).toEqual([tables.campaigns, tables.messages, tables.recipients].sort()); // topics live in the campaigns table
    expect((await ledger(r.id)).filter((e) => e.subject === `topic:${suite.s.topic}` && e.to === 'opted_out')).toHaveLength(1);
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

describe('one-click is one-click, whatever was posted (issue 16)', () => {
  const multipartNoBoundary = { 'content-type': 'multipart/form-data' };
  it.each<[string, RequestInit]>([
    ['no body and no Content-Type', { method: 'POST' }],
    ['the RFC 8058 body without a Content-Type', { method: 'POST', body: new Blob(['List-Unsubscribe=One-Click']) }],
    ['text/plain', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'List-Unsubscribe=One-Click' }],
    ['application/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"List-Unsubscribe":"One-Click"}' }],
    ['an empty form-urlencoded body', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' }],
    ['multipart without a boundary', { method: 'POST', headers: multipartNoBoundary, body: 'List-Unsubscribe=One-Click' }],
    ['a broken multipart body', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\nnot a part' }],
  ])('%s: unsubscribes, 200, recorded as one_click', async (_name, init) => {
    const { r, path } = await oneClickPath(`any-${Math.random().toString(36).slice(2, 8)}`);
    const res = await suite.gw.call(path, { ...init, redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.consents[suite.s.topic]).toMatchObject({ status: 'opted_out', source: 'one_click' });
    expect((await ledger(r.id)).filter((e) => e.to === 'opted_out').map((e) => e.source)).toEqual(['one_click']);
  });

  it('the page’s own button is recorded as link, and its GET form says so', async () => {
    const { r, path } = await oneClickPath('pagebutton');
    const html = await (await suite.gw.call(path)).text();
    expect(html).toContain('<input type="hidden" name="via" value="page">');
    const res = await suite.gw.call(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'via=page&scope=topic' });
    expect(res.status).toBe(200);
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.consents[suite.s.topic]).toMatchObject({ status: 'opted_out', source: 'link' });
  });

  it('stays open to any origin (RFC 8058): a cross-site POST unsubscribes', async () => {
    const { r, path } = await oneClickPath('anyorigin');
    const res = await suite.gw.call(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://mail.example', 'sec-fetch-site': 'cross-site' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(200);
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.consents[suite.s.topic].status).toBe('opted_out');
  });
});

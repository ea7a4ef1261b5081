/**
 * Links are values (issue 16): every href of a template is parsed when it is saved, an href with a variable in it is
 * checked again for each recipient (held as `invalid_link`, never a 500), and a tracked link's `Location` is always a
 * correctly encoded absolute URL.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { hrefs, mailTo } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway('links');
const run = Date.now().toString(36);
const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';

const serviceTemplate = (id: string, html: string) => suite.api.post('/v1/templates', { id, class: 'service', subject: 'Your account', html, text: 'Your account' });

describe('template save', () => {
  it.each([
    ['javascript:', '<a href="javascript:alert(document.cookie)">Win</a>', 'link 1 (javascript:alert(document.cookie)): javascript: is not allowed'],
    ['data:', '<a href="https://shop.example">Shop</a><a href="data:text/html,<b>x</b>">Win</a>', 'link 2 (data:text/html,<b>x</b>): data: is not allowed'],
    ['vbscript:', "<a href='vbscript:msgbox(1)'>Win</a>", 'link 1 (vbscript:msgbox(1)): vbscript: is not allowed'],
    ['an entity-encoded javascript:', '<a href="&#106;avascript:alert(1)">Win</a>', 'link 1 (javascript:alert(1)): javascript: is not allowed'],
    ['a fixed javascript: before a variable', '<a href="javascript:{{code}}">Win</a>', 'link 1 (javascript:{{code}}): javascript: is not allowed'],
    ['a relative link', '<a href="/account">Account</a>', 'link 1 (/account): not an absolute URL'],
  ])('refuses %s with a 400 naming the link', async (_name, html, message) => {
    const res = await serviceTemplate(`bad-${run}-${Math.random().toString(36).slice(2, 6)}`, html);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual({ path: 'html', message: expect.stringContaining(message) });
  });

  it('accepts http, https, mailto, Sendwell’s own links and hrefs filled from data', async () => {
    const html = '<a href="https://shop.example/a">a</a><a href="http://shop.example">b</a><a href="mailto:help@shop.example">c</a><a href="{{preferences_url}}">d</a><a href="{{profile_url}}">e</a>';
    expect((await serviceTemplate(`ok-${run}`, html)).status).toBe(201);
  });
});

describe('an href filled from data', () => {
  const template = `profile-${run}`;
  const send = async (label: string, profile_url: string) => {
    const { id, email } = await suite.s.recipient(label);
    const res = await suite.api.post('/v1/messages', { template, to: { recipientId: id }, data: { profile_url } });
    return { email, res };
  };

  it.each(['javascript:alert(1)', 'JavaScript:alert(1)', 'java\nscript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)', '/relative'])(
    'that renders to %j holds that recipient’s mail as invalid_link, counted like other holds, never a 500',
    async (value) => {
      if (!(await suite.api.get(`/v1/templates/${template}`)).body?.id) {
        expect((await serviceTemplate(template, '<p>Hello</p><a href="{{profile_url}}">Your profile</a> <a href="{{preferences_url}}">Preferences</a>')).status).toBe(201);
      }
      const before = (await suite.api.get('/v1/metrics')).body.totals.held;
      const { email, res } = await send(`held${Math.random().toString(36).slice(2, 6)}`, value);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'held', reason: 'invalid_link' });
      const record = (await suite.api.get(`/v1/messages/${res.body.messageId}`)).body;
      expect(record).toMatchObject({ status: 'held', reason: 'invalid_link' });
      expect(record.error).toContain('{{profile_url}}');
      expect(record.error).not.toContain('alert');
      expect(await mailTo(email)).toEqual([]);
      const after = (await suite.api.get('/v1/metrics')).body.totals.held;
      expect(after.byReason.invalid_link - (before.byReason.invalid_link ?? 0)).toBe(1);
      expect(after.service - before.service).toBe(1);
    },
  );

  it('that renders to an https URL is sent and tracked', async () => {
    const { email, res } = await send('fine', 'https://shop.example/profile/7');
    expect(res.body.status).toBe('sent');
    const links = hrefs((await mailTo(email)).at(-1)!.body.html ?? '');
    expect(links.some((l) => l.includes('/c/'))).toBe(true);
  });
});

describe('Location', () => {
  it('is an encoded absolute URL when data put CR/LF and spaces into a tracked link', async () => {
    const template = `search-${run}`;
    expect((await serviceTemplate(template, '<a href="https://shop.example/search?q={{q}}">Search</a> <a href="{{preferences_url}}">Preferences</a>')).status).toBe(201);
    const { id, email } = await suite.s.recipient('crlf');
    const sent = (await suite.api.post('/v1/messages', { template, to: { recipientId: id }, data: { q: 'shoes\r\nSet-Cookie: a=b x' } })).body;
    expect(sent.status).toBe('sent');
    const click = hrefs((await mailTo(email)).at(-1)!.body.html ?? '').find((l) => l.includes('/c/'))!;
    const res = await suite.gw.call(pathOf(click), { headers: { 'user-agent': iphone }, redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location).toBe(new URL(location).href);
    expect(location).not.toMatch(/[\r\n ]/);
    expect(location.startsWith('https://shop.example/search?q=shoes')).toBe(true);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('is encoded even for a link stored before links were parsed (CR/LF in the record)', async () => {
    const template = `old-${run}`;
    expect((await serviceTemplate(template, '<a href="https://shop.example/old">Old</a> <a href="{{preferences_url}}">Preferences</a>')).status).toBe(201);
    const { id, email } = await suite.s.recipient('old');
    const sent = (await suite.api.post('/v1/messages', { template, to: { recipientId: id } })).body;
    await documentClient().send(
      new UpdateCommand({
        TableName: config().tables.messages,
        Key: { pk: `M#${sent.messageId}`, sk: 'MSG' },
        UpdateExpression: 'SET links = :l',
        ExpressionAttributeValues: { ':l': ['https://shop.example/old?x=a\r\nb c'] },
      }),
    );
    const click = hrefs((await mailTo(email)).at(-1)!.body.html ?? '').find((l) => l.includes('/c/'))!;
    const res = await suite.gw.call(pathOf(click), { headers: { 'user-agent': iphone }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.example/old?x=ab%20c');
  });
});

describe('a sent record keeps its links small', () => {
  const template = `newsletter-${run}`;
  const products = Array.from({ length: 12 }, (_, i) => `https://shop.example/products/item-${i}?utm_source=sendwell&utm_medium=email&utm_campaign=spring-2026&utm_content=item-${i}`);
  const html =
    `<ul>${products.map((url, i) => `<li><a href="${url.replaceAll('&', '&amp;')}">Item ${i}</a></li>`).join('')}</ul>` +
    '<a href="https://shop.example/account/{{code}}">Your account</a> <a href="{{preferences_url}}">Preferences</a>';
  const recordKey = (messageId: string) => ({ TableName: config().tables.messages, Key: { pk: `M#${messageId}`, sk: 'MSG' } });

  it('stores the shared links once, the recipient’s own in the record, and a write of the record costs one unit', async () => {
    expect((await serviceTemplate(template, html)).status).toBe(201);
    const { id, email } = await suite.s.recipient('newsletter');
    const sent = (await suite.api.post('/v1/messages', { template, to: { recipientId: id }, data: { code: 'c-7' } })).body;
    expect(sent.status).toBe('sent');

    const item = (await documentClient().send(new GetCommand(recordKey(sent.messageId)))).Item!;
    expect(item.links).toBeUndefined();
    expect(item.linkSet).toEqual(expect.any(String));
    expect(item.ownLinks).toEqual({ 12: 'https://shop.example/account/c-7' });
    expect(JSON.stringify(item)).not.toContain('utm_campaign');
    // What every later write of the record (the delivery, each open and click) costs: 3 units with the links copied in.
    const write = await documentClient().send(
      new UpdateCommand({ ...recordKey(sent.messageId), UpdateExpression: 'SET updatedAt = updatedAt', ReturnConsumedCapacity: 'TOTAL' }),
    );
    expect(write.ConsumedCapacity?.CapacityUnits).toBe(1);

    // Every tracked link leads where the template said, shared or the recipient's own; the API shows them all in order.
    const clicks = hrefs((await mailTo(email)).at(-1)!.body.html ?? '').filter((l) => l.includes('/c/'));
    expect(clicks).toHaveLength(13);
    const locations = [];
    for (const click of clicks) {
      const res = await suite.gw.call(pathOf(click), { headers: { 'user-agent': iphone }, redirect: 'manual' });
      expect(res.status).toBe(302);
      locations.push(res.headers.get('location'));
    }
    expect(locations).toEqual([...products, 'https://shop.example/account/c-7']);
    expect((await suite.api.get(`/v1/messages/${sent.messageId}`)).body.links).toEqual([...products, 'https://shop.example/account/c-7']);
  });
});

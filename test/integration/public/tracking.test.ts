/** The open pixel and tracked links: what they answer, what they record, and when they record nothing. */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient, dynamoClient, dynamoDb } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { MessageStore } from '../../../lambdas/adapters/dynamo/message-store.ts';
import { PIXEL_GIF } from '../../../lambdas/handlers/open-pixel.ts';
import { useGateway } from '../../support/suite.ts';
import { hrefs } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';
import { figureMismatches } from '../../support/figures.ts';
import { settleFigures } from '../../support/figures-stream.ts';
import { container } from '../../../lambdas/adapters/container.ts';
import { recordOpen, resolveClick, type TrackingDeps } from '../../../lambdas/services/tracking.ts';
import { dynamoCallsOf, onceBefore, WRITES } from '../../support/dynamo-calls.ts';

const suite = useGateway('tracking');
const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';


async function sentMail(label: string, country = 'US') {
  const r = await suite.s.recipient(label, country);
  const sent = await suite.s.sendMarketing({ recipientId: r.id });
  expect(sent.status).toBe('sent');
  const mail = await suite.s.lastMarketingMail(r.email);
  const pixel = /<img src="([^"]+\/o\/[^"]+\.gif)"/.exec(mail.body.html ?? '')?.[1];
  const clicks = hrefs(mail.body.html ?? '').filter((l) => l.includes('/c/'));
  return { r, messageId: sent.messageId, pixel, clicks };
}

/** Moves the message's send an hour back, so the too-soon rule (lambdas/domain/engagement.ts) does not apply. */
async function sentLongAgo(messageId: string) {
  await documentClient().send(
    new UpdateCommand({
      TableName: config().tables.messages,
      Key: { pk: `M#${messageId}`, sk: 'MSG' },
      UpdateExpression: 'SET sentAt = :at',
      ExpressionAttributeValues: { ':at': new Date(Date.now() - 3_600_000).toISOString() },
    }),
  );
}

const gif = async (path: string, ua = iphone) => {
  const res = await suite.gw.call(path, { headers: { 'user-agent': ua } });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
};

describe('open pixel', () => {
  it('a raw open or click event never outlives its message record (a stage keeping records less than 180 days)', async () => {
    const { pixel, clicks, messageId } = await sentMail('event-expiry');
    // As a stage with SENDWELL_RETENTION_DAYS=30 stores it: the record goes in 30 days.
    const recordExpires = Math.floor(Date.now() / 1000) + 30 * 86_400;
    await documentClient().send(
      new UpdateCommand({
        TableName: config().tables.messages,
        Key: { pk: `M#${messageId}`, sk: 'MSG' },
        UpdateExpression: 'SET sentAt = :at, expiresAt = :exp',
        ExpressionAttributeValues: { ':at': new Date(Date.now() - 3_600_000).toISOString(), ':exp': recordExpires },
      }),
    );
    expect((await gif(pathOf(pixel!))).res.status).toBe(200);
    expect((await suite.gw.call(pathOf(clicks[0]!), { headers: { 'user-agent': iphone }, redirect: 'manual' })).status).toBe(302);
    const items = await documentClient().send(
      new QueryCommand({ TableName: config().tables.messages, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)', ExpressionAttributeValues: { ':pk': `M#${messageId}`, ':e': 'E#' } }),
    );
    const events = (items.Items ?? []).filter((i) => i.type === 'open' || i.type === 'click');
    expect(events.map((e) => e.type).sort()).toEqual(['click', 'open']);
    for (const e of events) expect(e.expiresAt).toBe(recordExpires);
    // The API's record does not show the store's expiry.
    expect((await suite.api.get(`/v1/messages/${messageId}`)).body.expiresAt).toBeUndefined();
  });

  it('an open reads the message and the recipient\'s profile, at once, and nothing else (suppressions never decide tracking)', async () => {
    const { pixel, messageId } = await sentMail('pixel-reads');
    await sentLongAgo(messageId);
    const token = /\/o\/([^/]+)\.gif$/.exec(pathOf(pixel!))![1]!;
    let outcome: string | undefined;
    const calls = await dynamoCallsOf(async () => (outcome = await recordOpen(container(), token, { userAgent: iphone })));
    expect(outcome).toBe('recorded');
    const { tables } = config();
    const reads = calls.filter((c) => !WRITES.has(c.command));
    expect(reads.map((c) => `${c.command} ${c.tables.join()}`).sort()).toEqual([`GetItemCommand ${tables.messages}`, `GetItemCommand ${tables.recipients}`].sort());
    expect(calls.flatMap((c) => c.tables)).not.toContain(tables.suppressions);
  });

  it('answers the 43-byte GIF, uncached, and counts unique and total, human and machine opens', async () => {
    const { pixel, messageId } = await sentMail('pixel');
    expect(pixel).toBeDefined();
    await sentLongAgo(messageId); // an open within 2 s of the send counts as a gateway scan
    const { res, bytes } = await gif(pathOf(pixel!));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('cache-control')).toMatch(/no-store/);
    expect(bytes.equals(PIXEL_GIF)).toBe(true);
    expect(bytes).toHaveLength(43);
    await gif(pathOf(pixel!));
    await gif(pathOf(pixel!), 'curl/8.5.0');

    const record = (await suite.api.get(`/v1/messages/${messageId}`)).body;
    expect(record).toMatchObject({ opens: 3, humanOpens: 2, machineOpens: 1 });
    const opens = record.events.filter((e: { type: string }) => e.type === 'open');
    expect(opens).toHaveLength(3);
    expect(opens[0].detail.ipPseudonym).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(record)).not.toContain('127.0.0.1');
    await settleFigures();
    const counters = await new MessageStore(dynamoDb(), config().tables).dayCounters(new Date().toISOString().slice(0, 10));
    expect(counters.opens_unique).toBeGreaterThanOrEqual(1);
    expect(counters.opens_machine).toBeGreaterThanOrEqual(1);
  });

  it('answers the same GIF for a forged, garbled or missing token', async () => {
    const { pixel } = await sentMail('pixel-forged');
    const path = pathOf(pixel!);
    for (const p of [path.replace(/.\.gif$/, 'x.gif'), '/o/nothing.gif', '/o/%FF%FE.gif', `/o/${'A'.repeat(5000)}.gif`]) {
      const { res, bytes } = await gif(p);
      expect(res.status).toBe(200);
      expect(bytes.equals(PIXEL_GIF)).toBe(true);
    }
  });

  it('puts no pixel in the mail of someone without tracking consent, and records nothing once consent is withdrawn', async () => {
    const r0 = await suite.s.recipient('pixel-off');
    await suite.api.put(`/v1/recipients/${r0.id}/preferences`, { tracking: false });
    expect((await suite.s.sendMarketing({ recipientId: r0.id })).status).toBe('sent');
    const off = await suite.s.lastMarketingMail(r0.email);
    expect(off.body.html).not.toContain('/o/');
    expect(hrefs(off.body.html ?? '').filter((l) => l.includes('/c/'))).toEqual([]);
    expect(hrefs(off.body.html ?? '')).toContain('https://shop.example/deal?x=1');

    const { r, pixel, messageId } = await sentMail('pixel-withdrawn');
    await suite.api.put(`/v1/recipients/${r.id}/preferences`, { tracking: false });
    const { bytes } = await gif(pathOf(pixel!));
    expect(bytes.equals(PIXEL_GIF)).toBe(true);
    expect((await suite.api.get(`/v1/messages/${messageId}`)).body.opens).toBeUndefined();
  });
});

describe('an open or click racing an erasure', () => {
  it('leaves no raw event behind when the record is gone by the time its count is written', async () => {
    // The count and the raw event are one transaction on the condition that the record exists; erasure deletes the
    // record first. A message id with no record stands for an open landing after that.
    const store = new MessageStore(dynamoDb(), config().tables);
    const id = `erased-${Date.now().toString(36)}`;
    const event = { at: new Date().toISOString(), ipPseudonym: 'p', userAgent: 'Mozilla/5.0', expiresAt: Math.floor(Date.now() / 1000) + 3600, machine: false };
    const recipientId = `rcp-${id}`;
    expect(await store.recordOpen(id, event, recipientId)).toBe(false);
    expect(await store.recordClick(id, 0, event, recipientId)).toBe(false);
    const left = await documentClient().send(new QueryCommand({ TableName: config().tables.messages, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `M#${id}` } }));
    expect(left.Items).toEqual([]);
    // Nor the person's last open or click (segments' `lastOpenedAt`), which the erasure deleted after the record.
    expect((await store.engagements([recipientId])).size).toBe(0);
  });
});

describe('a person\'s last open and click (what segments read)', () => {
  it('are written with the count, in one call, and only move forward: an earlier open finishing later is counted and leaves them', async () => {
    const { r, messageId } = await sentMail('engagement-order');
    await sentLongAgo(messageId);
    const store = new MessageStore(dynamoDb(), config().tables);
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const later = new Date().toISOString();
    const earlier = new Date(Date.now() - 60_000).toISOString();
    const calls = await dynamoCallsOf(() => store.recordOpen(messageId, { at: later, expiresAt, machine: false }, r.id));
    // The open's own calls: the figures reader of this worker, counting the send meanwhile, writes the counters table.
    expect(calls.filter((c) => c.tables.includes(config().tables.messages)).map((c) => c.command)).toEqual(['TransactWriteItemsCommand']);
    await store.recordOpen(messageId, { at: earlier, expiresAt, machine: false }, r.id);
    await store.recordClick(messageId, 0, { at: earlier, expiresAt, machine: false }, r.id);
    // A machine's open or click never moves them.
    await store.recordClick(messageId, 0, { at: new Date(Date.now() + 60_000).toISOString(), expiresAt, machine: true, reason: 'scanner' }, r.id);
    expect((await store.engagements([r.id])).get(r.id)).toEqual({ lastOpenedAt: later, lastClickedAt: earlier });
    expect((await suite.api.get(`/v1/messages/${messageId}`)).body).toMatchObject({ opens: 2, humanOpens: 2, clicks: 2, humanClicks: 1, machineClicks: 1 });
  });
});

describe('a conflict on the person\'s engagement item', () => {
  it('never costs the open its count: the transaction goes again without it', async () => {
    const { r, messageId } = await sentMail('engagement-conflict');
    const store = new MessageStore(dynamoDb(), config().tables);
    // The person's open of another mail written at the same moment: DynamoDB cancels this transaction on the
    // engagement item alone (no local server produces that race on demand).
    const fired = await onceBefore(
      dynamoClient(),
      (command, input) => command === 'TransactWriteItemsCommand' && JSON.stringify(input).includes('ENGAGEMENT'),
      () => {
        throw Object.assign(new Error('Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, TransactionConflict]'), {
          name: 'TransactionCanceledException',
          CancellationReasons: [{ Code: 'None' }, { Code: 'None' }, { Code: 'TransactionConflict' }],
          $metadata: { httpStatusCode: 400 },
        });
      },
      async () => expect(await store.recordOpen(messageId, { at: new Date().toISOString(), expiresAt: Math.floor(Date.now() / 1000) + 3600, machine: false }, r.id)).toBe(true),
    );
    expect(fired).toBe(true);
    expect((await suite.api.get(`/v1/messages/${messageId}`)).body).toMatchObject({ opens: 1, humanOpens: 1 });
  });
});

describe('tracked links', () => {
  it('redirect even when the click cannot be counted (the record\'s transaction cancelled by a conflicting one)', async () => {
    const { clicks, messageId } = await sentMail('click-uncounted');
    await sentLongAgo(messageId);
    const token = pathOf(clicks[0]!).split('/').at(-1)!;
    const deps = container();
    const m = deps.messages;
    // The store as it is, but for a count that fails as DynamoDB fails a transaction that conflicts with another.
    const messages: TrackingDeps['messages'] = {
      getRecord: (id) => m.getRecord(id),
      sentLinks: (r) => m.sentLinks(r),
      getLinkSet: (id) => m.getLinkSet(id),
      clicksSince: (...a) => m.clicksSince(...a),
      reclassifyClick: (...a) => m.reclassifyClick(...a),
      recordOpen: (...a) => m.recordOpen(...a),
      recordClick: async () => {
        throw Object.assign(new Error('Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]'), { name: 'TransactionCanceledException' });
      },
    };
    const outcome = await resolveClick({ clock: deps.clock, keys: deps.keys, recipients: deps.recipients, messages }, token, { userAgent: iphone });
    expect(outcome).toEqual({ kind: 'redirect', url: 'https://shop.example/deal?x=1' });
    expect((await suite.api.get(`/v1/messages/${messageId}`)).body.clicks).toBeUndefined();
  });

  it('redirect to the link that was in the message and count the click', async () => {
    const { clicks, messageId } = await sentMail('click');
    await sentLongAgo(messageId);
    expect(clicks).toHaveLength(1);
    const res = await suite.gw.call(pathOf(clicks[0]!), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.example/deal?x=1');
    expect((await suite.api.get(`/v1/messages/${messageId}`)).body).toMatchObject({ clicks: 1 });
  });

  it('never redirect anywhere else: a tampered token or an added URL is a 404 page', async () => {
    const { clicks } = await sentMail('click-tamper');
    const path = pathOf(clicks[0]!);
    for (const p of [`${path}?url=https://evil.example`, path.slice(0, -1), '/c/https%3A%2F%2Fevil.example', '/c/x']) {
      const res = await suite.gw.call(p, { redirect: 'manual' });
      if (p.startsWith(`${path}?`)) {
        // The query string is ignored: the redirect is to the stored link, never to the one in the request.
        expect(res.headers.get('location')).toBe('https://shop.example/deal?x=1');
      } else {
        expect(res.status).toBe(404);
        expect(res.headers.get('location')).toBeNull();
      }
    }
  });
});

describe('honest engagement (issue 16)', () => {
  const record = async (id: string) => (await suite.api.get(`/v1/messages/${id}`)).body;
  // Counted from the messages stream a batch after each request: read once everything so far is counted.
  const topicFigures = async () => {
    await settleFigures();
    return (await suite.api.get(`/v1/metrics?topic=${suite.s.topic}`)).body.totals;
  };

  it('a HEAD on the pixel or on a tracked link never counts', async () => {
    const { pixel, clicks, messageId } = await sentMail('head');
    await sentLongAgo(messageId);
    const before = await topicFigures();
    const open = await suite.gw.call(pathOf(pixel!), { method: 'HEAD', headers: { 'user-agent': iphone } });
    expect(open.status).toBe(200);
    const click = await suite.gw.call(pathOf(clicks[0]!), { method: 'HEAD', headers: { 'user-agent': iphone }, redirect: 'manual' });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe('https://shop.example/deal?x=1');
    const r = await record(messageId);
    expect(r.opens).toBeUndefined();
    expect(r.clicks).toBeUndefined();
    expect(r.events.filter((e: { type: string }) => e.type === 'open' || e.type === 'click')).toEqual([]);
    const after = await topicFigures();
    expect(after.opens.total).toEqual(before.opens.total);
    expect(after.clicks.total).toEqual(before.clicks.total);
  });

  it.each([
    'Proofpoint URL Defense',
    'Barracuda Sentinel (EE)',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) SafeLinks',
    'Microsoft Office Existence Discovery',
    'Mozilla/5.0 (compatible; Mimecast)',
  ])('a click by %j is a machine click: redirected, counted apart, left out of the click rate', async (ua) => {
    const { clicks, messageId } = await sentMail(`scanner-${Math.random().toString(36).slice(2, 6)}`);
    await sentLongAgo(messageId);
    const before = await topicFigures();
    const res = await suite.gw.call(pathOf(clicks[0]!), { headers: { 'user-agent': ua }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(await record(messageId)).toMatchObject({ clicks: 1, machineClicks: 1 });
    const clickEvents = (await record(messageId)).events.filter((e: { type: string }) => e.type === 'click');
    expect(clickEvents[0].detail).toMatchObject({ machine: true, reason: 'scanner' });
    const after = await topicFigures();
    expect(after.clicks.machine.marketing - before.clicks.machine.marketing).toBe(1);
    expect(after.clicks.human.marketing - before.clicks.human.marketing).toBe(0);
    expect(after.clicks.uniqueHuman.total - before.clicks.uniqueHuman.total).toBe(0);
  });

  it('a click within seconds of the send is a machine click; a person later is a human one', async () => {
    const { clicks, messageId } = await sentMail('too-soon');
    await suite.gw.call(pathOf(clicks[0]!), { headers: { 'user-agent': iphone }, redirect: 'manual' });
    expect(await record(messageId)).toMatchObject({ clicks: 1, machineClicks: 1 });
    await sentLongAgo(messageId);
    await suite.gw.call(pathOf(clicks[0]!), { headers: { 'user-agent': iphone }, redirect: 'manual' });
    expect(await record(messageId)).toMatchObject({ clicks: 2, machineClicks: 1, humanClicks: 1 });
  });

  it('a burst on every link of one mail is counted as machine clicks, the earlier ones of the burst too', async () => {
    const template = `burst-${Date.now().toString(36)}`;
    const body = '<p><a href="https://shop.example/a">A</a> <a href="https://shop.example/b">B</a> <a href="https://shop.example/c">C</a></p>';
    expect(
      (
        await suite.api.post('/v1/templates', {
          id: template,
          class: 'marketing',
          topic: suite.s.topic,
          subject: 'Three links',
          html: `<html><body>${body}<a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</body></html>`,
          text: 'A B C {{unsubscribe_url}} {{postal_address}}',
        })
      ).status,
    ).toBe(201);
    const r = await suite.s.recipient('burst');
    const sent = (await suite.api.post('/v1/messages', { template, to: { recipientId: r.id } })).body;
    expect(sent.status).toBe('sent');
    await sentLongAgo(sent.messageId);
    const mail = await suite.s.lastMarketingMail(r.email);
    const links = hrefs(mail.body.html ?? '').filter((l) => l.includes('/c/'));
    expect(links).toHaveLength(3);
    const before = await topicFigures();
    // A browser user agent, long after the send: only the burst gives it away.
    for (const l of links) expect((await suite.gw.call(pathOf(l), { headers: { 'user-agent': iphone }, redirect: 'manual' })).status).toBe(302);
    const rec = await record(sent.messageId);
    expect(rec).toMatchObject({ clicks: 3, machineClicks: 3, humanClicks: 0 });
    expect(rec.events.filter((e: { type: string }) => e.type === 'click').map((e: { detail: { machine: boolean } }) => e.detail.machine)).toEqual([true, true, true]);
    const after = await topicFigures();
    expect(after.clicks.machine.marketing - before.clicks.machine.marketing).toBe(3);
    expect(after.clicks.human.marketing - before.clicks.human.marketing).toBe(0);
    expect(after.clicks.uniqueHuman.marketing - before.clicks.uniqueHuman.marketing).toBe(0);
    expect(after.clicks.unique.marketing - before.clicks.unique.marketing).toBe(1);
    expect(figureMismatches(after)).toEqual([]);

    // One link, then another a while later, is a person.
    const r2 = await suite.s.recipient('no-burst');
    const sent2 = (await suite.api.post('/v1/messages', { template, to: { recipientId: r2.id } })).body;
    await sentLongAgo(sent2.messageId);
    const links2 = hrefs((await suite.s.lastMarketingMail(r2.email)).body.html ?? '').filter((l) => l.includes('/c/'));
    await suite.gw.call(pathOf(links2[0]!), { headers: { 'user-agent': iphone }, redirect: 'manual' });
    await suite.gw.call(pathOf(links2[1]!), { headers: { 'user-agent': iphone }, redirect: 'manual' });
    expect(await record(sent2.messageId)).toMatchObject({ clicks: 2, humanClicks: 2 });
  });

  it('counts opens and clicks by class, and every figure’s parts add up to its total', async () => {
    const { pixel, clicks, messageId } = await sentMail('by-class');
    await sentLongAgo(messageId);
    const before = await topicFigures();
    await gif(pathOf(pixel!));
    await gif(pathOf(pixel!), 'curl/8.5.0');
    await suite.gw.call(pathOf(clicks[0]!), { headers: { 'user-agent': iphone }, redirect: 'manual' });
    const after = await topicFigures();
    const d = (f: (t: typeof after) => number) => f(after) - f(before);
    expect(d((t) => t.opens.total.marketing)).toBe(2);
    expect(d((t) => t.opens.human.marketing)).toBe(1);
    expect(d((t) => t.opens.machine.marketing)).toBe(1);
    expect(d((t) => t.clicks.total.marketing)).toBe(1);
    expect(d((t) => t.clicks.uniqueHuman.marketing)).toBe(1);
    expect(figureMismatches(after)).toEqual([]);
    const all = (await suite.api.get('/v1/metrics')).body;
    expect(figureMismatches(all.totals)).toEqual([]);
    for (const day of all.days) expect(figureMismatches(day.figures, day.day)).toEqual([]);
  });
});

/**
 * SES feedback through the real handler, with events in SES's published shapes (`test/fixtures/ses/`): message
 * states, suppressions, ledger and counters, duplicates and reordering; and the local emulation of the SES
 * mailbox simulator.
 */
import { describe, expect, it } from 'vitest';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, dynamoDb } from '../../lambdas/adapters/clients.ts';
import { config } from '../../lambdas/adapters/config.ts';
import { MessageStore } from '../../lambdas/adapters/dynamo/message-store.ts';
import { sentListeners } from '../../lambdas/adapters/ses-mailer.ts';
import { handler as sesEventsHandler } from '../../lambdas/handlers/ses-events.ts';
import { asFunction } from '../../local/table-access-guard.ts';
import { startSesEventEmulator } from '../../local/ses-simulator.ts';
import { sesEvent, type SesEventValues } from '../support/ses-events.ts';
import { useGateway } from '../support/suite.ts';
import { settleFigures } from '../support/figures-stream.ts';

// Checked against the function's table grants, as the local stack runs it.
const handler = asFunction('sesEvents', sesEventsHandler);

const suite = useGateway('sesevents');

// Dated today: the counters read below are today's.
const fixture = (name: string, values: SesEventValues, id?: string, overrides: { feedbackId?: string; at?: string } = {}): unknown => sesEvent(name, values, { ...(id ? { id } : {}), ...overrides });

// Counted from the messages stream a batch after the event: read once everything written so far is counted.
const counters = async () => {
  await settleFigures();
  return new MessageStore(dynamoDb(), config().tables).dayCounters(new Date().toISOString().slice(0, 10));
};

// The suite's own topic: figures no other test file adds to, on any day.
const topicCounters = async (day: string = new Date().toISOString().slice(0, 10)) => {
  await settleFigures();
  return new MessageStore(dynamoDb(), config().tables).dayCounters(day, `T#${suite.s.topic}`);
};
const delta = (after: Record<string, number>, before: Record<string, number>, figure: string) => (after[figure] ?? 0) - (before[figure] ?? 0);

async function sentMarketing(label: string) {
  const { s, api } = suite;
  const r = await s.recipient(label);
  const sent = await s.sendMarketing({ recipientId: r.id });
  const record = (await api.get(`/v1/messages/${sent.messageId}`)).body;
  return { r, values: { messageId: sent.messageId, sesId: record.sesMessageId as string, address: r.email } };
}

describe('SES feedback', () => {
  it('a permanent bounce suppresses all mail; duplicates and a late delivery change nothing', async () => {
    const { api, s } = suite;
    const { r, values } = await sentMarketing('hardbounce');
    // `Send` for mail its sender recorded as sent: nothing stored, nothing counted.
    expect(await handler(fixture('send', values))).toBe('ignored');
    expect(await handler(fixture('bounce-permanent', values))).toBe('applied');
    const before = await counters();
    expect(await handler(fixture('bounce-permanent', values, 'another-envelope-same-feedback'))).toBe('duplicate');
    expect(await handler(fixture('delivery', values))).toBe('applied'); // reordered: arrives after the bounce
    expect(await handler(fixture('delivery', values, 'delivery-again'))).toBe('duplicate');
    const after = await counters();
    expect(after.bounced_hard).toBe(before.bounced_hard);
    expect((after.delivered ?? 0) - (before.delivered ?? 0)).toBe(1);
    expect(after.ses_accepted ?? 0).toBe(before.ses_accepted ?? 0);

    const record = (await api.get(`/v1/messages/${values.messageId}`)).body;
    expect(record.deliveryStatus).toBe('bounced_hard');
    // A delivery is on the record (deliveredAt, status), not an event item of its own; the send is `sentAt`.
    expect(record.events.map((e: { type: string }) => e.type).sort()).toEqual(['bounced_hard']);
    expect((await api.get(`/v1/recipients/${r.id}`)).body.suppressions).toMatchObject([{ reason: 'hard_bounce', scope: 'all', note: 'Permanent/General' }]);
    expect(await s.sendService({ recipientId: r.id })).toMatchObject({ status: 'held', reason: 'undeliverable' });
    expect(await s.sendMarketing({ recipientId: r.id })).toMatchObject({ status: 'held', reason: 'undeliverable' });
  });

  it('the recent-feedback list keeps an entry naming a message no longer than the message\'s record (a stage keeping records less than 30 days)', async () => {
    const { values } = await sentMarketing('shortretention');
    // As a stage with SENDWELL_RETENTION_DAYS=7 stores it: the record goes in a week.
    const recordExpires = Math.floor(Date.now() / 1000) + 7 * 86_400;
    await documentClient().send(
      new UpdateCommand({ TableName: config().tables.messages, Key: { pk: `M#${values.messageId}`, sk: 'MSG' }, UpdateExpression: 'SET expiresAt = :e', ExpressionAttributeValues: { ':e': recordExpires } }),
    );
    const at = new Date(Date.now() - 1000).toISOString();
    expect(await handler(fixture('bounce-permanent', values, undefined, { feedbackId: `fb-${values.messageId}`, at }))).toBe('applied');
    const entries = await documentClient().send(
      new QueryCommand({ TableName: config().tables.messages, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :at)', ExpressionAttributeValues: { ':pk': 'FEEDBACK', ':at': `${at}#` } }),
    );
    expect(entries.Items).toMatchObject([{ messageId: values.messageId, expiresAt: recordExpires }]);
  });

  it('a complaint suppresses marketing and is ledgered as unsubscribe-all from source complaint; service mail continues', async () => {
    const { api, s } = suite;
    const { r, values } = await sentMarketing('complainer');
    await handler(fixture('delivery', values));
    expect(await handler(fixture('complaint', values))).toBe('applied');
    expect(await handler(fixture('complaint', values))).toBe('duplicate');
    const view = (await api.get(`/v1/recipients/${r.id}`)).body;
    expect(view.unsubscribedAll).toBe(true);
    expect(view.suppressions).toMatchObject([{ reason: 'complaint', scope: 'marketing' }]);
    const ledger = (await api.get(`/v1/recipients/${r.id}/ledger`)).body.entries;
    expect(ledger.filter((e: { source: string }) => e.source === 'complaint')).toMatchObject([{ subject: 'unsubscribed_all', to: 'true' }]);
    expect((await s.sendService({ recipientId: r.id })).status).toBe('sent');
    expect(await s.sendMarketing({ recipientId: r.id })).toMatchObject({ status: 'held', reason: 'complained' });
    expect((await api.get(`/v1/messages/${values.messageId}`)).body.deliveryStatus).toBe('complained');
  });

  it('transient bounces, rejects, delays and rendering failures are recorded and counted, suppressing nothing', async () => {
    const { api } = suite;
    const { r, values } = await sentMarketing('soft');
    const before = await counters();
    for (const name of ['delivery-delay', 'bounce-transient', 'reject', 'rendering-failure']) expect(await handler(fixture(name, values))).toBe('applied');
    const after = await counters();
    for (const figure of ['delayed', 'bounced_soft', 'rejected', 'rendering_failed']) expect((after[figure] ?? 0) - (before[figure] ?? 0)).toBe(1);
    expect((after.bounced_soft_marketing ?? 0) - (before.bounced_soft_marketing ?? 0)).toBe(1);
    expect((await api.get(`/v1/recipients/${r.id}`)).body.suppressions).toEqual([]);
  });

  it('a reject, a delay or a rendering failure republished in a new EventBridge envelope is counted once (keyed by the SES event)', async () => {
    const { values } = await sentMarketing('republished');
    const before = await counters();
    for (const name of ['delivery-delay', 'reject', 'rendering-failure']) {
      expect(await handler(fixture(name, values, `first-${name}`))).toBe('applied');
      expect(await handler(fixture(name, values, `republished-${name}`)), name).toBe('duplicate');
    }
    const after = await counters();
    for (const figure of ['delayed', 'rejected', 'rendering_failed']) expect((after[figure] ?? 0) - (before[figure] ?? 0), figure).toBe(1);
  });

  it('an OnAccountSuppressionList bounce (SES dropped the mail itself) suppresses nothing: a complainer still gets service mail', async () => {
    const { api, s } = suite;
    const { r, values } = await sentMarketing('accountlist');
    const event = fixture('bounce-permanent', values) as Record<string, any>;
    event.detail.bounce.bounceSubType = 'OnAccountSuppressionList';
    event.detail.bounce.feedbackId = `account-list-${values.messageId}`;
    const before = await counters();
    expect(await handler(event)).toBe('applied');
    const after = await counters();
    expect((after.ses_suppressed ?? 0) - (before.ses_suppressed ?? 0)).toBe(1);
    expect((after.bounced_hard ?? 0) - (before.bounced_hard ?? 0)).toBe(0);
    expect((await api.get(`/v1/recipients/${r.id}`)).body.suppressions).toEqual([]);
    expect((await s.sendService({ recipientId: r.id })).status).toBe('sent');
  });

  it('an OnAccountSuppressionList complaint (SES never attempted the mail) is no complaint: nobody suppressed or unsubscribed, counted as ses_suppressed', async () => {
    const { api, s } = suite;
    const { r, values } = await sentMarketing('accountcomplaint');
    const before = await topicCounters();
    const metricsBefore = (await api.get(`/v1/metrics?topic=${s.topic}`)).body.totals;
    expect(await handler(sesEvent('complaint-account-suppressed', values, { feedbackId: `account-complaint-${values.messageId}` }))).toBe('applied');
    const after = await topicCounters();
    expect(delta(after, before, 'ses_suppressed_marketing')).toBe(1);
    for (const figure of ['complained', 'unsubscribed', 'unsubscribed_complaint', 'suppressions_added']) expect(delta(after, before, figure), figure).toBe(0);
    const view = (await api.get(`/v1/recipients/${r.id}`)).body;
    expect(view.unsubscribedAll).not.toBe(true);
    expect(view.suppressions).toEqual([]);
    const ledger = (await api.get(`/v1/recipients/${r.id}/ledger`)).body.entries as Array<{ source: string }>;
    expect(ledger.filter((e) => e.source === 'complaint')).toEqual([]);
    expect((await s.sendMarketing({ recipientId: r.id })).status).toBe('sent');
    // GET /v1/metrics shows it apart from complaints.
    const totals = (await api.get(`/v1/metrics?topic=${s.topic}`)).body.totals;
    expect(totals.sesSuppressed.marketing - metricsBefore.sesSuppressed.marketing).toBe(1);
    expect(totals.complained.total).toBe(metricsBefore.complained.total);
  });

  it('a not-spam report is recorded on the message and the recent list, and is no complaint: no suppression, no unsubscribe, no complained figure', async () => {
    const { api, s } = suite;
    const { r, values } = await sentMarketing('notspam');
    await handler(fixture('delivery', values));
    const before = await topicCounters();
    expect(await handler(sesEvent('complaint-not-spam', values, { feedbackId: `not-spam-${values.messageId}` }))).toBe('applied');
    expect(await handler(sesEvent('complaint-not-spam', values, { feedbackId: `not-spam-${values.messageId}`, id: 'not-spam-again' }))).toBe('duplicate');
    const after = await topicCounters();
    for (const figure of ['complained', 'unsubscribed', 'suppressions_added']) expect(delta(after, before, figure), figure).toBe(0);
    const view = (await api.get(`/v1/recipients/${r.id}`)).body;
    expect(view.unsubscribedAll).not.toBe(true);
    expect(view.suppressions).toEqual([]);
    expect((await s.sendMarketing({ recipientId: r.id })).status).toBe('sent');
    const record = (await api.get(`/v1/messages/${values.messageId}`)).body;
    expect(record.deliveryStatus).toBe('delivered');
    expect(record.events).toMatchObject([{ type: 'complained', detail: { feedbackType: 'not-spam' } }]);
    const recent = ((await api.get('/v1/feedback/recent?limit=200')).body.entries as Array<Record<string, string>>).filter((e) => e.messageId === values.messageId);
    expect(recent).toMatchObject([{ kind: 'complained', detail: 'not-spam' }]);
    // Before any Delivery: it moves no status either (the message does not read `complained`).
    const first = await sentMarketing('notspam-first');
    expect(await handler(sesEvent('complaint-not-spam', first.values, { feedbackId: `not-spam-${first.values.messageId}` }))).toBe('applied');
    expect((await api.get(`/v1/messages/${first.values.messageId}`)).body.deliveryStatus).toBeUndefined();
  });

  it('transient bounces about the message (ContentRejected) are counted as bounced_soft but never suppress; mailbox ones do', async () => {
    const { api } = suite;
    const { r, values } = await sentMarketing('contentrejected');
    const day = new Date().toISOString().slice(0, 10);
    const bounce = (name: string, n: number) => sesEvent(name, values, { feedbackId: `${name}-${values.messageId}-${n}`, at: `${day}T0${n}:00:00.000Z`, id: `${name}-${n}` });
    const before = await topicCounters();
    for (const n of [1, 2, 3, 4]) expect(await handler(bounce('bounce-transient-content-rejected', n))).toBe('applied');
    expect((await api.get(`/v1/recipients/${r.id}`)).body.suppressions).toEqual([]);
    expect(delta(await topicCounters(), before, 'bounced_soft_marketing')).toBe(4);
    // The same address's mailbox bouncing three times still suppresses: the rule itself is unchanged.
    for (const n of [5, 6, 7]) await handler(bounce('bounce-transient', n));
    expect((await api.get(`/v1/recipients/${r.id}`)).body.suppressions).toMatchObject([{ reason: 'soft_bounce', createdAt: `${day}T07:00:00.000Z` }]);
  });

  it('later soft bounces extend a soft_bounce suppression in force: the same suppression (createdAt kept), counted once', async () => {
    const { api } = suite;
    const { r, values } = await sentMarketing('softextend');
    const dayOf = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
    const at = (d: number) => `${dayOf(d)}T10:00:00.000Z`;
    const bounce = (d: number) => sesEvent('bounce-transient', values, { feedbackId: `extend-${values.messageId}${d}`, at: at(d), id: `extend${d}` });
    const [first, second] = [await topicCounters(dayOf(-12)), await topicCounters(dayOf(-2))];
    // Three within 7 days suppress (from the third, for 30 days); three more after those are stale move its end.
    for (const d of [-14, -13, -12]) expect(await handler(bounce(d))).toBe('applied');
    const added = (await api.get(`/v1/recipients/${r.id}`)).body.suppressions;
    expect(added).toMatchObject([{ reason: 'soft_bounce', createdAt: at(-12), expiresAt: new Date(Date.parse(at(-12)) + 30 * 86_400_000).toISOString() }]);
    for (const d of [-4, -3, -2]) expect(await handler(bounce(d))).toBe('applied');
    expect((await api.get(`/v1/recipients/${r.id}`)).body.suppressions).toEqual([
      { ...added[0], expiresAt: new Date(Date.parse(at(-2)) + 30 * 86_400_000).toISOString() },
    ]);
    expect(delta(await topicCounters(dayOf(-12)), first, 'suppressions_added_soft_bounce')).toBe(1);
    expect(delta(await topicCounters(dayOf(-2)), second, 'suppressions_added_soft_bounce')).toBe(0);
  });

  it('a delivery is counted once however often it arrives, and moves the status forward only', async () => {
    const { api } = suite;
    const { values } = await sentMarketing('delivered');
    const before = await counters();
    expect(await handler(fixture('delivery', values))).toBe('applied');
    expect(await handler(fixture('delivery', values, 'republished-delivery'))).toBe('duplicate');
    expect(await handler(fixture('delivery-delay', values))).toBe('applied'); // reordered: ranks below delivered
    const after = await counters();
    expect((after.delivered ?? 0) - (before.delivered ?? 0)).toBe(1);
    expect((after.delivered_marketing ?? 0) - (before.delivered_marketing ?? 0)).toBe(1);
    expect((await api.get(`/v1/messages/${values.messageId}`)).body.deliveryStatus).toBe('delivered');
  });

  it('a Send for a send left in doubt (record still `sending`) becomes its delivery status, the evidence the reconcile reads', async () => {
    const { api } = suite;
    const { values } = await sentMarketing('indoubt');
    // As a sender that died right after SES took the mail leaves it.
    await documentClient().send(
      new UpdateCommand({ TableName: config().tables.messages, Key: { pk: `M#${values.messageId}`, sk: 'MSG' }, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'sending' } }),
    );
    const before = await counters();
    expect(await handler(fixture('send', values))).toBe('applied');
    expect(await handler(fixture('send', values, 'send-again'))).toBe('ignored');
    const record = (await api.get(`/v1/messages/${values.messageId}`)).body;
    expect(record).toMatchObject({ status: 'sending', deliveryStatus: 'sent' });
    expect((await counters()).ses_accepted ?? 0).toBe(before.ses_accepted ?? 0);
  });

  it('a delivery of a message Sendwell has no record of is not counted', async () => {
    const before = await counters();
    expect(await handler(fixture('delivery', { messageId: 'msg_nonexistent', sesId: 'ses-none', address: 'x@example.com' }))).toBe('unknown_message');
    expect((await counters()).delivered ?? 0).toBe(before.delivered ?? 0);
  });

  it('drops an event it cannot read, without throwing', async () => {
    expect(await handler({ source: 'aws.ses', detail: { eventType: 'Bounce' } })).toBe('unreadable');
  });
});

describe('the local SES mailbox simulator', () => {
  it('bounce@ and complaint@ (with +labels) produce the events SES would, through the same handler, within seconds', async () => {
    const { api, s } = suite;
    const stop = startSesEventEmulator(sentListeners, handler, { delayMs: 50 });
    try {
      const bounce = `bounce+${Date.now()}@simulator.amazonses.com`;
      const complaint = `complaint+${Date.now()}@simulator.amazonses.com`;
      const success = `success+${Date.now()}@simulator.amazonses.com`;
      for (const email of [bounce, complaint, success]) {
        const r = (await api.post('/v1/recipients', { email, country: 'US', welcome: false })).body;
        await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_in' });
        expect((await s.sendMarketing({ recipientId: r.id })).status).toBe('sent');
      }
      const reasons = async (email: string) =>
        ((await api.get(`/v1/suppressions?email=${encodeURIComponent(email)}`)).body.suppressions as Array<{ reason: string }>).map((x) => x.reason);
      await expect.poll(() => reasons(bounce), { timeout: 5000 }).toEqual(['hard_bounce']);
      await expect.poll(() => reasons(complaint), { timeout: 5000 }).toEqual(['complaint']);
      expect(await reasons(success)).toEqual([]);
      // The unsubscribe is written after the suppression (two writes): polled too, as the suppression was.
      await expect.poll(async () => (await api.get(`/v1/recipients?email=${encodeURIComponent(complaint)}`)).body.unsubscribedAll, { timeout: 5000 }).toBe(true);
    } finally {
      stop();
    }
  });
});

/** Export, proof of consent and erasure across every table, and the tombstone that keeps an erased address safe. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, dynamoClient } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { runtimeKeys } from '../../../lambdas/adapters/keys.ts';
import { addressHash } from '../../../lambdas/domain/email-address.ts';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { startTestEngine, waitForCampaign, waitForIdle } from '../../support/campaigns.ts';
import { header, hrefs } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';
import { useGateway } from '../../support/suite.ts';
import { container } from '../../../lambdas/adapters/container.ts';
import { onceBefore, WRITES } from '../../support/dynamo-calls.ts';
import { recordOpen, resolveClick } from '../../../lambdas/services/tracking.ts';
import { eraseRecipient } from '../../../lambdas/services/privacy.ts';
import { handler as sesEventsHandler } from '../../../lambdas/handlers/ses-events.ts';
import { asFunction } from '../../../local/table-access-guard.ts';
import { sesEvent } from '../../support/ses-events.ts';

const suite = useGateway('privacy');
// Checked against the function's table grants, as the local stack runs it.
const sesEvents = asFunction('sesEvents', sesEventsHandler);
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
// A campaign's messages are not in the recipient index of the messages table (issue 17): export and erasure find them
// from the campaigns, which these tests check with a campaign mail of each person.
let engine: CampaignEngine;
beforeAll(async () => {
  engine = await startTestEngine('privacy');
});
afterAll(async () => {
  await engine?.stop();
});

/** Every item of every Sendwell table, as JSON text (the test tables are small). */
async function everything(): Promise<string[]> {
  const items: string[] = [];
  for (const table of Object.values(config().tables)) {
    let cursor: Record<string, unknown> | undefined;
    do {
      const out = await documentClient().send(new ScanCommand({ TableName: table, ExclusiveStartKey: cursor }));
      items.push(...(out.Items ?? []).map((i) => JSON.stringify(i)));
      cursor = out.LastEvaluatedKey;
    } while (cursor);
  }
  return items;
}

async function activePerson(label: string) {
  const { s, api, gw } = suite;
  const r = await s.recipient(label);
  await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_out', source: 'api', evidence: { at: '2026-11-20T10:00:00Z', ip: '198.51.100.23' } });
  await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_in', source: 'api', evidence: { at: '2026-11-21T10:00:00Z', ip: '198.51.100.23', wording: 'v7' } });
  await api.post('/v1/suppressions', { email: r.email, reason: 'manual', scope: 'marketing', note: 'test' });
  await api.del('/v1/suppressions', { email: r.email, reason: 'manual' });
  const sent = await s.sendMarketing({ recipientId: r.id });
  await s.sendService({ recipientId: r.id });
  const mail = await s.lastMarketingMail(r.email);
  // The audience rule names a value of this person's own, not their id or address (the campaign is not theirs to erase).
  const cohort = `${label}-${Date.now().toString(36)}`;
  await api.patch(`/v1/recipients/${r.id}`, { attributes: { cohort } });
  const campaign = (await api.post('/v1/campaigns', { name: `Privacy ${label}`, template: s.marketing, audience: { attributes: { cohort } } })).body;
  expect((await api.post(`/v1/campaigns/${campaign.id}/launch`)).status).toBe(202);
  const done = await waitForCampaign(api, campaign.id, (c) => c.status === 'completed');
  expect(done.progress.targeted).toBe(1);
  await waitForIdle(engine);
  const pixel = /<img src="([^"]+)"/.exec(mail.body.html ?? '')![1]!;
  await new Promise((res) => setTimeout(res, 2100));
  await gw.call(pathOf(pixel), { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile/15E148' } });
  const click = hrefs(mail.body.html ?? '').find((l) => l.includes('/c/'))!;
  await gw.call(pathOf(click), { redirect: 'manual' });
  return { ...r, messageId: sent.messageId, campaignId: campaign.id as string, mail };
}

describe('export', () => {
  it('contains every kind of item held about the person', async () => {
    const { api, s } = suite;
    const p = await activePerson('export');
    // A journey they are in, started by an event whose properties it keeps, and a frequency-cap slot of theirs.
    const event = `export-${Date.now().toString(36)}`;
    const journey = `exp-${Date.now().toString(36)}`;
    expect((await api.post('/v1/journeys', { id: journey, name: 'Export', trigger: { event }, steps: [{ id: 'later', wait: { seconds: 3600 } }] })).status).toBe(201);
    expect((await api.post(`/v1/journeys/${journey}/activate`)).status).toBe(200);
    expect((await api.post('/v1/events', { recipientId: p.id, name: event, properties: { order: 'A-17' } })).body.enrolled).toEqual([journey]);
    expect(await container().delivery.reserve(p.id, p.messageId, new Date(), [{ max: 5, days: 7 }])).toBe('reserved');
    const res = await api.get(`/v1/recipients/${p.id}/export`);
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.format).toBe('sendwell.export.v1');
    expect(doc.recipient).toMatchObject({ id: p.id, email: p.email, consents: { [s.topic]: { status: 'opted_in' } } });
    expect(doc.ledger.map((e: { subject: string }) => e.subject)).toEqual(['recipient', `topic:${s.topic}`, `topic:${s.topic}`, `topic:${s.topic}`]);
    expect(doc.messages).toHaveLength(3);
    expect(doc.messages.filter((m: { campaignId?: string }) => m.campaignId === p.campaignId)).toHaveLength(1);
    const marketing = doc.messages.find((m: { messageId: string }) => m.messageId === p.messageId);
    expect(marketing.events.map((e: { type: string }) => e.type).sort()).toEqual(['click', 'open']);
    expect(JSON.stringify(doc)).not.toContain('198.51.100.23');
    expect(doc.journeys).toEqual([expect.objectContaining({ journeyId: journey, step: 'later', status: 'waiting', data: { order: 'A-17' } })]);
    expect(doc.sendLog).toEqual([{ messageId: p.messageId, at: expect.any(String) }]);
    expect((await api.get('/v1/recipients/rcp_nobody/export')).status).toBe(404);
  });
});

describe('proof of consent', () => {
  it('shows the request and the confirmation behind a double opt-in', async () => {
    const { api, s, gw } = suite;
    const r = (await api.post('/v1/recipients', { email: `proof.${Date.now()}@example.com`, country: 'IT', welcome: false })).body;
    await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_in', source: 'signup_form', evidence: { at: '2026-11-22T08:00:00Z', wording: 'form-v2' } });
    const { mailTo } = await import('../../support/mailbox.ts');
    const confirm = hrefs((await mailTo(r.email)).at(-1)!.body.html ?? '').find((l) => l.includes('/confirm/'))!;
    await gw.call(pathOf(confirm), { method: 'POST' });
    const proof = (await api.get(`/v1/recipients/${r.id}/consents/${s.topic}/proof`)).body;
    expect(proof.status).toBe('opted_in');
    expect(proof.established.map((e: { from: string; to: string; source: string }) => [e.from, e.to, e.source])).toEqual([
      [null, 'pending', 'signup_form'],
      ['pending', 'opted_in', 'confirmation'],
    ]);
    expect(proof.established[0]).toMatchObject({ wording: 'form-v2', evidenceAt: '2026-11-22T08:00:00Z', jurisdiction: 'strict' });
    expect(proof.established[1].ipPseudonym).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('erasure', () => {
  it('a send that finishes after the erasure deleted its record writes nothing back (sent, held, failed, dead-lettered)', async () => {
    const { s } = suite;
    const deps = container();
    const r = await s.recipient('erase-race');
    const at = new Date().toISOString();
    const ids = ['sent', 'held', 'failed', 'dead'].map((k) => `msg_race${k}${Date.now().toString(36)}`);
    for (const messageId of ids) {
      expect((await deps.messages.claim({ messageId, status: 'sending', class: 'marketing', template: s.marketing, topic: s.topic, recipientId: r.id, createdAt: at, expiresAt: Math.floor(Date.now() / 1000) + 3600, requestHash: 'x' })).claimed).toBe(true);
    }
    expect((await suite.api.del(`/v1/recipients/${r.id}`)).status).toBe(200);
    // SES answers after the erasure: the sender marks what it knows, as it would.
    await deps.messages.markSent(ids[0]!, 'ses-race', { links: [] }, at);
    await deps.messages.markHeld(ids[1]!, 'opted_out', at);
    await deps.messages.markFailed(ids[2]!, 'MessageRejected', at);
    expect(await deps.messages.markDeadLettered(ids[3]!, 'MessageRejected', at)).toBe(false);
    const left = (await everything()).filter((i) => ids.some((id) => i.includes(id)) || i.includes(r.id));
    expect(left).toEqual([]);
  });

  it('a consent change landing while the erasure runs leaves nothing behind', async () => {
    const { api, s } = suite;
    const r = await s.recipient('erase-during');
    // An opt-in arrives after the erasure deleted the ledger and before it deleted the profile (when it reads the
    // address claim's partition): it commits, as the profile is still there.
    const fired = await onceBefore(
      documentClient(),
      (_, input) => String(input.ExpressionAttributeValues?.[':pk'] ?? '').startsWith('A#'),
      async () => expect((await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_out', source: 'link' })).status).toBe(200),
      async () => expect((await api.del(`/v1/recipients/${r.id}`)).status).toBe(200),
    );
    expect(fired).toBe(true);
    expect((await everything()).filter((i) => i.includes(r.id))).toEqual([]);
  });

  it('an open or click landing while the erasure runs leaves nothing behind, not even the person\'s last open or click', async () => {
    const { api, s } = suite;
    for (const channel of ['open', 'click'] as const) {
      const r = await s.recipient(`erase-${channel}`);
      const sent = await s.sendMarketing({ recipientId: r.id });
      const mail = await s.lastMarketingMail(r.email);
      // Sent an hour ago, so the open counts as a person's (not the too-soon rule's machine).
      await documentClient().send(
        new UpdateCommand({ TableName: config().tables.messages, Key: { pk: `M#${sent.messageId}`, sk: 'MSG' }, UpdateExpression: 'SET sentAt = :at', ExpressionAttributeValues: { ':at': new Date(Date.now() - 3_600_000).toISOString() } }),
      );
      const url = channel === 'open' ? /<img src="([^"]+\/o\/[^"]+\.gif)"/.exec(mail.body.html ?? '')![1]! : hrefs(mail.body.html ?? '').find((l) => l.includes('/c/'))!;
      const token = pathOf(url).split('/').at(-1)!.replace(/\.gif$/, '');
      // The erasure runs after the open read the record and the profile, right before it writes the person's last open.
      const fired = await onceBefore(
        dynamoClient(),
        (command, input) => WRITES.has(command) && JSON.stringify(input).includes('ENGAGEMENT'),
        async () => expect((await api.del(`/v1/recipients/${r.id}`)).status).toBe(200),
        () => (channel === 'open' ? recordOpen(container(), token, { userAgent: IPHONE }) : resolveClick(container(), token, { userAgent: IPHONE })),
      );
      expect(fired).toBe(true);
      expect((await everything()).filter((i) => i.includes(r.id))).toEqual([]);
    }
  });

  it('takes the person\'s bounces and complaints out of the recent-feedback list, also when one lands while it runs', async () => {
    const { api, s } = suite;
    const mailTo = async (r: { id: string; email: string }) => {
      const sent = await s.sendMarketing({ recipientId: r.id });
      const record = (await api.get(`/v1/messages/${sent.messageId}`)).body;
      return { messageId: sent.messageId as string, sesId: record.sesMessageId as string, address: r.email };
    };
    const recent = async () => (await api.get('/v1/feedback/recent?limit=200')).body.entries as Array<{ messageId?: string; kind: string; at: string; address: string }>;
    // Before the erasure: a hard bounce and a complaint, each listed with its message.
    const r = await s.recipient('erase-feedback');
    const bounced = await mailTo(r);
    const complained = await mailTo(r);
    // Each with its own feedback id: the recent-feedback list keeps one entry per SES feedback, and the fixtures' are shared.
    expect(await sesEvents(sesEvent('bounce-permanent', bounced, { feedbackId: `fb-${bounced.messageId}` }))).toBe('applied');
    expect(await sesEvents(sesEvent('complaint', complained, { feedbackId: `fb-${complained.messageId}` }))).toBe('applied');
    expect((await recent()).filter((e) => e.messageId === bounced.messageId || e.messageId === complained.messageId)).toHaveLength(2);
    expect((await api.del(`/v1/recipients/${r.id}`)).status).toBe(200);
    const left = await everything();
    expect(left.filter((i) => i.includes(r.id) || i.includes(bounced.messageId) || i.includes(complained.messageId))).toEqual([]);

    // While it runs: the erasure comes right before the bounce keeps its event on the message, or its list entry.
    for (const where of ['E#', 'FEEDBACK']) {
      const p = await s.recipient(`erase-fb-${where.slice(0, 2)}`);
      const mail = await mailTo(p);
      let outcome: unknown;
      // A time of its own: its entry in the recent-feedback list is told apart by it.
      const at = new Date(Date.now() - Math.floor(Math.random() * 3_600_000)).toISOString();
      const fired = await onceBefore(
        dynamoClient(),
        (command, input) => command === 'TransactWriteItemsCommand' && JSON.stringify(input).includes(where),
        async () => expect((await api.del(`/v1/recipients/${p.id}`)).status).toBe(200),
        async () => (outcome = await sesEvents(sesEvent('bounce-permanent', mail, { feedbackId: `fb-${mail.messageId}`, at }))),
      );
      expect(fired).toBe(true);
      // Before its event was kept, nothing of it is; after, it was applied to the message the erasure then deleted.
      expect(outcome).toBe(where === 'E#' ? 'unknown_message' : 'applied');
      expect((await everything()).filter((i) => i.includes(p.id) || i.includes(mail.messageId))).toEqual([]);
      // Ops still see that a bounce came, with the address masked and no message named.
      expect((await recent()).filter((e) => e.at === at)).toMatchObject([{ kind: 'bounced_hard', address: 'e***@e***.com' }]);
      expect((await recent()).find((e) => e.at === at)?.messageId).toBeUndefined();
    }
  });

  it('an erasure that stopped after a message\'s record went finds the rest of that message when repeated', async () => {
    const { api, s } = suite;
    for (const where of ['the recent-feedback entry', 'the message\'s events'] as const) {
      const r = await s.recipient(`erase-resume-${where.length}`);
      const sent = await s.sendMarketing({ recipientId: r.id });
      const record = (await api.get(`/v1/messages/${sent.messageId}`)).body;
      // A bounce: an event item on the message, and an entry in the recent-feedback list naming it.
      // Its own feedback id: the recent-feedback list keeps one entry per SES feedback, and the fixture's is shared.
      const bounce = sesEvent('bounce-permanent', { messageId: sent.messageId, sesId: record.sesMessageId, address: r.email }, { feedbackId: `fb-${sent.messageId}` });
      expect(await sesEvents(bounce)).toBe('applied');
      const stopped = await onceBefore(
        dynamoClient(),
        (command, input) =>
          where === 'the recent-feedback entry'
            ? command === 'DeleteItemCommand' && JSON.stringify(input).includes('FEEDBACK')
            : command === 'BatchWriteItemCommand' && JSON.stringify(input).includes(`M#${sent.messageId}`),
        () => {
          throw Object.assign(new Error('stopped'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
        },
        () => expect(eraseRecipient(container(), r.id, 'test')).rejects.toThrow('stopped'),
      );
      expect(stopped, where).toBe(true);
      // The record is gone, and with it the message's place in the recipient index: the repeat finds it all the same.
      expect((await api.get(`/v1/messages/${sent.messageId}`)).status).toBe(404);
      expect((await api.del(`/v1/recipients/${r.id}`)).body).toMatchObject({ erased: true });
      expect((await everything()).filter((i) => i.includes(r.id) || i.includes(sent.messageId)), where).toEqual([]);
    }
  });

  it('an erasure that stopped part-way is finished by repeating it', async () => {
    const { api, s } = suite;
    const r = await s.recipient('erase-partial');
    // The storage fails at the erasure's first delete of the ledger, as a function timing out mid-way would stop.
    const failed = await onceBefore(
      dynamoClient(),
      (command, input) => command === 'BatchWriteItemCommand' && Object.keys(input.RequestItems ?? {}).includes(config().tables.ledger),
      () => {
        throw Object.assign(new Error('stopped'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
      },
      () => expect(eraseRecipient(container(), r.id, 'test')).rejects.toThrow('stopped'),
    );
    expect(failed).toBe(true);
    expect((await api.del(`/v1/recipients/${r.id}`)).body).toMatchObject({ erased: true });
    expect((await everything()).filter((i) => i.includes(r.id))).toEqual([]);
    // The address can be added again (its claim went with the rest).
    expect((await api.post('/v1/recipients', { email: r.email, country: 'US', welcome: false })).status).toBe(201);
  });

  it('removes the person from every table and index, keeps a tombstone, and is safe to repeat', async () => {
    const { api, s } = suite;
    const p = await activePerson('erase');
    // An event posted for them with an idempotency key (its item is keyed by the event, not found from the person).
    expect((await api.post('/v1/events', { recipientId: p.id, name: 'erase-check', idempotencyKey: `erase-${p.id}` })).status).toBe(202);
    const keys = await runtimeKeys();
    const hash = addressHash(p.email, keys.addressPepper);
    const before = await everything();
    expect(before.some((i) => i.includes(p.id))).toBe(true);

    const res = await api.del(`/v1/recipients/${p.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ recipientId: p.id, erased: true, tombstone: true, removed: { messages: 3 } });
    expect(res.body.removed.ledgerEntries).toBe(5); // four changes and the erasure itself
    expect(res.body.removed.messageItems).toBeGreaterThanOrEqual(6);

    const after = await everything();
    const local = p.email.split('@')[0]!;
    expect(after.filter((i) => i.includes(p.id) || i.toLowerCase().includes(local.toLowerCase()))).toEqual([]);
    const remaining = after.filter((i) => i.includes(hash));
    expect(remaining).toHaveLength(1);
    expect(JSON.parse(remaining[0]!)).toMatchObject({ pk: `S#${hash}`, sk: 'ADDRESS', erased: { reason: 'erased', scope: 'all' } });

    expect((await api.get(`/v1/recipients/${p.id}`)).status).toBe(404);
    expect((await api.del(`/v1/recipients/${p.id}`)).body).toMatchObject({ erased: false, removed: { recipientItems: 0, ledgerEntries: 0, messages: 0 } });

    // The address can never become mailable for marketing by accident…
    expect((await api.post('/v1/messages', { template: s.marketing, to: { email: p.email } })).body).toMatchObject({ status: 'held', reason: 'erased' });
    // …service mail reaches it only because the caller supplies it again…
    expect((await api.post('/v1/messages', { template: s.service, to: { email: p.email } })).body.status).toBe('sent');
    const again = (await api.get(`/v1/recipients?email=${encodeURIComponent(p.email)}`)).body;
    await api.patch(`/v1/recipients/${again.id}`, { country: 'US' }); // the receipt created it without a country
    await api.put(`/v1/recipients/${again.id}/consents/${s.topic}`, { status: 'opted_in', source: 'api' });
    expect((await api.post('/v1/messages', { template: s.marketing, to: { email: p.email } })).body).toMatchObject({ status: 'held', reason: 'erased' });
    // …and only a fresh opt-in with evidence lifts the tombstone.
    await api.put(`/v1/recipients/${again.id}/consents/${s.topic}`, { status: 'opted_out', source: 'api' });
    await api.put(`/v1/recipients/${again.id}/consents/${s.topic}`, { status: 'opted_in', source: 'signup_form', evidence: { at: '2026-11-22T12:00:00Z', wording: 'v8' } });
    expect((await api.get(`/v1/suppressions?email=${encodeURIComponent(p.email)}`)).body.suppressions).toEqual([]);
    const sent = await api.post('/v1/messages', { template: s.marketing, to: { email: p.email } });
    expect(sent.body.status).toBe('sent');
    expect(header(await s.lastMarketingMail(p.email), 'List-Unsubscribe')).toBeDefined();
    const ledger = (await api.get(`/v1/recipients/${again.id}/ledger`)).body.entries;
    expect(ledger.at(-1)).toMatchObject({ subject: 'suppression:erased', from: 'active', to: 'lifted' });
  });
});

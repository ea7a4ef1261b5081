/**
 * A campaign's progress counts each recipient exactly once, whoever settles them: the messages stream counts a
 * recipient with a record when the record becomes final, the batch those without one, and an erasure in between makes
 * a record final (and marks the message) before deleting it, so no later delivery counts the person again. Each batch
 * is run by hand here (the real sender and launcher against DynamoDB Local and the local SES), its follow-ups caught
 * instead of queued, so a test can put an erasure, a redelivery or a stale claim exactly where it wants.
 */
import { expect, it } from 'vitest';
import { sesClient } from '../../../lambdas/adapters/clients.ts';
import { container } from '../../../lambdas/adapters/container.ts';
import { campaignMessageId, type SendBatch } from '../../../lambdas/domain/campaign.ts';
import { runLaunch } from '../../../lambdas/services/campaign-launcher.ts';
import { sendBatch } from '../../../lambdas/services/campaign-sender.ts';
import { launchCampaign } from '../../../lambdas/services/campaigns.ts';
import { eraseRecipient } from '../../../lambdas/services/privacy.ts';
import { mailsBySubject, optIn, seedCohorts } from '../../support/campaigns.ts';
import { settleFigures } from '../../support/figures-stream.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway({ ownTables: 'counting' });

/** Addresses SES refuses (nothing sent): their attempt fails and the sender puts them back on the queue for later. */
const refused = new Set<string>();
sesClient().middlewareStack.add(
  (next, context) => async (args) => {
    const to = String((args.input as { Destination?: { ToAddresses?: string[] } }).Destination?.ToAddresses?.[0] ?? '').toLowerCase();
    if (context.commandName === 'SendEmailCommand' && refused.has(to)) throw Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected', $metadata: { httpStatusCode: 400 } });
    return next(args);
  },
  { step: 'initialize', name: 'counting-test-refusals' },
);

/** The container with its queues caught: what the launcher and the sender would queue is kept for the test to run. */
function caught() {
  const deps = container();
  const batches: SendBatch[] = [];
  const queues = { ...deps.queues, send: async (b: readonly SendBatch[]) => void batches.push(...b), launch: async () => {}, deadLetter: async () => {} };
  return { deps: { ...deps, queues } as typeof deps, batches };
}

/** A marketing topic and template, and `count` opted-in recipients: their ids, in the order of their addresses. */
async function audienceOf(label: string, count: number) {
  const api = suite.api;
  const run = `${label}-${Date.now().toString(36)}`;
  expect((await api.post('/v1/topics', { id: run, name: run })).status).toBe(201);
  const html = '<p>Hi</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>';
  expect((await api.post('/v1/templates', { id: run, class: 'marketing', topic: run, subject: `Subject ${run}`, html, text: 'Hi {{unsubscribe_url}} {{postal_address}}' })).status).toBe(201);
  const emails = (await seedCohorts(api, [{ label: run, count, row: () => ({ country: 'US', attributes: { cohort: run }, consents: { [run]: optIn() } }) }]))[run]!;
  const ids = await Promise.all(emails.map(async (e) => (await api.get(`/v1/recipients?email=${encodeURIComponent(e)}`)).body.id as string));
  const c = await api.post('/v1/campaigns', { name: `Counting ${run}`, template: run, audience: { attributes: { cohort: run } } });
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  return { campaign: c.body.id as string, template: run, topic: run, subject: `Subject ${run}`, emails, ids };
}

async function progressOf(id: string) {
  await settleFigures();
  return (await suite.api.get(`/v1/campaigns/${id}`)).body;
}

it('counts an erased recipient once, whether their record was waiting for a retry, left sending or never written, however often their batch comes', { timeout: 120_000 }, async () => {
  const { deps, batches } = caught();
  const { campaign, template, topic, subject, emails, ids } = await audienceOf('erased', 5);
  const [failed, stale, early, ...sent] = ids as [string, string, string, string, string];
  await launchCampaign(deps, campaign, 'test');
  expect(await runLaunch(deps, campaign, 60_000)).toBe('complete');
  expect(batches.map((b) => b.recipientIds.length)).toEqual([5]);
  const first = batches.shift()!;

  // An earlier delivery of the batch died around the SES call of one recipient (its claim left `sending` a minute ago).
  await expect(
    deps.messages.claim({ messageId: campaignMessageId(campaign, stale), status: 'sending', class: 'marketing', template, topic, campaignId: campaign, recipientId: stale, createdAt: new Date(Date.now() - 60_000).toISOString(), expiresAt: Math.floor(Date.now() / 1000) + 3600, requestHash: `campaign:${campaign}` }),
  ).resolves.toEqual({ claimed: true });
  // Erased before any delivery wrote a record of theirs.
  await eraseRecipient(deps, early, 'test');

  // The batch: two sent, the stale claim taken over and sent, the one erased counted by the batch; SES refuses one
  // (its record `failed`, its retry queued).
  refused.add(emails[0]!.toLowerCase());
  const report = await sendBatch(deps, first);
  refused.clear();
  expect(report).toMatchObject({ sent: 3, retried: 1 });
  expect((await deps.messages.getRecord(campaignMessageId(campaign, failed)))?.status).toBe('failed');
  expect(batches.map((b) => b.recipientIds)).toEqual([[failed]]);
  expect(await progressOf(campaign)).toMatchObject({ progress: { sent: 3, held: { erased: 1 }, remaining: 1 } });

  // The other two erased now: the failed attempt's record is held `erased` (counted once, from its change) before it goes.
  await eraseRecipient(deps, failed, 'test');
  await eraseRecipient(deps, sent[0], 'test');
  expect(await deps.messages.getRecord(campaignMessageId(campaign, failed))).toBeUndefined();
  const done = await progressOf(campaign);
  expect(done.status).toBe('completed');
  expect(done.progress).toMatchObject({ sent: 3, held: { erased: 2 }, failed: 0, remaining: 0 });

  // Every later delivery meets the erased gone: the retry of the failed attempt, a look again at it, and the whole
  // batch again (a duplicate). None of them counts anyone again, and nobody is mailed twice.
  for (const again of [...batches, { ...first, batchId: `${first.batchId}~check` }, first]) await sendBatch(deps, again);
  const after = await progressOf(campaign);
  expect(after.progress).toMatchObject({ audience: 5, sent: 3, held: { erased: 2 }, failed: 0, remaining: 0 });
  expect(after.progress.sent + after.progress.held.erased).toBe(5);
  const mails = await mailsBySubject(subject);
  expect([...mails.values()].map((m) => m.length)).toEqual([1, 1, 1]);
  expect(mails.has(emails[2]!.toLowerCase())).toBe(false);
  // The day's figures of the campaign count the same: three sent, two held for the erasure.
  const day = new Date().toISOString().slice(0, 10);
  const [figures] = await deps.messages.counterSeries(`C#${campaign}`, day, day, true);
  expect(figures?.figures).toMatchObject({ sent_marketing: 3, held_marketing: 2, held_reason_erased: 2 });
});

it('leaves a sent record as it is, counted once, whatever a stale delivery writes after it', { timeout: 120_000 }, async () => {
  const { deps, batches } = caught();
  const { campaign, ids } = await audienceOf('final', 2);
  await launchCampaign(deps, campaign, 'test');
  expect(await runLaunch(deps, campaign, 60_000)).toBe('complete');
  await sendBatch(deps, batches.shift()!);
  const [a, b] = ids.map((r) => campaignMessageId(campaign, r)) as [string, string];
  // A delivery that stalled past the reconcile window, took the claim over and holds it after all; another's attempt
  // failing after the record was sent, and its last attempt dead-lettering it: none of them changes the outcome (or
  // makes it count again).
  const at = new Date().toISOString();
  await deps.messages.markHeld(a, 'frequency_capped', at);
  await deps.messages.markFailed(b, 'TooManyRequestsException', at);
  expect(await deps.messages.markDeadLettered(b, 'TooManyRequestsException', at)).toBe(false);
  for (const m of [a, b]) expect((await deps.messages.getRecord(m))?.status, m).toBe('sent');
  const done = await progressOf(campaign);
  expect(done.status).toBe('completed');
  expect(done.progress).toMatchObject({ audience: 2, sent: 2, failed: 0, remaining: 0 });
  expect(done.progress.held).toEqual({});
});

it('counts a recipient once when their batch comes again after they left the audience, sent or waiting for a retry', { timeout: 120_000 }, async () => {
  const { deps, batches } = caught();
  const { campaign, emails, ids } = await audienceOf('left', 3);
  await launchCampaign(deps, campaign, 'test');
  expect(await runLaunch(deps, campaign, 60_000)).toBe('complete');
  const first = batches.shift()!;
  // The first delivery sends two; SES refuses the third (its record failed, its retry queued).
  refused.add(emails[2]!.toLowerCase());
  expect(await sendBatch(deps, first)).toMatchObject({ sent: 2, retried: 1 });
  refused.clear();
  // Then all three leave the audience, and the batch comes again (it had failed after sending), with the retry.
  for (const r of ids) expect((await suite.api.patch(`/v1/recipients/${r}`, { attributes: { cohort: 'elsewhere' } })).status).toBe(200);
  for (const again of [first, ...batches]) await sendBatch(deps, again);
  const done = await progressOf(campaign);
  expect(done.status).toBe('completed');
  // The two sent stay sent, counted once; the one waiting for a retry is held as no longer in the audience: excluded.
  expect(done.progress).toMatchObject({ audience: 3, sent: 2, excluded: 1, failed: 0, remaining: 0 });
  expect(await deps.messages.getRecord(campaignMessageId(campaign, ids[2]!))).toMatchObject({ status: 'held', reason: 'not_in_audience' });
});

/**
 * SES unavailable in the middle of a campaign, as the senders see it over the network: first a few seconds in which
 * every SendEmail is answered `503 ServiceUnavailable`, later a few seconds in which the SES endpoint refuses
 * connections (down). A loopback proxy in front of the local SES makes the outage; nothing inside the SDK client or
 * Sendwell is mocked, and SES accepts nothing while it lasts. The senders retry (the SDK's own retries, then the
 * sender's tries in a row, then the queue with a growing delay): nothing is lost, nothing sent twice, nothing
 * dead-lettered, and the progress adds up.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { marketingTopic, optIn, waitForCampaign } from '../support/campaigns.ts';
import { journalMail, startFaultStack, type FaultStack } from '../support/fault-stack.ts';
import { seedOnDisk } from '../support/seed-on-disk.ts';

let stack: FaultStack;
beforeAll(async () => {
  stack = await startFaultStack();
});
afterAll(async () => {
  await stack?.stop();
});

const campaignMail = (campaignId: string) => journalMail(stack.journal.file, campaignId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function untilSent(campaignId: string, n: number) {
  const until = Date.now() + 240_000;
  while (campaignMail(campaignId).length < n) {
    if (Date.now() > until) throw new Error(`the campaign did not get to ${n} mails`);
    await sleep(50);
  }
}

it('SES answering errors, then down, mid-campaign: retried, nothing lost or sent twice', { timeout: 600_000 }, async () => {
  const api = stack.api;
  const { topic } = await marketingTopic(api, 'ses', 'SES outage');
  const cohorts = await seedOnDisk(api, [
    { label: 'in', count: 300, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) },
    { label: 'none', count: 20, row: () => ({ country: 'US' }) },
  ]);

  const c = await api.post('/v1/campaigns', { name: 'SES outage', template: topic, ratePerSecond: 40 });
  expect(c.status).toBe(201);
  const campaignId = c.body.id as string;
  expect((await api.post(`/v1/campaigns/${campaignId}/launch`)).status).toBe(202);

  const phases = { sentBeforeErrors: 0, sentWhileErroring: 0, sentWhileDown: 0 };
  await untilSent(campaignId, 60);
  phases.sentBeforeErrors = campaignMail(campaignId).length;
  await stack.sesProxy.setMode('error');
  // At least 4 s, and until SES calls were really refused: on a busy machine a sender may make none in 4 s.
  const refusedBy = Date.now() + 60_000;
  await sleep(4000);
  while (stack.sesProxy.counts.errored < 3 && Date.now() < refusedBy) await sleep(100);
  phases.sentWhileErroring = campaignMail(campaignId).length - phases.sentBeforeErrors;
  await stack.sesProxy.setMode('pass');
  await untilSent(campaignId, phases.sentBeforeErrors + 80);
  const beforeDown = campaignMail(campaignId).length;
  await stack.sesProxy.setMode('down');
  await sleep(4000);
  phases.sentWhileDown = campaignMail(campaignId).length - beforeDown;
  await stack.sesProxy.setMode('pass');

  const done = await waitForCampaign(api, campaignId, (x) => x.status === 'completed', 300_000);
  const mails = campaignMail(campaignId);
  const byAddress = new Map<string, number>();
  for (const m of mails) byAddress.set(m.to.toLowerCase(), (byAddress.get(m.to.toLowerCase()) ?? 0) + 1);
  const counts = cohorts.in!.map((e) => byAddress.get(e.toLowerCase()) ?? 0);
  const figures = {
    eligible: cohorts.in!.length,
    ...phases,
    sesCallsAnswered503: stack.sesProxy.counts.errored,
    sent: mails.length,
    duplicates: counts.filter((n) => n > 1).length,
    lost: counts.filter((n) => n === 0).length,
    deadLettered: (await stack.engine.sendQueue.depth()).deadLettered,
  };
  console.log('fault figures: SES outage mid-campaign', JSON.stringify(figures));

  // Both outages happened while mail was waiting to go (else this proves nothing): SES refused calls, and mail went
  // out after each. (A call already forwarded when an outage began still gets its answer, so a few mails may be
  // accepted in an outage's first moment.)
  expect(figures.sesCallsAnswered503).toBeGreaterThan(0);
  expect(phases.sentBeforeErrors + phases.sentWhileErroring).toBeLessThan(beforeDown);
  expect(beforeDown + phases.sentWhileDown).toBeLessThan(figures.sent);
  // …and still exactly one mail per eligible recipient, none to anyone else, nothing given up.
  expect(figures.duplicates).toBe(0);
  expect(figures.lost).toBe(0);
  expect(figures.sent).toBe(cohorts.in!.length);
  for (const email of cohorts.none!) expect(byAddress.get(email.toLowerCase())).toBeUndefined();
  expect(figures.deadLettered).toBe(0);
  expect(done.progress).toMatchObject({ audience: 300, sent: 300, failed: 0, remaining: 0, held: {} });
});

/**
 * DynamoDB Local killed (SIGKILL, by its PID) in the middle of a marketing campaign, kept down for a few seconds,
 * then started again on the same port with the same data folder (`-sharedDb -dbPath`, as `npm start` runs it). Every
 * part that talks to it must live through the outage — the queue consumers (launcher, senders), the sweep, the SES
 * event emulator, the ledger's stream poller, the API — reporting errors and retrying, and the campaign then ends
 * with exactly one mail per eligible recipient; every opt-out the API confirmed, before, during (after retries) or
 * after the outage, is still stored after the restart, held the mail whose consent was read after it, and reached the
 * ledger's stream (the partner relay's input).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { marketingTopic, optIn, waitForCampaign } from '../support/campaigns.ts';
import { journalMail, startFaultStack, type FaultStack } from '../support/fault-stack.ts';
import { judgeLeaver } from '../support/leavers.ts';
import { seedOnDisk } from '../support/seed-on-disk.ts';

let stack: FaultStack;
beforeAll(async () => {
  // Longer than the outage (down 4 s, then a JVM start that takes far longer on a loaded machine): a claim whose Send
  // event waits for DynamoDB Local to come back must not be taken over and sent again. Read by handlerEnv.
  process.env.SENDWELL_SEND_RECONCILE_SECONDS = '120';
  stack = await startFaultStack();
});
afterAll(async () => {
  await stack?.stop();
});

const campaignMail = (campaignId: string) => journalMail(stack.journal.file, campaignId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('DynamoDB Local killed and restarted mid-campaign: the engine lives through it, exactly one mail each, no opt-out lost', { timeout: 600_000 }, async () => {
  const api = stack.api;
  const { topic } = await marketingTopic(api, 'ddb', 'DynamoDB restart');
  const cohorts = await seedOnDisk(api, [
    { label: 'in', count: 300, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) },
    { label: 'out', count: 20, row: () => ({ country: 'US', consents: { [topic]: { ...optIn(), status: 'opted_out' } } }) },
    { label: 'none', count: 20, row: () => ({ country: 'US' }) },
  ]);
  const ids = new Map<string, string>();
  for (const email of cohorts.in!) ids.set(email, (await api.get(`/v1/recipients?email=${encodeURIComponent(email)}`)).body.id as string);
  const leavers = cohorts.in!.filter((_, i) => i % 8 === 5);

  const c = await api.post('/v1/campaigns', { name: 'DynamoDB restart', template: topic, ratePerSecond: 30 });
  expect(c.status).toBe(201);
  const campaignId = c.body.id as string;
  expect((await api.post(`/v1/campaigns/${campaignId}/launch`)).status).toBe(202);

  // Opt-outs all through the campaign. During the outage the API answers 5xx and the person tries again; an opt-out
  // counts as stored when an answer said so.
  const storedAt = new Map<string, number>();
  let refusedDuringOutage = 0;
  const optOuts = (async () => {
    for (const email of leavers) {
      await sleep(150);
      for (;;) {
        const r = await api.put(`/v1/recipients/${ids.get(email)}/consents/${topic}`, { status: 'opted_out', source: 'preference_page' }).catch(() => undefined);
        if (r?.status === 200) break;
        refusedDuringOutage++;
        await sleep(300);
      }
      storedAt.set(email, Date.now());
    }
  })();

  const until = Date.now() + 240_000;
  while (campaignMail(campaignId).length < cohorts.in!.length * 0.3) {
    if (Date.now() > until) throw new Error('the campaign did not get going');
    await sleep(50);
  }
  const oldPid = stack.dynamo.pid;
  const confirmedBeforeKill = new Map(storedAt);
  await stack.stopDynamo('SIGKILL');
  const sentBeforeOutage = campaignMail(campaignId).length;
  const errorsBefore = { engine: stack.errors.engine.length, poller: stack.errors.poller.length, emulator: stack.errors.emulator.length };
  await sleep(4000);
  const sentDuringOutage = campaignMail(campaignId).length - sentBeforeOutage;
  await stack.restartDynamo();
  expect(stack.dynamo.pid).not.toBe(oldPid);

  await optOuts;
  const done = await waitForCampaign(api, campaignId, (x) => x.status === 'completed', 300_000);
  await stack.poller.drain(30_000);

  const mails = campaignMail(campaignId);
  const byAddress = new Map<string, number>();
  for (const m of mails) byAddress.set(m.to.toLowerCase(), (byAddress.get(m.to.toLowerCase()) ?? 0) + 1);
  const records = new Map<string, any>();
  for (const [email, id] of ids) records.set(email, (await api.get(`/v1/messages/${campaignId}-${id}`)).body);

  const leaverVerdicts = { mailed: 0, held: 0, problems: [] as string[] };
  const lostOptOuts: string[] = [];
  let optOutsInLedgerStream = 0;
  const streamed = [...stack.ledgerSeen.values()].map((r) => JSON.stringify(r.dynamodb?.NewImage ?? {}));
  for (const email of leavers) {
    const id = ids.get(email)!;
    // Stored, and still stored after the restart (those confirmed before the kill included).
    const consent = (await api.get(`/v1/recipients/${id}`)).body.consents?.[topic];
    if (consent?.status !== 'opted_out') lostOptOuts.push(email);
    if (streamed.some((s) => s.includes(`"R#${id}"`) && s.includes('opted_out'))) optOutsInLedgerStream++;
    // Mailed only if its consent was read before the opt-out had been stored; otherwise held, and no mail went out.
    judgeLeaver(leaverVerdicts, email, records.get(email), byAddress.get(email.toLowerCase()) ?? 0, storedAt.get(email)!);
  }
  const eligible = cohorts.in!.filter((e) => records.get(e).status === 'sent');
  const counts = eligible.map((e) => byAddress.get(e.toLowerCase()) ?? 0);
  const figures = {
    eligible: eligible.length,
    sentBeforeOutage,
    sentDuringOutage,
    sentAfterRestart: mails.length - sentBeforeOutage - sentDuringOutage,
    duplicates: counts.filter((n) => n > 1).length,
    lost: counts.filter((n) => n === 0).length,
    engineErrorsDuringOutage: stack.errors.engine.length - errorsBefore.engine,
    pollerErrorsDuringOutage: stack.errors.poller.length - errorsBefore.poller,
    emulatorRetries: stack.errors.emulator.length - errorsBefore.emulator,
    optOutsConfirmedBeforeKill: confirmedBeforeKill.size,
    optOutRequestsRefusedDuringOutage: refusedDuringOutage,
    optOutsStoredAfterRestart: leavers.length - lostOptOuts.length,
    optOutsInLedgerStream,
    leaversMailedBeforeTheirOptOut: leaverVerdicts.mailed,
    leaversHeld: leaverVerdicts.held,
    leaverProblems: leaverVerdicts.problems.length,
  };
  console.log('fault figures: DynamoDB Local killed and restarted mid-campaign', JSON.stringify(figures));

  // The outage was real and was felt…
  expect(figures.sentAfterRestart).toBeGreaterThan(0);
  expect(figures.engineErrorsDuringOutage).toBeGreaterThan(0);
  expect(figures.optOutsConfirmedBeforeKill).toBeGreaterThan(0);
  // …and still: exactly one mail per eligible recipient, none to anyone else, every opt-out kept and streamed.
  expect(figures.duplicates).toBe(0);
  expect(figures.lost).toBe(0);
  expect(mails.length).toBe(eligible.length);
  for (const email of [...cohorts.out!, ...cohorts.none!]) expect(byAddress.get(email.toLowerCase()), email).toBeUndefined();
  expect(lostOptOuts).toEqual([]);
  expect(optOutsInLedgerStream).toBe(leavers.length);
  expect(leaverVerdicts.problems).toEqual([]);
  expect(leaverVerdicts.held).toBeGreaterThan(0);
  expect(done.progress).toMatchObject({ audience: 300, sent: eligible.length, failed: 0, remaining: 0 });
  expect(done.progress.held).toEqual({ opted_out: leaverVerdicts.held });
  expect((await stack.engine.sendQueue.depth()).deadLettered).toBe(0);
});

/**
 * `npm start` whose DynamoDB Local dies (SIGKILL to the Java process alone) in the middle of a campaign: the stack
 * starts it again on the same port with the same data, every part retries while it is away, and the campaign ends
 * with exactly one mail per eligible recipient. (`dynamodb-restart.test.ts` tests the same outage with the parts
 * composed in the test process, and a longer downtime; this is the stack a person runs.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { marketingTopic, optIn, waitForCampaign } from '../support/campaigns.ts';
import { remoteAdminClient, stackPorts, childStackEnv, startChildStack, stopChildStack, type ChildStack } from '../support/local-stack.ts';
import { journalMail } from '../support/fault-stack.ts';
import { seedOnDisk } from '../support/seed-on-disk.ts';

const ADMIN_KEY = 'swl_faults_ddb_key_0123456789abcdef';
const dataDir = mkdtempSync(join(tmpdir(), 'sendwell-ddbkill-'));
let stack: ChildStack | undefined;

afterAll(async () => {
  await stopChildStack(stack);
  rmSync(dataDir, { recursive: true, force: true });
});

const campaignMail = (campaignId: string) => journalMail(join(dataDir, 'ses-journal.jsonl'), campaignId);
/** PIDs of DynamoDB Local the stack logged, in order (`dynamodb-local started`, then each `dynamodb-local restarted`). */
const dynamoPids = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{') && /"message":"dynamodb-local (started|restarted)"/.test(l))
    .map((l) => (JSON.parse(l) as { pid: number }).pid);

it('npm start lives through its DynamoDB Local being killed mid-campaign: restarted, exactly one mail each', { timeout: 600_000 }, async () => {
  const ports = await stackPorts();
  stack = await startChildStack(childStackEnv(ports, dataDir, ADMIN_KEY, {
      SENDWELL_LOG_LEVEL: 'INFO',
      SENDWELL_QUEUE_VISIBILITY_SECONDS: '20',
      // Longer than the outage: a claim whose Send event waits for DynamoDB Local to come back is not taken over.
      SENDWELL_SEND_RECONCILE_SECONDS: '120',
    }));
  const api = remoteAdminClient(`http://127.0.0.1:${ports.SENDWELL_PORT}`, ADMIN_KEY);
  const { topic } = await marketingTopic(api, 'ddbkill', 'DynamoDB killed');
  const cohorts = await seedOnDisk(api, [
    { label: 'in', count: 150, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) },
    { label: 'none', count: 10, row: () => ({ country: 'US' }) },
  ]);
  const c = await api.post('/v1/campaigns', { name: 'DynamoDB killed', template: topic, ratePerSecond: 30 });
  expect(c.status).toBe(201);
  const campaignId = c.body.id as string;
  expect((await api.post(`/v1/campaigns/${campaignId}/launch`)).status).toBe(202);

  const until = Date.now() + 240_000;
  while (campaignMail(campaignId).length < 45) {
    if (Date.now() > until) throw new Error(`the campaign did not get going:\n${stack.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const [firstPid] = dynamoPids(stack.output());
  expect(firstPid).toBeGreaterThan(0);
  process.kill(firstPid!, 'SIGKILL');
  const sentBeforeKill = campaignMail(campaignId).length;
  const restartBy = Date.now() + 300_000;
  while (dynamoPids(stack.output()).length < 2) {
    if (stack.child.exitCode !== null || Date.now() > restartBy) throw new Error(`DynamoDB Local was not started again:\n${stack.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const done = await waitForCampaign(api, campaignId, (x) => x.status === 'completed', 300_000);

  const mails = campaignMail(campaignId);
  const byAddress = new Map<string, number>();
  for (const m of mails) byAddress.set(m.to.toLowerCase(), (byAddress.get(m.to.toLowerCase()) ?? 0) + 1);
  const counts = cohorts.in!.map((e) => byAddress.get(e.toLowerCase()) ?? 0);
  const figures = {
    eligible: cohorts.in!.length,
    sentBeforeKill,
    sentAfterRestart: mails.length - sentBeforeKill,
    dynamoDbPids: dynamoPids(stack.output()),
    duplicates: counts.filter((n) => n > 1).length,
    lost: counts.filter((n) => n === 0).length,
    stackStillRunning: stack.child.exitCode === null,
  };
  console.log('fault figures: npm start, DynamoDB Local killed mid-campaign', JSON.stringify(figures));

  expect(figures.dynamoDbPids).toHaveLength(2);
  expect(figures.sentAfterRestart).toBeGreaterThan(0);
  expect(figures.stackStillRunning).toBe(true);
  expect(figures.duplicates).toBe(0);
  expect(figures.lost).toBe(0);
  expect(mails.length).toBe(cohorts.in!.length);
  for (const email of cohorts.none!) expect(byAddress.get(email.toLowerCase())).toBeUndefined();
  expect(done.progress).toMatchObject({ audience: 150, sent: 150, failed: 0, remaining: 0, held: {} });
  expect((await fetch(`http://127.0.0.1:${ports.SENDWELL_PORT}/health`)).status).toBe(200);
});

/**
 * A/B tests on campaigns (issue 19), end to end on the local engine (real handlers, DynamoDB Local, local SES with its
 * simulated delivery events): a 50/50 split mails each recipient once with one variant, even when the queue delivers
 * batches twice; a holdout gets nothing and is counted; the winner of a test share goes to the rest of the audience —
 * picked on human clicks, never on machine opens, the first variant with the reason on a tie, or by a person.
 *
 * The decision moment is `launchedAt + decideAfterSeconds`: the tests give a long delay and move `launchedAt` back once
 * the test share's figures are in, then run the sweep, rather than racing a short timer.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { assignVariant } from '../../../lambdas/domain/ab-test.ts';
import { sentListeners } from '../../../lambdas/adapters/ses-mailer.ts';
import { handler as sesEventsHandler } from '../../../lambdas/handlers/ses-events.ts';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { startSesEventEmulator } from '../../../local/ses-simulator.ts';
import { asFunction } from '../../../local/table-access-guard.ts';
import { mailsBySubject, marketingTopic, optIn, seedCohorts, startTestEngine, waitForCampaign, waitForIdle } from '../../support/campaigns.ts';
import { hrefs, type CapturedMail } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';
import { settleFigures } from '../../support/figures-stream.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway({ ownTables: 'ab' });
let engine: CampaignEngine;
let stopEmulator: (() => void) | undefined;

beforeAll(async () => {
  // SES's delivery events, as the local stack emulates them, through the real handler: the winner's rate is per
  // delivered mail.
  stopEmulator = startSesEventEmulator(sentListeners, asFunction('sesEvents', sesEventsHandler), { delayMs: 50 });
  // Every fifth batch delivered twice: a recipient must still get exactly one mail, of one variant.
  engine = await startTestEngine('ab', { duplicateRate: 0.2, sweepMs: 500 });
});
afterAll(async () => {
  stopEmulator?.();
  await engine?.stop();
});

const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const HTML = '<p><a href="https://shop.example/sale">Sale</a></p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>';

/** A topic, a template, `n` opted-in recipients and their ids; the subject of variant X is `X <run>`. */
async function audience(prefix: string, n: number) {
  const api = suite.api;
  const t = await marketingTopic(api, prefix, `AB ${prefix}`, { html: HTML, text: 'Sale\n{{unsubscribe_url}}\n{{postal_address}}' });
  const cohorts = await seedCohorts(api, [{ label: `${prefix}-${t.run}`, count: n, row: () => ({ country: 'US', consents: { [t.topic]: optIn() } }) }]);
  const emails = cohorts[`${prefix}-${t.run}`]!;
  const ids = new Map<string, string>();
  for (const e of emails) ids.set(e.toLowerCase(), (await api.get(`/v1/recipients?email=${encodeURIComponent(e)}`)).body.id);
  return { ...t, emails: emails.map((e) => e.toLowerCase()), ids };
}

const variants = (run: string, ids = ['a', 'b']) => ids.map((id) => ({ id, subject: `${id.toUpperCase()} ${run}`, weight: 1 }));

/** Each address's mails of this run (any variant's subject). */
async function mailsOf(run: string): Promise<Map<string, CapturedMail[]>> {
  return mailsBySubject(` ${run}`);
}
const variantOf = (m: CapturedMail) => m.subject.split(' ')[0]!.toLowerCase();

/** A person clicks the sale link (an hour after the send, as the rules see it: a click seconds after it is a machine's). */
async function humanClick(campaignId: string, recipientId: string, mail: CapturedMail): Promise<void> {
  await sentLongAgo(campaignId, recipientId);
  const sale = hrefs(mail.body.html ?? '').find((l) => l.includes('/c/'))!;
  const r = await suite.gw.call(pathOf(sale), { headers: { 'user-agent': iphone }, redirect: 'manual' });
  expect(r.status).toBe(302);
}

async function sentLongAgo(campaignId: string, recipientId: string): Promise<void> {
  await documentClient().send(
    new UpdateCommand({
      TableName: config().tables.messages,
      Key: { pk: `M#${campaignId}-${recipientId}`, sk: 'MSG' },
      UpdateExpression: 'SET sentAt = :at',
      ExpressionAttributeValues: { ':at': new Date(Date.now() - 3_600_000).toISOString() },
    }),
  );
}

/** Moves the launch back so that `decideAfterSeconds` have passed, then runs the sweep that decides (on every figure so far). */
async function timeIsUp(campaignId: string, decideAfterSeconds: number): Promise<void> {
  await settleFigures();
  await documentClient().send(
    new UpdateCommand({
      TableName: config().tables.campaigns,
      Key: { pk: `C#${campaignId}`, sk: 'CAMPAIGN' },
      UpdateExpression: 'SET launchedAt = :at',
      ExpressionAttributeValues: { ':at': new Date(Date.now() - (decideAfterSeconds + 5) * 1000).toISOString() },
    }),
  );
  await engine.sweep();
}

/** Waits until SES's (simulated) delivery events of every variant's mail are counted in its figures. */
async function deliveredCounted(campaignId: string): Promise<any> {
  for (let i = 0; i < 240; i++) {
    // Counted from the messages stream: everything so far (the opens and clicks before the deliveries included).
    await settleFigures();
    const c = (await suite.api.get(`/v1/campaigns/${campaignId}`)).body;
    if (c.progress.variants.every((v: { sent: number; delivered: number }) => v.sent > 0 && v.delivered === v.sent)) return c;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('delivery events were not counted');
}

describe('an A/B campaign', () => {
  it('50/50 to 200 recipients: each gets exactly one mail of one variant, each variant 35-65 %, figures per variant', { timeout: 300_000 }, async () => {
    const api = suite.api;
    const a = await audience('split', 200);
    const c = (await api.post('/v1/campaigns', { name: 'Split', template: a.template, variants: variants(a.run), ratePerSecond: 500 })).body;
    expect(c.variants).toHaveLength(2);
    expect((await api.post(`/v1/campaigns/${c.id}/launch`)).status).toBe(202);
    const done = await waitForCampaign(api, c.id, (x) => x.status === 'completed', 240_000);
    await waitForIdle(engine);

    const mails = await mailsOf(a.run);
    expect(a.emails.filter((e) => mails.get(e)?.length !== 1)).toEqual([]);
    const byVariant = { a: 0, b: 0 } as Record<string, number>;
    for (const e of a.emails) {
      const v = variantOf(mails.get(e)![0]!);
      byVariant[v]!++;
      // The variant is the one the hash of campaign and recipient names: a redelivered batch cannot pick another.
      expect(assignVariant(c.id, a.ids.get(e)!, { variants: variants(a.run) })).toEqual({ group: 'variant', variant: v });
    }
    console.log(`50/50 split of 200: a ${byVariant.a}, b ${byVariant.b}`);
    expect(byVariant.a).toBeGreaterThanOrEqual(70);
    expect(byVariant.a).toBeLessThanOrEqual(130);
    expect(byVariant.a! + byVariant.b!).toBe(200);
    expect(done.progress).toMatchObject({ sent: 200, holdout: 0 });
    expect(done.progress.variants.map((v: { id: string; sent: number }) => [v.id, v.sent])).toEqual([
      ['a', byVariant.a],
      ['b', byVariant.b],
    ]);
    // The message record says which variant went; /v1/metrics gives each variant's figures apart.
    const someone = a.emails[0]!;
    expect((await api.get(`/v1/messages/${c.id}-${a.ids.get(someone)}`)).body.variant).toBe(variantOf(mails.get(someone)![0]!));
    // SES's deliveries count in each variant's series too: they are the rates' denominator the winner is picked on.
    await deliveredCounted(c.id);
    for (const v of ['a', 'b']) {
      const m = (await api.get(`/v1/metrics?campaign=${c.id}&variant=${v}`)).body;
      expect(m.series).toBe(`C#${c.id}#V#${v}`);
      expect(m.totals.sent.marketing).toBe(byVariant[v]);
      expect(m.totals.delivered.marketing).toBe(byVariant[v]);
    }
    expect((await api.get(`/v1/metrics?variant=a`)).status).toBe(400);
    // A variant the campaign does not have is a 400 naming it, not a series of zeros.
    const unknown = await api.get(`/v1/metrics?campaign=${c.id}&variant=zz`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details).toEqual([{ path: 'variant', message: `campaign ${c.id} has no variant zz (its variants: a, b)` }]);
    expect((await api.get(`/v1/metrics?campaign=cmp_nothing&variant=a`)).body.error.details[0].path).toBe('campaign');
  });

  it('a 10 % holdout gets nothing and is counted; the winner on human clicks goes to the rest', { timeout: 300_000 }, async () => {
    const api = suite.api;
    const a = await audience('clicks', 200);
    const test = { share: 40, metric: 'clicks', decideAfterSeconds: 3600 };
    const c = (await api.post('/v1/campaigns', { name: 'Clicks', template: a.template, variants: variants(a.run), holdout: 10, test, ratePerSecond: 500 })).body;
    expect((await api.post(`/v1/campaigns/${c.id}/launch`)).status).toBe(202);
    const spec = { variants: variants(a.run), holdout: 10, test: test as { share: number; metric: 'clicks'; decideAfterSeconds: number } };
    const group = (e: string) => assignVariant(c.id, a.ids.get(e)!, spec);
    const holdout = a.emails.filter((e) => group(e).group === 'holdout');
    const inTest = a.emails.filter((e) => group(e).group === 'variant');
    const rest = a.emails.filter((e) => group(e).group === 'rest');

    // The test share is sent; the rest waits for the winner.
    const waiting = await waitForCampaign(api, c.id, (x) => x.progress.sent === inTest.length && x.progress.awaitingWinner === rest.length, 240_000);
    expect(waiting.status).toBe('sending');
    expect(waiting.decision).toBeUndefined();
    expect(waiting.progress.holdout).toBe(holdout.length);
    expect(holdout.length).toBeGreaterThan(5);
    await waitForIdle(engine);
    let mails = await mailsOf(a.run);
    expect(rest.filter((e) => mails.has(e))).toEqual([]);

    // People click variant b's mail (a few), nobody a's.
    const clickers = inTest.filter((e) => variantOf(mails.get(e)![0]!) === 'b').slice(0, 5);
    expect(clickers).toHaveLength(5);
    for (const e of clickers) await humanClick(c.id, a.ids.get(e)!, mails.get(e)![0]!);
    await deliveredCounted(c.id);

    await timeIsUp(c.id, test.decideAfterSeconds);
    const done = await waitForCampaign(api, c.id, (x) => x.status === 'completed', 240_000);
    console.log(`holdout ${holdout.length}, test share ${inTest.length}, rest ${rest.length}; decision ${JSON.stringify(done.decision)}`);
    expect(done.decision).toMatchObject({ variant: 'b', reason: 'metric' });
    await waitForIdle(engine);
    mails = await mailsOf(a.run);
    expect(a.emails.filter((e) => !holdout.includes(e) && mails.get(e)?.length !== 1)).toEqual([]);
    expect(holdout.filter((e) => mails.has(e))).toEqual([]);
    expect(rest.filter((e) => variantOf(mails.get(e)![0]!) !== 'b')).toEqual([]);
    expect(done.progress).toMatchObject({ sent: 200 - holdout.length, holdout: holdout.length, remaining: 0 });
    const b = done.progress.variants.find((v: { id: string }) => v.id === 'b');
    expect(b).toMatchObject({ clicksUniqueHuman: 5 });
  });

  it('machine opens do not pick a winner: one human open beats a variant opened only by scanners', { timeout: 300_000 }, async () => {
    const api = suite.api;
    const a = await audience('opens', 100);
    const test = { share: 90, metric: 'humanOpens', decideAfterSeconds: 3600 };
    const c = (await api.post('/v1/campaigns', { name: 'Opens', template: a.template, variants: variants(a.run), test, ratePerSecond: 500 })).body;
    expect((await api.post(`/v1/campaigns/${c.id}/launch`)).status).toBe(202);
    await waitForCampaign(api, c.id, (x) => x.progress.awaitingWinner !== undefined && x.progress.sent + x.progress.awaitingWinner === 100, 240_000);
    await waitForIdle(engine);
    const mails = await mailsOf(a.run);
    const pixel = (m: CapturedMail) => pathOf(/src="([^"]*\/o\/[^"]+)"/.exec(m.body.html ?? '')![1]!.replaceAll('&amp;', '&'));
    const sent = [...mails.entries()];
    // Every b mail opened by a mail security scanner, long after the send; one a mail opened by a person.
    for (const [e, [m]] of sent.filter(([, [m]]) => variantOf(m!) === 'b')) {
      await sentLongAgo(c.id, a.ids.get(e)!);
      await suite.gw.call(pixel(m!), { headers: { 'user-agent': 'Proofpoint URL Defense' } });
    }
    const [reader, [readerMail]] = sent.find(([, [m]]) => variantOf(m!) === 'a')!;
    await sentLongAgo(c.id, a.ids.get(reader)!);
    await suite.gw.call(pixel(readerMail!), { headers: { 'user-agent': iphone } });
    const figures = await deliveredCounted(c.id);
    expect(figures.progress.variants.find((v: { id: string }) => v.id === 'b').opensUniqueHuman).toBe(0);

    await timeIsUp(c.id, test.decideAfterSeconds);
    const done = await waitForCampaign(api, c.id, (x) => x.decision !== undefined);
    expect(done.decision).toMatchObject({ variant: 'a', reason: 'metric' });
  });

  it('a tie names the first variant and says so', { timeout: 300_000 }, async () => {
    const api = suite.api;
    const a = await audience('tie', 80);
    const test = { share: 90, metric: 'clicks', decideAfterSeconds: 3600 };
    const c = (await api.post('/v1/campaigns', { name: 'Tie', template: a.template, variants: variants(a.run, ['x', 'y']), test, ratePerSecond: 500 })).body;
    expect((await api.post(`/v1/campaigns/${c.id}/launch`)).status).toBe(202);
    await waitForCampaign(api, c.id, (x) => x.progress.awaitingWinner !== undefined && x.progress.sent + x.progress.awaitingWinner === 80, 240_000);
    await waitForIdle(engine);
    // Everyone of the test share clicks: both variants at 100 %.
    for (const [e, [m]] of await mailsOf(a.run)) await humanClick(c.id, a.ids.get(e)!, m!);
    await deliveredCounted(c.id);
    await timeIsUp(c.id, test.decideAfterSeconds);
    const done = await waitForCampaign(api, c.id, (x) => x.status === 'completed');
    expect(done.decision).toMatchObject({ variant: 'x', reason: 'tie' });
  });

  it('a test share that waits for its local time is not judged before its mail went out', { timeout: 300_000 }, async () => {
    const api = suite.api;
    const a = await audience('localab', 20);
    const test = { share: 50, metric: 'clicks', decideAfterSeconds: 60 };
    // A wall-clock time a few seconds from now in UTC: hours away for these recipients (country US).
    const sendAt = new Date(Date.now() + 5_000).toISOString().slice(0, 19);
    const c = (await api.post('/v1/campaigns', { name: 'Local AB', template: a.template, variants: variants(a.run), test, localTime: true, sendAt, ratePerSecond: 500 })).body;
    expect((await api.post(`/v1/campaigns/${c.id}/launch`)).status).toBe(202);
    const waiting = await waitForCampaign(api, c.id, (x) => x.progress.audienceComplete && x.progress.scheduled > 0 && x.progress.scheduled + (x.progress.awaitingWinner ?? 0) === 20, 120_000);
    expect(waiting.progress.sent).toBe(0);
    // decideAfterSeconds have passed since the launch, but nobody of the test share has had the mail.
    await timeIsUp(c.id, test.decideAfterSeconds);
    await waitForIdle(engine);
    const after = (await api.get(`/v1/campaigns/${c.id}`)).body;
    expect(after.decision).toBeUndefined();
    expect(after.progress.awaitingWinner).toBe(waiting.progress.awaitingWinner);
    expect((await api.post(`/v1/campaigns/${c.id}/cancel`)).status).toBe(202);
  });

  it('a person picks the winner early; a second pick, or a pick without a test, is a 409', { timeout: 300_000 }, async () => {
    const api = suite.api;
    const a = await audience('manual', 40);
    const test = { share: 50, metric: 'clicks', decideAfterSeconds: 86_400 };
    const c = (await api.post('/v1/campaigns', { name: 'Manual', template: a.template, variants: variants(a.run), test, ratePerSecond: 500 })).body;
    expect((await api.post(`/v1/campaigns/${c.id}/winner`, { variant: 'b' })).status).toBe(409); // a draft
    expect((await api.post(`/v1/campaigns/${c.id}/launch`)).status).toBe(202);
    await waitForCampaign(api, c.id, (x) => x.progress.awaitingWinner !== undefined && x.progress.sent + x.progress.awaitingWinner === 40, 240_000);
    const unknown = await api.post(`/v1/campaigns/${c.id}/winner`, { variant: 'zz' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].path).toBe('variant');
    const picked = await api.post(`/v1/campaigns/${c.id}/winner`, { variant: 'b' });
    expect(picked.status).toBe(202);
    expect(picked.body.decision).toMatchObject({ variant: 'b', reason: 'manual' });
    expect((await api.post(`/v1/campaigns/${c.id}/winner`, { variant: 'a' })).status).toBe(409);
    const done = await waitForCampaign(api, c.id, (x) => x.status === 'completed');
    expect(done.progress.sent).toBe(40);
    await waitForIdle(engine);
    const mails = await mailsOf(a.run);
    const rest = a.emails.filter((e) => assignVariant(c.id, a.ids.get(e)!, { variants: variants(a.run), test: { share: 50, metric: 'clicks', decideAfterSeconds: 1 } }).group === 'rest');
    expect(rest.map((e) => mails.get(e)?.map(variantOf))).toEqual(rest.map(() => ['b']));

    const plain = (await api.post('/v1/campaigns', { name: 'Plain', template: a.template, variants: variants(a.run) })).body;
    expect((await api.post(`/v1/campaigns/${plain.id}/winner`, { variant: 'a' })).status).toBe(409);
  });

  it('a draft’s A/B test is taken back with null: then every recipient gets the template, once', { timeout: 300_000 }, async () => {
    const api = suite.api;
    const a = await audience('undo', 20);
    const test = { share: 50, metric: 'clicks', decideAfterSeconds: 60 };
    const c = (await api.post('/v1/campaigns', { name: 'Undo', template: a.template, variants: variants(a.run), holdout: 10, test, ratePerSecond: 500 })).body;
    expect(c).toMatchObject({ holdout: 10, test });
    // The variants cannot go while the holdout and the test that need them stay.
    const half = await api.patch(`/v1/campaigns/${c.id}`, { variants: null });
    expect(half.status).toBe(400);
    expect(half.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['holdout', 'test']);
    const undone = await api.patch(`/v1/campaigns/${c.id}`, { variants: null, holdout: null, test: null });
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    for (const field of ['variants', 'holdout', 'test']) expect(undone.body[field], field).toBeUndefined();
    expect((await api.post(`/v1/campaigns/${c.id}/launch`)).status).toBe(202);
    const done = await waitForCampaign(api, c.id, (x) => x.status === 'completed', 240_000);
    await waitForIdle(engine);
    const mails = await mailsOf(a.run);
    expect(a.emails.filter((e) => mails.get(e)?.length !== 1)).toEqual([]);
    expect(a.emails.map((e) => mails.get(e)![0]!.subject).filter((subject) => subject !== `AB undo ${a.run}`)).toEqual([]);
    expect(done.progress).toMatchObject({ sent: 20 });
    expect(done.progress.variants).toBeUndefined();
  });

  it('refuses a malformed test with a 400 naming the field', async () => {
    const api = suite.api;
    const { template, run } = await marketingTopic(api, 'abbad', 'AB bad');
    const other = await marketingTopic(api, 'abother', 'AB other');
    const bad = async (body: Record<string, unknown>) => {
      const r = await api.post('/v1/campaigns', { name: 'Bad', template, ...body });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      return r.body.error.details.map((d: { path: string }) => d.path);
    };
    expect(await bad({ variants: variants(run, ['a']) })).toContain('variants');
    expect(await bad({ variants: variants(run, ['a', 'b', 'c', 'd', 'e', 'f']) })).toContain('variants');
    expect(await bad({ variants: [{ id: 'a', subject: 'x', weight: 1 }, { id: 'a', subject: 'y', weight: 1 }] })).toContain('variants.1.id');
    expect(await bad({ variants: [{ id: 'a', subject: 'x', weight: 0 }, { id: 'b', subject: 'y', weight: 1 }] })).toContain('variants.0.weight');
    expect(await bad({ variants: variants(run), holdout: 100 })).toContain('holdout');
    expect(await bad({ variants: variants(run), holdout: 60, test: { share: 50, metric: 'clicks', decideAfterSeconds: 60 } })).toContain('test.share');
    expect(await bad({ variants: variants(run), test: { share: 50, metric: 'opens', decideAfterSeconds: 60 } })).toContain('test.metric');
    expect(await bad({ variants: [{ id: 'a', template: 'no-such-template', weight: 1 }, { id: 'b', subject: 'y', weight: 1 }] })).toContain('variants.0.template');
    expect(await bad({ variants: [{ id: 'a', template: other.template, weight: 1 }, { id: 'b', subject: 'y', weight: 1 }] })).toContain('variants.0.template');
    expect(await bad({ test: { share: 50, metric: 'clicks', decideAfterSeconds: 60 } })).toContain('test');
    // A variant's subject replaces the template's: one that would not render is refused as the template would be,
    // not accepted and then failed for every recipient of the variant.
    expect(await bad({ variants: [{ id: 'a', subject: 'Hi {{', weight: 1 }, { id: 'b', subject: 'y', weight: 1 }] })).toContain('variants.0.subject');
    expect(await bad({ variants: [{ id: 'a', subject: 'x', weight: 1 }, { id: 'b', subject: '{{#if}}', weight: 1 }] })).toContain('variants.1.subject');
  });
});

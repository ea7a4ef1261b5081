/**
 * The campaign commands end to end against the real engine: the CLI as a child process (`node cli/main.ts`) talks
 * HTTP to the test gateway in this process, and the local campaign engine (launcher and senders on the SQS stand-in)
 * runs in this process too. `campaigns create` → `launch` → `watch` until completed; the figures the watch prints
 * are the ones `GET /v1/campaigns/{id}` answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { adminClient } from '../../support/admin-client.ts';
import { mailsBySubject, optIn, seedCohorts, startTestEngine, waitForIdle } from '../../support/campaigns.ts';
import { runCli } from '../../support/cli.ts';
import { startTestGateway, TEST_ADMIN_KEY, type TestGateway } from '../../support/gateway.ts';
import { ownTables } from '../../support/own-tables.ts';

let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
let engine: CampaignEngine;
const run = (...args: string[]) => runCli([...args, '--api', gw.url], { SENDWELL_ADMIN_KEY: TEST_ADMIN_KEY });
const tag = `cc${Date.now().toString(36)}`;

// The campaign engine sweeps every campaign of its tables: this file's own (test/support/campaigns.ts).
const createOwnTables = ownTables('cli-campaigns');

beforeAll(async () => {
  await createOwnTables();
  gw = await startTestGateway();
  api = adminClient(gw);
  engine = await startTestEngine('cli');
});
afterAll(async () => {
  await engine?.stop();
  await gw?.stop();
});

describe('sendwell campaigns create → launch → watch, on the real engine', () => {
  it('sends to the opted-in subscribers and the watch ends with the figures the API has', { timeout: 180_000 }, async () => {
    const topic = `${tag}-news`;
    const subject = `CLI campaign ${tag}`;
    expect((await api.post('/v1/topics', { id: topic, name: 'CLI campaign news' })).status).toBe(201);
    const template = await api.post('/v1/templates', {
      id: `${tag}-tpl`,
      class: 'marketing',
      topic,
      subject: `${subject} for {{first_name}}`,
      html: '<p>Hi {{first_name}}</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>',
      text: 'Hi {{first_name}}\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}',
    });
    expect(template.status).toBe(201);
    const cohorts = await seedCohorts(api, [
      { label: 'in', count: 40, row: (_e, i) => ({ country: 'US', attributes: { first_name: `P${i}` }, consents: { [topic]: optIn() } }) },
      { label: 'unsub', count: 4, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) },
      { label: 'complained', count: 3, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) },
      { label: 'out', count: 10, row: () => ({ country: 'US', consents: { [topic]: { ...optIn(), status: 'opted_out' } } }) },
    ]);
    for (const email of cohorts.unsub!) {
      const id = (await api.get(`/v1/recipients?email=${encodeURIComponent(email)}`)).body.id;
      expect((await api.put(`/v1/recipients/${id}/preferences`, { unsubscribedAll: true, source: 'preference_page' })).status).toBe(200);
    }
    for (const email of cohorts.complained!) expect((await api.post('/v1/suppressions', { email, reason: 'complaint' })).status).toBe(201);

    const created = await run('campaigns', 'create', '--name', `CLI ${tag}`, '--template', `${tag}-tpl`, '--data', 'first_name=friend', '--rate', '500');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const id = /^Created campaign (cmp_\S+) \(draft\)\./.exec(created.stdout)?.[1];
    expect(id, created.stdout).toBeTruthy();
    expect((await api.get(`/v1/campaigns/${id}`)).body).toMatchObject({ status: 'draft', topic, template: `${tag}-tpl`, ratePerSecond: 500 });

    const launched = await run('campaigns', 'launch', id!);
    expect(launched).toMatchObject({ code: 0, stdout: `Campaign ${id} launched; status sending.\n`, stderr: '' });

    const watched = await run('campaigns', 'watch', id!, '--interval', '0.2');
    expect(watched.code, watched.stderr).toBe(0);
    // Off a terminal: a plain progress line on stderr whenever the figures change, the last one completed.
    const lines = watched.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^47\/47 {2}sent 40 · held 7 \(unsubscribed_all 4, complained 3\) · failed 0 · [\d.]+\/s · completed$/);
    const final = /^Campaign (cmp_\S+) completed: (\d+)\/(\d+) {2}sent (\d+) · held (\d+) \((.*)\) · failed (\d+) · [\d.]+\/s · completed\n$/.exec(watched.stdout);
    expect(final, watched.stdout).toBeTruthy();
    const [, watchedId, settled, targeted, sent, held, reasons, failed] = final!;

    const c = (await api.get(`/v1/campaigns/${id}`)).body;
    expect(c.status).toBe('completed');
    expect(watchedId).toBe(id);
    expect(Number(settled)).toBe(c.progress.sent + c.progress.heldTotal + c.progress.failed);
    expect(Number(targeted)).toBe(c.progress.targeted);
    expect(Number(sent)).toBe(c.progress.sent);
    expect(Number(held)).toBe(c.progress.heldTotal);
    expect(Number(failed)).toBe(c.progress.failed);
    expect(Object.fromEntries(reasons!.split(', ').map((r) => [r.split(' ')[0], Number(r.split(' ')[1])]))).toEqual(c.progress.held);
    expect(c.progress).toMatchObject({ targeted: 47, sent: 40, heldTotal: 7, failed: 0, held: { unsubscribed_all: 4, complained: 3 } });

    // And the mail went where the figures say: one to each opted-in subscriber, none to anyone else.
    await waitForIdle(engine);
    const mails = await mailsBySubject(subject);
    for (const email of cohorts.in!) expect(mails.get(email.toLowerCase())?.length ?? 0, email).toBe(1);
    for (const email of [...cohorts.unsub!, ...cohorts.complained!, ...cohorts.out!]) expect(mails.get(email.toLowerCase()), email).toBeUndefined();

    // `campaigns get` shows the same figures.
    const got = await run('campaigns', 'get', id!, '--json');
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout).progress).toMatchObject({ sent: 40, heldTotal: 7, failed: 0, targeted: 47 });
  });
});

/** The campaign commands against a loopback server: the requests they make and what they print (the engine is not here). */
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../../cli/main.ts';
import { campaignDoc, recordedIo, scriptedServer, type ScriptedServer } from '../../support/cli.ts';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function cli(answer: Parameters<typeof scriptedServer>[0], ...argv: string[]) {
  server = await scriptedServer(answer);
  const io = recordedIo({ SENDWELL_ADMIN_KEY: 'swl_unit_test_key_0123456789' });
  const code = await run([...argv, '--api', server.url], io);
  return { code, stdout: io.stdout(), stderr: io.stderr(), requests: server.requests.map((r) => ({ call: `${r.method} ${r.url}`, body: r.body })) };
}

describe('campaign commands', () => {
  it.each([
    ['launch', 'sending', 'Campaign cmp_1 launched; status sending.\n'],
    ['pause', 'paused', 'Campaign cmp_1 paused; status paused.\n'],
    ['resume', 'sending', 'Campaign cmp_1 resumed; status sending.\n'],
    ['cancel', 'cancelled', 'Campaign cmp_1 cancelled; status cancelled.\n'],
  ] as const)('%s posts to /v1/campaigns/{id}/%s', async (verb, status, stdout) => {
    const result = await cli(() => [202, campaignDoc(status)], 'campaigns', verb, 'cmp_1');
    expect(result).toMatchObject({ code: 0, stdout, stderr: '', requests: [{ call: `POST /v1/campaigns/cmp_1/${verb}`, body: '' }] });
  });

  it('create sends the body built from the options', async () => {
    const result = await cli(() => [201, campaignDoc('draft')], 'campaigns', 'create', '--name', 'November news', '--template', 'news-weekly', '--country', 'de', '--rate', '5');
    expect(result.code).toBe(0);
    expect(result.requests).toEqual([{ call: 'POST /v1/campaigns', body: JSON.stringify({ name: 'November news', template: 'news-weekly', audience: { countries: ['DE'] }, ratePerSecond: 5 }) }]);
    expect(result.stdout).toMatch(/^Created campaign cmp_1 \(draft\)\./);
  });

  it('create sends an A/B test from --variant, --variant-subject, --holdout and --test-share; winner posts the variant', async () => {
    const result = await cli(
      () => [201, campaignDoc('draft')],
      'campaigns', 'create', '--name', 'Subject test', '--template', 'news-weekly',
      '--variant', 'a:1', '--variant', 'b:2:news-bold', '--variant-subject', 'b=20 % off: this week only',
      '--holdout', '10', '--test-share', '30', '--test-metric', 'humanOpens', '--decide-after', '2h',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.requests[0]!.body)).toEqual({
      name: 'Subject test',
      template: 'news-weekly',
      variants: [{ id: 'a', weight: 1 }, { id: 'b', weight: 2, template: 'news-bold', subject: '20 % off: this week only' }],
      holdout: 10,
      test: { share: 30, metric: 'humanOpens', decideAfterSeconds: 7200 },
    });
    const bad = await cli(() => [201, campaignDoc('draft')], 'campaigns', 'create', '--name', 'x', '--template', 't', '--variant', 'a:1', '--variant-subject', 'z=hi');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--variant-subject z: no --variant z');
    const winner = await cli(() => [202, campaignDoc('sending', {}, { decision: { variant: 'b', reason: 'manual', at: '2026-12-01T08:00:00.000Z' } })], 'campaigns', 'winner', 'cmp_1', '--variant', 'b');
    expect(winner.requests).toEqual([{ call: 'POST /v1/campaigns/cmp_1/winner', body: '{"variant":"b"}' }]);
    expect(winner.stdout).toBe('Campaign cmp_1: variant b wins; the rest of the audience gets it.\n');
  });

  it('schedule and test send their bodies; test does not echo the addresses', async () => {
    const scheduled = await cli(() => [202, campaignDoc('scheduled', {}, { sendAt: '2026-12-01T08:00:00.000Z' })], 'campaigns', 'schedule', 'cmp_1', '--send-at', '2026-12-01T09:00:00+01:00');
    expect(scheduled.requests).toEqual([{ call: 'POST /v1/campaigns/cmp_1/schedule', body: '{"sendAt":"2026-12-01T08:00:00.000Z"}' }]);
    expect(scheduled.stdout).toBe('Campaign cmp_1 scheduled for 2026-12-01T08:00:00.000Z; status scheduled.\n');

    await server?.stop();
    const test = await cli(() => [202, {}], 'campaigns', 'test', 'cmp_1', '--to', 'anna@example.com,ben@example.com');
    expect(test.requests).toEqual([{ call: 'POST /v1/campaigns/cmp_1/test', body: '{"to":["anna@example.com","ben@example.com"]}' }]);
    expect(test.stdout).toBe('Test of cmp_1 sent to 2 addresses.\n');
  });

  it('get shows the campaign and its progress; --json the document as it came', async () => {
    const doc = campaignDoc('sending', { sent: 40, held: { opted_out: 3 }, heldTotal: 3, remaining: 57 }, { audience: { countries: ['DE', 'AT'], attributes: { plan: ['pro', 'team'] } }, launchedAt: '2026-11-22T10:05:00Z', launchedBy: 'ops' });
    const text = await cli(() => [200, doc], 'campaigns', 'get', 'cmp_1');
    expect(text.stdout).toBe(
      [
        'cmp_1  November news',
        '  status    sending',
        '  class     marketing · topic news · template news-weekly',
        '  audience  countries DE,AT · plan=pro,team',
        '  created   2026-11-22T10:00:00Z by local-admin',
        '  launched  2026-11-22T10:05:00Z by ops',
        '  progress  43/100  sent 40 · held 3 (opted_out 3) · failed 0 · sending',
        '  held      opted_out 3',
        '',
      ].join('\n'),
    );
    await server?.stop();
    const json = await cli(() => [200, doc], 'campaigns', 'get', 'cmp_1', '--json');
    expect(JSON.parse(json.stdout)).toEqual(doc);
  });

  it('list as a table', async () => {
    const result = await cli(() => [200, { campaigns: [campaignDoc('completed', { sent: 97 })] }], 'campaigns', 'list');
    expect(result.stdout).toBe('ID     STATUS     CLASS      SENT  TARGETED  CREATED           NAME\ncmp_1  completed  marketing  97    100       2026-11-22 10:00  November news\n');
  });

  it('what the API says when a route is not there yet', async () => {
    const result = await cli(() => [501, { error: { code: 'not_implemented', message: 'POST /v1/campaigns is not built yet', details: [] } }], 'campaigns', 'create', '--name', 'n', '--template', 't');
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'sendwell: POST /v1/campaigns is not built yet (HTTP 501, not_implemented)\n' });
  });
});

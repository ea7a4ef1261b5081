/**
 * `sendwell segments` end to end: the CLI as a child process against the test gateway creates a segment, previews it
 * (stored, and rules not saved) with the API's figures, lists and deletes it; a campaign created with `--segment` and
 * `--local-time` carries both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../support/admin-client.ts';
import { marketingTopic, optIn, seedCohorts } from '../../support/campaigns.ts';
import { runCli } from '../../support/cli.ts';
import { startTestGateway, TEST_ADMIN_KEY, type TestGateway } from '../../support/gateway.ts';

let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
const run = (...args: string[]) => runCli([...args, '--api', gw.url], { SENDWELL_ADMIN_KEY: TEST_ADMIN_KEY });
const tag = `cs${Date.now().toString(36)}`;

beforeAll(async () => {
  gw = await startTestGateway();
  api = adminClient(gw);
});
afterAll(async () => {
  await gw?.stop();
});

describe('sendwell segments', () => {
  it('creates, previews, lists and deletes a segment; campaigns take --segment and --local-time', { timeout: 120_000 }, async () => {
    const { topic, template } = await marketingTopic(api, tag, 'CLI segments');
    await seedCohorts(api, [
      { label: 'de', count: 5, row: () => ({ country: 'DE', consents: { [topic]: optIn() } }) },
      { label: 'fr', count: 3, row: () => ({ country: 'FR', consents: { [topic]: optIn() } }) },
    ]);
    const rules = JSON.stringify({ all: [{ field: 'country', op: 'eq', value: 'DE' }] });
    const created = await run('segments', 'create', '--id', `${tag}-de`, '--name', 'Germany', '--rules', rules);
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe(`Created segment ${tag}-de (Germany).\n`);

    const preview = await run('segments', 'preview', '--id', `${tag}-de`, '--topic', topic);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toBe('5 in the segment of 8 subscribers: 5 would get it now.\n');
    const asJson = await run('segments', 'preview', '--id', `${tag}-de`, '--topic', topic, '--json');
    expect(JSON.parse(asJson.stdout)).toEqual((await api.get(`/v1/segments/${tag}-de/preview?topic=${topic}`)).body);
    const unsaved = await run('segments', 'preview', '--topic', topic, '--rules', JSON.stringify({ any: [{ field: 'country', op: 'in', value: ['DE', 'FR'] }] }));
    expect(unsaved.stdout).toBe('8 in the segment of 8 subscribers: 8 would get it now.\n');

    const bad = await run('segments', 'create', '--id', `${tag}-bad`, '--name', 'Bad', '--rules', JSON.stringify({ all: [{ field: 'email', op: 'eq', value: 'x' }] }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('HTTP 400');
    expect((await run('segments', 'create', '--id', 'x', '--name', 'x')).stderr).toContain('--rules');

    expect((await run('segments', 'list')).stdout).toContain(`${tag}-de`);

    const cmp = await run('campaigns', 'create', '--name', `CLI ${tag}`, '--template', template, '--segment', `${tag}-de`, '--local-time', '2030-01-02T09:00');
    expect(cmp.stderr).toBe('');
    const id = /^Created campaign (cmp_\S+)/.exec(cmp.stdout)?.[1];
    expect((await api.get(`/v1/campaigns/${id}`)).body).toMatchObject({ audience: { segment: `${tag}-de` }, localTime: true, sendAt: '2030-01-02T09:00:00' });

    expect((await run('segments', 'delete', '--id', `${tag}-de`)).stdout).toBe(`Deleted segment ${tag}-de.\n`);
    expect((await api.get(`/v1/segments/${tag}-de`)).status).toBe(404);
  });
});

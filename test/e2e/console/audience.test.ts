/**
 * Segments, quiet hours and local time in the console, in headless Chromium against the real handlers and DynamoDB
 * Local: a marketer builds a segment watching its live count change with each condition and saves it; sets quiet
 * hours and a cap; composes a campaign with the segment (the composer's count follows it) and the local-time switch
 * (a timeline of when each zone gets it). Every screen is checked with axe-core and for console errors. On tables of
 * its own (the delivery settings are stage-wide).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../support/admin-client.ts';
import { marketingTopic, optIn, seedCohorts } from '../../support/campaigns.ts';
import { openConsole, screenshot, seriousViolations, type ConsolePage, type ConsoleRun } from './console-support.ts';
import { ownTables } from '../../support/own-tables.ts';

const createOwnTables = ownTables('audience-e2e');

let api: ReturnType<typeof adminClient>;
let con: ConsoleRun;
let c: ConsolePage;
let topic: string;
let template: string;
const run = Date.now().toString(36);

beforeAll(async () => {
  await createOwnTables();
  con = await openConsole({
    role: 'marketing',
    setup: async (admin) => {
      ({ topic, template } = await marketingTopic(admin, 'aud', 'Audience news'));
      await seedCohorts(admin, [
        { label: 'de-pro', count: 4, row: () => ({ country: 'DE', attributes: { plan: 'pro' }, consents: { [topic]: optIn() } }) },
        { label: 'de-free', count: 1, row: () => ({ country: 'DE', attributes: { plan: 'free' }, consents: { [topic]: optIn() } }) },
        { label: 'fr', count: 2, row: () => ({ country: 'FR', attributes: { plan: 'pro' }, consents: { [topic]: optIn() } }) },
      ]);
    },
  });
  [api, c] = [con.api, con.c!];
}, 90_000);
afterAll(() => con?.close());

const figure = (name: string) => c.page.locator(`[data-figure="${name}"]`).first();

describe('segments, quiet hours and local time in the console', () => {
  it('builds a segment with a live count and saves it', { timeout: 60_000 }, async () => {
    const { page } = c;
    await c.go('segments');
    await page.getByRole('heading', { level: 1, name: 'Segments' }).waitFor();
    await page.getByLabel('Id', { exact: true }).fill(`de-pros-${run}`);
    await page.getByLabel('Name', { exact: true }).fill('German pros');
    await page.getByLabel('Among the subscribers of').selectOption(topic);
    await page.locator('#v-0').fill('DE');
    await expect.poll(() => figure('selected').textContent(), { timeout: 15_000 }).toBe('5');
    expect(await figure('audience').textContent()).toBe('7');

    await page.getByRole('button', { name: 'Add condition' }).click();
    await page.locator('#f-1').selectOption('attributes.');
    await page.locator('#n-1').fill('plan');
    await page.locator('#v-1').fill('pro');
    await expect.poll(() => figure('selected').textContent(), { timeout: 15_000 }).toBe('4');
    expect(await figure('eligible').textContent()).toBe('4');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'segment-builder');

    await page.getByRole('button', { name: 'Create segment' }).click();
    await page.getByText('Segment German pros saved.').waitFor();
    await page.getByRole('cell', { name: 'German pros', exact: true }).waitFor();
    expect((await api.get(`/v1/segments/de-pros-${run}`)).body.rules).toEqual({
      all: [
        { field: 'country', op: 'eq', value: 'DE' },
        { field: 'attributes.plan', op: 'eq', value: 'pro' },
      ],
    });
  });

  it('sets quiet hours and a frequency cap', { timeout: 30_000 }, async () => {
    const { page } = c;
    await c.go('delivery');
    await page.getByRole('heading', { level: 1, name: 'Quiet hours and caps' }).waitFor();
    await page.locator('#quiet-on').check();
    await page.getByLabel('From').fill('22:00');
    await page.getByLabel('Until').fill('07:30');
    await page.locator('#cap-on').check();
    await page.getByLabel('Mails', { exact: true }).fill('2');
    await page.getByLabel('In any … days').fill('7');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/^Saved\./).waitFor();
    expect((await api.get('/v1/settings/delivery')).body).toMatchObject({ quietHours: { start: '22:00', end: '07:30' }, frequencyCap: { max: 2, days: 7 }, defaultTimeZone: 'UTC' });
    await screenshot(page, 'delivery-settings');
    // Off again: the composer's count below should not depend on the hour the test runs at.
    await page.locator('#quiet-on').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await api.get('/v1/settings/delivery')).body.quietHours).toBeUndefined();
  });

  it('composes a campaign with the segment and local time, with a timeline per zone', { timeout: 60_000 }, async () => {
    const { page } = c;
    await c.go('campaigns/new');
    await page.getByLabel('Name', { exact: true }).fill(`Local ${run}`);
    await page.getByLabel('Template', { exact: true }).selectOption(template);
    await expect.poll(() => figure('eligible').textContent(), { timeout: 15_000 }).toBe('7');
    await page.getByLabel('Segment', { exact: true }).selectOption(`de-pros-${run}`);
    await expect.poll(() => figure('eligible').textContent(), { timeout: 15_000 }).toBe('4');
    expect(await figure('excluded').textContent()).toBe('3');

    await page.locator('#cmp-local').check();
    await page.getByLabel('Their local time').fill('2030-01-02T09:00');
    const rows = page.locator('#local-timeline tbody tr');
    await rows.first().waitFor();
    expect(await rows.first().locator('th').textContent()).toBe('Kiritimati (UTC+14)');
    expect(await rows.first().locator('time').getAttribute('datetime')).toBe('2030-01-01T19:00:00.000Z');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'local-time-composer');

    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.getByRole('heading', { level: 1, name: `Local ${run}` }).waitFor();
    const id = page.url().split('/').at(-1)!;
    expect((await api.get(`/v1/campaigns/${id}`)).body).toMatchObject({ localTime: true, sendAt: '2030-01-02T09:00:00', audience: { segment: `de-pros-${run}` } });
    expect(c.errors).toEqual([]);
  });
});

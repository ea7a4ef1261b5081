/**
 * A marketer in the console, in headless Chromium, against the real handlers, DynamoDB Local, the local SES and the
 * local campaign engine: creates a topic; writes a template seeing its live preview and the marketing checks (and
 * the checks catching a missing postal address); imports 31 rows in four requests with a progress bar and a
 * per-row report; composes a campaign seeing who is eligible and who is held back and why; sends a test; launches
 * it and watches it finish. Every screen is checked with axe-core, every page load for console errors, and the
 * first load of /console/ for its size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../support/admin-client.ts';
import type { TestGateway } from '../../support/gateway.ts';
import { openConsole, screenshot, seriousViolations, type ConsolePage, type ConsoleRun } from './console-support.ts';

let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
let con: ConsoleRun;
let c: ConsolePage;
const run = Date.now().toString(36);
const topic = `news-${run}`;
const template = `weekly-${run}`;
const people = (label: string, n: number) => Array.from({ length: n }, (_, i) => `${label}.${i}.${run}@example.com`);
const optedIn = people('in', 24);
const optedOut = people('out', 3);
const neverAsked = people('never', 3);

beforeAll(async () => {
  con = await openConsole({ role: 'marketing', engine: 'console-marketing' });
  [gw, api, c] = [con.gw, con.api, con.c!];
}, 60_000);
afterAll(() => con?.close());

describe('a marketer in the console', () => {
  it('loads the console in well under 300 KB, and sees only the marketing screens', async () => {
    const first = ['/console/', '/console/app.js', '/console/app.css', '/console/config.json'].map((p) => c.bytes.get(`${gw.url}${p}`));
    expect(first.every((n) => typeof n === 'number' && n > 0), JSON.stringify(first)).toBe(true);
    const total = first.reduce((a, b) => a! + b!, 0)!;
    expect(total).toBeLessThan(300 * 1024);
    const nav = c.page.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Campaigns', 'Templates', 'Segments', 'Journeys', 'Topics', 'Import recipients', 'Figures', 'Quiet hours and caps']);
    expect(await c.page.getByText('(marketing)').isVisible()).toBe(true);
    // The boot line of index.html is gone once the app is up.
    expect(await c.page.getByText('Loading the Sendwell console').count()).toBe(0);
    expect(await seriousViolations(c.page)).toEqual([]);
  });

  it('creates a topic', async () => {
    await c.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Topics' }).click();
    // Focus moves to the new screen's heading.
    await expect.poll(() => c.page.evaluate(() => document.activeElement?.textContent)).toBe('Topics');
    await c.page.getByLabel('Id').fill(topic);
    await c.page.getByLabel('Name').fill(`Weekly news ${run}`);
    await c.page.getByLabel('Description').fill('What is new, once a week');
    await c.page.getByRole('button', { name: 'Create topic' }).click();
    await expect.poll(() => c.page.getByRole('status').textContent()).toBe(`Topic Weekly news ${run} (${topic}) created.`);
    await c.page.getByRole('cell', { name: `Weekly news ${run}` }).waitFor();
    expect((await api.get(`/v1/topics/${topic}`)).body).toMatchObject({ id: topic, name: `Weekly news ${run}` });
    expect(await seriousViolations(c.page)).toEqual([]);
  });

  it('writes a template with a live preview and the marketing checks, then saves it', async () => {
    const page = c.page;
    await c.go('templates/new');
    await page.getByLabel('Id').fill(template);
    await page.getByLabel('Topic', { exact: true }).selectOption(topic);
    await page.getByLabel('Sample data (JSON)').fill('{"name": "Ada"}');

    // The preview is the API's rendering for the sample: variables filled, Sendwell's links and address in.
    await expect.poll(() => page.getByTestId('preview-subject').textContent(), { timeout: 10_000 }).toBe('News for Ada');
    expect(await page.getByTestId('checks-ok').textContent()).toContain('All checks pass');
    const frame = page.frameLocator('iframe[title^="HTML part"]');
    await expect.poll(() => frame.locator('h1').textContent()).toBe('Hello Ada');
    expect(await frame.getByRole('link', { name: 'Unsubscribe' }).getAttribute('href')).toMatch(/\/u\//);
    expect(await page.getByTestId('preview-text').textContent()).toContain('Hello Ada');
    // The frame runs no script and has no access to the console.
    expect(await page.locator('iframe[title^="HTML part"]').getAttribute('sandbox')).toBe('');

    // Take the postal address out of the HTML: the check names it before anything is saved.
    const html = page.getByLabel('HTML part');
    const good = await html.inputValue();
    await html.fill(good.replace('{{postal_address}}', ''));
    await expect.poll(() => page.locator('.problems').textContent(), { timeout: 10_000 }).toMatch(/postal/i);
    await screenshot(page, 'template-editor-checks');
    // Saving it anyway: the API's 400 is shown as it said it, with the field it names; nothing is stored.
    await page.getByRole('button', { name: 'Save template' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The template was not saved' });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/postal/i);
    expect((await api.get(`/v1/templates/${template}`)).status).toBe(404);
    c.expectError(/status of 400/);
    await html.fill(good);
    await expect.poll(() => page.getByTestId('checks-ok').count(), { timeout: 10_000 }).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'template-editor');

    await page.getByRole('button', { name: 'Save template' }).click();
    await expect.poll(() => page.getByText(`Template ${template} saved.`).count()).toBe(1);
    expect(page.url()).toBe(`${gw.url}/console/templates/${template}`);
    expect((await api.get(`/v1/templates/${template}`)).body).toMatchObject({ id: template, class: 'marketing', topic, subject: 'News for {{name}}' });
  });

  it('imports recipients in chunks with a progress bar and a report per row', async () => {
    const page = c.page;
    await c.go('import');
    const at = '2026-10-01T09:00:00Z';
    const rows = [
      ...optedIn.map((email) => ({ email, country: 'US', attributes: { name: 'Reader' }, consents: { [topic]: { status: 'opted_in', at, confirmedAt: at, source: 'signup_form', wording: 'v1' } } })),
      ...optedOut.map((email) => ({ email, country: 'US', consents: { [topic]: { status: 'opted_out', at, source: 'signup_form' } } })),
      ...neverAsked.map((email) => ({ email, country: 'US' })),
    ].map((r) => JSON.stringify(r));
    rows.splice(10, 0, '{"email": "not an address", "country": "US"}');
    await page.getByLabel('…or paste the rows').fill(rows.join('\n'));
    await page.getByLabel('Rows per request').fill('10');
    await page.getByRole('button', { name: 'Import' }).click();

    await expect.poll(() => page.locator('#import-status').textContent(), { timeout: 30_000 }).toBe('Done: 31 rows in 4 requests.');
    expect(await page.locator('#import-progress').evaluate((p: HTMLProgressElement) => [p.max, p.value])).toEqual([31, 31]);
    const figure = (name: string) => page.locator(`#import-report [data-figure="${name}"]`).textContent();
    expect([await figure('rows'), await figure('created'), await figure('rejected')]).toEqual(['31', '30', '1']);
    // The rejected row is named by its line in what was pasted, not in its request.
    expect(await page.locator('#import-rejected tbody th').allTextContents()).toEqual(['11']);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'import-report');
    expect((await api.get(`/v1/recipients?email=${encodeURIComponent(optedIn[0]!)}`)).body.consents[topic].status).toBe('opted_in');
  });

  it('composes a campaign seeing who is eligible and who is held back, tests it, launches it and watches it finish', async () => {
    // Two subscribers are suppressed for marketing: they are in the audience, and will be held.
    for (const email of optedIn.slice(0, 2)) expect((await api.post('/v1/suppressions', { email, reason: 'manual', scope: 'marketing', note: 'asked support' })).status).toBe(201);

    const page = c.page;
    await c.go('campaigns');
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByRole('heading', { level: 1, name: 'New campaign' }).waitFor();
    await page.getByLabel('Name').fill(`November news ${run}`);
    await page.getByLabel('Template', { exact: true }).selectOption(template);
    const fig = (name: string) => page.locator(`#audience-preview [data-figure="${name}"]`).textContent();
    await expect.poll(async () => [await fig('eligible'), await fig('held')], { timeout: 15_000 }).toEqual(['22', '2']);
    expect(await page.locator('#preview-held tr[data-reason="suppressed"] td').textContent()).toBe('2');

    // The filter moves the figures before anything exists: nobody here is in France.
    await page.getByLabel('Countries').fill('FR');
    await expect.poll(async () => [await fig('eligible'), await fig('excluded')], { timeout: 15_000 }).toEqual(['0', '24']);
    await page.getByLabel('Countries').fill('US');
    await expect.poll(() => fig('eligible'), { timeout: 15_000 }).toBe('22');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'campaign-composer');

    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.waitForURL(/\/console\/campaigns\/cmp_/);
    const id = page.url().split('/').pop()!;
    await page.getByRole('heading', { name: 'Before it goes out' }).waitFor();
    await expect.poll(() => fig('eligible'), { timeout: 15_000 }).toBe('22');

    await page.getByLabel('Addresses (up to 10, comma-separated)').fill(`tester.${run}@example.com`);
    await page.getByRole('button', { name: 'Send test' }).click();
    await expect.poll(() => page.locator('#test-results').textContent()).toBe(`tester.${run}@example.com: sent`);

    await page.getByRole('button', { name: 'Launch now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Launch this campaign now?' });
    expect(await dialog.textContent()).toContain('22 people eligible now');
    await dialog.getByRole('button', { name: 'Launch' }).click();

    // Live progress until it is done, announced in words.
    await expect.poll(() => page.locator('#campaign-live').textContent(), { timeout: 90_000, interval: 500 }).toBe('Finished: 22 sent, 2 held, 0 failed.');
    expect(await page.locator('.page-head .badge').textContent()).toBe('completed');
    expect(await page.locator('#campaign-progress').evaluate((p: HTMLProgressElement) => p.value === p.max && p.max === 24)).toBe(true);
    expect(await page.locator('#campaign-held tr[data-reason="suppressed"] td').textContent()).toBe('2');
    expect(await page.locator('#campaign-live').getAttribute('aria-live')).toBe('polite');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'campaign-detail');

    const stored = (await api.get(`/v1/campaigns/${id}`)).body;
    expect(stored).toMatchObject({ status: 'completed', progress: { targeted: 24, sent: 22, held: { suppressed: 2 }, failed: 0 } });
    expect(stored.history.map((h: { action: string }) => h.action)).toContain('launch');

    await c.go('campaigns');
    expect(await page.getByRole('row', { name: new RegExp(`November news ${run}`) }).textContent()).toContain('22 / 24');
    await c.go('figures');
    await page.locator('#figures-status').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'figures');
  }, 120_000);

  it('logged no console errors and no page errors', () => {
    expect(c.errors).toEqual([]);
  });
});

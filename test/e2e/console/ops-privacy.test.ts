/**
 * Ops and privacy in the console, in headless Chromium, against the real handlers and the local campaign engine:
 * an ops user pauses and resumes a sending campaign (and cannot cancel or launch it), pauses and resumes all
 * marketing with a reason, and lifts a suppression with a reason; a privacy officer finds a person, reads their
 * consent and its ledger, downloads the export and erases them after a confirmation; a marketing user sees none of
 * the privacy screens, and the API refuses the marketing key a privacy call with a 403.
 *
 * Pausing marketing is stage-wide, so this file runs on tables of its own (like marketing-pause.test.ts): the other
 * files of the run keep sending marketing on the shared ones.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { adminClient } from '../../support/admin-client.ts';
import { launchBrowser } from '../../support/browser.ts';
import { optIn, seedCohorts, startTestEngine, waitForCampaign } from '../../support/campaigns.ts';
import type { TestGateway } from '../../support/gateway.ts';
import { keyOf, screenshot, seriousViolations, signIn, startConsoleGateway, type ConsolePage } from './console-support.ts';
import { ownTables } from '../../support/own-tables.ts';

// Before any handler reads its configuration: this file's own tables.
const createOwnTables = ownTables('console');

let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
let engine: CampaignEngine;
let browser: Browser;
const pages: ConsolePage[] = [];
const run = Date.now().toString(36);
const topic = `offers-${run}`;
const template = `offer-${run}`;
let person: { id: string; email: string };

beforeAll(async () => {
  await createOwnTables();
  gw = await startConsoleGateway();
  api = adminClient(gw);
  engine = await startTestEngine('console-ops');
  browser = await launchBrowser();
  expect((await api.post('/v1/topics', { id: topic, name: `Offers ${run}`, description: 'Deals' })).status).toBe(201);
  const footer = '<p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>';
  expect((await api.post('/v1/templates', { id: template, class: 'marketing', topic, subject: `Offer ${run}`, html: `<p>Deal</p>${footer}`, text: 'Deal {{unsubscribe_url}} {{postal_address}}' })).status).toBe(201);
  const seeded = await seedCohorts(api, [{ label: `ops${run}`, count: 12, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) }]);
  const email = seeded[`ops${run}`]![0]!;
  person = { id: (await api.get(`/v1/recipients?email=${encodeURIComponent(email)}`)).body.id, email };
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await engine?.stop();
  await gw?.stop();
});

const open = async (role: 'ops' | 'privacy' | 'marketing') => {
  const c = await signIn(browser, gw, role);
  pages.push(c);
  return c;
};

describe('ops in the console', () => {
  it('pauses and resumes a sending campaign, and may neither launch nor cancel it', async () => {
    // One mail a second: the campaign is still sending while ops looks at it.
    const created = await api.post('/v1/campaigns', { name: `Slow offer ${run}`, template, ratePerSecond: 1 });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await api.post(`/v1/campaigns/${id}/launch`)).status).toBe(202);

    const c = await open('ops');
    expect(await c.page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual(['Campaigns', 'Figures', 'Deliverability', 'Quiet hours and caps', 'Suppressions']);
    await c.go('campaigns');
    expect(await c.page.getByRole('link', { name: 'New campaign' }).count()).toBe(0);
    await c.page.getByRole('link', { name: `Slow offer ${run}` }).click();
    await expect.poll(() => c.page.locator('.page-head .badge').textContent(), { timeout: 15_000 }).toBe('sending');
    expect(await c.page.getByRole('button', { name: 'Cancel campaign' }).count()).toBe(0);
    expect(await c.page.getByRole('button', { name: 'Launch now' }).count()).toBe(0);

    await c.page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => c.page.locator('.page-head .badge').textContent()).toBe('paused');
    expect(await c.page.locator('#campaign-note').textContent()).toBe('Campaign paused.');
    expect((await api.get(`/v1/campaigns/${id}`)).body).toMatchObject({ status: 'paused', pauseReason: 'manual' });
    expect(await seriousViolations(c.page)).toEqual([]);
    await screenshot(c.page, 'campaign-paused');

    await c.page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => c.page.locator('.page-head .badge').textContent()).toMatch(/^(sending|completed)$/);
    expect(await c.page.locator('#campaign-note').textContent()).toBe('Campaign resumed.');
    const history = (await api.get(`/v1/campaigns/${id}`)).body.history.map((h: { action: string }) => h.action);
    expect(history).toEqual(expect.arrayContaining(['launch', 'pause', 'resume']));
    // Let it end before the file's tables go quiet.
    await waitForCampaign(api, id, (x) => x.status === 'completed', 60_000);

    // The campaign's own figures, from its page.
    await c.page.reload();
    await c.page.getByRole('link', { name: 'Figures of this campaign' }).click();
    await expect.poll(() => c.page.locator('#figures-status').textContent(), { timeout: 15_000 }).toMatch(/^Figures from /);
    await expect.poll(() => c.page.locator('#fig-campaign').inputValue()).toBe(id);
    // The day's figures are added just after a batch settles: read them again until they are in.
    await expect
      .poll(async () => {
        await c.page.getByRole('button', { name: 'Show' }).click();
        await c.page.locator('#totals').waitFor();
        return c.page.locator('#totals tr[data-figure="sent"] td').first().textContent();
      }, { timeout: 15_000 })
      .toBe('12');
    expect(await seriousViolations(c.page)).toEqual([]);
  }, 90_000);

  it('pauses and resumes all marketing, each with a reason', async () => {
    const c = pages[0]!;
    await c.go('deliverability');
    const state = c.page.locator('#marketing-state');
    await expect.poll(() => state.getAttribute('data-state')).toBe('running');
    await c.page.getByLabel('Reason to pause').fill('Bounce spike from the October list');
    await c.page.getByRole('button', { name: 'Pause marketing' }).click();
    await expect.poll(() => state.getAttribute('data-state')).toBe('paused');
    expect(await state.textContent()).toContain('Bounce spike from the October list');
    expect((await api.get('/v1/marketing')).body).toMatchObject({ paused: true, pause: { reason: 'Bounce spike from the October list' } });
    expect(await seriousViolations(c.page)).toEqual([]);
    await screenshot(c.page, 'deliverability-paused');

    await c.page.getByLabel('Reason to resume').fill('October list removed');
    await c.page.getByRole('button', { name: 'Resume marketing' }).click();
    await expect.poll(() => state.getAttribute('data-state')).toBe('running');
    const after = (await api.get('/v1/marketing')).body;
    expect(after.paused).toBe(false);
    expect(after.history.map((h: { action: string; reason: string }) => `${h.action}: ${h.reason}`)).toEqual(['resume: October list removed', 'pause: Bounce spike from the October list']);
  });

  it('finds a suppression by address and lifts it with a reason', async () => {
    const email = `blocked.${run}@example.com`;
    expect((await api.post('/v1/suppressions', { email, reason: 'manual', scope: 'marketing', note: 'typo in signup' })).status).toBe(201);
    const c = pages[0]!;
    await c.go('suppressions');
    await c.page.getByLabel('Address').fill(email);
    await c.page.getByRole('button', { name: 'Search' }).click();
    const item = c.page.locator('#sup-list li[data-reason="manual"]');
    await item.waitFor();
    expect(await item.textContent()).toContain('Blocks marketing only');
    expect(await seriousViolations(c.page)).toEqual([]);
    await screenshot(c.page, 'suppressions');
    await c.page.getByLabel('Why lift it').fill('Confirmed by the person on the phone');
    await c.page.getByRole('button', { name: 'Lift suppression' }).click();
    await expect.poll(() => c.page.locator('#sup-status').textContent()).toBe('Lifted the manual suppression.');
    expect((await api.get(`/v1/suppressions?email=${encodeURIComponent(email)}`)).body.suppressions).toEqual([]);
  });
});

describe('privacy in the console', () => {
  it('finds a person, reads consent and its proof, exports and erases them', async () => {
    const c = await open('privacy');
    expect(await c.page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual(['Suppressions', 'People']);
    await c.page.getByRole('link', { name: 'People' }).first().click();
    await c.page.getByLabel('Find a person by address').fill(person.email);
    await c.page.getByRole('button', { name: 'Find' }).click();
    await c.page.waitForURL(`**/console/people/${person.id}`);
    await c.page.getByRole('heading', { level: 1, name: person.email }).waitFor();
    expect(await c.page.locator(`#consents tr[data-topic="${topic}"]`).textContent()).toContain('opted in');
    await c.page.locator('#ledger tbody tr').first().waitFor();
    expect(await c.page.locator('#ledger').textContent()).toContain(`topic:${topic}`);
    expect(await seriousViolations(c.page)).toEqual([]);
    await screenshot(c.page, 'person');

    const [download] = await Promise.all([c.page.waitForEvent('download'), c.page.getByRole('button', { name: 'Export data (JSON)' }).click()]);
    expect(download.suggestedFilename()).toBe(`sendwell-export-${person.id}.json`);
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8'));
    expect(exported).toMatchObject({ format: 'sendwell.export.v1', recipient: { id: person.id, email: person.email } });
    expect(exported.ledger.length).toBeGreaterThan(0);

    await c.page.getByRole('button', { name: 'Erase this person' }).click();
    const dialog = c.page.getByRole('dialog', { name: 'Erase this person?' });
    await dialog.waitFor();
    expect(await seriousViolations(c.page)).toEqual([]);
    await screenshot(c.page, 'erase-dialog');
    // Cancel first: nothing happens.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await api.get(`/v1/recipients/${person.id}`)).status).toBe(200);
    await c.page.getByRole('button', { name: 'Erase this person' }).click();
    await dialog.getByRole('button', { name: 'Erase permanently' }).click();
    await c.page.getByRole('heading', { level: 1, name: 'Person erased' }).waitFor();
    expect(await c.page.locator('#person-status').textContent()).toContain('Only a hashed tombstone');
    expect((await api.get(`/v1/recipients/${person.id}`)).status).toBe(404);
    expect((await api.get(`/v1/recipients?email=${encodeURIComponent(person.email)}`)).status).toBe(404);
  }, 60_000);
});

describe('a marketing user and the privacy screens', () => {
  it('sees no privacy screen or action, and the API answers the marketing key 403 for one', async () => {
    const other = (await api.post('/v1/recipients', { email: `kept.${run}@example.com`, country: 'US', welcome: false })).body;
    const c = await open('marketing');
    const nav = await c.page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents();
    expect(nav).not.toContain('People');
    expect(nav).not.toContain('Suppressions');
    await c.go(`people/${other.id}`);
    await c.page.getByRole('heading', { level: 1, name: 'Not allowed' }).waitFor();
    expect(await c.page.getByRole('button', { name: /Export|Erase/ }).count()).toBe(0);
    expect(await c.page.getByRole('alert').textContent()).toContain('do not include this screen');

    for (const [method, path] of [
      ['GET', `/v1/recipients/${other.id}/export`],
      ['DELETE', `/v1/recipients/${other.id}`],
    ] as const) {
      const r = await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${keyOf('marketing')}` } });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect((await r.json()).error.code).toBe('forbidden');
    }
    expect((await api.get(`/v1/recipients/${other.id}`)).status).toBe(200);
  });
});

describe('signing in and out', () => {
  it('says so in words when a key is refused, and signs out to the sign-in screen', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${gw.url}/console/campaigns`);
    await page.getByRole('heading', { level: 1, name: 'Sign in to the Sendwell console' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('swl_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toBe('Your session ended or the key was refused. Sign in again.');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    // Keyboard only: the heading has the focus (moved there once the sign-in screen has rendered again, a moment after
    // the notice: polled, as a fresh clone's busy run showed), the key field is the next stop, Enter signs in.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Sign in to the Sendwell console');
    expect(await page.getByLabel('API key').inputValue()).toBe('');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('api-key');
    await page.keyboard.type(keyOf('ops'));
    await page.keyboard.press('Enter');
    // Signed in where the link pointed.
    await page.getByRole('heading', { level: 1, name: 'Campaigns' }).waitFor();
    expect(await page.getByText('Signed in as').textContent()).toContain('(ops)');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in to the Sendwell console' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('every page', () => {
  it('logged no console errors and no page errors', () => {
    expect(pages.flatMap((p) => p.errors)).toEqual([]);
  });
});

/**
 * The journey editor in headless Chromium against the real handlers and DynamoDB Local: a marketer builds a journey
 * (a send, a wait, a send), activates it, and watches the figures of each step change live as an event enrols a
 * recipient; the welcome journey button fills in the sign-up welcome mail as step one. Checked with axe-core and for
 * console errors. On tables of its own (an active journey enrols every new recipient of its trigger).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../support/admin-client.ts';
import { mailTo, uniqueAddress } from '../../support/mailbox.ts';
import { ownTables } from '../../support/own-tables.ts';
import { openConsole, screenshot, seriousViolations, type ConsolePage, type ConsoleRun } from './console-support.ts';

const createOwnTables = ownTables('journeys-e2e');

let api: ReturnType<typeof adminClient>;
let con: ConsoleRun;
let c: ConsolePage;
const run = Date.now().toString(36);
const hello = `hello-${run}`;
const later = `later-${run}`;

beforeAll(async () => {
  await createOwnTables();
  con = await openConsole({
    role: 'marketing',
    setup: async (admin) => {
      for (const [id, subject] of [
        [hello, `Hello ${run}`],
        [later, `Later ${run}`],
      ]) {
        expect((await admin.post('/v1/templates', { id, class: 'service', subject, html: '<p>Hi</p><a href="{{preferences_url}}">Preferences</a>', text: 'Hi {{preferences_url}}' })).status).toBe(201);
      }
    },
  });
  [api, c] = [con.api, con.c!];
}, 90_000);
afterAll(() => con?.close());

const figure = (name: string) => c.page.locator(`[data-figure="${name}"]`).first();

describe('the journey editor', () => {
  it('builds a journey of steps, activates it and shows each step’s figures live', { timeout: 90_000 }, async () => {
    const { page } = c;
    await c.go('journeys');
    await page.getByRole('heading', { level: 1, name: 'Journeys' }).waitFor();
    await page.getByLabel('Id', { exact: true }).fill(`onboard-${run}`);
    await page.getByLabel('Name', { exact: true }).fill('Onboarding');
    await page.getByLabel('Event name', { exact: true }).fill(`joined-${run}`);
    await page.getByLabel('Step 1 id').fill('hello');
    await page.getByLabel('Step 1 template').selectOption(hello);
    await page.getByRole('button', { name: 'Add a wait' }).click();
    await page.getByLabel('Step 2 id').fill('pause');
    await page.getByLabel('Step 2 seconds').fill('3600');
    await page.getByRole('button', { name: 'Add a send' }).click();
    await page.getByLabel('Step 3 id').fill('later');
    await page.getByLabel('Step 3 template').selectOption(later);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Create journey' }).click();
    await page.getByText('Journey Onboarding saved.').waitFor();
    expect((await api.get(`/v1/journeys/onboard-${run}`)).body).toMatchObject({
      status: 'draft',
      trigger: { event: `joined-${run}` },
      steps: [{ id: 'hello', send: { template: hello } }, { id: 'pause', wait: { seconds: 3600 } }, { id: 'later', send: { template: later } }],
    });
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByText('Journey Onboarding is active.').waitFor();

    const email = uniqueAddress('journey-e2e');
    const r = await api.post('/v1/recipients', { email, country: 'US', welcome: false });
    expect((await api.post('/v1/events', { recipientId: r.body.id, name: `joined-${run}` })).body.enrolled).toEqual([`onboard-${run}`]);
    await expect.poll(() => figure('hello-sent').textContent(), { timeout: 15_000 }).toBe('1');
    await expect.poll(() => figure('pause-waiting').textContent(), { timeout: 15_000 }).toBe('1');
    expect(await figure('enrolled').textContent()).toBe('1');
    expect((await mailTo(email)).map((m) => m.subject)).toEqual([`Hello ${run}`]);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'journey-editor');

    // Active: its steps are locked until it is paused.
    expect(await page.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByText('Journey Onboarding is paused.').waitFor();
    expect(await page.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(false);
  });

  it('the welcome journey button fills in the sign-up welcome mail as step one', { timeout: 60_000 }, async () => {
    const { page } = c;
    await page.getByRole('button', { name: 'Welcome journey' }).click();
    expect(await page.getByLabel('Id', { exact: true }).inputValue()).toBe('welcome');
    expect(await page.getByLabel('Starts when').inputValue()).toBe('recipientCreated');
    expect(await page.getByLabel('Step 1 template').inputValue()).toBe('sendwell-welcome');
    await page.getByRole('button', { name: 'Create journey' }).click();
    await page.getByText('Journey Welcome saved.').waitFor();
    await page.getByRole('cell', { name: 'Welcome', exact: true }).waitFor();
    expect((await api.get('/v1/journeys/welcome')).body).toMatchObject({ trigger: { recipientCreated: true }, steps: [{ id: 'welcome-mail', send: { template: 'sendwell-welcome' } }] });
    expect(c.errors).toEqual([]);
  });
});

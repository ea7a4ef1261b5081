/**
 * Lifting suppressions in the console (headless Chromium, the real handlers), by the API's rule: a reason is
 * optional for every suppression but a complaint, and an empty one is not sent; a complaint is lifted only with a
 * reason that says something (blank is refused in the form, as the API would refuse it), and that reason reaches
 * the person's consent ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { openConsole, seriousViolations, type ConsoleRun } from './console-support.ts';

let run: ConsoleRun;
const stamp = Date.now().toString(36);
const email = `lift.${stamp}@example.com`;
let recipientId: string;
/** The body of every `DELETE /v1/suppressions` the page sent, in order. */
const lifts: unknown[] = [];

beforeAll(async () => {
  run = await openConsole({
    role: 'ops',
    setup: async (api) => {
      recipientId = (await api.post('/v1/recipients', { email, country: 'US', welcome: false })).body.id;
      for (const reason of ['hard_bounce', 'manual', 'complaint']) expect((await api.post('/v1/suppressions', { email, reason, scope: 'marketing' })).status).toBe(201);
    },
  });
  run.c!.page.on('request', (r) => {
    if (r.method() === 'DELETE' && new URL(r.url()).pathname === '/v1/suppressions') lifts.push(r.postDataJSON());
  });
}, 120_000);
afterAll(() => run?.close());

const reasonsLeft = async () => ((await run.api.get(`/v1/suppressions?email=${encodeURIComponent(email)}`)).body.suppressions as { reason: string }[]).map((s) => s.reason).sort();

describe('lifting suppressions in the console', () => {
  const card = (reason: string): Locator => run.c!.page.locator(`#sup-list li[data-reason="${reason}"]`);
  const status = () => run.c!.page.locator('#sup-status').textContent();

  it('lifts a hard bounce without a reason, sending no note, and a manual one with the reason typed', async () => {
    const { page } = run.c!;
    await run.c!.go('suppressions');
    await page.getByLabel('Address').fill(email);
    await page.getByRole('button', { name: 'Search' }).click();
    await card('complaint').waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await card('hard_bounce').getByRole('button', { name: 'Lift suppression' }).click();
    await expect.poll(status).toBe('Lifted the hard bounce suppression.');
    expect(lifts).toEqual([{ email, reason: 'hard_bounce' }]);
    expect(await reasonsLeft()).toEqual(['complaint', 'manual']);
    // The labels say when a reason is needed.
    expect(await card('manual').locator('label').textContent()).toBe('Why lift it (optional)');
    expect(await card('complaint').locator('label').textContent()).toBe('Why lift it (required for a complaint)');

    await card('manual').getByLabel(/^Why lift it/).fill('Signed up again at the fair');
    await card('manual').getByRole('button', { name: 'Lift suppression' }).click();
    await expect.poll(status).toBe('Lifted the manual suppression.');
    expect(lifts.at(-1)).toEqual({ email, reason: 'manual', note: 'Signed up again at the fair' });
    expect(await reasonsLeft()).toEqual(['complaint']);
  });

  it('refuses to lift a complaint without a reason (blank included), and lifts it with one, into the ledger', async () => {
    const { page } = run.c!;
    const note = card('complaint').getByLabel(/^Why lift it/);
    const lift = card('complaint').getByRole('button', { name: 'Lift suppression' });
    const sent = lifts.length;

    await lift.click();
    expect(await note.evaluate((i: HTMLInputElement) => i.validity.valueMissing)).toBe(true);
    await note.fill('   ');
    await lift.click();
    expect(await note.evaluate((i: HTMLInputElement) => i.validity.valid)).toBe(false);
    // The form stopped both: nothing was sent, the complaint stands.
    expect(lifts.length).toBe(sent);
    expect(await reasonsLeft()).toEqual(['complaint']);

    await note.fill('Asked support to be re-added, ticket 42');
    await lift.click();
    await expect.poll(status).toBe('Lifted the complaint suppression.');
    expect(lifts.at(-1)).toEqual({ email, reason: 'complaint', note: 'Asked support to be re-added, ticket 42' });
    expect(await reasonsLeft()).toEqual([]);
    expect(await page.locator('#sup-list').count()).toBe(0);
    const ledger = (await run.api.get(`/v1/recipients/${recipientId}/ledger`)).body.entries as { subject: string; to: string | null; note?: string }[];
    expect(ledger.filter((e) => e.subject === 'suppression:complaint')).toMatchObject([{ to: 'lifted', note: 'Asked support to be re-added, ticket 42' }]);
  });

  it('logged no console errors and no page errors', () => {
    expect(run.c!.errors).toEqual([]);
  });
});

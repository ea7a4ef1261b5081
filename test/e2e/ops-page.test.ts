/**
 * The ops page in headless Chromium on the local gateway: mail sent to the SES mailbox simulator addresses (its
 * events emulated as on the local stack, through the real handler) moves the figures the page shows — sent,
 * delivered, bounces, complaints, the rates against SES's thresholds, unsubscribes by source, the recent list with
 * masked addresses — with no console error (a content-security-policy violation would be one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { sentListeners } from '../../lambdas/adapters/ses-mailer.ts';
import { handler as sesEventsHandler } from '../../lambdas/handlers/ses-events.ts';
import { startSesEventEmulator } from '../../local/ses-simulator.ts';
import { asFunction } from '../../local/table-access-guard.ts';
import { adminClient } from '../support/admin-client.ts';
import { launchBrowser } from '../support/browser.ts';
import { TEST_ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { marketingScenario, type Scenario } from '../support/scenario.ts';

let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
let s: Scenario;
let browser: Browser;
let stopEmulator: () => void;
const consoleErrors: string[] = [];
const shots = process.env.SENDWELL_SCREENSHOTS;

beforeAll(async () => {
  gw = await startTestGateway();
  api = adminClient(gw);
  s = await marketingScenario(api, 'opspage');
  // As the SES events function, not as the function whose send set it off (the grants guard tells them apart).
  stopEmulator = startSesEventEmulator(sentListeners, asFunction('sesEvents', sesEventsHandler), { delayMs: 50 });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  stopEmulator?.();
  await browser?.close();
  await gw?.stop();
});

const cell = (page: Page, figure: string, column = 2) => page.locator(`#totals tr[data-figure="${figure}"] td:nth-child(${column})`).textContent();

async function show(page: Page) {
  await Promise.all([page.waitForResponse((r) => r.url().includes('/v1/metrics')), page.getByRole('button', { name: 'Show' }).click()]);
  await expect.poll(() => page.locator('#status').textContent()).toMatch(/^Figures for /);
}

describe('the ops page in Chromium', () => {
  it('serves the shell without the key, and the figures only with it', async () => {
    expect((await gw.call('/ops')).status).toBe(200);
    expect((await gw.call('/v1/metrics')).status).toBe(401);
  });

  it('shows the figures moving as mail to the simulator addresses is sent, bounced and complained about', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${gw.url}/ops`);
    expect(await page.title()).toBe('Sendwell ops');
    expect(await page.locator('#status').textContent()).toContain('Enter the admin key');

    // Keyboard first: the key field is the first control, and every field has its label.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe('admin-key');
    await page.keyboard.type(TEST_ADMIN_KEY);
    await page.getByLabel('Topic').fill(s.topic);
    await page.getByLabel('Admin key').press('Enter');
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/^Figures for .*\(topic /);
    expect(await cell(page, 'sent')).toBe('0');
    expect(await page.locator('[data-rate="bounce"] .value').textContent()).toBe('n/a');
    expect(await page.locator('#marketing-state').getAttribute('data-state')).toBe('running');

    const stamp = Date.now().toString(36);
    for (const kind of ['success', 'bounce', 'complaint']) {
      const r = (await api.post('/v1/recipients', { email: `${kind}+${stamp}@simulator.amazonses.com`, country: 'US', welcome: false })).body;
      expect((await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_in' })).status).toBe(200);
      expect((await s.sendMarketing({ recipientId: r.id })).status).toBe('sent');
    }

    // The emulated SES events arrive a moment later; the page reads them on the next refresh.
    await expect
      .poll(async () => {
        await show(page);
        // The complaint's unsubscribe is counted just after the complaint itself: wait for both.
        const unsubscribed = page.locator('#unsubscribes tr[data-source="complaint"] td');
        const byComplaint = (await unsubscribed.count()) > 0 ? await unsubscribed.textContent() : null;
        return [await cell(page, 'sent'), await cell(page, 'delivered'), await cell(page, 'bouncedHard'), await cell(page, 'complained'), byComplaint];
      }, { timeout: 20_000 })
      .toEqual(['3', '2', '1', '1', '1']);
    expect(await cell(page, 'sent', 4)).toBe('3'); // all marketing

    // One bounce and one complaint in three mails: far over SES's thresholds, stated in words, not only in colour.
    const bounce = page.locator('[data-rate="bounce"]');
    expect(await bounce.getAttribute('data-level')).toBe('over');
    expect(await bounce.locator('.value').textContent()).toBe('33.33 %');
    expect(await bounce.locator('.judge').textContent()).toContain('Over SES review threshold (5 %)');
    expect(await page.locator('[data-rate="complaint"]').getAttribute('data-level')).toBe('over');
    // Below the minimum volume nothing pauses, and there is nothing to resume.
    expect(await page.locator('#marketing-state').getAttribute('data-state')).toBe('running');
    expect(await page.getByRole('button', { name: 'Resume marketing' }).isVisible()).toBe(false);

    // Recent bounces and complaints, masked: never the address.
    // (The list is written just after the counters: refresh until both entries are there.)
    const recent = page.locator('#recent tbody');
    await expect
      .poll(async () => {
        await show(page);
        const text = (await recent.textContent()) ?? '';
        return ['b***@s***.com', 'c***@s***.com'].filter((a) => text.includes(a));
      }, { timeout: 10_000 })
      .toEqual(['b***@s***.com', 'c***@s***.com']);
    expect(await page.content()).not.toContain(`bounce+${stamp}@`);

    // Both charts drew, one series per figure.
    expect(await page.locator('#chart-delivery canvas').count()).toBe(1);
    expect(await page.locator('#chart-engagement canvas').count()).toBe(1);
    expect(await page.locator('#chart-delivery').getAttribute('aria-label')).toContain('Sent 3');

    if (shots) await page.screenshot({ path: `${shots}/ops-page.png`, fullPage: true });
    // The screenshot check: the page renders to a real image of its full height.
    const png = await page.screenshot({ fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(20)).toBeGreaterThan(900);

    // A wrong key is refused in words.
    await page.getByLabel('Admin key').fill('wrong-key');
    await page.getByRole('button', { name: 'Load figures' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toContain('The admin key was refused');
    consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !/401/.test(e)));
  }, 90_000);

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});

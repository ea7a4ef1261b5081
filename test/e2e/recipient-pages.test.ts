/**
 * A recipient in a real browser: open a mail the local SES captured, follow its unsubscribe link, click, and be
 * unsubscribed; use every control of the preference page; arrive with Global Privacy Control on.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { freePort } from '../../local/ports.ts';
import { adminClient } from '../support/admin-client.ts';
import { launchBrowser } from '../support/browser.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { hrefs } from '../support/mailbox.ts';
import { marketingScenario, type Scenario } from '../support/scenario.ts';

let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
let s: Scenario;
let browser: Browser;
const consoleErrors: string[] = [];
/** Set SENDWELL_SCREENSHOTS=docs/screenshots to refresh the README's screenshots; normal runs write nothing. */
const shots = process.env.SENDWELL_SCREENSHOTS;
const screenshot = async (page: Page, name: string) => {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
};

beforeAll(async () => {
  // Links in mail must lead to this test's gateway: fix its port before any handler reads the settings.
  const port = await freePort();
  process.env[ENV.publicBaseUrl] = `http://127.0.0.1:${port}`;
  gw = await startTestGateway(port);
  api = adminClient(gw);
  s = await marketingScenario(api, 'browser');
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

/** Resolves once the form POST's answer page has loaded. */
async function posted(page: Page) {
  await page.waitForResponse((r) => r.request().method() === 'POST');
  await page.waitForLoadState('load');
}

async function openPage(url: string, headers: Record<string, string> = {}): Promise<Page> {
  const context = await browser.newContext({ extraHTTPHeaders: headers });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto(url);
  return page;
}

describe('recipient pages in Chromium', () => {
  it('follows the unsubscribe link of a real sent mail, clicks, and is unsubscribed', async () => {
    const r = await s.recipient('browser-unsub');
    expect((await s.sendMarketing({ recipientId: r.id })).status).toBe('sent');
    const mail = await s.lastMarketingMail(r.email);

    // Render the captured HTML part as a mail client would, and click its footer link.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.setContent(mail.body.html ?? '');
    await Promise.all([page.waitForURL(/\/u\//), page.getByRole('link', { name: 'Unsubscribe' }).click()]);
    await expect.poll(() => page.title()).toBe('Unsubscribe · Sendwell Local');
    await expect(page.getByRole('heading', { name: 'Unsubscribe' }).isVisible()).resolves.toBe(true);
    expect(await page.textContent('main')).toContain(s.topicName);
    // Showing the page changed nothing.
    expect((await api.get(`/v1/recipients/${r.id}`)).body.consents[s.topic].status).toBe('opted_in');

    await screenshot(page, 'unsubscribe-page');
    await Promise.all([posted(page), page.getByRole('button', { name: `Unsubscribe from ${s.topicName}` }).click()]);
    expect(await page.textContent('h1')).toBe('You are unsubscribed');
    await context.close();

    expect((await api.get(`/v1/recipients/${r.id}`)).body.consents[s.topic]).toMatchObject({ status: 'opted_out', source: 'link' });
    expect(await s.sendMarketing({ recipientId: r.id })).toMatchObject({ status: 'held', reason: 'opted_out' });
    expect((await s.sendService({ recipientId: r.id })).status).toBe('sent');
  });

  it('round-trips every control of the preference page, by label', async () => {
    const r = await s.recipient('browser-prefs');
    await s.sendMarketing({ recipientId: r.id });
    const mail = await s.lastMarketingMail(r.email);
    const prefsUrl = hrefs(mail.body.html ?? '').find((l) => l.includes('/p/'))!;
    const page = await openPage(prefsUrl);

    const topic = page.getByLabel(s.topicName);
    const all = page.getByLabel('Unsubscribe from all marketing');
    const tracking = page.getByLabel('Let us see when I open mail and which links I click');
    const dns = page.getByLabel('Do not sell or share my personal information');
    expect([await topic.isChecked(), await all.isChecked(), await tracking.isChecked(), await dns.isChecked()]).toEqual([true, false, true, false]);
    await screenshot(page, 'preference-page');

    await topic.uncheck();
    await all.check();
    await tracking.uncheck();
    await dns.check();
    await Promise.all([posted(page), page.getByRole('button', { name: 'Save preferences' }).click()]);
    expect(await page.getByRole('status').textContent()).toMatch(/^Saved:/);
    expect([await topic.isChecked(), await all.isChecked(), await tracking.isChecked(), await dns.isChecked()]).toEqual([false, true, false, true]);
    await screenshot(page, 'preference-page-saved');
    expect((await api.get(`/v1/recipients/${r.id}`)).body).toMatchObject({
      consents: { [s.topic]: { status: 'opted_out', source: 'preference_page' } },
      unsubscribedAll: true,
      tracking: false,
      doNotSell: true,
    });

    // And back: every control again, from the keyboard this time (Tab to it, Space to toggle).
    for (const control of [topic, all, tracking, dns]) {
      await control.focus();
      await page.keyboard.press('Space');
    }
    await page.getByRole('button', { name: 'Save preferences' }).focus();
    await Promise.all([posted(page), page.keyboard.press('Enter')]);
    expect(await page.getByRole('status').textContent()).toMatch(/^Saved:/);
    expect([await topic.isChecked(), await all.isChecked(), await tracking.isChecked(), await dns.isChecked()]).toEqual([true, false, true, false]);
    expect((await api.get(`/v1/recipients/${r.id}`)).body).toMatchObject({
      consents: { [s.topic]: { status: 'opted_in' } },
      unsubscribedAll: false,
      tracking: true,
      doNotSell: false,
    });
    await page.context().close();
  });

  it('honors Global Privacy Control sent by the browser', async () => {
    const r = await s.recipient('browser-gpc');
    await s.sendMarketing({ recipientId: r.id });
    const mail = await s.lastMarketingMail(r.email);
    const prefsUrl = hrefs(mail.body.html ?? '').find((l) => l.includes('/p/'))!;
    const page = await openPage(prefsUrl, { 'Sec-GPC': '1' });
    expect(await page.getByRole('status').textContent()).toContain('Global Privacy Control signal was honored');
    const dns = page.getByLabel('Do not sell or share my personal information');
    expect(await dns.isChecked()).toBe(true);
    expect(await dns.isDisabled()).toBe(true);
    expect((await api.get(`/v1/recipients/${r.id}`)).body).toMatchObject({ doNotSell: true, doNotSellChoice: true });
    await page.context().close();
  });

  it('refuses a form another website posts to the preference page, and changes nothing', async () => {
    const r = await s.recipient('browser-csrf');
    await s.sendMarketing({ recipientId: r.id });
    const prefsUrl = hrefs((await s.lastMarketingMail(r.email)).body.html ?? '').find((l) => l.includes('/p/'))!;
    // Another site (localhost is not 127.0.0.1's site) with a form that would opt the person out of everything.
    const evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<form method="post" action="${prefsUrl}"><input name="form" value="preferences"><input name="topic:${s.topic}" value="off"><input name="do_not_sell" value="off"><input name="unsubscribed_all" value="on"><button>Win a prize</button></form>`);
    });
    await new Promise<void>((done) => evil.listen(0, '127.0.0.1', done));
    try {
      // Not openPage: the browser logs the refused POST's 403 as a console error, which is the point here.
      const page = await (await browser.newContext()).newPage();
      await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      await Promise.all([posted(page), page.getByRole('button', { name: 'Win a prize' }).click()]);
      expect(await page.textContent('h1')).toBe('Nothing was changed');
      await screenshot(page, 'preference-page-cross-site');
      await page.context().close();
    } finally {
      evil.close();
    }
    expect((await api.get(`/v1/recipients/${r.id}`)).body).toMatchObject({ consents: { [s.topic]: { status: 'opted_in' } }, unsubscribedAll: false });
  });

  it('after erasure, the mail’s links still lead somewhere: the shop, or a page that says the data was erased', async () => {
    const r = await s.recipient('browser-erased');
    await s.sendMarketing({ recipientId: r.id });
    const mail = await s.lastMarketingMail(r.email);
    expect((await api.del(`/v1/recipients/${r.id}`)).status).toBe(200);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.setContent(mail.body.html ?? '');
    await Promise.all([page.waitForURL(/\/u\//), page.getByRole('link', { name: 'Unsubscribe' }).click()]);
    expect(await page.textContent('main')).toContain('Your data was erased');
    await screenshot(page, 'unsubscribe-page-erased');
    // The tracked link still redirects to the shop (nothing recorded): its Location is all a browser needs.
    const click = hrefs(mail.body.html ?? '').find((l) => l.includes('/c/'))!;
    const res = await fetch(click, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.example/deal?x=1');
    await context.close();
  });

  it('logged no console errors on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});

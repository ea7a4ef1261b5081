/**
 * What the console's browser tests share: the local gateway with every real handler and the console served under
 * `/console/` (built by the same `consoleSite` `npm start` uses), a signed-in page per role, the page-health checks
 * every load gets (no console errors, no page errors), axe-core, and the first-load byte count.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { FUNCTIONS, ROUTES } from '../../../lambdas/wiring/routes.ts';
import { consoleSite } from '../../../local/console.ts';
import { loadHandlers, startGateway, type StaticSite } from '../../../local/gateway.ts';
import { TEST_ADMIN_KEY, TEST_ROLE_KEYS, repoRoot, withAdminCall, type TestGateway } from '../../support/gateway.ts';
import { adminClient } from '../../support/admin-client.ts';
import { launchBrowser } from '../../support/browser.ts';
import { startTestEngine } from '../../support/campaigns.ts';
import { hasOwnTables, ownTables } from '../../support/own-tables.ts';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';

export type ConsoleRole = 'admin' | keyof typeof TEST_ROLE_KEYS;
export const keyOf = (role: ConsoleRole) => (role === 'admin' ? TEST_ADMIN_KEY : TEST_ROLE_KEYS[role]);

/** Set SENDWELL_SCREENSHOTS=docs/screenshots to refresh the console's screenshots; normal runs write nothing. */
const shots = process.env.SENDWELL_SCREENSHOTS;
export async function screenshot(page: Page, name: string) {
  if (shots) await page.screenshot({ path: `${shots}/console-${name}.png`, fullPage: true });
}

/** `config`: what `/console/config.json` answers (default: sign in with a key). */
export async function startConsoleGateway(port = 0, config?: unknown, extraSites: readonly StaticSite[] = []): Promise<TestGateway> {
  const handlers = await loadHandlers(FUNCTIONS, repoRoot);
  const site = consoleSite({ outDir: mkdtempSync(join(tmpdir(), 'sendwell-console-')), ...(config ? { config } : {}) });
  return withAdminCall(
    await startGateway({ routes: ROUTES, functions: FUNCTIONS, handlers, adminKey: TEST_ADMIN_KEY, roleKeys: TEST_ROLE_KEYS, port, staticSites: [site, ...extraSites] }),
  );
}

export interface ConsolePage {
  readonly page: Page;
  /** Console errors and uncaught page errors seen so far (a CSP violation is one). */
  readonly errors: string[];
  /** Bytes of every response the page received, by URL, since it was opened. */
  readonly bytes: Map<string, number>;
  /** Go to a console route (`campaigns/new`) and wait for its heading. */
  go(route: string): Promise<void>;
  /**
   * Takes one error the test caused on purpose out of `errors` (Chromium logs every 4xx answer as a console
   * error); fails if there is none.
   */
  expectError(pattern: RegExp): void;
}

/** Opens the console, signs in with the role's key from the sign-in screen, and waits for the start screen. */
export async function signIn(browser: Browser, gw: TestGateway, role: ConsoleRole): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  const bytes = new Map<string, number>();
  page.on('console', (m) => m.type() === 'error' && errors.push(`${page.url()}: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  page.on('response', async (r) => {
    const body = await r.body().catch(() => undefined);
    if (body) bytes.set(r.url(), body.length);
  });
  await page.goto(`${gw.url}/console/`);
  await page.getByRole('heading', { level: 1, name: 'Sign in to the Sendwell console' }).waitFor();
  expect(await page.title()).toBe('Sign in · Sendwell console');
  await page.getByLabel('API key').fill(keyOf(role));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Welcome' }).waitFor();
  return {
    page,
    errors,
    bytes,
    expectError: (pattern: RegExp) => {
      const i = errors.findIndex((e) => pattern.test(e));
      expect(i, `an error matching ${pattern} in ${JSON.stringify(errors)}`).toBeGreaterThanOrEqual(0);
      errors.splice(i, 1);
    },
    go: async (route: string) => {
      await page.goto(`${gw.url}/console/${route}`);
      await page.locator('h1').first().waitFor();
    },
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page as it is and returns the serious and critical violations (WCAG 2.1 A/AA rules). The
 * script goes in through the DevTools protocol (`evaluate`), which the page's CSP does not govern, so the page
 * keeps the policy it is served with.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe;
    return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

/** The servers a console browser test runs against, opened once per file. */
export interface ConsoleRun {
  readonly gw: TestGateway;
  readonly api: ReturnType<typeof adminClient>;
  readonly engine?: CampaignEngine;
  readonly browser: Browser;
  /** Signed in with `role`, when one was given. */
  readonly c?: ConsolePage;
  close(): Promise<void>;
}

/**
 * The console gateway, an admin client, the campaign engine when `engine` names one, data the file needs first
 * (`setup`, before the browser opens), Chromium, and a page signed in as `role`. `close` stops them in reverse order.
 */
export async function openConsole(options: {
  readonly role?: ConsoleRole;
  readonly engine?: string;
  readonly sites?: readonly StaticSite[];
  readonly setup?: (api: ReturnType<typeof adminClient>) => Promise<void>;
}): Promise<ConsoleRun> {
  // The campaign engine sweeps every campaign of its tables: a file that runs it has its own (test/support/campaigns.ts).
  if (options.engine && !hasOwnTables()) await ownTables(options.engine)();
  const gw = await startConsoleGateway(0, undefined, options.sites);
  const api = adminClient(gw);
  const engine = options.engine ? await startTestEngine(options.engine) : undefined;
  await options.setup?.(api);
  const browser = await launchBrowser();
  const c = options.role ? await signIn(browser, gw, options.role) : undefined;
  return {
    gw,
    api,
    ...(engine ? { engine } : {}),
    browser,
    ...(c ? { c } : {}),
    async close() {
      await browser.close();
      await engine?.stop();
      await gw.stop();
    },
  };
}

/**
 * A marketer imports a Latin-1 CSV file in the console (headless Chromium): the file goes to an import job as its
 * raw bytes, so the server's encoding detection sees them (read as UTF-8 text in the browser, `Müller` would arrive
 * as `M�ller`); the job's progress bar runs to the end and the report shows the rejected row by its line. A progress
 * read that fails (a 503, as a gateway under load answers) neither ends the screen's progress nor hides the job: a
 * notice says it is retrying, and the job's id stays on the screen. A job that fails is said as failed, with the
 * server's reason, above the report of what it imported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { importJobs } from '../../../lambdas/adapters/import-jobs-container.ts';
import { startImportEngine, type ImportEngine } from '../../../local/import-engine.ts';
import { localUploads } from '../../../local/uploads.ts';
import { adminClient } from '../../support/admin-client.ts';
import { launchBrowser } from '../../support/browser.ts';
import type { TestGateway } from '../../support/gateway.ts';
import { seriousViolations, signIn, startConsoleGateway, type ConsolePage } from './console-support.ts';

let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
let engine: ImportEngine;
let browser: Browser;
let c: ConsolePage;
const run = Date.now().toString(36);
const dir = mkdtempSync(join(tmpdir(), 'sendwell-console-uploads-'));

beforeAll(async () => {
  const servers = inject('sendwell');
  const uploads = localUploads(dir, async (event) => engine.queue.send([event]));
  gw = await startConsoleGateway(0, undefined, [uploads.site]);
  api = adminClient(gw);
  engine = await startImportEngine({ dynamodbEndpoint: servers.dynamodbEndpoint, table: `${servers.tablePrefix}-local-queues`, queuePrefix: `console-imports-${run}`, visibilitySeconds: 3 });
  uploads.activate(gw.url);
  browser = await launchBrowser();
  c = await signIn(browser, gw, 'marketing');
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await engine?.stop();
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('importing a file in the console', () => {
  it('sends a Latin-1 CSV as its bytes to an import job, with the job progress bar and its report', { timeout: 300_000 }, async () => {
    const page = c.page;
    await c.go('import');
    const rows = Array.from({ length: 40 }, (_, i) => (i === 6 ? 'not-an-address;DE;Jürgen' : `latin.${i}.${run}@example.com;DE;Müller`));
    const csv = Buffer.from(`email;country;name\n${rows.join('\n')}\n`, 'latin1');
    expect(csv.includes(Buffer.from('Müller', 'utf8'))).toBe(false);
    await page.getByLabel('File (CSV or JSON lines)').setInputFiles({ name: 'kunden.csv', mimeType: 'text/csv', buffer: csv });
    await page.locator('#import-file-note').waitFor();
    await page.getByRole('button', { name: 'Import' }).click();

    await expect.poll(() => page.locator('#import-status').textContent(), { timeout: 240_000 }).toMatch(/^Done: 40 rows in an import job/);
    expect(await page.locator('#import-progress').evaluate((p: HTMLProgressElement) => [p.max, p.value])).toEqual([40, 40]);
    const figure = (name: string) => page.locator(`#import-report [data-figure="${name}"]`).textContent();
    expect([await figure('rows'), await figure('created'), await figure('rejected')]).toEqual(['40', '39', '1']);
    expect(await page.locator('#import-rejected tbody th').allTextContents()).toEqual(['8']);
    expect(await seriousViolations(page)).toEqual([]);
    const r = (await api.get(`/v1/recipients?email=latin.0.${run}@example.com`)).body;
    expect(r.attributes).toEqual({ name: 'Müller' });
  });

  it('keeps following the job when progress reads fail, retrying with a notice, and shows the job id', { timeout: 300_000 }, async () => {
    const page = c.page;
    await c.go('import');
    // The job's first two progress reads answer 503 (what API Gateway says when the function behind it is throttled).
    let refused = 0;
    await page.route(/\/v1\/imports\/[^/?]+$/, async (route) => {
      if (route.request().method() !== 'GET' || refused >= 2) return route.fallback();
      refused += 1;
      await route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ message: 'Service Unavailable' }) });
    });
    const rows = Array.from({ length: 30 }, (_, i) => `retry.${i}.${run}@example.com,DE`);
    await page.getByLabel('File (CSV or JSON lines)').setInputFiles({ name: 'retry.csv', mimeType: 'text/csv', buffer: Buffer.from(`email,country\n${rows.join('\n')}\n`) });
    await page.locator('#import-file-note').waitFor();
    const accepted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/v1/imports');
    await page.getByRole('button', { name: 'Import' }).click();
    const id = (await (await accepted).json()).id as string;
    expect(id).toMatch(/^imp_/);

    // Each failed read is said, with a wait that doubles; the job's id is on the screen meanwhile.
    const notice = page.locator('#import-retry');
    await expect.poll(() => notice.textContent(), { timeout: 15_000 }).toBe('Could not refresh the progress; retrying in 2 s. The import job goes on on the server.');
    expect(await page.locator('#import-job code').textContent()).toBe(id);
    await expect.poll(() => notice.textContent(), { timeout: 15_000 }).toBe('Could not refresh the progress; retrying in 4 s. The import job goes on on the server.');
    expect(await page.getByRole('alert').count()).toBe(0);

    // The next read goes through: the notice goes, the progress runs to the end, the id stays.
    await expect.poll(() => page.locator('#import-status').textContent(), { timeout: 240_000 }).toMatch(/^Done: 30 rows in an import job/);
    expect(refused).toBe(2);
    expect(await notice.textContent()).toBe('');
    expect(await page.locator('#import-progress').evaluate((p: HTMLProgressElement) => [p.max, p.value])).toEqual([30, 30]);
    expect(await page.locator('#import-job code').textContent()).toBe(id);
    expect(await page.locator('#import-report [data-figure="created"]').textContent()).toBe('30');
    expect((await api.get(`/v1/imports/${id}`)).body).toMatchObject({ id, status: 'completed', rows: { total: 30, done: 30 } });
    expect(await seriousViolations(page)).toEqual([]);
    // Chromium logs each refused read as a console error; nothing else went wrong.
    c.expectError(/status of 503/);
    c.expectError(/status of 503/);
    expect(c.errors).toEqual([]);
  });

  it('says a job that failed is failed, with its reason, and stops following it', { timeout: 300_000 }, async () => {
    const page = c.page;
    await c.go('import');
    // Every step of the job fails as a throttled DynamoDB would; on its last receive the worker fails the job.
    const store = importJobs().store as unknown as { recordStep: (...a: unknown[]) => Promise<boolean> };
    const real = store.recordStep.bind(store);
    store.recordStep = async () => {
      const e = new Error('throttled');
      e.name = 'ProvisionedThroughputExceededException';
      throw e;
    };
    try {
      const rows = Array.from({ length: 5 }, (_, i) => `fails.${i}.${run}@example.com,DE`);
      await page.getByLabel('File (CSV or JSON lines)').setInputFiles({ name: 'fails.csv', mimeType: 'text/csv', buffer: Buffer.from(`email,country\n${rows.join('\n')}\n`) });
      await page.locator('#import-file-note').waitFor();
      await page.getByRole('button', { name: 'Import' }).click();

      await expect.poll(() => page.locator('#import-status').textContent(), { timeout: 240_000 }).toBe('Failed: the import job stopped after 0 of 5 rows.');
      const alert = page.getByRole('alert');
      expect(await alert.textContent()).toMatch(/^The import job failed: Stopped: lines 2–6 could not be fully imported \(10 attempts; ProvisionedThroughputExceededException\)\./);
      expect(await page.locator('#import-report [data-figure="rows"]').textContent()).toBe('0');
      expect(await page.getByRole('button', { name: 'Import' }).isEnabled()).toBe(true);
      expect(await seriousViolations(page)).toEqual([]);
      expect(c.errors).toEqual([]);
    } finally {
      store.recordStep = real;
    }
  });
});

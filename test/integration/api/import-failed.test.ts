/**
 * An import job whose queue message keeps failing ends `failed`, never `running` forever: on the message's last
 * receive (IMPORT_MAX_RECEIVES, the local queue counting receives as SQS does) the real worker marks the job failed
 * with a reason naming the lines not imported — no address, no stack — and keeps the counts and the report of what
 * was imported. The message still goes to the dead-letter queue; a chunk of a failed job is never imported after. An
 * uploaded file that cannot be read fails its job the same way. The CLI following a job stops at `failed` and exits 1
 * with the reason.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { run as runSendwell } from '../../../cli/main.ts';
import { documentClient } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { importJobs } from '../../../lambdas/adapters/import-jobs-container.ts';
import { IMPORT_MAX_RECEIVES } from '../../../lambdas/wiring/event-functions.ts';
import type { ImportEngine } from '../../../local/import-engine.ts';
import { recordedIo } from '../../support/cli.ts';
import { TEST_ADMIN_KEY, type TestGateway } from '../../support/gateway.ts';
import { fullReport, waitForJob } from '../../support/imports.ts';
import { useUploadStack, type UploadStack } from '../../support/upload-stack.ts';

const run = Date.now().toString(36);
let gw: TestGateway;
let api: UploadStack['api'];
let engine: ImportEngine;
// A visibility timeout of 1 s: a failed message comes back within about a second, its ten receives in seconds.
const dir = useUploadStack('import-failed', 1, (s) => ({ gw, api, engine } = s));

type Store = { recordStep: (...a: any[]) => Promise<boolean> };
const store = () => importJobs().store as unknown as Store;
const realRecordStep = store().recordStep.bind(store());
afterEach(() => {
  store().recordStep = realRecordStep;
});

/** Every step of chunk `n` (or of each of `n`; of any job) fails as DynamoDB throttling would, with an address in its message. */
function failChunk(n: number | readonly number[]): { attempts: () => number } {
  let attempts = 0;
  const failing = new Set(typeof n === 'number' ? [n] : n);
  store().recordStep = async (id: string, chunk: number, ...rest: any[]) => {
    if (!failing.has(chunk)) return realRecordStep(id, chunk, ...rest);
    attempts++;
    const e = new Error(`Throughput exceeded writing IMPORT#${id} for someone-${run}@example.com`);
    e.name = 'ProvisionedThroughputExceededException';
    throw e;
  };
  return { attempts: () => attempts };
}

describe('an import job that cannot finish', () => {
  it('fails on a chunk\'s last receive, with a reason naming its lines; what was imported stays, counted and reported', { timeout: 120_000 }, async () => {
    const fault = failChunk(1);
    // Chunks of 250, 250 and 100 rows; line 5 is not JSON (rejected, in chunk 0's report).
    const lines = Array.from({ length: 600 }, (_, i) => (i === 4 ? '{"email": ' : JSON.stringify({ email: `fail-${run}-${i}@example.com` })));
    const res = await api.post('/v1/imports', lines.join('\n'), { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(202);
    const id = res.body.id as string;

    const job = await waitForJob(api, id, 100_000);
    expect(job).toMatchObject({
      status: 'failed',
      rows: { total: 600, done: 350 },
      created: 349,
      rejected: 1,
      chunks: { total: 3, done: 2 },
      failure: { reason: expect.stringMatching(/^Stopped: lines 251–500 could not be fully imported \(10 attempts; ProvisionedThroughputExceededException\)/), at: expect.any(String) },
    });
    expect(job.failure.reason).toContain('Rows already imported stay imported');
    // What the caller reads is ours: not the error's message (an address), nor its stack.
    expect(job.failure.reason).not.toMatch(/@|\n| at /);
    expect(job.etaSeconds).toBeUndefined();
    expect(fault.attempts()).toBe(IMPORT_MAX_RECEIVES);

    // The report of what was imported is kept; the rows of chunks 0 and 2 stay imported.
    expect(await fullReport(api, id)).toEqual([{ line: 5, kind: 'rejected', reason: 'not valid JSON' }]);
    expect((await api.get(`/v1/imports/${id}/report`)).body.status).toBe('failed');
    for (const i of [0, 249, 500, 599]) expect((await api.get(`/v1/recipients?email=fail-${run}-${i}@example.com`)).status, `row ${i}`).toBe(200);
    // The failed chunk's rows (addresses) are not kept for the job's 30 days.
    const chunk = (await documentClient().send(new GetCommand({ TableName: config().tables.campaigns, Key: { pk: `IMPORT#${id}`, sk: 'CHUNK#000001' } }))).Item!;
    expect(chunk).not.toHaveProperty('rows');

    // The message still goes to the dead-letter queue on its next receive, as SQS's redrive moves it.
    await expect.poll(async () => (await engine.queue.depth()).deadLettered, { timeout: 20_000 }).toBe(1);
    expect(JSON.parse((await engine.queue.deadLetters())[0]!.body)).toEqual({ jobId: id, chunk: 1 });

    // Final: the chunk redriven (the fault gone) imports nothing, and the job stays failed with its counts.
    store().recordStep = realRecordStep;
    await engine.queue.send([JSON.stringify({ jobId: id, chunk: 1 })]);
    await expect.poll(() => engine.idle(), { timeout: 20_000 }).toBe(true);
    expect((await api.get(`/v1/imports/${id}`)).body).toMatchObject({ status: 'failed', rows: { done: 350 }, chunks: { done: 2 }, failure: job.failure });
    await engine.queue.clearDeadLetters();
  });

  it('keeps no rows of any failing chunk: the one that fails the job, and another, dropped once it finds the job failed', { timeout: 120_000 }, async () => {
    failChunk([0, 1]);
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify({ email: `twofail-${run}-${i}@example.com` }));
    const res = await api.post('/v1/imports', lines.join('\n'), { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    expect(await waitForJob(api, id, 100_000)).toMatchObject({ status: 'failed', rows: { done: 0 }, chunks: { total: 2, done: 0 } });
    await expect.poll(() => engine.idle(), { timeout: 30_000 }).toBe(true);
    for (const sk of ['CHUNK#000000', 'CHUNK#000001']) {
      const chunk = (await documentClient().send(new GetCommand({ TableName: config().tables.campaigns, Key: { pk: `IMPORT#${id}`, sk } }))).Item!;
      expect(chunk, sk).not.toHaveProperty('rows');
    }
    await engine.queue.clearDeadLetters();
  });

  it('fails when an uploaded file cannot be read on its last receive, and deletes the file', { timeout: 120_000 }, async () => {
    const uploads = importJobs().uploads!;
    const realRead = uploads.read.bind(uploads);
    let reads = 0;
    uploads.read = async () => {
      reads++;
      throw new Error('disk unreadable');
    };
    try {
      const accepted = (await api.post('/v1/imports', { upload: { format: 'csv' } })).body;
      const put = await fetch(accepted.upload.url, { method: 'PUT', headers: accepted.upload.headers, body: `email\nupl-${run}@example.com\n` });
      expect(put.status).toBe(200);
      const job = await waitForJob(api, accepted.id, 100_000);
      expect(job).toMatchObject({
        status: 'failed',
        rows: { total: 0, done: 0 },
        failure: { reason: expect.stringMatching(/^Stopped: the uploaded file could not be read \(10 attempts; an internal error, logged\)/) },
      });
      expect(reads).toBe(IMPORT_MAX_RECEIVES);
      expect(existsSync(join(dir, `imports/${accepted.id}`))).toBe(false);
      await expect.poll(async () => (await engine.queue.depth()).deadLettered, { timeout: 20_000 }).toBe(1);
    } finally {
      uploads.read = realRead;
      await engine.queue.clearDeadLetters();
    }
  });

  it('the CLI following a job stops when it fails: what it imported, then the reason, exit 1', { timeout: 120_000 }, async () => {
    failChunk(0);
    const file = join(dir, 'people.csv');
    writeFileSync(file, `email,plan\ncli-${run}-1@example.com,pro\ncli-${run}-2@example.com,pro\n`);
    const io = recordedIo({ SENDWELL_ADMIN_KEY: TEST_ADMIN_KEY });
    const code = await runSendwell(['recipients', 'import', file, '--job', '--api', gw.url], io);
    expect(code).toBe(1);
    expect(io.stdout()).toBe(`Imported 0 rows from ${file}: 0 created, 0 updated, 0 unchanged, 0 rejected.\n`);
    expect(io.stderr()).toMatch(/· failed\n/);
    expect(io.stderr()).toMatch(/sendwell: Import job imp_\w+ failed: Stopped: lines 2–3 could not be fully imported \(10 attempts; ProvisionedThroughputExceededException\)/);
    await expect.poll(async () => (await engine.queue.depth()).deadLettered, { timeout: 20_000 }).toBe(1);
    await engine.queue.clearDeadLetters();
  });
});

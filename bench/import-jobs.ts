/**
 * `npm run bench:import [-- --rows N]`: an import job of N CSV rows (100,000 by default) through the import worker
 * on the local queue stand-in — the same service and worker handler AWS runs — against DynamoDB Local (in memory),
 * and, in the same run on the same DynamoDB Local, the raw BatchWriteItem rate of N items (25 a call, 8 calls in
 * flight) as the baseline (the ratio). A second baseline writes, the same raw way and without conditions, the
 * items a new row needs (address claim, profile with its index attributes, ledger entry): like with like. Each of the
 * three writes into fresh tables of its own (created before anything is written), so none pays for another's. Prints
 * rows/s, items/s and both ratios. Never fails on a time; fails (exit 1) when the job
 * does not settle every row, or creates a different number of recipients than the file holds.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sdkDb } from '../lambdas/adapters/clients.ts';
import { batchWriteAll } from '../lambdas/adapters/dynamo/tables.ts';
import { TABLE_LIST, TABLES } from '../lambdas/wiring/tables.ts';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { handlerEnv, localTableName } from '../local/handler-env.ts';
import { generateKeys } from '../local/keys.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/local-aws.ts';
import { freePort } from '../local/ports.ts';
import { ensureTables } from '../local/tables.ts';
import { integerOption, parseCli, runCli } from './cli.ts';
import { mapLimit } from './public-setup.ts';

const HOST = '127.0.0.1';
const TABLE_PREFIX = 'sendwell-bench-import';
/**
 * Each measurement writes into tables of its own, all created before anything is written: none pays for the items
 * another wrote before it (a table of 400,000 items, and its stream, cost DynamoDB Local more per write than a fresh
 * one: the job, measured last, used to write into the baselines' tables).
 */
const RAW_PREFIX = `${TABLE_PREFIX}-raw`;
const ROW_ITEMS_PREFIX = `${TABLE_PREFIX}-rows`;
const DEFAULT_ROWS = 100_000;

const USAGE = `Usage: npm run bench:import -- [options]

  --rows N         rows of the CSV (default ${DEFAULT_ROWS}, 100 to 1000000)
  --concurrency N  chunks imported at once by the local import engine (default 2)
  --help           this text

Starts DynamoDB Local (in memory) on a free loopback port, times raw BatchWriteItem of N items, then one import
job of N rows through the import worker; stops everything by PID.`;

interface Options {
  readonly rows: number;
  readonly concurrency: number;
}

const fmt = (v: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: v < 10 ? 2 : 0 }).format(v);

async function run(options: Options): Promise<void> {
  const stops: Array<() => Promise<void>> = [];
  try {
    const dynamo = await startDynamoDbLocal({ host: HOST, port: await freePort(HOST), startTimeoutMs: 120_000 });
    stops.push(dynamo.stop);
    const setup = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    stops.push(async () => setup.destroy());
    for (const prefix of [TABLE_PREFIX, RAW_PREFIX, ROW_ITEMS_PREFIX]) await ensureTables(setup, TABLE_LIST, (def) => localTableName(def, prefix));
    Object.assign(process.env, handlerEnv({ dynamodb: dynamo.endpoint, ses: `http://${HOST}:1`, publicBaseUrl: `http://${HOST}:1`, keys: generateKeys(), tablePrefix: TABLE_PREFIX }), {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const { importJobs } = await import('../lambdas/adapters/import-jobs-container.ts');
    const { createImportJob } = await import('../lambdas/services/import-jobs.ts');
    const { startImportEngine } = await import('../local/import-engine.ts');

    // Baseline: raw BatchWriteItem into the recipients table, items the size of a recipient profile.
    const db = DynamoDBDocumentClient.from(setup);
    const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    const batches = Array.from({ length: Math.ceil(options.rows / 25) }, (_, b) => b);
    let t = performance.now();
    await mapLimit(batches, 8, async (b) => {
      let items: Array<{ PutRequest: { Item: Record<string, unknown> } }> = Array.from({ length: Math.min(25, options.rows - b * 25) }, (_, k) => ({
        PutRequest: { Item: { pk: `BENCH#${runId}#${b * 25 + k}`, sk: 'PROFILE', email: `r${b * 25 + k}@bench.example.com`, country: 'US', attributes: { plan: 'pro', n: String(b * 25 + k) }, createdAt: new Date().toISOString() } },
      }));
      while (items.length) {
        const out = await db.send(new BatchWriteCommand({ RequestItems: { [localTableName(TABLES.recipients, RAW_PREFIX)]: items } }));
        items = (out.UnprocessedItems?.[localTableName(TABLES.recipients, RAW_PREFIX)] as typeof items | undefined) ?? [];
      }
    });
    const rawMs = performance.now() - t;
    const rawPerSecond = options.rows / (rawMs / 1000);
    console.log(`raw BatchWriteItem: ${fmt(options.rows)} items in ${fmt(rawMs / 1000)} s = ${fmt(rawPerSecond)} items/s`);

    // Second baseline: the 3 items a new row is (claim, profile in the everyone index, ledger entry in the streamed
    // ledger table), shaped as the worker writes them, by the same raw BatchWriteItem without conditions.
    const rowItems = (i: number) => {
      const id = `rcp_bench${runId}${i}`;
      const at = new Date().toISOString();
      return [
        { table: localTableName(TABLES.recipients, ROW_ITEMS_PREFIX), request: { PutRequest: { Item: { pk: `A#bench${runId}${i}`, sk: 'CLAIM', recipientId: id, createdAt: at, origin: `imp_bench:${i + 2}` } } } },
        {
          table: localTableName(TABLES.recipients, ROW_ITEMS_PREFIX),
          request: { PutRequest: { Item: { pk: `R#${id}`, sk: 'PROFILE', id, email: `r${i}.${runId}@bench.example.com`, address: `r${i}.${runId}@bench.example.com`, addressHash: `bench${runId}${i}`, country: 'US', attributes: { plan: 'pro', n: String(i) }, unsubscribedAll: false, createdAt: at, updatedAt: at, gsi2pk: `ALL#${i % 8}`, gsi2sk: `R#${id}` } } },
        },
        { table: localTableName(TABLES.ledger, ROW_ITEMS_PREFIX), request: { PutRequest: { Item: { pk: `R#${id}`, sk: `${at}#000#00000000`, at, recipientId: id, subject: 'recipient', from: null, to: 'created', source: 'import', jurisdiction: 'standard', actor: 'bench' } } } },
      ];
    };
    t = performance.now();
    await batchWriteAll(sdkDb(db), Array.from({ length: options.rows }, (_, i) => rowItems(i)).flat(), 8);
    const rowItemsMs = performance.now() - t;
    const rowItemsPerSecond = options.rows / (rowItemsMs / 1000);
    console.log(`raw BatchWriteItem of a new row's 3 items: ${fmt(options.rows)} rows (${fmt(options.rows * 3)} items) in ${fmt(rowItemsMs / 1000)} s = ${fmt(rowItemsPerSecond)} rows/s`);

    // The import job: a CSV as a person would export it, through the service and the worker.
    const topicCsv = Array.from({ length: options.rows }, (_, i) => `r${i}.${runId}@bench.example.com,US,pro,${i}`).join('\n');
    const csv = `email,country,plan,n\n${topicCsv}\n`;
    const engine = await startImportEngine({ dynamodbEndpoint: dynamo.endpoint, table: `${TABLE_PREFIX}-local-queues`, queuePrefix: `bench-${runId}`, concurrency: options.concurrency });
    stops.push(() => engine.stop());
    const deps = importJobs();
    t = performance.now();
    const { id } = await createImportJob(deps, csv, 'csv', 'bench');
    const acceptedMs = performance.now() - t;
    let job = await deps.store.get(id);
    let lastPrint = 0;
    while (job && job.status !== 'completed') {
      await new Promise((r) => setTimeout(r, 500));
      job = await deps.store.get(id);
      if (job && performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now();
        console.log(`  ${fmt(job.rowsDone)}/${fmt(job.total)} rows after ${fmt((performance.now() - t) / 1000)} s`);
      }
    }
    const jobMs = performance.now() - t;
    if (!job) throw new Error('the job vanished');
    const rowsPerSecond = options.rows / (jobMs / 1000);
    console.log(`import job accepted (file read, ${fmt(job.chunks)} chunks stored and queued) in ${fmt(acceptedMs / 1000)} s`);
    console.log(`import job: ${fmt(options.rows)} rows in ${fmt(jobMs / 1000)} s = ${fmt(rowsPerSecond)} rows/s (${fmt(job.created)} created, ${fmt(job.rejected)} rejected)`);
    console.log(`ratio import job / raw BatchWriteItem: ${(rowsPerSecond / rawPerSecond).toFixed(3)} (issue 15's goal ≥ 0.5)`);
    console.log(`ratio import job / raw BatchWriteItem of a new row's 3 items: ${(rowsPerSecond / rowItemsPerSecond).toFixed(3)} (like with like)`);
    console.log(`load average (1, 5, 15 min): ${loadavg().map((l) => l.toFixed(1)).join(', ')}`);
    if (job.rowsDone !== options.rows || job.created !== options.rows) {
      console.error(`bench:import: expected ${options.rows} rows created, got done ${job.rowsDone}, created ${job.created}`);
      process.exitCode = 1;
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

await runCli(
  USAGE,
  (args) => {
    const values = parseCli(args, { rows: { type: 'string' }, concurrency: { type: 'string' } });
    if (values === undefined) return undefined;
    return {
      rows: integerOption('rows', values.rows as string | undefined, DEFAULT_ROWS, 100, 1_000_000),
      concurrency: integerOption('concurrency', values.concurrency as string | undefined, 2, 1, 32),
    };
  },
  run,
);

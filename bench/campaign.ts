/**
 * `npm run bench:campaign [-- --recipients N]`: one marketing campaign to N opted-in recipients (10,000 by default)
 * through the local campaign engine — the same launcher and sender handlers AWS invokes, on the SQS stand-in of
 * `local/campaign-queue.ts` — against DynamoDB Local (in memory) and the local SES, all in this process but Java.
 * Prints recipients/s, DynamoDB and SES calls per recipient (counted by command with a middleware on the shared
 * clients of `lambdas/adapters/clients.ts`), and the raw local-SES SendEmail rate at the same concurrency in the same
 * run, with the ratio. It never fails on a time; it fails (exit 1) when the campaign does not send every mail once.
 *
 * Where the tree counts its figures from the messages table's stream (issue 17: handlers/count-message-figures.ts),
 * that reader runs throughout, as on the local stack, and each phase (campaign, SES events, opens, clicks) waits for
 * it to catch up before its counting ends: its counter writes are the phase's, like the writes they replace. In a
 * tree without it (bench/lean-writes.ts runs this file in the tree before issue 17) nothing of the kind runs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_LIST, TABLES, type TableDef } from '../lambdas/wiring/tables.ts';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { handlerEnv, localTableName } from '../local/handler-env.ts';
import { generateKeys } from '../local/keys.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/local-aws.ts';
import { freePort } from '../local/ports.ts';
import { startSesLocal } from '../local/ses-local.ts';
import { startStreamPoller, type RunningStreamPoller } from '../local/stream-poller.ts';
import { transactionWriteUnits } from './capacity.ts';
import { simulatedEvents } from '../local/ses-simulator.ts';
import type { SentMail } from '../lambdas/adapters/ses-mailer.ts';
import { ensureTables } from '../local/tables.ts';
import { integerOption, parseCli, runCli } from './cli.ts';
import { closedLoop } from './latency.ts';
import { mapLimit } from './public-setup.ts';
import type { BenchSection } from './report.ts';

const HOST = '127.0.0.1';
const TABLE_PREFIX = 'sendwell-bench';
/** The most the API allows: the rate limit is not what this measures. */
const RATE_PER_SECOND = 1000;
const SEED_PARALLEL = 16;
const DEFAULT_RECIPIENTS = 10_000;
const DEFAULT_BASELINE_SENDS = 3_000;
/** How long the bench waits for the campaign before printing what was settled by then (a busy machine is slow). */
const CAMPAIGN_TIMEOUT_MS = 2_400_000;
/** SES events and opens handled at once after the send (each is its own Lambda invocation on AWS). */
const AFTER_PARALLEL = 16;
/** Every n-th recipient opens the mail (20 %, the open rate docs/SCALING.md assumes). */
const OPEN_EVERY = 5;
/** How long after the send the bench's opens and clicks are made, by the clock the services read. */
const READ_AFTER_MS = 5 * 60_000;
/** Every n-th recipient clicks the mail's first link (~3 %, the click rate docs/SCALING.md assumes). */
const CLICK_EVERY = 33;
/** The line `--json` prints the figures on (bench/lean-writes.ts reads it from this file run in either tree). */
export const JSON_MARKER = 'BENCH_CAMPAIGN_JSON ';
const DESKTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

/**
 * The campaign's mail: a newsletter as marketing teams send them, 12 product links with UTM parameters (the same for
 * every recipient) and one that carries the recipient's data, so what a sent record keeps of its links is measured at
 * a realistic size. (Until 2026-12-06 the bench mailed one short link: every record was under 1 KB whatever it kept.)
 */
const NEWSLETTER_PRODUCTS = ['spring', 'linen-shirt', 'canvas-tote', 'rain-jacket', 'garden-chair', 'espresso-cups', 'wool-throw', 'desk-lamp', 'trail-shoes', 'picnic-set', 'herb-kit', 'gift-card'];
function newsletterHtml(firstName: string, footer: string): string {
  const product = (slug: string) =>
    `<li><a href="https://shop.example.com/products/${slug}?utm_source=sendwell&amp;utm_medium=email&amp;utm_campaign=spring-2026&amp;utm_content=${slug}">${slug.replace('-', ' ')}</a></li>`;
  return (
    `<p>Hi ${firstName}, our spring collection is here.</p><ul>${NEWSLETTER_PRODUCTS.map(product).join('')}</ul>` +
    `<p><a href="https://shop.example.com/account?greeting=${firstName}&amp;utm_source=sendwell&amp;utm_medium=email">Your account</a></p><p>${footer}</p>`
  );
}

const USAGE = `Usage: npm run bench:campaign -- [options]

  --recipients N  opted-in recipients of the campaign (default ${DEFAULT_RECIPIENTS}, 100 to 100000)
  --baseline N    raw SendEmail calls for the local-SES baseline (default ${DEFAULT_BASELINE_SENDS})
  --consumers N   send-queue consumers of the engine (default: the engine's, local/campaign-engine.ts)
  --batches N     send batches per sender call (default: the engine's)
  --json          also print the figures as one JSON line (for bench/lean-writes.ts)
  --help          this text

Starts DynamoDB Local (in memory) and the local SES on free loopback ports, seeds the
recipients through the real store, runs the campaign through the local campaign engine,
then times raw SendEmail at the campaign's peak SES concurrency; stops everything by PID.`;

export interface CampaignBenchOptions {
  readonly recipients: number;
  readonly baseline: number;
  /** Send-queue consumers (the engine's default when absent). */
  readonly consumers?: number;
  /** Send batches per sender call (the engine's default when absent). */
  readonly batches?: number;
  /** Print the figures as one JSON line too. */
  readonly json?: boolean;
}

function parseOptions(args: string[]): CampaignBenchOptions | undefined {
  const values = parseCli(args, { recipients: { type: 'string' }, baseline: { type: 'string' }, consumers: { type: 'string' }, batches: { type: 'string' }, json: { type: 'boolean' } });
  if (values === undefined) return undefined;
  return {
    recipients: integerOption('recipients', values.recipients as string | undefined, DEFAULT_RECIPIENTS, 100, 100_000),
    baseline: integerOption('baseline', values.baseline as string | undefined, DEFAULT_BASELINE_SENDS, 100, 100_000),
    ...(values.consumers !== undefined ? { consumers: integerOption('consumers', values.consumers as string, 1, 1, 32) } : {}),
    ...(values.batches !== undefined ? { batches: integerOption('batches', values.batches as string, 1, 1, 10) } : {}),
    ...(values.json ? { json: true } : {}),
  };
}

const WRITE_COMMANDS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/**
 * Read units DynamoDB charges that DynamoDB Local does not report (measured: a BatchGetItem of 5 keys, 1 found,
 * consistent, reports 1 unit; an empty Query reports 0). DynamoDB charges a read for a key that is not there as for a
 * small item, and a Query at least one read "even if no data exists" (the developer guide's "read and write
 * operations"): 1 unit strongly consistent, 0.5 eventually. A suppression check reads every reason a record can have,
 * found or not, so on AWS most of its keys cost a unit each.
 */
function unreportedReadUnits(command: string, input: Record<string, unknown> | undefined, output: unknown): number {
  const unit = (consistent: unknown) => (consistent === true ? 1 : 0.5);
  if (command === 'BatchGetItem') {
    const requested = (input?.RequestItems ?? {}) as Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }>;
    const out = output as { Responses?: Record<string, unknown[]>; UnprocessedKeys?: Record<string, { Keys?: unknown[] }> } | undefined;
    let missing = 0;
    for (const [table, r] of Object.entries(requested)) {
      // Unprocessed keys come back in a later call, counted then.
      const asked = (r.Keys?.length ?? 0) - (out?.UnprocessedKeys?.[table]?.Keys?.length ?? 0);
      missing += Math.max(0, asked - (out?.Responses?.[table]?.length ?? 0)) * unit(r.ConsistentRead);
    }
    return missing;
  }
  if (command === 'Query' || command === 'Scan') {
    const out = output as { ConsumedCapacity?: { CapacityUnits?: number } } | undefined;
    return (out?.ConsumedCapacity?.CapacityUnits ?? 0) === 0 ? unit(input?.ConsistentRead) : 0;
  }
  return 0;
}

/** Calls per command name, and the most in flight at once, from an SDK middleware. */
class CallCounter {
  readonly calls = new Map<string, number>();
  inFlight = 0;
  peak = 0;
  counting = false;
  /** performance.now() when the last call counted ended (SES: the campaign's last mail accepted). */
  lastDoneAt = 0;
  /**
   * Capacity units consumed (DynamoDB only): write request units and read request units on on-demand tables, as
   * DynamoDB charges them (`unreportedRead`: the part of `read` DynamoDB Local does not report, see below).
   */
  readonly units = { write: 0, read: 0, unreportedRead: 0 };
  /** Capacity units by command, to say where the units of a phase go. */
  readonly unitsByCommand = new Map<string, number>();
  readonly capacity: boolean;
  constructor(capacity = false) {
    this.capacity = capacity;
  }

  /** Adds the middleware to `client` (the shared clients are built once; every adapter sends through them). */
  attach(client: { middlewareStack: { add: (mw: any, options: { step: 'initialize'; name: string }) => void } }, name: string): void {
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        if (!this.counting) return next(args);
        const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
        this.calls.set(command, (this.calls.get(command) ?? 0) + 1);
        this.peak = Math.max(this.peak, ++this.inFlight);
        // DynamoDB Local reports the capacity units a call consumed (item sizes, index writes), as DynamoDB does: the
        // cost model reads them instead of guessing item sizes; a transaction's are counted from its items (below).
        // Asking changes nothing else.
        const input = (args as { input?: Record<string, unknown> }).input;
        if (this.capacity && input && !('ReturnConsumedCapacity' in input)) input.ReturnConsumedCapacity = 'TOTAL';
        try {
          const out = (await next(args)) as { output?: { ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> } };
          const consumed = out?.output?.ConsumedCapacity;
          const tables = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
          const reported = command === 'TransactWriteItems' && tables.length ? transactionWriteUnits(input, tables) : tables.reduce((a, c) => a + (c.CapacityUnits ?? 0), 0);
          const unreported = this.capacity ? unreportedReadUnits(command, input, out?.output) : 0;
          this.units.unreportedRead += unreported;
          const units = reported + unreported;
          if (units > 0) {
            const kind = WRITE_COMMANDS.has(command) ? 'write' : 'read';
            this.units[kind] += units;
            this.unitsByCommand.set(command, (this.unitsByCommand.get(command) ?? 0) + units);
          }
          return out;
        } finally {
          this.inFlight--;
          this.lastDoneAt = performance.now();
        }
      },
      { step: 'initialize', name },
    );
  }

  total(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }
}

/** ` · 1.02 units`: a command's capacity units over the same count as its calls, to say where a phase's units go. */
function unitsOf(counter: CallCounter, command: string, per: number): string {
  const units = counter.unitsByCommand.get(command);
  return units ? ` · ${(units / Math.max(1, per)).toFixed(2)} units` : '';
}

const fmt = {
  int: (v: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(v),
  two: (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2)),
  s: (ms: number) => `${(ms / 1000).toFixed(1)} s`,
};

/** Runs the campaign bench, prints its figures, and returns them as a section of docs/BENCHMARKS.md. */
export async function runCampaignBench(options: CampaignBenchOptions): Promise<BenchSection> {
  const started = performance.now();
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  // Ctrl-C: everything stops at once (the engine would otherwise wait for its in-flight batches on a DynamoDB Local
  // that is being stopped after it), and the process leaves after 10 s whatever still hangs.
  const onSignal = () => {
    console.error('bench:campaign: stopping (signal)');
    setTimeout(() => process.exit(130), 10_000).unref();
    void Promise.allSettled(stops.map((stop) => stop())).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const ports = new Set<number>();
    while (ports.size < 2) ports.add(await freePort(HOST));
    const [dynamoPort, sesPort] = [...ports] as [number, number];
    const ses = await startSesLocal({ host: HOST, port: sesPort });
    stops.push(ses.stop);
    const dynamo = await startDynamoDbLocal({ host: HOST, port: dynamoPort });
    stops.push(dynamo.stop);
    const setupClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    stops.push(async () => setupClient.destroy());
    await ensureTables(setupClient, TABLE_LIST, (def) => localTableName(def, TABLE_PREFIX));
    // The handlers' environment, before anything reads it; the sender's per-batch INFO lines would flood the output.
    Object.assign(process.env, handlerEnv({ dynamodb: dynamo.endpoint, ses: ses.endpoint, publicBaseUrl: `http://${HOST}:1`, keys: generateKeys(), tablePrefix: TABLE_PREFIX }), {
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    const clients = await import('../lambdas/adapters/clients.ts');
    const { dynamoClient, sesClient } = clients;
    const { container, useLocalCampaignQueues } = await import('../lambdas/adapters/container.ts');
    const { createTopic, saveTemplate } = await import('../lambdas/services/catalog.ts');
    const { createRecipientRecord } = await import('../lambdas/services/recipient-records.ts');
    const { createCampaign, launchCampaign } = await import('../lambdas/services/campaigns.ts');
    const { CampaignStore } = await import('../lambdas/adapters/dynamo/campaign-store.ts');
    const { config } = await import('../lambdas/adapters/config.ts');
    const { startCampaignEngine } = await import('../local/campaign-engine.ts');
    const { SEND_BATCH_SIZE } = await import('../lambdas/domain/campaign.ts');
    const { SEND_CHUNK } = await import('../lambdas/services/campaign-sender.ts');
    const { sentListeners } = await import('../lambdas/adapters/ses-mailer.ts');
    const { handler: sesEventsHandler } = await import('../lambdas/handlers/ses-events.ts');
    const { recordOpen, resolveClick } = await import('../lambdas/services/tracking.ts');
    const { signToken } = await import('../lambdas/domain/tokens.ts');
    const { campaignMessageId } = await import('../lambdas/domain/campaign.ts');

    const dynamoCalls = new CallCounter(true);
    const sesCalls = new CallCounter();
    dynamoCalls.attach(dynamoClient(), 'bench-count-dynamodb');
    // What follows the send on AWS, counted apart: SES events (one ses-events invocation each) and opens.
    const eventCalls = new CallCounter(true);
    const openCalls = new CallCounter(true);
    const clickCalls = new CallCounter(true);
    eventCalls.attach(dynamoClient(), 'bench-count-events');
    openCalls.attach(dynamoClient(), 'bench-count-opens');
    clickCalls.attach(dynamoClient(), 'bench-count-clicks');
    const mailed: SentMail[] = [];
    sentListeners.add((mail) => void mailed.push(mail));
    sesCalls.attach(sesClient(), 'bench-count-ses');
    const deps = container();


    // Seed through the real store (what the import does per row, without the HTTP and the parsing).
    const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    const topic = `bench-${runId}`;
    await createTopic(deps, { id: topic, name: 'Bench news', description: 'bench:campaign' });
    await saveTemplate(
      deps,
      {
        id: topic,
        class: 'marketing',
        topic,
        subject: 'News for {{first_name}}',
        html: newsletterHtml('{{first_name}}', '<a href="{{unsubscribe_url}}">Unsubscribe</a> · <a href="{{preferences_url}}">Preferences</a><br>{{postal_address}}'),
        text: 'Hi {{first_name}}, our spring collection is here: https://shop.example.com/spring\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}',
      },
      'create',
    );
    let t = performance.now();
    const at = '2026-01-15T10:00:00Z';
    const recipientIds: string[] = [];
    await mapLimit(
      Array.from({ length: options.recipients }, (_, i) => i),
      SEED_PARALLEL,
      async (i) => {
        const created = await createRecipientRecord(
          deps,
          { email: `r${i}.${runId}@bench.example.com`, country: 'US', attributes: { first_name: `R${i}` } },
          { source: 'import', actor: 'bench' },
          [{ topic, status: 'opted_in', confirmedAt: at, evidence: { at } }],
        );
        recipientIds.push(created.recipient.id);
      },
    );
    const seedMs = performance.now() - t;

    // The engine, its queue calls counted as what they stand for on AWS (SQS messages).
    // What goes wrong in the engine (a handler or a receive that threw) is counted by kind and printed, not hidden.
    const errors = new Map<string, number>();
    const onError = (e: unknown) => {
      const err = e as Error;
      const kind = `${err?.name ?? 'Error'}: ${String(err?.message ?? e).slice(0, 80)}`;
      errors.set(kind, (errors.get(kind) ?? 0) + 1);
    };
    const engine = await startCampaignEngine({
      dynamodbEndpoint: dynamo.endpoint,
      table: `${TABLE_PREFIX}-local-queues`,
      queuePrefix: `bench-${runId}`,
      onError,
      ...(options.consumers ? { senderConcurrency: options.consumers } : {}),
      ...(options.batches ? { senderBatchSize: options.batches } : {}),
    });
    stops.push(engine.stop);
    const queueMessages = { launch: 0, send: 0, deadLetter: 0 };
    useLocalCampaignQueues({
      launch: (id) => ((queueMessages.launch += 1), engine.queues.launch(id)),
      send: (batches, delay) => ((queueMessages.send += batches.length), engine.queues.send(batches, delay)),
      deadLetter: (letter) => ((queueMessages.deadLetter += 1), engine.queues.deadLetter(letter)),
    });
    // Progress is read on a client of its own, so the polling is not counted as the engine's work.
    const watchClient = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }));
    stops.push(async () => watchClient.destroy());
    // Stores send through a `Db` in today's tree (clients.ts sdkDb), through the document client itself before it.
    const sdkDb = (clients as { sdkDb?: (doc: DynamoDBDocumentClient) => unknown }).sdkDb;
    const watchStore = new CampaignStore((sdkDb ? sdkDb(watchClient) : watchClient) as ConstructorParameters<typeof CampaignStore>[0], config().tables);

    // The figures reader of the messages stream, where this tree has one (see the top of this file).
    const figuresHandler = new URL('../lambdas/handlers/count-message-figures.ts', import.meta.url);
    let figures: RunningStreamPoller | undefined;
    if ((TABLES.messages as TableDef).stream && existsSync(fileURLToPath(figuresHandler))) {
      const { handler } = (await import(figuresHandler.href)) as { handler: Parameters<typeof startStreamPoller>[0]['handler'] };
      // Imported here: the tree before issue 17 (bench/lean-writes.ts runs this file there too) has no stream and no such export.
      const { FIGURES_STREAM } = await import('../lambdas/wiring/event-functions.ts');
      // Batches as the deployed mapping makes them (filtered, up to 100 records, waiting up to 5 s for them): the
      // figures' share of a mail's units depends on how full they are (docs/SCALING.md).
      figures = startStreamPoller({
        endpoint: dynamo.endpoint,
        tableName: localTableName(TABLES.messages, TABLE_PREFIX),
        handler,
        onError,
        batchSize: FIGURES_STREAM.batchSize,
        batchingWindowMs: FIGURES_STREAM.windowSeconds * 1000,
        filters: FIGURES_STREAM.filters,
      });
      const running = figures;
      stops.push(() => running.stop());
    }
    /** Waits until the reader counted everything written so far (a no-op without one). */
    const figuresCounted = async () => figures?.drain(120_000);

    const campaign = await createCampaign(deps, { name: 'Bench campaign', template: topic, ratePerSecond: RATE_PER_SECOND }, 'bench');
    dynamoCalls.counting = true;
    sesCalls.counting = true;
    const load1 = os.loadavg()[0] ?? Number.NaN;
    t = performance.now();
    await launchCampaign(deps, campaign.id, 'bench');
    let stored = await watchStore.get(campaign.id);
    let lastReport = performance.now();
    let timedOut = false;
    while (stored?.status !== 'completed') {
      await new Promise((r) => setTimeout(r, 100));
      stored = await watchStore.get(campaign.id);
      if (!stored) throw new Error(`campaign ${campaign.id} is gone`);
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        const so = await watchStore.counters(stored);
        const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
        process.stderr.write(`bench:campaign: ${fmt.s(lastReport - t)} after launch: ${fmt.int(so.settled)}/${fmt.int(options.recipients)} settled, ${errorCount} engine errors\n`);
      }
      if (performance.now() - t > CAMPAIGN_TIMEOUT_MS) {
        // The figures so far are still worth printing: how far it got, and what each recipient cost.
        timedOut = true;
        break;
      }
    }
    const campaignMs = performance.now() - t;
    // Throughput: launch to the last mail SES accepted. Completion comes later by the time the last outcomes take to be
    // counted (from the messages stream since 2026-12-06: up to its batching window, 5 s), a delay, not a rate.
    const mailingMs = sesCalls.lastDoneAt > t ? Math.min(campaignMs, sesCalls.lastDoneAt - t) : campaignMs;
    const counters = await watchStore.counters(stored);
    // Late work (a redelivered batch finding everyone claimed) still counts as the campaign's.
    while (!timedOut && !(await engine.idle())) await new Promise((r) => setTimeout(r, 200));
    await figuresCounted();
    dynamoCalls.counting = false;
    sesCalls.counting = false;
    const load2 = os.loadavg()[0] ?? Number.NaN;

    // After the send: the SES events of every mail (as the emulated mailbox simulator makes them),
    // each through the ses-events handler as one EventBridge invocation, then an open of every OPEN_EVERY-th mail
    // through the pixel's service (the handler minus the HTTP edge), each counted on its own.
    eventCalls.counting = true;
    t = performance.now();
    let events = 0;
    await mapLimit(mailed, AFTER_PARALLEL, async (mail) => {
      for (const event of simulatedEvents(mail)) {
        events++;
        const outcome = await sesEventsHandler(event);
        // `ignored`: a Send event the handler only reads (since issue 17 it records one only for a send in doubt).
        if (outcome !== 'applied' && outcome !== ('ignored' as string)) throw new Error(`SES event not applied: ${String(outcome)}`);
      }
    });
    const eventsMs = performance.now() - t;
    await figuresCounted();
    eventCalls.counting = false;
    const keys = await deps.keys();
    // A person opens and clicks a while after the mail arrived: within 2 s (an open) or 10 s (a click) of the send the
    // classifier takes it for a gateway scanning the mail (lambdas/domain/engagement.ts TOO_SOON_SECONDS), a machine's,
    // which writes no engagement item; how soon this bench gets here depends on the machine.
    const later = { ...deps, clock: () => new Date(Date.now() + READ_AFTER_MS) };
    const openers = recipientIds.filter((_, i) => i % OPEN_EVERY === 0);
    openCalls.counting = true;
    t = performance.now();
    await mapLimit(openers, AFTER_PARALLEL, async (recipientId) => {
      const token = signToken({ purpose: 'open', recipientId, messageId: campaignMessageId(campaign.id, recipientId), issuedAt: Math.floor(Date.now() / 1000) }, keys.tokens);
      const outcome = await recordOpen(later, token, { ip: '198.51.100.23', userAgent: DESKTOP_UA });
      if (outcome !== 'recorded') throw new Error(`open not recorded: ${outcome}`);
    });
    const opensMs = performance.now() - t;
    await figuresCounted();
    openCalls.counting = false;
    // Clicks of the first link (the shop's), after the opens, as the click handler resolves them.
    const clickers = recipientIds.filter((_, i) => i % CLICK_EVERY === 1);
    clickCalls.counting = true;
    await mapLimit(clickers, AFTER_PARALLEL, async (recipientId) => {
      const token = signToken({ purpose: 'click', recipientId, messageId: campaignMessageId(campaign.id, recipientId), linkIndex: 0, issuedAt: Math.floor(Date.now() / 1000) }, keys.tokens);
      const outcome = await resolveClick(later, token, { ip: '198.51.100.24', userAgent: DESKTOP_UA });
      if (outcome.kind !== 'redirect') throw new Error(`click not resolved: ${outcome.kind}`);
    });
    await figuresCounted();
    clickCalls.counting = false;

    // Baseline: raw SendEmail of an equivalent simple message, at the campaign's peak SES concurrency.
    const concurrency = Math.max(1, sesCalls.peak);
    const raw = new SESv2Client({ endpoint: ses.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    stops.push(async () => raw.destroy());
    const html = newsletterHtml('R1', '<a href="https://example.com/u/x">Unsubscribe</a> · <a href="https://example.com/p/x">Preferences</a><br>Sendwell Local, 1 Example Street, Springfield');
    const send = (i: number) =>
      raw
        .send(
          new SendEmailCommand({
            FromEmailAddress: 'Sendwell Local <no-reply@sendwell.local>',
            Destination: { ToAddresses: [`raw${i}.${runId}@bench.example.com`] },
            Content: {
              Simple: {
                Subject: { Data: 'News for R1' },
                Body: { Html: { Data: html }, Text: { Data: 'Hi R1, our spring collection is here.\nUnsubscribe: https://example.com/u/x' } },
                Headers: [
                  { Name: 'List-Unsubscribe', Value: '<https://example.com/u/x>, <mailto:unsubscribe@sendwell.local?subject=x>' },
                  { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
                ],
              },
            },
          }),
        )
        .then(() => undefined);
    await closedLoop({ concurrency, requests: Math.min(200, options.baseline), deadline: performance.now() + 30_000, send });
    const baseline = await closedLoop({ concurrency, requests: options.baseline, deadline: performance.now() + 120_000, send });

    // A second baseline, DynamoDB Local's own rate: a raw PutItem of a claim's size into the messages table (its stream
    // included, as for the campaign's writes) at the campaign's peak of DynamoDB calls in flight. The cheapest call there
    // is: divided by the send path's calls per recipient it bounds any send path of that many calls on this machine.
    const dbConcurrency = Math.max(1, dynamoCalls.peak);
    const messagesTable = localTableName(TABLES.messages, TABLE_PREFIX);
    const put = (i: number) =>
      watchClient
        .send(
          new PutCommand({
            TableName: messagesTable,
            Item: { pk: `M#raw-${runId}-${i}`, sk: 'MSG', status: 'sending', class: 'marketing', template: topic, topic, campaignId: `raw-${runId}`, recipientId: `rcp_raw${i}`, createdAt: at, updatedAt: at, decidedAt: at },
          }),
        )
        .then(() => undefined);
    await closedLoop({ concurrency: dbConcurrency, requests: Math.min(200, options.baseline), deadline: performance.now() + 30_000, send: put });
    const putBaseline = await closedLoop({ concurrency: dbConcurrency, requests: options.baseline, deadline: performance.now() + 120_000, send: (i) => put(i + 1_000_000) });

    // Output.
    const n = counters.sent + counters.failed + Object.values(counters.held).reduce((a, b) => a + b, 0);
    const perSecond = (n / mailingMs) * 1000;
    const completedPerSecond = (n / campaignMs) * 1000;
    const rawPerSecond = (baseline.started / baseline.wallMs) * 1000;
    const putsPerSecond = (putBaseline.started / putBaseline.wallMs) * 1000;
    const callsPerRecipient = dynamoCalls.total() / Math.max(1, n);
    const ceilingPerSecond = putsPerSecond / Math.max(callsPerRecipient, 1e-9);
    const cpus = os.cpus();
    const per = (count: number) => fmt.two(count / Math.max(1, n));
    const lines: string[] = [];
    const say = (line: string) => {
      lines.push(line);
      console.log(line);
    };
    say('Sendwell campaign benchmark: one marketing campaign through the local campaign engine, against raw local-SES SendEmail');
    say(
      `node ${process.version} · ${cpus[0]?.model ?? 'unknown CPU'} · ${os.availableParallelism()} cores · load average ${load1.toFixed(2)} at launch, ${load2.toFixed(2)} at the end`,
    );
    say(
      `DynamoDB Local in memory · local SES in this process · engine: 1 launcher, ${engine.settings.senderConcurrency} send consumers × ${engine.settings.senderBatchSize} batches of ${SEND_BATCH_SIZE} a call, ` +
        `${SEND_CHUNK} sends at once per batch, send-queue visibility ${engine.settings.sendVisibilitySeconds} s · campaign rate limit ${fmt.int(RATE_PER_SECOND)}/s`,
    );
    say(`seeded ${fmt.int(options.recipients)} opted-in recipients through RecipientStore.create in ${fmt.s(seedMs)} (not counted below)`);
    say('');
    say(
      `campaign   ${fmt.int(n)} recipients settled (${fmt.int(counters.sent)} sent, ${fmt.int(counters.failed)} failed): launch to last mail ${fmt.s(mailingMs)}, ${fmt.int(perSecond)} recipients/s; ` +
        `launch to completed (every outcome counted) ${fmt.s(campaignMs)}, ${fmt.int(completedPerSecond)} recipients/s`,
    );
    // What the deployed plan of senders rests on (lib/campaign-delivery.ts MAILS_PER_SECOND_PER_SENDER): one send
    // consumer here is one sender invocation there, and here every DynamoDB call waits on DynamoDB Local's one thread.
    say(`per sender ${fmt.int(perSecond / engine.settings.senderConcurrency)} recipients/s per send consumer (${engine.settings.senderConcurrency} consumers; a consumer is a sender invocation on AWS)`);
    say(`raw SES    ${fmt.int(baseline.started)} SendEmail at concurrency ${concurrency} (the campaign's peak of SES calls in flight): ${fmt.int(rawPerSecond)} sends/s`);
    say(`ratio      campaign recipients/s ÷ raw SendEmail/s = ${fmt.two(perSecond / rawPerSecond)}`);
    say(`raw DynamoDB ${fmt.int(putBaseline.started)} PutItem (a claim's size, messages table) at concurrency ${dbConcurrency} (the campaign's peak of DynamoDB calls in flight): ${fmt.int(putsPerSecond)} puts/s`);
    say(
      `ceiling    at ${fmt.two(callsPerRecipient)} DynamoDB calls per recipient, each at best a PutItem: ${fmt.int(ceilingPerSecond)} recipients/s = ${fmt.two(ceilingPerSecond / rawPerSecond)} of raw SendEmail/s ` +
        `(the campaign reached ${fmt.int((100 * perSecond) / Math.max(ceilingPerSecond, 1e-9))} % of it)`,
    );
    // Exactly-once costs two writes per recipient whatever else is saved: the claim before SES is called, the sent mark after.
    say(`           exactly-once's two writes alone (the claim before SES, the sent mark after): ${fmt.int(putsPerSecond / 2)} recipients/s = ${fmt.two(putsPerSecond / 2 / rawPerSecond)} of raw SendEmail/s`);
    say('');
    say(`per recipient   DynamoDB ${per(dynamoCalls.total())} calls · SES ${per(sesCalls.total())} calls · queue messages ${per(queueMessages.send + queueMessages.launch)} (on AWS: SQS)`);
    const rows = [...dynamoCalls.calls.entries()].sort((a, b) => b[1] - a[1]);
    for (const [command, count] of rows) say(`  DynamoDB ${command.padEnd(20)} ${per(count).padStart(6)}  (${fmt.int(count)} calls)${unitsOf(dynamoCalls, command, n)}`);
    for (const [command, count] of sesCalls.calls) say(`  SES      ${command.padEnd(20)} ${per(count).padStart(6)}  (${fmt.int(count)} calls)`);
    say(`  queue    send batches ${fmt.int(queueMessages.send)}, launch messages ${fmt.int(queueMessages.launch)}, dead letters ${fmt.int(queueMessages.deadLetter)}`);
    say(`  most calls in flight: DynamoDB ${dynamoCalls.peak}, SES ${sesCalls.peak}`);
    say(`  capacity units (as DynamoDB Local reports them, transactions counted per item as DynamoDB charges them, with the reads of absent keys and empty queries it leaves out): ${per(dynamoCalls.units.write)} WRU, ${per(dynamoCalls.units.read)} RRU per recipient (${per(dynamoCalls.units.unreportedRead)} of them not reported)`);
    const errorRows = [...errors.entries()].sort((a, b) => b[1] - a[1]);
    say(`engine errors (handler or receive failed; the queue delivers the batch again): ${errorRows.length ? '' : 'none'}`);
    for (const [kind, count] of errorRows) say(`  ${String(count).padStart(5)} × ${kind}`);
    say('');
    say('');
    say(`after the send (not in the campaign's time or calls above), each call counted apart:`);
    say(
      `  SES events  ${fmt.int(events)} events for ${fmt.int(mailed.length)} mails (as the local simulator publishes them, ${AFTER_PARALLEL} at once) in ${fmt.s(eventsMs)}: ` +
        `DynamoDB ${fmt.two(eventCalls.total() / Math.max(1, mailed.length))} calls per mail, ${fmt.two(eventCalls.total() / Math.max(1, events))} per event`,
    );
    for (const [command, count] of [...eventCalls.calls.entries()].sort((a, b) => b[1] - a[1])) {
      say(`    DynamoDB ${command.padEnd(20)} ${fmt.two(count / Math.max(1, mailed.length)).padStart(6)} per mail  (${fmt.int(count)} calls)${unitsOf(eventCalls, command, mailed.length)}`);
    }
    say(`    capacity units: ${fmt.two(eventCalls.units.write / Math.max(1, mailed.length))} WRU, ${fmt.two(eventCalls.units.read / Math.max(1, mailed.length))} RRU per mail`);
    say(`  opens       ${fmt.int(openers.length)} opens (every ${OPEN_EVERY}th mail, ${AFTER_PARALLEL} at once) in ${fmt.s(opensMs)}: DynamoDB ${fmt.two(openCalls.total() / Math.max(1, openers.length))} calls per open`);
    for (const [command, count] of [...openCalls.calls.entries()].sort((a, b) => b[1] - a[1])) {
      say(`    DynamoDB ${command.padEnd(20)} ${fmt.two(count / Math.max(1, openers.length)).padStart(6)} per open  (${fmt.int(count)} calls)${unitsOf(openCalls, command, openers.length)}`);
    }
    say(`    capacity units: ${fmt.two(openCalls.units.write / Math.max(1, openers.length))} WRU, ${fmt.two(openCalls.units.read / Math.max(1, openers.length))} RRU per open`);
    say(`  clicks      ${fmt.int(clickers.length)} clicks (every ${CLICK_EVERY}rd mail): DynamoDB ${fmt.two(clickCalls.total() / Math.max(1, clickers.length))} calls per click`);
    for (const [command, count] of [...clickCalls.calls.entries()].sort((a, b) => b[1] - a[1])) {
      say(`    DynamoDB ${command.padEnd(20)} ${fmt.two(count / Math.max(1, clickers.length)).padStart(6)} per click  (${fmt.int(count)} calls)${unitsOf(clickCalls, command, clickers.length)}`);
    }
    say(`    capacity units: ${fmt.two(clickCalls.units.write / Math.max(1, clickers.length))} WRU, ${fmt.two(clickCalls.units.read / Math.max(1, clickers.length))} RRU per click`);
    say('');
    say("counted from launch until the engine is idle; the engine's own queue table calls (the SQS stand-in) are not DynamoDB calls on AWS and are left out.");
    say('Compare rows of one run, never figures across machines.');
    if (timedOut) say(`! the campaign had not completed after ${CAMPAIGN_TIMEOUT_MS / 1000} s: the figures are for the ${fmt.int(n)} recipients settled by then`);
    const ok = !timedOut && counters.sent === options.recipients && counters.failed === 0 && sesCalls.calls.get('SendEmail') === options.recipients;
    say(`check: every recipient sent exactly one SendEmail: ${ok ? 'ok' : 'MISMATCH'}`);
    // Tells SendEmail calls that were retried (no mail) from mail that went out twice.
    say(`  SES accepted ${fmt.int(mailed.length)} mails for ${fmt.int(new Set(mailed.map((m) => m.to)).size)} distinct recipients`);
    say(`time: total ${fmt.s(performance.now() - started)} (before stopping)`);
    if (!ok) process.exitCode = 1;
    if (options.json) {
      const each = (c: CallCounter, k: number) => ({ calls: c.total() / Math.max(1, k), wru: c.units.write / Math.max(1, k), rru: c.units.read / Math.max(1, k) });
      const figures = {
        ok,
        recipients: n,
        perSecond,
        completedPerSecond,
        rawPerSecond,
        putsPerSecond,
        ceilingPerSecond,
        send: each(dynamoCalls, n),
        sendCalls: Object.fromEntries([...dynamoCalls.calls].map(([k, v]) => [k, v / Math.max(1, n)])),
        eventsPerMail: events / Math.max(1, mailed.length),
        events: each(eventCalls, mailed.length),
        open: each(openCalls, openers.length),
        click: each(clickCalls, clickers.length),
      };
      console.log(JSON_MARKER + JSON.stringify(figures));
    }
    return {
      title: `A campaign through the engine (\`npm run bench:campaign\`, ${fmt.int(options.recipients)} recipients here)`,
      markdown: [
        `One marketing campaign to ${fmt.int(options.recipients)} opted-in recipients through the local campaign engine (the launcher and sender handlers AWS invokes, on the SQS stand-in), ` +
          'DynamoDB Local in memory and the local SES in the bench process; then the SES events of every mail (as the local simulator publishes them) through the ses-events handler, an open of every fifth mail and a click of every 33rd ' +
          "through the pixel's and the click's services, each counted apart. Baselines: raw local-SES SendEmail at the campaign's peak SES concurrency, and raw DynamoDB Local PutItem at its peak DynamoDB concurrency (the ceiling any send path of as many calls per recipient can reach here), same run. " +
          '`npm run bench:campaign` runs the 10,000-recipient default (minutes); how it works and the figures of a 10,000 run: [bench/README.md](../bench/README.md#a-campaign-through-the-engine-npm-run-benchcampaign), [campaigns.md](campaigns.md).',
        '',
        '```',
        ...lines,
        '```',
      ].join('\n'),
    };
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (import.meta.main) await runCli(USAGE, parseOptions, async (o) => void (await runCampaignBench(o)));

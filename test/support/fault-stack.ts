/**
 * The local stack composed in the test process, the way `local/main.ts` composes it, for fault tests that must reach
 * into its parts: DynamoDB Local with its data on disk (so it can be stopped by PID and started again on the same
 * port with the same data), the local SES behind a fault proxy on loopback, the gateway with every real handler, the
 * campaign engine, the SES event emulator, the ledger's stream poller and the messages stream's figures reader. Every
 * server is on a free loopback port and
 * stopped by PID or handle when the file ends.
 *
 * Call it once per test file, before anything imports a handler (the handlers read their environment once).
 */
import { asFunction, guardHandlerTables } from '../../local/table-access-guard.ts';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { TABLE_LIST, TABLES } from '../../lambdas/wiring/tables.ts';
import { startCampaignEngine, type CampaignEngine, type CampaignEngineOptions } from '../../local/campaign-engine.ts';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { handlerEnv, localTableName } from '../../local/handler-env.ts';
import { generateKeys } from '../../local/keys.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.ts';
import { MailJournal, readJournal, type JournalLine } from '../../local/mail-journal.ts';
import { freePort } from '../../local/ports.ts';
import { startSesLocal, type RunningSesLocal } from '../../local/ses-local.ts';
import { startStreamPoller, type RunningStreamPoller } from '../../local/stream-poller.ts';
import { FIGURES_STREAM } from '../../lambdas/wiring/event-functions.ts';
import { ensureTables } from '../../local/tables.ts';
import { adminClient } from './admin-client.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';
import { startTestGateway, type TestGateway } from './gateway.ts';

const PREFIX = 'sendwell-faults';

export interface FaultStack {
  readonly dataDir: string;
  readonly dynamoPort: number;
  readonly dynamo: RunningDynamoDbLocal;
  readonly ses: RunningSesLocal;
  /** Between the handlers and the local SES: pass, answer errors, or refuse connections. */
  readonly sesProxy: FaultProxy;
  readonly journal: MailJournal;
  readonly gw: TestGateway;
  readonly api: ReturnType<typeof adminClient>;
  readonly engine: CampaignEngine;
  readonly poller: RunningStreamPoller;
  /** The messages stream → day counters (handlers/count-message-figures.ts), as `npm start` runs it. */
  readonly figures: RunningStreamPoller;
  /** Ledger records the stream poller handed over, by sequence number (a redelivery is not counted twice). */
  readonly ledgerSeen: Map<string, DynamoDBStreamEvent['Records'][number]>;
  /** Errors the engine, the emulator and the poller reported (they must survive them, not die). */
  readonly errors: { engine: string[]; emulator: string[]; poller: string[] };
  /** Stops DynamoDB Local with `signal` by its PID and waits until it is gone. */
  stopDynamo(signal: NodeJS.Signals): Promise<void>;
  /** Starts DynamoDB Local again on the same port with the same data folder. */
  restartDynamo(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFaultStack(options: { engine?: Partial<CampaignEngineOptions> } = {}): Promise<FaultStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sendwell-faults-'));
  const dbDir = join(dataDir, 'dynamodb');
  mkdirSync(dbDir, { recursive: true });
  const dynamoPort = await freePort();
  const stops: Array<() => Promise<void>> = [];
  const errors = { engine: [] as string[], emulator: [] as string[], poller: [] as string[] };
  try {
    let dynamo = await startDynamoDbLocal({ port: dynamoPort, dataDir: dbDir, startTimeoutMs: 90_000 });
    stops.push(() => dynamo.stop());
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    await ensureTables(client, TABLE_LIST, (def) => localTableName(def, PREFIX));
    client.destroy();

    const journal = MailJournal.open(join(dataDir, 'ses-journal.jsonl'));
    stops.push(async () => journal.close());
    const ses = await startSesLocal({ port: await freePort(), journal });
    stops.push(() => ses.stop());
    const sesProxy = await startFaultProxy(ses.endpoint);
    stops.push(() => sesProxy.stop());

    Object.assign(process.env, handlerEnv({ dynamodb: dynamo.endpoint, ses: sesProxy.endpoint, publicBaseUrl: 'http://127.0.0.1:3000', tablePrefix: PREFIX, keys: generateKeys() }));
    await guardHandlerTables();

    const gw = await startTestGateway();
    stops.push(() => gw.stop());
    const sesEventsHandler = asFunction('sesEvents', (await import('../../lambdas/handlers/ses-events.ts')).handler);
    const { startSesEventEmulator } = await import('../../local/ses-simulator.ts');
    const stopEmulator = startSesEventEmulator(ses.accepted, sesEventsHandler, {
      delayMs: 100,
      onHandled: (mail) => journal.handled(mail.sesMessageId),
      onError: (e) => errors.emulator.push((e as Error).name || (e as Error).message),
    });
    stops.push(async () => stopEmulator());

    const ledgerSeen = new Map<string, DynamoDBStreamEvent['Records'][number]>();
    const poller = startStreamPoller({
      endpoint: dynamo.endpoint,
      tableName: localTableName(TABLES.ledger, PREFIX),
      handler: async (event) => {
        for (const r of event.Records) if (r.dynamodb?.SequenceNumber) ledgerSeen.set(r.dynamodb.SequenceNumber, r);
      },
      checkpointFile: join(dataDir, 'relay-checkpoint.json'),
      intervalMs: 100,
      onError: (e) => errors.poller.push((e as Error).name || (e as Error).message),
    });
    stops.push(() => poller.stop());
    const figures = startStreamPoller({
      endpoint: dynamo.endpoint,
      tableName: localTableName(TABLES.messages, PREFIX),
      handler: asFunction('countMessageFigures', (await import('../../lambdas/handlers/count-message-figures.ts')).handler),
      filters: FIGURES_STREAM.filters,
      checkpointFile: join(dataDir, 'figures-checkpoint.json'),
      intervalMs: 100,
      onError: (e) => errors.poller.push(`figures: ${(e as Error).name || (e as Error).message}`),
    });
    stops.push(() => figures.stop());

    const engine = await startCampaignEngine({
      dynamodbEndpoint: dynamo.endpoint,
      table: `${PREFIX}-local-queues`,
      queuePrefix: `faults-${Date.now().toString(36)}`,
      visibilitySeconds: 20,
      sweepMs: 1000,
      onError: (e) => errors.engine.push((e as Error).name || (e as Error).message),
      ...options.engine,
    });
    stops.push(() => engine.stop());

    const stack: FaultStack = {
      dataDir,
      dynamoPort,
      get dynamo() {
        return dynamo;
      },
      ses,
      sesProxy,
      journal,
      gw,
      api: adminClient(gw),
      engine,
      poller,
      figures,
      ledgerSeen,
      errors,
      async stopDynamo(signal) {
        const gone = new Promise<void>((resolve) => {
          if (dynamo.process.exitCode !== null || dynamo.process.signalCode !== null) resolve();
          else dynamo.process.once('exit', () => resolve());
        });
        process.kill(dynamo.pid, signal);
        await gone;
      },
      async restartDynamo() {
        dynamo = await startDynamoDbLocal({ port: dynamoPort, dataDir: dbDir, startTimeoutMs: 90_000 });
      },
      async stop() {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    return stack;
  } catch (e) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

export type JournaledMail = Extract<JournalLine, { t: 'sent' }>;

/** The mail of one campaign the local SES journaled (accepted), read from its journal file. */
export function journalMail(journalFile: string, campaignId: string): JournaledMail[] {
  return readJournal(journalFile).filter((l): l is JournaledMail => l.t === 'sent' && String(l.tags.sendwell_message ?? '').startsWith(`${campaignId}-`));
}

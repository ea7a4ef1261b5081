/**
 * `npm start`: the whole pipeline on one machine, no AWS account. DynamoDB Local (data kept on disk), the local SES
 * with its mail viewer, and a gateway serving the same handlers CDK deploys. Ctrl-C stops everything.
 */
import { asFunction, guardHandlerTables } from './table-access-guard.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS, ROUTES } from '../lambdas/wiring/routes.ts';
import { TABLE_LIST, TABLES } from '../lambdas/wiring/tables.ts';
import { ENV } from '../lambdas/wiring/env-keys.ts';
import { localDataDir, resolveAdminKey, resolveRoleKeys } from './admin-key.ts';
import { resolveLocalKeys } from './keys.ts';
import { assertJava, assertWritableDir, startDynamoDbLocal } from './dynamodb-local.ts';
import { LocalStackError } from './errors.ts';
import { loadHandlers, startGateway } from './gateway.ts';
import { consoleSite } from './console.ts';
import { handlerEnv, localTableName } from './handler-env.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';
import { assertPortFree } from './ports.ts';
import { startCampaignEngine } from './campaign-engine.ts';
import { startImportEngine } from './import-engine.ts';
import { localUploads } from './uploads.ts';
import { startSesLocal } from './ses-local.ts';
import { replayJournal, startSesEventEmulator } from './ses-simulator.ts';
import { MailJournal } from './mail-journal.ts';
import { startStreamPoller } from './stream-poller.ts';
import { FIGURES_STREAM, LEDGER_STREAM } from '../lambdas/wiring/event-functions.ts';
import { localPartners } from './partners.ts';
import { ensureTables } from './tables.ts';
import { localLog } from './log.ts';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const HOST = '127.0.0.1';

/** An emulation setting (the fault suite's knobs): a whole number within `[min, max]` of `unit`. */
function numberFromEnv(name: string, fallback: number, min: number, max: number, unit: string): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new LocalStackError(`${name}=${raw} is not a number of ${unit} (${min}-${max}).`);
  return n;
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new LocalStackError(`${name}=${raw} is not a port number (1-65535).`);
  return port;
}

async function main() {
  const apiPort = portFromEnv('SENDWELL_PORT', 3000);
  const sesPort = portFromEnv('SENDWELL_SES_PORT', 8005);
  const dynamoPort = portFromEnv('SENDWELL_DYNAMODB_PORT', 8000);
  const dataDir = localDataDir(root);
  // A moved clock is for tests of deferred and local-time mail only: mail timed by it would reach real people at the wrong hour.
  if (process.env[ENV.clockOffsetMs]) throw new LocalStackError(`${ENV.clockOffsetMs} is for tests only; unset it to run npm start.`);

  assertWritableDir(dataDir, 'SENDWELL_DATA_DIR');
  assertWritableDir(resolve(dataDir, 'dynamodb'), 'SENDWELL_DATA_DIR');
  assertJava();
  await assertPortFree(HOST, apiPort, 'the API', 'SENDWELL_PORT');
  await assertPortFree(HOST, sesPort, 'the local SES', 'SENDWELL_SES_PORT');
  await assertPortFree(HOST, dynamoPort, 'DynamoDB Local', 'SENDWELL_DYNAMODB_PORT');

  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    localLog.info('stopping the local stack');
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const dynamoOptions = {
      host: HOST,
      port: dynamoPort,
      dataDir: resolve(dataDir, 'dynamodb'),
      // Java starts in a few seconds on an idle machine, in 20-35 s on a busy 2-core one (measured): give it room.
      startTimeoutMs: 90_000,
      onLine: (line: string) => localLog.debug('dynamodb-local', { line }),
    };
    let dynamo = await startDynamoDbLocal(dynamoOptions);
    stops.push(() => dynamo.stop());
    // DynamoDB Local dying (killed, out of memory) is survivable: its data is on disk, and every part of the stack
    // retries while it is away. It is started again on the same port; only if it keeps dying does the stack stop.
    const restarts: number[] = [];
    const supervise = (running: typeof dynamo) =>
      running.process.once('exit', (code, signal) => {
        if (stopping) return;
        restarts.push(Date.now());
        if (restarts.filter((t) => t > Date.now() - 60_000).length > 3) {
          localLog.error('DynamoDB Local stopped unexpectedly again; stopping the local stack', { code, signal });
          void shutdown(1);
          return;
        }
        localLog.error('DynamoDB Local stopped unexpectedly; starting it again (its data is on disk)', { code, signal });
        void (async () => {
          for (let attempt = 1; !stopping; attempt++) {
            try {
              dynamo = await startDynamoDbLocal(dynamoOptions);
              break;
            } catch (e) {
              if (attempt >= 3) {
                localLog.error('DynamoDB Local could not be started again; stopping the local stack', { error: (e as Error).message });
                void shutdown(1);
                return;
              }
              await new Promise((r) => setTimeout(r, 1000 * attempt));
            }
          }
          if (stopping) return void dynamo.stop();
          localLog.warn('dynamodb-local restarted', { endpoint: dynamo.endpoint, pid: dynamo.pid });
          supervise(dynamo);
        })();
      });
    supervise(dynamo);
    localLog.info('dynamodb-local started', { endpoint: dynamo.endpoint, pid: dynamo.pid });

    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const tables = await ensureTables(client, TABLE_LIST, (def) => localTableName(def));
    client.destroy();
    localLog.info('tables ready', tables);

    // Every mail the local SES accepts is journaled before it answers: a crash before its emulated SES events were
    // handled is made good at the next start (below), and the viewer shows the mail of earlier runs.
    const journal = MailJournal.open(resolve(dataDir, 'ses-journal.jsonl'));
    stops.push(async () => journal.close());
    const ses = await startSesLocal({ host: HOST, port: sesPort, journal, answerDelayMs: numberFromEnv('SENDWELL_SES_LATENCY_MS', 0, 0, 10_000, 'milliseconds') });
    stops.push(ses.stop);

    const publicBaseUrl = `http://${HOST}:${apiPort}`;
    Object.assign(process.env, handlerEnv({ dynamodb: dynamo.endpoint, ses: ses.endpoint, publicBaseUrl, keys: resolveLocalKeys(dataDir) }));
    await guardHandlerTables();
    process.env[ENV.partners] ??= localPartners(dataDir);
    const { key, source } = resolveAdminKey(dataDir);
    const roleKeys = resolveRoleKeys(dataDir);
    const handlers = await loadHandlers(FUNCTIONS, root);
    const consoleApp = consoleSite({ outDir: resolve(dataDir, 'console') });
    // The import bucket's stand-in: uploaded files under the data folder, their arrival put on the import queue.
    let importQueue: { send(bodies: string[]): Promise<unknown> } | undefined;
    const uploads = localUploads(resolve(dataDir, 'uploads'), async (event) => {
      if (!importQueue) throw new Error('the import engine is not running yet');
      await importQueue.send([event]);
    });
    const gateway = await startGateway({
      staticSites: [consoleApp, uploads.site],
      routes: ROUTES,
      functions: FUNCTIONS,
      handlers,
      adminKey: key,
      roleKeys: roleKeys.keys,
      host: HOST,
      port: apiPort,
      log: (message, fields) => localLog.info(message, fields),
    });
    stops.push(gateway.stop);

    // The partner relay: the ledger's stream through the same handler AWS invokes, and the periodic replay.
    const relayHandler = asFunction('relayLedgerStream', (await import('../lambdas/handlers/relay-ledger-stream.ts')).handler);
    const replayHandler = asFunction('replayPartnerEvents', (await import('../lambdas/handlers/replay-partner-events.ts')).handler);
    const poller = startStreamPoller({
      endpoint: dynamo.endpoint,
      tableName: localTableName(TABLES.ledger),
      handler: relayHandler,
      filters: LEDGER_STREAM.filters,
      checkpointFile: resolve(dataDir, 'relay-checkpoint.json'),
      // Ctrl-C reaches DynamoDB Local (same process group) as it reaches this process: a poll failing then is the stop.
      onError: (e) => void (stopping || localLog.error('partner relay poll failed', { error: (e as Error).message })),
    });
    stops.push(poller.stop);
    // The day counters: the messages table's stream through the same handler AWS invokes, counted once per batch.
    const figuresPoller = startStreamPoller({
      endpoint: dynamo.endpoint,
      tableName: localTableName(TABLES.messages),
      handler: asFunction('countMessageFigures', (await import('../lambdas/handlers/count-message-figures.ts')).handler),
      filters: FIGURES_STREAM.filters,
      checkpointFile: resolve(dataDir, 'figures-checkpoint.json'),
      onError: (e) => void (stopping || localLog.error('figures poll failed', { error: (e as Error).message })),
    });
    stops.push(figuresPoller.stop);
    const replay = setInterval(() => void replayHandler().catch((e: unknown) => localLog.error('partner replay failed', { error: (e as Error).message })), 60_000);
    stops.push(async () => clearInterval(replay));
    // Data migrations (a data folder of an earlier version): every minute until done, as AWS runs them every 5.
    const migrateHandler = asFunction('migrateData', (await import('../lambdas/handlers/migrate-data.ts')).handler);
    const migrate = setInterval(() => void migrateHandler().catch((e: unknown) => localLog.error('data migration failed', { error: (e as Error).message })), 60_000);
    stops.push(async () => clearInterval(migrate));

    // SES events: the local SES publishes none, so the mailbox simulator is emulated through the same handler, for
    // each mail the local SES accepted. Then the mail an earlier run accepted but whose events it never handled (it
    // was killed in between), so the senders' reconcile finds the evidence before any of them runs again.
    const sesEventsHandler = asFunction('sesEvents', (await import('../lambdas/handlers/ses-events.ts')).handler);
    const onEventError = (e: unknown, final: boolean) =>
      (final ? localLog.error : localLog.warn).call(localLog, final ? 'emulated SES event failed, given up until the next start' : 'emulated SES event failed, retrying', { error: (e as Error).message });
    const stopEmulator = startSesEventEmulator(ses.accepted, sesEventsHandler, {
      delayMs: numberFromEnv('SENDWELL_SES_EVENT_DELAY_MS', 300, 0, 60_000, 'milliseconds'),
      onHandled: (mail) => journal.handled(mail.sesMessageId),
      onError: onEventError,
    });
    stops.push(async () => void stopEmulator());
    const replayed = await replayJournal(journal, sesEventsHandler, { onError: onEventError });
    // Worth a warning: the previous run stopped (was killed) before it handled these mails' SES events.
    if (replayed.replayed || replayed.failed || journal.skipped) localLog.warn('mail journal replayed', { ...replayed, tornLines: journal.skipped });

    // Campaigns: the launch and send queues (kept in DynamoDB Local, so a campaign in progress finishes after a
    // restart), their consumers, and the minute sweep, around the same handlers AWS invokes.
    const engine = await startCampaignEngine({
      dynamodbEndpoint: dynamo.endpoint,
      table: 'sendwell-local-queues',
      // The fault suite shortens it: after a kill, what the dead process had received waits this long to come again.
      ...(process.env.SENDWELL_QUEUE_VISIBILITY_SECONDS ? { visibilitySeconds: numberFromEnv('SENDWELL_QUEUE_VISIBILITY_SECONDS', 0, 5, 43_200, 'seconds') } : {}),
      onError: (e) => void (stopping || localLog.error('campaign engine', { error: (e as Error).message })),
    });
    stops.push(engine.stop);

    // Import jobs: the import queue beside the campaign queues, so a job in progress carries on after a restart.
    const imports = await startImportEngine({
      dynamodbEndpoint: dynamo.endpoint,
      table: 'sendwell-local-queues',
      ...(process.env.SENDWELL_QUEUE_VISIBILITY_SECONDS ? { visibilitySeconds: numberFromEnv('SENDWELL_QUEUE_VISIBILITY_SECONDS', 0, 5, 43_200, 'seconds') } : {}),
      onError: (e) => void (stopping || localLog.error('import engine', { error: (e as Error).message })),
    });
    stops.push(imports.stop);
    importQueue = imports.queue;
    uploads.activate(gateway.url);

    process.stdout.write(
      [
        '',
        'Sendwell local stack is running.',
        `  API and public pages  ${gateway.url}   (health: ${gateway.url}/health, OpenAPI: ${gateway.url}/v1/openapi.json)`,
        `  Mail viewer (SES)     ${ses.endpoint}/`,
        `  Ops page              ${gateway.url}/ops   (figures, rates, recent bounces; asks for the admin key)`,
        `  Console               ${gateway.url}${consoleApp.prefix}/   (marketing, ops, privacy; sign in with the admin key or a role key)`,
        `  DynamoDB Local        ${dynamo.endpoint}   (data in ${resolve(dataDir, 'dynamodb')})`,
        `  Partner webhooks      ${resolve(dataDir, 'partners.json')} (consent changes are relayed to each)`,
        `  Admin key             ${source === 'SENDWELL_ADMIN_KEY' ? 'from SENDWELL_ADMIN_KEY' : source}`,
        `                        curl -H "Authorization: Bearer $(cat ${source === 'SENDWELL_ADMIN_KEY' ? '<key>' : source})" ${gateway.url}/v1/openapi.json`,
        `  Role keys             ${roleKeyLine(roleKeys.sources)}   (marketing, ops, privacy: a console user in that group)`,
        `                        curl -H "Authorization: Bearer <key>" ${gateway.url}/v1/me`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (e) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw e;
  }
}

/** Where the role keys are: the file, and any role whose key comes from its environment variable. */
function roleKeyLine(sources: Readonly<Record<string, string>>): string {
  const fromEnv = Object.entries(sources).filter(([, s]) => s.startsWith('SENDWELL_'));
  const file = Object.values(sources).find((s) => !s.startsWith('SENDWELL_'));
  return [file, ...fromEnv.map(([role, s]) => `${role} from ${s}`)].filter(Boolean).join('; ');
}

main().catch((e: unknown) => {
  if (e instanceof LocalStackError) {
    process.stderr.write(`sendwell: ${e.message}\n`);
  } else {
    process.stderr.write(`sendwell: the local stack could not start: ${(e as Error).message}\n`);
  }
  process.exit(1);
});

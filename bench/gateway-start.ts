/**
 * What the benches that go through the local gateway start, on 127.0.0.1 only: the gateway process
 * (`bench/gateway-process.ts`, every real handler), and with {@link startBenchStack} DynamoDB Local (in memory or on
 * a temporary folder), the local SES in this process and the tables. Everything started is registered in `stops`,
 * which the bench runs (newest first) when it ends: each stop ends exactly the process it started, by PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_LIST } from '../lambdas/wiring/tables.ts';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { handlerEnv, localTableName } from '../local/handler-env.ts';
import { generateKeys, type LocalKeys } from '../local/keys.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/local-aws.ts';
import { freePort } from '../local/ports.ts';
import { startSesLocal } from '../local/ses-local.ts';
import { ensureTables } from '../local/tables.ts';
import type { GatewayReady } from './gateway-process.ts';

const HOST = '127.0.0.1';
const ROOT = resolve(fileURLToPath(import.meta.url), '../..');


export type Stop = () => Promise<void>;

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly ready: GatewayReady;
  readonly stop: Stop;
  /** What the handlers printed (they log only what goes wrong). */
  readonly logLines: () => readonly string[];
}

/** Starts `bench/gateway-process.ts` with the handler environment and waits until it listens. */
export async function startGatewayProcess(env: Record<string, string>, adminKey: string, port: number): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'gateway-process.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env, SENDWELL_BENCH_ADMIN_KEY: adminKey, SENDWELL_BENCH_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() && lines.length < 1000) lines.push(line.trim());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const stop: Stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return done();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(killer);
        done();
      });
      process.kill(child.pid, 'SIGTERM');
    });
  const onExit = (code: number | null) => lines.push(`(gateway process exited, code ${code})`);
  try {
    const ready = await new Promise<GatewayReady>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('the gateway process did not listen within 60 s')), 60_000);
      child.once('error', fail);
      child.once('exit', (code) => fail(new Error(`the gateway process exited during start (code ${code}): ${lines.slice(-5).join(' | ')}`)));
      child.on('message', (m: GatewayReady) => {
        if (m?.type !== 'listening') return;
        clearTimeout(timer);
        ok(m);
      });
    });
    child.removeAllListeners('exit');
    child.once('exit', onExit);
    return { child, ready, stop, logLines: () => lines };
  } catch (e) {
    await stop();
    throw e;
  }
}

export interface BenchStack {
  readonly dynamo: RunningDynamoDbLocal;
  readonly dynamoStartMs: number;
  readonly gateway: GatewayProcess;
  readonly sesEndpoint: string;
  readonly keys: LocalKeys;
  readonly adminKey: string;
  readonly publicBaseUrl: string;
  /** A document client on DynamoDB Local with the handlers' marshalling options (for baselines). */
  readonly doc: DynamoDBDocumentClient;
}

/**
 * DynamoDB Local (in memory, or with `disk` in a temporary folder removed at the end), the local SES in this
 * process, the gateway process, and the tables named with `tablePrefix`. The gateway needs only the endpoints to
 * load its handlers, so it starts while Java does. Every start registers its stop in `stops` before anything else
 * can fail.
 */
export async function startBenchStack(options: { readonly disk: boolean; readonly tablePrefix: string }, stops: Stop[]): Promise<BenchStack> {
  const started = performance.now();
  const dataDir = options.disk ? mkdtempSync(join(os.tmpdir(), 'sendwell-bench-ddb-')) : undefined;
  if (dataDir) stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort(HOST)); // three different ones, should the OS hand one out twice
  const [dynamoPort, sesPort, gatewayPort] = [...ports] as [number, number, number];
  const ses = await startSesLocal({ host: HOST, port: sesPort });
  stops.push(ses.stop);
  const keys = generateKeys();
  const publicBaseUrl = `http://${HOST}:${gatewayPort}`;
  const env = handlerEnv({ dynamodb: `http://${HOST}:${dynamoPort}`, ses: ses.endpoint, publicBaseUrl, keys, tablePrefix: options.tablePrefix });
  const adminKey = `swl_bench_${randomBytes(24).toString('base64url')}`;
  const [dynamoStart, gatewayStart] = await Promise.allSettled([
    startDynamoDbLocal({ host: HOST, port: dynamoPort, ...(dataDir ? { dataDir } : {}) }).then((d) => {
      stops.push(d.stop);
      return { d, ms: performance.now() - started };
    }),
    startGatewayProcess(env, adminKey, gatewayPort).then((g) => {
      stops.push(g.stop);
      return g;
    }),
  ]);
  if (dynamoStart.status === 'rejected') throw dynamoStart.reason;
  if (gatewayStart.status === 'rejected') throw gatewayStart.reason;
  const { d: dynamo, ms: dynamoStartMs } = dynamoStart.value;
  const dynamoClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  stops.push(async () => dynamoClient.destroy());
  await ensureTables(dynamoClient, TABLE_LIST, (def) => localTableName(def, options.tablePrefix));
  // The same marshalling options as the handlers' client (lambdas/adapters/clients.ts).
  const doc = DynamoDBDocumentClient.from(dynamoClient, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
  return { dynamo, dynamoStartMs, gateway: gatewayStart.value, sesEndpoint: ses.endpoint, keys, adminKey, publicBaseUrl, doc };
}

export interface RunGuard {
  /** Stops of everything the run started; run newest first by {@link RunGuard.stopAll}. */
  readonly stops: Stop[];
  readonly stopAll: () => Promise<void>;
  /** Whether SIGINT/SIGTERM arrived (requests in flight then fail as their servers stop). */
  readonly interrupted: () => boolean;
  /** The run is over: the watchdog and the signal handlers go. Call after `stopAll`. */
  readonly release: () => void;
}

/**
 * Makes sure a bench never leaves a process behind: on SIGINT/SIGTERM, or if the run still goes after `watchdogMs`,
 * every registered stop runs and the process exits.
 */
export function guardRun(name: string, watchdogMs: number): RunGuard {
  const stops: Stop[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    })());
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    process.stderr.write(`${name}: interrupted; stopping what it started\n`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => {
    process.stderr.write(`${name}: still running after ${watchdogMs / 1000} s; stopping everything it started\n`);
    void stopAll().finally(() => process.exit(1));
  }, watchdogMs);
  watchdog.unref();
  const release = () => {
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  return { stops, stopAll, interrupted: () => interrupted, release };
}

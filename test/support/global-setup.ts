/**
 * Integration test servers, once per run: the official DynamoDB Local (in memory) and the local SES, each on a free
 * loopback port, the tables created from the shared definitions. Stopped by PID when the run ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { startSesLocal } from '../../local/ses-local.ts';
import { ensureTables } from '../../local/tables.ts';
import { localTableName } from '../../local/handler-env.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.ts';
import { freePort } from '../../local/ports.ts';
import { TABLE_LIST } from '../../lambdas/wiring/tables.ts';
import { generateKeys, type LocalKeys } from '../../local/keys.ts';

export interface SendwellTestServers {
  readonly dynamodbEndpoint: string;
  readonly dynamodbPid: number;
  readonly sesEndpoint: string;
  readonly tablePrefix: string;
  /** Token and pseudonym keys of this run, shared by every worker so tokens verify wherever they were signed. */
  readonly keys: LocalKeys;
  /** `POST` here waits until the shared tables' figures are counted (test/support/shared-figures.ts). */
  readonly figuresDrainUrl: string;
  /** Table sets created now for the files that need tables of their own (own-tables.ts leases one per file). */
  readonly ownTableSets: OwnTableSets;
}

export interface OwnTableSets {
  /** Set `i` is named `${prefix}${i}`. */
  readonly prefix: string;
  readonly count: number;
  /** A file here per leased set, created exclusively: the lease holds across worker processes. */
  readonly leaseDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    sendwell: SendwellTestServers;
  }
}

export const TEST_TABLE_PREFIX = 'sendwell-test';

/**
 * More than the files that ask for tables of their own (29 today). They are created before any test writes: on
 * DynamoDB Local a stream opened late in the run costs a walk over every older stream record on each write
 * (local/tables.ts, startStream); opened now, it costs nothing. A file past the last set gets tables made on the spot.
 */
const OWN_TABLE_SETS = 40;
const OWN_PREFIX = `${TEST_TABLE_PREFIX}-own`;

export default async function setup(project: TestProject) {
  // A busy shared machine can take longer than the default 30 s to start the JVM.
  const dynamo = await startDynamoDbLocal({ port: await freePort(), startTimeoutMs: 120_000 });
  const leaseDir = mkdtempSync(join(tmpdir(), 'sendwell-own-tables-'));
  let ses: Awaited<ReturnType<typeof startSesLocal>> | undefined;
  let figures: { child: ChildProcess; drainUrl: string } | undefined;
  try {
    ses = await startSesLocal({ port: await freePort() });
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    await ensureTables(client, TABLE_LIST, (def) => localTableName(def, TEST_TABLE_PREFIX));
    await Promise.all(Array.from({ length: OWN_TABLE_SETS }, (_, i) => ensureTables(client, TABLE_LIST, (def) => localTableName(def, `${OWN_PREFIX}${i}`))));
    client.destroy();
    figures = await startSharedFigures(dynamo.endpoint);
  } catch (e) {
    await dynamo.stop();
    await ses?.stop();
    rmSync(leaseDir, { recursive: true, force: true });
    throw e;
  }
  project.provide('sendwell', {
    dynamodbEndpoint: dynamo.endpoint,
    dynamodbPid: dynamo.pid,
    sesEndpoint: ses.endpoint,
    tablePrefix: TEST_TABLE_PREFIX,
    keys: generateKeys(),
    figuresDrainUrl: figures.drainUrl,
    ownTableSets: { prefix: OWN_PREFIX, count: OWN_TABLE_SETS, leaseDir },
  });
  return async () => {
    await stopChild(figures.child);
    await ses?.stop();
    await dynamo.stop();
    rmSync(leaseDir, { recursive: true, force: true });
  };
}

/** The shared tables' figures reader (shared-figures.ts) in a child process, once it says where to ask it to drain. */
async function startSharedFigures(endpoint: string): Promise<{ child: ChildProcess; drainUrl: string }> {
  const script = fileURLToPath(new URL('./shared-figures.ts', import.meta.url));
  const child = spawn(process.execPath, [script, endpoint, TEST_TABLE_PREFIX], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const drainUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the shared figures reader did not start: ${out}`)), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /FIGURES_DRAIN_URL (\S+)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the shared figures reader exited (${code}): ${out}`));
    });
  }).catch(async (e: unknown) => {
    await stopChild(child);
    throw e;
  });
  return { child, drainUrl };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

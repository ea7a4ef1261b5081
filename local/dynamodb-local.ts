/**
 * Starts the official DynamoDB Local (Java), the jar shipped by the `amplify-dynamodb-simulator` package, bound to
 * loopback through a small launcher (DynamoDB Local itself has no host option). Used by `npm start` (data on disk)
 * and by the test setup (in memory).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LocalStackError } from './errors.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';

export interface DynamoDbLocalOptions {
  readonly host?: string;
  readonly port: number;
  /** Folder for the database file; omitted → in memory (tests). */
  readonly dataDir?: string;
  /** @default 30000 */
  readonly startTimeoutMs?: number;
  /** Called with each line DynamoDB Local prints. */
  readonly onLine?: (line: string) => void;
}

export interface RunningDynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

const launcher = join(dirname(fileURLToPath(import.meta.url)), 'dynamodb', 'LoopbackDynamoDbLocal.java');

function emulatorDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

/** Throws a {@link LocalStackError} when no Java 17+ runtime is on PATH. */
export function assertJava(): void {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (out.error) {
    throw new LocalStackError('Java was not found: DynamoDB Local needs Java 17 or newer. Install it (Debian: `apt-get install -y openjdk-17-jre-headless`) and try again.');
  }
  const m = /version "(\d+)/.exec(out.stderr);
  if (m && Number(m[1]) < 17) {
    throw new LocalStackError(`Java ${m[1]} was found: DynamoDB Local needs Java 17 or newer (single-file launch). Install a newer JRE and try again.`);
  }
}

/** Creates `dir` if needed and throws a {@link LocalStackError} when it cannot be written. */
export function assertWritableDir(dir: string, envVar: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new LocalStackError(`The data folder ${dir} cannot be written (${(e as NodeJS.ErrnoException).code ?? 'error'}): fix its permissions or set ${envVar} to a writable folder.`);
  }
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, deadline: number): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new LocalStackError(`DynamoDB Local exited during start (code ${child.exitCode}).`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1000) });
        return;
      } catch {
        if (Date.now() > deadline) throw new LocalStackError(`DynamoDB Local did not answer at ${endpoint} in time.`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    client.destroy();
  }
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<RunningDynamoDbLocal> {
  const host = options.host ?? '127.0.0.1';
  const emulator = emulatorDir();
  const libDir = join(emulator, 'DynamoDBLocal_lib');
  const storage = options.dataDir ? ['-sharedDb', '-dbPath', options.dataDir] : ['-inMemory'];
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${libDir}`,
      `-Dsendwell.host=${host}`,
      '-Xshare:auto',
      // C1 only: the C2 compiler spent more CPU than it saved. Over one full `npm test` (a dozen JVMs, most of them
      // minutes old) the compiler threads took 182 s against 290 s of DynamoDB Local's own work; a 75 s campaign
      // test used 60 s of Java CPU with C2 and 43 s without (its SQLite thread 22.5 → 25.4 s).
      '-XX:TieredStopAtLevel=1',
      '-cp',
      `${join(emulator, 'DynamoDBLocal.jar')}:${join(libDir, '*')}`,
      launcher,
      '-port',
      String(options.port),
      '-disableTelemetry',
      ...storage,
    ],
    // DynamoDB Local writes a metadata file into its working directory: keep it out of the repository.
    { stdio: ['pipe', 'pipe', 'pipe'], cwd: options.dataDir ?? tmpdir(), env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' } },
  );
  const spawned = await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  }).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') assertJava();
      throw new LocalStackError(`DynamoDB Local could not be started: ${e.message}`);
    },
  );
  if (!spawned || child.pid === undefined) throw new LocalStackError('DynamoDB Local could not be started.');
  const pid = child.pid;
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) options.onLine?.(line.trim());
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);

  const endpoint = `http://${host}:${options.port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      process.kill(pid, 'SIGTERM');
    });
  try {
    await waitUntilAnswering(endpoint, child, Date.now() + (options.startTimeoutMs ?? 30_000));
  } catch (e) {
    await stop();
    throw e;
  }
  return { endpoint, pid, process: child, stop };
}

/**
 * `npm start` in a child process for the fault suite: its own process group (so a test can SIGKILL the stack and
 * DynamoDB Local with it, as a crash would), free loopback ports, its own data folder, an admin client over HTTP.
 * Every process it starts is stopped by its process-group id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../local/ports.ts';
import { adminClient } from './admin-client.ts';
import { repoRoot, type TestGateway } from './gateway.ts';

export interface ChildStack {
  readonly pid: number;
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` to the whole process group (the stack and the DynamoDB Local it started). */
  signal(signal: NodeJS.Signals): void;
}

export interface StackPorts {
  readonly SENDWELL_PORT: string;
  readonly SENDWELL_SES_PORT: string;
  readonly SENDWELL_DYNAMODB_PORT: string;
}

export async function stackPorts(): Promise<StackPorts> {
  return { SENDWELL_PORT: String(await freePort()), SENDWELL_SES_PORT: String(await freePort()), SENDWELL_DYNAMODB_PORT: String(await freePort()) };
}

/**
 * The environment of a fault test's `npm start`: its own ports, data folder and admin key, handler logs at WARN (what
 * a test reads from the output), plus the test's own settings (`extra` wins).
 */
export function childStackEnv(ports: StackPorts, dataDir: string, adminKey: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...ports, SENDWELL_DATA_DIR: dataDir, SENDWELL_ADMIN_KEY: adminKey, SENDWELL_LOG_LEVEL: 'WARN', POWERTOOLS_LOG_LEVEL: 'ERROR', ...extra };
}

/** Starts `node local/main.ts` (what `npm start` runs) and resolves once it says it is running. */
export async function startChildStack(env: Record<string, string>, timeoutMs = 120_000): Promise<ChildStack> {
  const child = spawn(process.execPath, ['local/main.ts'], { cwd: repoRoot, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('npm start could not be spawned');
  const pid = child.pid;
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stack: ChildStack = {
    pid,
    child,
    output: () => out,
    exited,
    signal: (signal) => {
      try {
        process.kill(-pid, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (!out.includes('Sendwell local stack is running.')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`npm start exited early:\n${out}`);
    if (Date.now() > deadline) {
      stack.signal('SIGKILL');
      throw new Error(`npm start was not ready in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return stack;
}

/** Stops a child stack the way Ctrl-C does, then makes sure nothing of its group is left. */
export async function stopChildStack(stack: ChildStack | undefined): Promise<void> {
  if (!stack) return;
  if (stack.child.exitCode === null && stack.child.signalCode === null) {
    stack.signal('SIGTERM');
    const timer = setTimeout(() => stack.signal('SIGKILL'), 15_000);
    await stack.exited;
    clearTimeout(timer);
  }
  // DynamoDB Local stops when its parent goes (its stdin closes); this catches a straggler of the group.
  await new Promise((r) => setTimeout(r, 200));
  stack.signal('SIGKILL');
}

/** The admin client of the tests, against a stack reached over HTTP with `adminKey`. */
export function remoteAdminClient(baseUrl: string, adminKey: string) {
  const gw = {
    url: baseUrl,
    call: (path: string, init: RequestInit & { admin?: boolean } = {}) => {
      const { admin, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (admin) headers.set('authorization', `Bearer ${adminKey}`);
      return fetch(`${baseUrl}${path}`, { ...rest, headers });
    },
  } as unknown as TestGateway;
  return adminClient(gw);
}

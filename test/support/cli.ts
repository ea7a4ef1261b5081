/** Running the `sendwell` CLI in tests: in-process with a recorded Io, or as a child process like a user runs it. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../../cli/io.ts';
import type { Campaign, CampaignProgress } from '../../lambdas/schemas/model.ts';
import { repoRoot } from './gateway.ts';
export const CLI_MAIN = join(repoRoot, 'cli/main.ts');
/** What the `sendwell` bin runs (`package.json` `bin`). */
export const CLI_BIN = join(repoRoot, 'cli/sendwell.mjs');

export interface RecordedIo extends Io {
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Calls the listeners registered through `onInterrupt`, as Ctrl-C would. */
  interrupt(): void;
}

/** An Io that records what a command prints; `env` replaces the process environment entirely. */
export function recordedIo(env: NodeJS.ProcessEnv = {}, options: { tty?: boolean; columns?: number } = {}): RecordedIo {
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  return {
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    env,
    tty: options.tty ?? false,
    columns: options.columns ?? 120,
    fetch: globalThis.fetch,
    onInterrupt: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    stdout: () => out,
    stderr: () => err,
    interrupt: () => listeners.forEach((l) => l()),
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `node cli/main.ts …args` on this Node (24), with a clean environment: no AWS or Sendwell settings from the machine
 * running the tests, and a HOME of its own so no `~/.aws` is read.
 */
export function runCli(args: readonly string[], env: Record<string, string> = {}, script = CLI_MAIN): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), 'sendwell-cli-home-'));
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: home, SENDWELL_DATA_DIR: join(home, 'no-data'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface ScriptedServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  stop(): Promise<void>;
}

/** A loopback HTTP server answering each request with `answer(request, index)`: `[status, body]`, the body sent as JSON. */
export async function scriptedServer(answer: (request: RecordedRequest, index: number) => readonly [number, unknown]): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const recorded = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
      requests.push(recorded);
      const [status, payload] = answer(recorded, requests.length - 1);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolveClose) => server.close(() => resolveClose())),
  };
}

type ProgressFields = Omit<Partial<CampaignProgress>, 'held'> & { held?: Partial<Record<keyof CampaignProgress['held'], number>> };

/** A campaign document as `GET /v1/campaigns/{id}` answers it: 100 targeted, nothing settled, unless told otherwise. */
export function campaignDoc(status: Campaign['status'], progress: ProgressFields = {}, extra: Partial<Campaign> = {}): Campaign {
  return {
    id: 'cmp_1',
    name: 'November news',
    template: 'news-weekly',
    topic: 'news',
    class: 'marketing',
    status,
    createdAt: '2026-11-22T10:00:00Z',
    updatedAt: '2026-11-22T10:00:00Z',
    createdBy: 'local-admin',
    progress: { audience: 100, audienceComplete: true, excluded: 0, targeted: 100, sent: 0, heldTotal: 0, failed: 0, remaining: 100, scheduled: 0, deferred: 0, late: 0, ...progress, held: (progress.held ?? {}) as CampaignProgress['held'] },
    ...extra,
  };
}

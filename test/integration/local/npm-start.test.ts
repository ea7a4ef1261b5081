/**
 * `npm start` as a person runs it: the real entry point in a child process, on free ports, with its own data folder.
 * Checks what the README promises: health, the mail viewer, data kept across a restart, a clean stop, and one clear
 * line for each thing the person has to fix.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from '../../../local/ports.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/local-aws.ts';
import { repoRoot } from '../../support/gateway.ts';

interface Started {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

const dataDir = mkdtempSync(join(tmpdir(), 'sendwell-start-'));
const started: Started[] = [];
afterAll(async () => {
  // A test that failed before its Ctrl-C leaves its stack (and DynamoDB Local's JVM) running: stopped as Ctrl-C does.
  for (const s of started) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGINT');
      await Promise.race([s.exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

function run(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['local/main.ts'], {
    cwd: repoRoot,
    // Its own process group, as a terminal starts it: Ctrl-C below goes to the whole group (DynamoDB Local's JVM too).
    detached: true,
    env: { ...process.env, SENDWELL_ADMIN_KEY: '', SENDWELL_MARKETING_KEY: '', SENDWELL_OPS_KEY: '', SENDWELL_PRIVACY_KEY: '', ...env },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const s = { child, output: () => out, exited };
  started.push(s);
  return s;
}

// A busy 2-core machine (two integration files at once, other work beside) was seen to take over 45 s to start the
// JVM and the stack; global-setup.ts allows DynamoDB Local 120 s for the same reason.
async function untilReady(s: Started, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!s.output().includes('Sendwell local stack is running.')) {
    if (s.child.exitCode !== null) throw new Error(`npm start exited early:\n${s.output()}`);
    if (Date.now() > deadline) throw new Error(`npm start was not ready in time:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function ports() {
  return { SENDWELL_PORT: String(await freePort()), SENDWELL_SES_PORT: String(await freePort()), SENDWELL_DYNAMODB_PORT: String(await freePort()) };
}

describe('npm start', () => {
  it('serves health and the mail viewer, keeps data across a restart, and stops every child on Ctrl-C', async () => {
    const p = await ports();
    const env = { ...p, SENDWELL_DATA_DIR: dataDir };
    const first = run(env);
    await untilReady(first);
    const api = `http://127.0.0.1:${p.SENDWELL_PORT}`;

    const health = await fetch(`${api}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', dynamodb: 'ok', ses: 'ok' });
    const viewer = await fetch(`http://127.0.0.1:${p.SENDWELL_SES_PORT}/`);
    expect(viewer.status).toBe(200);
    const page = await viewer.text();
    expect(page).toMatch(/<html/i);
    // A mail's links open in a tab of their own: Sendwell's pages refuse to be framed, as the viewer shows mail.
    expect(page).toContain(`'<base target="_blank">' + e.body.html`);
    expect((await fetch(`${api}/v1/openapi.json`)).status).toBe(401);
    expect(first.output()).toContain(join(dataDir, 'admin-key'));

    // A key per console role, generated once beside the admin key (owner-only) and printed with it.
    const roleFile = join(dataDir, 'role-keys.json');
    expect(first.output()).toContain(roleFile);
    expect(statSync(roleFile).mode & 0o077).toBe(0);
    const roleKeys = JSON.parse(readFileSync(roleFile, 'utf8')) as Record<string, string>;
    expect(Object.keys(roleKeys).sort()).toEqual(['marketing', 'ops', 'privacy']);
    const me = async (key: string) => (await fetch(`${api}/v1/me`, { headers: { authorization: `Bearer ${key}` } })).json();
    expect(await me(roleKeys.ops!)).toEqual({ id: 'ops@local.invalid', roles: ['ops'], kind: 'user' });

    const pid = Number(/"pid":(\d+)/.exec(first.output())?.[1]);
    expect(alive(pid)).toBe(true);
    const ddb = new DynamoDBClient({ endpoint: `http://127.0.0.1:${p.SENDWELL_DYNAMODB_PORT}`, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    await ddb.send(new PutItemCommand({ TableName: 'sendwell-Counters', Item: { pk: { S: 'restart-check' }, sk: { S: 'x' }, n: { N: '7' } } }));

    const beforeStop = first.output().length;
    // Ctrl-C in a terminal: SIGINT to every process of the group at once.
    process.kill(-first.child.pid!, 'SIGINT');
    expect(await first.exited).toBe(0);
    expect(alive(pid)).toBe(false);
    // Ctrl-C is a clean stop: nothing the stopping stack says is an error (a poller or queue cut off mid-call).
    expect(first.output().slice(beforeStop)).not.toMatch(/"level":"ERROR"|\bERROR\b/);

    // The same role keys after a restart; an environment variable overrides one.
    const second = run({ ...env, SENDWELL_PRIVACY_KEY: 'swl_privacy_from_the_environment_42' });
    await untilReady(second);
    expect(JSON.parse(readFileSync(roleFile, 'utf8'))).toEqual(roleKeys);
    expect(await me(roleKeys.marketing!)).toMatchObject({ roles: ['marketing'] });
    expect(await me('swl_privacy_from_the_environment_42')).toMatchObject({ roles: ['privacy'] });
    expect(second.output()).toContain('privacy from SENDWELL_PRIVACY_KEY');
    const item = await ddb.send(new GetItemCommand({ TableName: 'sendwell-Counters', Key: { pk: { S: 'restart-check' }, sk: { S: 'x' } } }));
    expect(item.Item?.n?.N).toBe('7');
    ddb.destroy();
    const beforeSecondStop = second.output().length;
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output().slice(beforeSecondStop)).not.toMatch(/"level":"ERROR"|\bERROR\b/);
  }, 300_000);

  it('says in one line which port is taken and exits non-zero', async () => {
    const p = await ports();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: Number(p.SENDWELL_PORT) }, () => r()));
    try {
      const s = run({ ...p, SENDWELL_DATA_DIR: dataDir });
      expect(await s.exited).toBe(1);
      expect(s.output().trim()).toBe(
        `sendwell: Port ${p.SENDWELL_PORT} on 127.0.0.1 for the API is already in use: stop whatever holds it, or set SENDWELL_PORT to another port.`,
      );
    } finally {
      blocker.close();
    }
  });

  it('says in one line that the data folder cannot be written', async () => {
    const file = join(dataDir, 'not-a-folder');
    writeFileSync(file, 'x');
    const s = run({ ...(await ports()), SENDWELL_DATA_DIR: join(file, 'data') });
    expect(await s.exited).toBe(1);
    expect(s.output().trim()).toMatch(/^sendwell: The data folder .*not-a-folder\/data cannot be written \(ENOTDIR\): fix its permissions or set SENDWELL_DATA_DIR to a writable folder\.$/);
  });

  it('says in one line that Java is missing', async () => {
    const s = run({ ...(await ports()), SENDWELL_DATA_DIR: dataDir, PATH: '/nonexistent' });
    expect(await s.exited).toBe(1);
    expect(s.output().trim()).toMatch(/^sendwell: Java was not found: DynamoDB Local needs Java 17 or newer\./);
  });

  it('rejects a port that is not a number', async () => {
    const s = run({ ...(await ports()), SENDWELL_PORT: 'eighty', SENDWELL_DATA_DIR: dataDir });
    expect(await s.exited).toBe(1);
    expect(s.output().trim()).toBe('sendwell: SENDWELL_PORT=eighty is not a port number (1-65535).');
  });
});

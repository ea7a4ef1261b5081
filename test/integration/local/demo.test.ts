/**
 * `npm run demo` as a person runs it: `npm start`'s entry point in a child process (free ports, a data folder of its
 * own, stopped by PID), then the demo as a second child process against it. Checks the exit code, the summary it
 * prints, and that every figure it printed is what `GET /v1/campaigns/{id}` answers; and the one line it prints when
 * no stack is running.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../local/ports.ts';
import { runCli } from '../../support/cli.ts';
import { repoRoot } from '../../support/gateway.ts';

const ADMIN_KEY = 'swl_demo_test_key_0123456789abcdef';
const dataDir = mkdtempSync(join(tmpdir(), 'sendwell-demo-'));
let stack: ChildProcessWithoutNullStreams | undefined;

afterAll(async () => {
  if (stack?.pid !== undefined && stack.exitCode === null) {
    const exited = new Promise((r) => stack?.once('exit', r));
    process.kill(stack.pid, 'SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** `node scripts/demo/main.ts …args`, with a clean environment (the CLI tests' runner, pointed at the demo). */
const runDemo = (args: string[], env: Record<string, string>) => runCli(args, env, join(repoRoot, 'scripts/demo/main.ts'));

async function startStack(env: Record<string, string>): Promise<void> {
  stack = spawn(process.execPath, ['local/main.ts'], { cwd: repoRoot, env: { ...process.env, ...env } });
  let out = '';
  stack.stdout.on('data', (c: Buffer) => (out += c.toString()));
  stack.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 45_000;
  while (!out.includes('Sendwell local stack is running.')) {
    if (stack.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`npm start was not ready in time:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The figures of one campaign's block in the summary: `  sent      1,234` → `{ sent: 1234 }`, and the held reasons. */
function block(stdout: string, title: string) {
  const start = stdout.indexOf(`\n${title}  `);
  expect(start, `no "${title}" block in:\n${stdout}`).toBeGreaterThan(-1);
  const text = stdout.slice(start + 1).split('\n\n')[0] ?? '';
  const id = /^\S+(?: \S+)?  (cmp_\S+)  "[^"]+"  (\w+)/.exec(text);
  const figure = (name: string) => Number((new RegExp(`^  ${name}\\s+([\\d,]+)`, 'm').exec(text)?.[1] ?? 'NaN').replace(/,/g, ''));
  const reasons = /^ {2}held\s+[\d,]+ {2}(.+)$/m.exec(text)?.[1] ?? '';
  const held = Object.fromEntries(reasons.split(', ').filter(Boolean).map((r) => [r.split(' ')[0], Number(r.split(' ')[1]?.replace(/,/g, ''))]));
  return {
    id: id?.[1] ?? '',
    status: id?.[2] ?? '',
    audience: figure('audience'),
    excluded: figure('excluded'),
    targeted: figure('targeted'),
    sent: figure('sent'),
    heldTotal: figure('held'),
    failed: figure('failed'),
    held,
  };
}

describe('npm run demo', () => {
  it('says in one line that the stack is not running, and exits 1', async () => {
    const r = await runDemo([], { SENDWELL_PORT: String(await freePort()), SENDWELL_ADMIN_KEY: ADMIN_KEY });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sendwell demo: The local stack is not running at http:\/\/127\.0\.0\.1:\d+: start it with `npm start` in another terminal, then run `npm run demo` again\.\n$/);
  });

  it('seeds, launches a marketing campaign, a service notice and an A/B test, and prints figures the API confirms', { timeout: 300_000 }, async () => {
    const ports = { SENDWELL_PORT: String(await freePort()), SENDWELL_SES_PORT: String(await freePort()), SENDWELL_DYNAMODB_PORT: String(await freePort()) };
    const env = { ...ports, SENDWELL_DATA_DIR: dataDir, SENDWELL_ADMIN_KEY: ADMIN_KEY };
    await startStack(env);

    const r = await runDemo(['--recipients', '100'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    // Progress went to stderr, line by line (not a terminal): the import and the watch.
    expect(r.stderr).toMatch(/^imported 100\/100 rows \(chunk 1\/1\)$/m);
    expect(r.stderr).toMatch(/^marketing \S+\/\S+ completed · service \S+\/\S+ completed$/m);
    expect(r.stdout).toContain(`Mail viewer  http://127.0.0.1:${ports.SENDWELL_SES_PORT}/`);
    expect(r.stdout).toContain(`Ops page     http://127.0.0.1:${ports.SENDWELL_PORT}/ops`);

    // 100 recipients: 12 opted out, 12 never asked, 8 pending, 5 unsubscribed from all, 4 complained, 4 hard-bounced,
    // 6 SES simulator addresses (opted in), the other 49 opted in.
    expect(r.stdout).toContain('Seeding 100 recipients: 49 opted in, 12 opted out, 12 never asked, 8 pending confirmation');
    // The journey: 13 sign-ups (5 opted in, 2 each opted out, never asked, unsubscribed from all, complained); the
    // service welcome goes to all, the marketing news only to the opted-in, held by reason for the rest.
    expect(r.stdout).toMatch(/^  hello: entered 13, sent 13$/m);
    expect(r.stdout).toMatch(/^  pause: entered 13, waiting 0$/m);
    expect(r.stdout).toMatch(/^  news: entered 13, sent 5, held 8 \(.*\)$/m);
    expect(r.stdout).toMatch(/enrolled 13, completed 13, left early 0/);
    const news = block(r.stdout, 'Marketing campaign');
    const notice = block(r.stdout, 'Service notice');
    // Marketing reaches the topic's opted-in subscribers only; of those, the later changes are held by reason. The
    // two campaigns run at once, so a simulator address that bounced the notice first (2 bounce+, 1 suppressionlist+)
    // is held as undeliverable by the marketing campaign, and the other way round.
    expect(news).toMatchObject({ status: 'completed', audience: 68, excluded: 0, targeted: 68, failed: 0 });
    expect(news.sent + news.heldTotal).toBe(68);
    expect(news.held).toMatchObject({ unsubscribed_all: 5, complained: 4 });
    expect(Object.keys(news.held).sort()).toEqual(['complained', 'undeliverable', 'unsubscribed_all']);
    expect(news.held.undeliverable).toBeGreaterThanOrEqual(4);
    expect(news.held.undeliverable).toBeLessThanOrEqual(7);
    // The notice reaches everyone of the run, opted out and complained included; only undeliverable addresses are held.
    expect(notice).toMatchObject({ status: 'completed', audience: 100, excluded: 0, targeted: 100, failed: 0 });
    expect(notice.sent + notice.heldTotal).toBe(100);
    expect(Object.keys(notice.held)).toEqual(['undeliverable']);
    expect(notice.heldTotal).toBeGreaterThanOrEqual(4);
    expect(notice.heldTotal).toBeLessThanOrEqual(7);

    // The A/B test (issue 19): same subscribers, a tenth held out, the winner gone to the rest by itself; nobody
    // clicks in the demo, so the first variant wins and the summary says why.
    expect(r.stderr).toMatch(/^a\/b test \S+\/\S+ completed$/m);
    const ab = block(r.stdout, 'A/B test');
    const abText = r.stdout.slice(r.stdout.indexOf('\nA/B test  ')).split('\n\n')[0]!;
    const holdout = Number(/^ {2}holdout\s+([\d,]+)/m.exec(abText)?.[1]);
    expect(ab).toMatchObject({ status: 'completed', audience: 68, targeted: 68, failed: 0 });
    expect(ab.sent + ab.heldTotal + holdout).toBe(68);
    expect(abText).toMatch(/^ {2}winner\s+a, too little data/m);
    const abApi = (await (await fetch(`http://127.0.0.1:${ports.SENDWELL_PORT}/v1/campaigns/${ab.id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as {
      decision: { variant: string; reason: string };
      progress: { holdout: number; variants: Array<{ id: string; sent: number }> };
    };
    expect(abApi.decision).toMatchObject({ variant: 'a', reason: 'tooLittleData' });
    expect(abApi.progress.holdout).toBe(holdout);
    for (const v of abApi.progress.variants) expect(abText).toMatch(new RegExp(`^ {2}variant ${v.id}\\s+${v.sent} sent`, 'm'));

    // Exactly what the API says.
    for (const printed of [news, notice]) {
      const res = await fetch(`http://127.0.0.1:${ports.SENDWELL_PORT}/v1/campaigns/${printed.id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(res.status).toBe(200);
      const c = (await res.json()) as { status: string; class: string; progress: Record<string, unknown> };
      expect(printed).toEqual({
        id: printed.id,
        status: c.status,
        audience: c.progress.audience,
        excluded: c.progress.excluded,
        targeted: c.progress.targeted,
        sent: c.progress.sent,
        heldTotal: c.progress.heldTotal,
        failed: c.progress.failed,
        held: c.progress.held,
      });
    }

    // A second run on the same data works: its own ids and addresses, and the first run's people are excluded from
    // its notice instead of mailed again.
    const again = await runDemo(['--recipients', '50'], env);
    expect(again.code, again.stderr).toBe(0);
    const notice2 = block(again.stdout, 'Service notice');
    expect(notice2.id).not.toBe(notice.id);
    expect(notice2).toMatchObject({ status: 'completed', audience: 150, excluded: 100, targeted: 50 });
  });
});

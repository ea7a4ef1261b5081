/**
 * `npm run bench:public [-- --requests N --disk]`: latency of the public endpoints a mail client hits — the open
 * pixel and one-click unsubscribe — through the local gateway under concurrent load, printed next to the latency of
 * a raw DynamoDB Local PutItem measured in the same run at the same concurrency.
 *
 * It starts what it needs on 127.0.0.1 (DynamoDB Local on a free port, in memory or with `--disk` on a temporary
 * folder; the local SES in process; the gateway with every real handler in a child process), sets up a topic, a
 * template, recipients and sent mail through the admin API, measures, checks that the work the rows claim really
 * happened, prints, and stops everything it started by PID. Every loop is bounded in requests and in time. It never
 * fails on a time: the figures are for reading, and compared only within one run.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { TABLES } from '../lambdas/wiring/tables.ts';
import { localTableName } from '../local/handler-env.ts';
import { integerOption, parseCli, runCli } from './cli.ts';
import { cpuDelta, cpuSnapshot, type CpuSnapshot } from './cpu.ts';
import { guardRun, startBenchStack } from './gateway-start.ts';
import { closedLoop, httpClient, type HttpAnswer, type LatencySummary, summarize } from './latency.ts';
import {
  adminApi,
  benchAddresses,
  createTopicAndTemplate,
  findRecipients,
  importOptedIn,
  mapLimit,
  sendMarketing,
  signedUnsubscribePath,
} from './public-setup.ts';

const CONCURRENCY = [1, 8, 32] as const;
const DEFAULT_REQUESTS = 100;
/** Each first unsubscribe needs a recipient of its own: those rows send half the requests, at most this many. */
const FIRST_MAX = 100;
/** Recipients that get a marketing mail; their pixel and unsubscribe URLs are reused round-robin. */
const MAILED = 50;
const WARMUP_REQUESTS = 40;
const WARMUP_CONCURRENCY = 8;
/** A warm-up loop stops sending after this long (the repeat row's first POSTs always all run). */
const WARMUP_BUDGET_MS = 3_000;
/** Parallel admin calls while setting up and checking. */
const SETUP_PARALLEL = 8;
const CHECK_PARALLEL = 16;
/**
 * Without --requests the whole run aims to end within this long: when the warm-up says the timed levels would
 * not fit in what is left, every row sends the same smaller share of its requests (never fewer than
 * {@link MIN_REQUESTS}, and the timed part gets at least {@link MIN_TIMED_MS}).
 */
const RUN_BUDGET_MS = 55_000;
const CHECKS_RESERVE_MS = 3_000;
const MIN_TIMED_MS = 10_000;
const MIN_REQUESTS = 20;
/**
 * How much longer a level takes per request than the warm-up at c=8 did, for the estimate: at c=1 nothing
 * overlaps (1.6–2.4× slower here); from c=8 on the processes are saturated and throughput stays about flat (the
 * warm-up itself runs a little slow, being first on its path, which leaves some slack).
 */
const LEVEL_COST: Readonly<Record<number, number>> = { 1: 2, 8: 1, 32: 1 };
/** A level stops sending after this many times its estimate (+1 s), or after 30 s with --requests. */
const LEVEL_DEADLINE_FACTOR = 3;
const LEVEL_BUDGET_EXPLICIT_MS = 30_000;
/** The whole run is stopped (and everything it started) if it ever takes this long. */
const WATCHDOG_MS = 240_000;
/** An open within 2 s of its send is classified as a gateway scan; the bench waits so every open is a human one. */
const TOO_SOON_MS = 2_100;
const TABLE_PREFIX = 'sendwell-bench';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const ONE_CLICK_BODY = 'List-Unsubscribe=One-Click';

const USAGE = `Usage: npm run bench:public -- [options]

  --requests N   requests per scenario and concurrency level (default ${DEFAULT_REQUESTS}). The "first"
                 one-click unsubscribe rows need a recipient of their own per request, so they
                 send half as many, at most ${FIRST_MAX}. Without --requests, every row sends the
                 same smaller share where the warm-up says the run would otherwise pass ~${RUN_BUDGET_MS / 1000} s
                 (the output says so); with it, all are sent (a level stops after ~${LEVEL_BUDGET_EXPLICIT_MS / 1000} s).
  --disk         DynamoDB Local keeps its data in a temporary folder (-sharedDb -dbPath), as
                 \`npm start\` does, instead of in memory (-inMemory, as the tests do)
  --help         this text

Scenarios at concurrency 1, 8 and 32: raw DynamoDB Local PutItem (the baseline), the open pixel
with a forged and with a valid token, the unsubscribe page, one-click unsubscribe (first and
repeat). Everything listens on 127.0.0.1 only and is stopped at the end; ~50 s with the defaults.`;

interface Options {
  readonly requests: number;
  readonly explicitRequests: boolean;
  readonly disk: boolean;
}

function parseOptions(args: string[]): Options | undefined {
  const values = parseCli(args, { requests: { type: 'string' }, disk: { type: 'boolean' } });
  if (values === undefined) return undefined;
  const raw = values.requests as string | undefined;
  return { requests: integerOption('requests', raw, DEFAULT_REQUESTS, 10, 10_000), explicitRequests: raw !== undefined, disk: values.disk === true };
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios, results, output

interface BenchScenario {
  readonly key: string;
  readonly name: string;
  /** Requests per concurrency level. */
  readonly requests: number;
  /** Warms the path up; resolves to the wall ms per request it took at c=8 (for the time estimate). */
  readonly warmup: () => Promise<number>;
  readonly send: (i: number) => Promise<void>;
}

interface Cell {
  readonly latency: LatencySummary;
  /** CPU ms per request of each process during the level. */
  readonly cpu: CpuSnapshot;
  /** CPU time of all three processes ÷ wall time: how many cores they kept busy. */
  readonly busy?: number;
}

function expectAnswer(a: HttpAnswer, status: number, check: (a: HttpAnswer) => boolean, what: string): void {
  if (a.status !== status || !check(a)) throw new Error(`${what}: got ${a.status} ${a.body.toString('utf8').slice(0, 200)}`);
}

/** The token with its first signature character changed: well formed, fails only the MAC check. */
function forge(pixelPath: string): string {
  const m = /^\/o\/([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.gif$/.exec(pixelPath);
  if (!m?.[1] || !m[2]) throw new Error(`unexpected pixel path ${pixelPath}`);
  return `/o/${m[1]}.${m[2].startsWith('A') ? 'B' : 'A'}${m[2].slice(1)}.gif`;
}

const fmt = {
  ms: (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)),
  int: (v: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(v),
  ratio: (v: number) => (Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1)),
  s: (ms: number) => `${(ms / 1000).toFixed(1)} s`,
};

function packageVersion(name: string): string {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return '?';
  }
}

function javaVersion(): Promise<string> {
  return new Promise((done) => {
    const child = spawn('java', ['-version'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('error', () => done('?'));
    child.once('exit', () => done(/version "([^"]+)"/.exec(out)?.[1] ?? '?'));
  });
}

function table(header: readonly string[], groups: readonly (readonly string[][])[]): string {
  const rows = groups.flat();
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...groups.map((g) => g.map(line).join('\n')).join('\n\n').split('\n')].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------

async function run(options: Options): Promise<void> {
  const started = performance.now();
  const phases: Array<[string, number]> = [];
  let lap = started;
  const phase = (name: string) => {
    const now = performance.now();
    phases.push([name, now - lap]);
    lap = now;
  };
  const load1 = os.loadavg()[0] ?? Number.NaN;
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const { stops, stopAll, interrupted, release } = guardRun('bench:public', WATCHDOG_MS);

  try {
    const { dynamo, dynamoStartMs, gateway, sesEndpoint, keys, adminKey, publicBaseUrl, doc } = await startBenchStack({ disk: options.disk, tablePrefix: TABLE_PREFIX }, stops);
    const messagesTable = localTableName(TABLES.messages, TABLE_PREFIX);
    phase('start');

    // Setup through the admin API, as a user would: import opted-in recipients, send marketing mail to some.
    const api = adminApi(gateway.ready.url, adminKey);
    const { topic, topicName, template } = await createTopicAndTemplate(api, runId);
    const firstRequests = Math.min(Math.ceil(options.requests / 2), FIRST_MAX);
    const mailedEmails = benchAddresses(runId, 'mailed', MAILED);
    const freshEmails = benchAddresses(runId, 'fresh', firstRequests * CONCURRENCY.length);
    let t = performance.now();
    await importOptedIn(api, topic, [...mailedEmails, ...freshEmails]);
    const importMs = performance.now() - t;
    t = performance.now();
    const mailedRecipients = await findRecipients(api, topic, mailedEmails, SETUP_PARALLEL);
    let findMs = performance.now() - t;
    t = performance.now();
    const mailed = await sendMarketing(api, sesEndpoint, template, mailedRecipients, SETUP_PARALLEL);
    const lastSendAt = performance.now();
    const sendMs = lastSendAt - t;
    // Looked up after the sends, so the 2 s an open must come after its send mostly pass meanwhile.
    t = performance.now();
    const freshRecipients = await findRecipients(api, topic, freshEmails, SETUP_PARALLEL);
    findMs += performance.now() - t;
    // First unsubscribes: a recipient each, with the link their mail would carry (signed, not sent: see public-setup.ts).
    const fresh = freshRecipients.map((r) => ({ ...r, unsubscribePath: signedUnsubscribePath(r, topic, keys.tokenKeys, publicBaseUrl) }));
    phase('setup');

    // The scenarios.
    const http = httpClient(gateway.ready.url, Math.max(...CONCURRENCY));
    stops.push(async () => http.close());
    const isGif = (a: HttpAnswer) => a.headers['content-type'] === 'image/gif' && a.body.length === 43;
    const forged = mailed.map((m) => forge(m.pixelPath));
    const mailedAt = (i: number) => mailed[i % MAILED] as (typeof mailed)[number];
    let validPixels = 0;
    let freshNext = 0;
    // Two halves: the first wakes the path up (JIT, connections); the second, already warm, gives the pace estimate.
    const warmupWith = (send: (i: number) => Promise<void>, requests = WARMUP_REQUESTS) => async () => {
      let msPerRequest = 0;
      for (const half of [Math.ceil(requests / 2), Math.floor(requests / 2)]) {
        const r = await closedLoop({ concurrency: WARMUP_CONCURRENCY, requests: half, deadline: performance.now() + WARMUP_BUDGET_MS / 2, send });
        if (r.failed > 0) throw new Error(`warm-up failed ${r.failed} times: ${r.firstError}`);
        msPerRequest = r.wallMs / r.started;
      }
      return msPerRequest;
    };
    let primingMsPerRequest = 0;
    // What recordOpen's event write is (message-store.ts #putEvent), on its own partition so no real record grows.
    const putOpenEvent = async (i: number) => {
      const at = new Date().toISOString();
      await doc.send(
        new PutCommand({
          TableName: messagesTable,
          Item: {
            pk: `M#msg_bench_baseline_${i % MAILED}`,
            sk: `E#${at}#open#${randomUUID().slice(0, 8)}`,
            at,
            type: 'open',
            detail: { machine: false, ipPseudonym: 'Xb3kQ9vN2mWc7LpR1tYhZa', userAgent: IPHONE },
            expiresAt: Math.floor(Date.now() / 1000) + 180 * 86_400,
          },
        }),
      );
    };
    const validPixel = async (i: number) => {
      expectAnswer(await http.call('GET', mailedAt(i).pixelPath, { 'user-agent': IPHONE }), 200, isGif, 'open pixel');
      validPixels++;
    };
    const forgedPixel = async (i: number) => {
      expectAnswer(await http.call('GET', forged[i % MAILED] as string, { 'user-agent': IPHONE }), 200, isGif, 'forged pixel');
    };
    const unsubscribePage = async (i: number) => {
      const a = await http.call('GET', mailedAt(i).unsubscribePath, { 'user-agent': IPHONE });
      expectAnswer(a, 200, (x) => x.body.includes(topicName) && x.body.includes('<form method="post"'), 'unsubscribe page');
    };
    const oneClick = async (path: string) => {
      const a = await http.call('POST', path, { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': IPHONE }, ONE_CLICK_BODY);
      expectAnswer(a, 200, (x) => x.body.includes('You are unsubscribed') && x.headers.location === undefined, 'one-click unsubscribe');
    };
    const repeatOneClick = (i: number) => oneClick(mailedAt(i).unsubscribePath);
    const firstOneClick = () => {
      const r = fresh[freshNext++];
      if (!r) throw new Error('no fresh recipient left for a first unsubscribe');
      return oneClick(r.unsubscribePath);
    };

    const N = options.requests;
    const scenarios: BenchScenario[] = [
      { key: 'put', name: 'baseline: DynamoDB Local PutItem (open event)', requests: N, warmup: warmupWith(putOpenEvent, 2 * WARMUP_REQUESTS), send: putOpenEvent },
      { key: 'forged', name: 'GET /o/{forged}.gif (bad MAC, no DB)', requests: N, warmup: warmupWith(forgedPixel), send: forgedPixel },
      { key: 'pixel', name: 'GET /o/{token}.gif (records an open)', requests: N, warmup: warmupWith(validPixel), send: validPixel },
      { key: 'page', name: 'GET /u/{token} (page, changes nothing)', requests: N, warmup: warmupWith(unsubscribePage), send: unsubscribePage },
      {
        key: 'repeat',
        name: 'POST /u/{token} one-click, repeat (no-op)',
        requests: N,
        // The first POST for each mailed recipient is the change; every later one is the no-op this row measures.
        warmup: async () => {
          const t0 = performance.now();
          await mapLimit(mailed, WARMUP_CONCURRENCY, (m) => oneClick(m.unsubscribePath));
          primingMsPerRequest = (performance.now() - t0) / MAILED;
          return warmupWith(repeatOneClick)();
        },
        send: repeatOneClick,
      },
      // No warm-up of its own: the repeat row's warm-up just made 50 first unsubscribes through the same path.
      { key: 'first', name: 'POST /u/{token} one-click, first (consent change)', requests: firstRequests, warmup: async () => primingMsPerRequest, send: firstOneClick },
    ];

    // An open within 2 s of its send is a machine open by rule; wait so every open here takes the human path.
    const wait = TOO_SOON_MS - (performance.now() - lastSendAt);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const msPerRequest = new Map<BenchScenario, number>();
    for (const s of scenarios) msPerRequest.set(s, await s.warmup());
    const warmupPixels = validPixels;
    phase('warm-up');

    // Timed: for each concurrency level, every scenario in turn (interleaved, so drift lands on all rows alike).
    const pids = { gateway: gateway.child.pid, dynamodb: dynamo.pid, bench: process.pid };
    // How many requests each level sends: all of them with --requests. Otherwise the same share of every row of a
    // level, sized so the run ends within the budget: for c=1 from the warm-up's pace, for each later level from
    // the pace of the levels already run (estimate × how far off the estimate has been so far).
    const estimateMs = (s: BenchScenario, c: number, requests: number) => requests * (msPerRequest.get(s) ?? 0) * (LEVEL_COST[c] ?? 1);
    const timedEnd = performance.now() + Math.max(MIN_TIMED_MS, RUN_BUDGET_MS - (performance.now() - started) - CHECKS_RESERVE_MS);
    const shares = new Map<number, number>();
    const cells = new Map<string, Cell>();
    let spentMs = 0;
    let estimatedMs = 0;
    for (const [level, c] of CONCURRENCY.entries()) {
      const correction = estimatedMs > 0 ? spentMs / estimatedMs : 1;
      const remainingEstimate = CONCURRENCY.slice(level).reduce((sum, lc) => sum + scenarios.reduce((t, s) => t + estimateMs(s, lc, s.requests), 0), 0);
      const share = options.explicitRequests ? 1 : Math.min(1, Math.max(0, timedEnd - performance.now()) / (correction * remainingEstimate));
      shares.set(c, share);
      const levelStarted = performance.now();
      for (const s of scenarios) {
        const requests = share === 1 ? s.requests : Math.min(s.requests, Math.max(MIN_REQUESTS, Math.round(s.requests * share)));
        const estimate = estimateMs(s, c, requests);
        estimatedMs += estimate;
        const budget = options.explicitRequests ? LEVEL_BUDGET_EXPLICIT_MS : LEVEL_DEADLINE_FACTOR * correction * estimate + 1000;
        const before = cpuSnapshot(pids);
        const r = await closedLoop({ concurrency: c, requests, deadline: performance.now() + budget, send: s.send });
        const used = cpuDelta(before, cpuSnapshot(pids));
        const values = Object.values(used);
        const cpu = Object.fromEntries(Object.entries(used).map(([k, v]) => [k, v === undefined ? undefined : v / r.started]));
        const busy = values.every((v) => v !== undefined) ? values.reduce((a: number, v) => a + (v ?? 0), 0) / r.wallMs : undefined;
        cells.set(`${s.key}@${c}`, { latency: summarize(r), cpu, ...(busy === undefined ? {} : { busy }) });
      }
      spentMs += performance.now() - levelStarted;
    }
    const load2 = os.loadavg()[0] ?? Number.NaN;
    phase('timed');

    // Checks: the work the rows claim happened, and only that (forged pixels and repeat POSTs change nothing).
    const records = await mapLimit(mailed, CHECK_PARALLEL, async (m) => (await api('GET', `/v1/messages/${m.messageId}`)).body as { opens?: number; humanOpens?: number });
    const opens = records.reduce((sum, r) => sum + (r.opens ?? 0), 0);
    const humanOpens = records.reduce((sum, r) => sum + (r.humanOpens ?? 0), 0);
    const usedFresh = fresh.slice(0, freshNext);
    const freshStatus = await mapLimit(usedFresh, CHECK_PARALLEL, async (r) => (await api('GET', `/v1/recipients/${r.id}`)).body?.consents?.[topic]?.status);
    const freshOut = freshStatus.filter((s) => s === 'opted_out').length;
    const ledgers = await mapLimit(mailed, CHECK_PARALLEL, async (r) => (await api('GET', `/v1/recipients/${r.id}/ledger`)).body?.entries as Array<{ subject: string; to: string }>);
    const optOutsEach = ledgers.map((entries) => (entries ?? []).filter((e) => e.subject === `topic:${topic}` && e.to === 'opted_out').length);
    const repeatOk = optOutsEach.every((n) => n === 1);
    const opensOk = opens === validPixels && humanOpens === opens;
    const firstOk = freshOut === usedFresh.length;
    phase('checks');

    // Output.
    const cpus = os.cpus();
    console.log('Sendwell public endpoints under concurrent load, through the local gateway, against raw DynamoDB Local PutItem');
    console.log(
      `node ${process.version} · ${cpus[0]?.model ?? 'unknown CPU'} · ${os.availableParallelism()} cores · ${os.platform()} ${os.arch()} · ` +
        `load average ${load1.toFixed(2)} at start, ${load2.toFixed(2)} after the timed runs`,
    );
    console.log(
      `DynamoDB Local ${options.disk ? 'ON DISK (-sharedDb -dbPath <temp folder>, as npm start)' : 'IN MEMORY (-inMemory, as the tests)'} · ` +
        `java ${await javaVersion()} · amplify-dynamodb-simulator ${packageVersion('amplify-dynamodb-simulator')} · ` +
        `@aws-sdk/client-dynamodb ${packageVersion('@aws-sdk/client-dynamodb')} · started in ${fmt.s(dynamoStartMs)}`,
    );
    console.log(
      `gateway in its own process (every handler loaded in ${fmt.int(gateway.ready.loadMs)} ms) · load from this process: keep-alive node:http, ` +
        'closed loop (c workers, each sends its next request when its last is answered)',
    );
    console.log(
      `setup through the admin API: ${fmt.int(MAILED + fresh.length)} opted-in recipients imported (${fmt.s(importMs)}), ids looked up (${fmt.s(findMs)}), ` +
        `${MAILED} marketing mails sent (${fmt.s(sendMs)}); ${fresh.length} kept for the first unsubscribes (${CONCURRENCY.length} × ${firstRequests})`,
    );
    console.log(
      `warm-up at c=${WARMUP_CONCURRENCY}: ${2 * WARMUP_REQUESTS} PutItems, ${WARMUP_REQUESTS} requests per endpoint row, and the ${MAILED} mailed ` +
        `recipients unsubscribed once (the repeat row's first POSTs, which also warm the first row) · then c=${CONCURRENCY.join(', c=')}, every scenario in turn within a level`,
    );
    console.log('');

    const header = ['scenario', 'c', 'requests', 'p50 ms', 'p95 ms', 'p99 ms', 'req/s', '× PutItem p50', 'CPU ms/req: gw', 'ddb', 'bench', 'cores busy'];
    const notes: string[] = [];
    const groups = scenarios.map((s) =>
      CONCURRENCY.map((c) => {
        const { latency: r, cpu, busy } = cells.get(`${s.key}@${c}`) as Cell;
        const base = (cells.get(`put@${c}`) as Cell).latency;
        if (r.failed > 0) notes.push(`${s.name} at c=${c}: ${r.failed} requests failed (not in the figures); first: ${r.firstError}`);
        return [
          s.name,
          String(c),
          `${fmt.int(r.requests)}${r.cut ? '*' : ''}`,
          fmt.ms(r.p50),
          fmt.ms(r.p95),
          fmt.ms(r.p99),
          fmt.int(r.perSecond),
          s.key === 'put' ? '1.00 (base)' : fmt.ratio(r.p50 / base.p50),
          ...[cpu.gateway, cpu.dynamodb, cpu.bench].map((v) => (v === undefined ? '–' : v.toFixed(2))),
          busy === undefined ? '–' : busy.toFixed(2),
        ];
      }),
    );
    console.log(table(header, groups));
    console.log('');
    console.log('latency per request (send to last byte) in ms, nearest-rank percentiles · req/s = requests ÷ wall time of the level');
    console.log("× PutItem p50 = the row's p50 ÷ the PutItem p50 at the same concurrency, same run. Compare rows of one run, never figures across machines.");
    console.log(
      `CPU ms/req = CPU time (user + system) of the gateway process, DynamoDB Local (JVM) and this process during the level ÷ requests · ` +
        `cores busy = their CPU time ÷ wall time, out of ${os.availableParallelism()}`,
    );
    if ([...shares.values()].some((v) => v < 1)) {
      console.log(
        `requests per row: ${CONCURRENCY.map((c) => `c=${c} ${Math.round((shares.get(c) ?? 1) * 100)}%`).join(', ')} of ${fmt.int(options.requests)} ` +
          `(at least ${MIN_REQUESTS}), so the run ends within ~${RUN_BUDGET_MS / 1000} s on this machine; c=1 sized from the warm-up's pace, ` +
          'each later level from the pace of the levels before it. Pass --requests to send them all.',
      );
    }
    if (groups.flat().some((r) => r[2]?.endsWith('*'))) {
      console.log('* the level stopped sending at its deadline (much slower than the warm-up said); the percentiles are over the requests shown');
    }
    for (const n of notes) console.log(`! ${n}`);
    const mark = (ok: boolean) => (ok ? 'ok' : 'MISMATCH');
    console.log(
      `checks: opens recorded ${fmt.int(opens)} (${fmt.int(humanOpens)} human) = valid pixel requests ${fmt.int(validPixels)} ` +
        `(${fmt.int(warmupPixels)} warm-up), none from forged tokens: ${mark(opensOk)} · ` +
        `first: ${freshOut}/${usedFresh.length} recipients opted out: ${mark(firstOk)} · ` +
        `repeat: 1 opt-out in each of the ${MAILED} ledgers after all repeats: ${mark(repeatOk)}`,
    );
    // The handlers log what goes wrong (WARN and up); anything else they print is only counted.
    const logLines = gateway.logLines();
    const problems = logLines.filter((line) => {
      try {
        return !['DEBUG', 'INFO'].includes(String((JSON.parse(line) as { level?: unknown }).level).toUpperCase());
      } catch {
        return true;
      }
    });
    if (problems.length > 0) console.log(`! the gateway process logged ${problems.length} warnings or errors; the first: ${problems[0]?.slice(0, 300)}`);
    console.log(`time: ${phases.map(([name, ms]) => `${name} ${fmt.s(ms)}`).join(' · ')} · total ${fmt.s(performance.now() - started)} (before stopping)`);
    // A wrong answer or a missing write is a broken bench, not a slow one: say so in the exit code.
    if (!opensOk || !firstOk || !repeatOk || notes.length > 0) process.exitCode = 1;
  } catch (e) {
    // Interrupted: requests in flight fail as their servers stop; the signal handler ends the process.
    if (interrupted()) return new Promise<void>(() => undefined);
    throw e;
  } finally {
    await stopAll();
    release();
  }
}

await runCli(USAGE, parseOptions, run);

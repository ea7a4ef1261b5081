/**
 * `npm run bench:lean [-- --recipients N]`: issue 17's figures before and after, in one run. The same drivers run as
 * child processes in each tree: the tree before issue 17, extracted from git history (bench/baseline.ts), with the
 * drivers copied into it, and this one. Each run has its own DynamoDB Local and local SES; they run one after the
 * other.
 *
 * - today's bench/campaign.ts with `--json`: a campaign through the local engine, the SES events of every mail
 *   through the ses-events handler, an open of every fifth mail, a click of every 33rd;
 * - bench/load-driver.ts: each tree's own bench/load.ts (the public routes under load through that tree's gateway),
 *   for the pixel's and one-click's latencies against raw PutItem.
 *
 * Prints both columns, the all-in write units per mail (`WRU per mail all in: X`), and the AWS cost on top of SES
 * re-derived from them (bench/cost-model.ts, the prices and assumptions of docs/SCALING.md).
 */
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASELINE_COMMIT, BASELINE_LABEL, baselineTree } from './baseline.ts';
import { JSON_MARKER } from './campaign.ts';
import { LOAD_MARKER, type LoadRow, type loadRows } from './load-driver.ts';
import { integerOption, parseCli, runCli } from './cli.ts';
import { costPerMillion, MIX, perMailAllIn, SENDER_PLAN, SENDER_PLAN_BEFORE_17, type PathUnits } from './cost-model.ts';
import type { BenchSection } from './report.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const DEFAULT_RECIPIENTS = 300;

const USAGE = `Usage: npm run bench:lean -- [options]

  --recipients N  campaign size in each tree (default ${DEFAULT_RECIPIENTS}, 100 to 10000)
  --help          this text

Runs bench/campaign.ts --json in the tree of ${BASELINE_COMMIT.slice(0, 7)} (from git history) and in this one,
one after the other, and prints the write figures of issue 17 side by side.`;

export interface LeanWritesOptions {
  readonly recipients: number;
}

function parseOptions(args: string[]): LeanWritesOptions | undefined {
  const values = parseCli(args, { recipients: { type: 'string' } });
  if (values === undefined) return undefined;
  return { recipients: integerOption('recipients', values.recipients as string | undefined, DEFAULT_RECIPIENTS, 100, 10_000) };
}

/** What the driver prints on its JSON line (bench/campaign.ts). */
interface DriverFigures {
  readonly ok: boolean;
  readonly recipients: number;
  /** Launch to the last mail SES accepted (the driver copied in measures both trees so). */
  readonly perSecond: number;
  /** Launch to completed: every outcome counted. */
  readonly completedPerSecond?: number;
  readonly rawPerSecond: number;
  /** DynamoDB Local's raw PutItem/s and what it bounds the send path's rate to (the driver copied in prints both). */
  readonly putsPerSecond?: number;
  readonly ceilingPerSecond?: number;
  readonly send: PathUnits;
  readonly eventsPerMail: number;
  readonly events: PathUnits;
  readonly open: PathUnits;
  readonly click: PathUnits;
}

type LoadFigures = ReturnType<typeof loadRows>;

/**
 * Runs a driver (`script`, relative to the tree) in `tree` and returns what it printed after `marker`; its own output
 * goes to stderr, prefixed. A run that printed no figures (on a busy machine DynamoDB Local may not start in time) is
 * tried once more.
 */
async function runDriver<T>(tree: string, label: string, script: string, args: readonly string[], marker: string): Promise<T> {
  try {
    return await runDriverOnce<T>(tree, label, script, args, marker);
  } catch (e) {
    process.stderr.write(`bench:lean: ${(e as Error).message}; once more\n`);
    return runDriverOnce<T>(tree, label, script, args, marker);
  }
}

async function runDriverOnce<T>(tree: string, label: string, script: string, args: readonly string[], marker: string): Promise<T> {
  const child = spawn(process.execPath, [join(tree, script), ...args], { cwd: tree, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const line of d.toString().split('\n')) if (line && !line.startsWith(marker)) process.stderr.write(`  [${label}] ${line}\n`);
  });
  child.stderr.on('data', (d: Buffer) => process.stderr.write(d.toString().replace(/^(?=.)/gm, `  [${label}] `)));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const line = out.split('\n').find((l) => l.startsWith(marker));
  if (!line) throw new Error(`bench:lean: the ${label} ${script} printed no figures (exit ${code})`);
  return JSON.parse(line.slice(marker.length)) as T;
}

const campaignDriver = (tree: string, label: string, recipients: number) =>
  runDriver<DriverFigures>(tree, label, 'bench/campaign.ts', ['--recipients', String(recipients), '--baseline', '200', '--json'], JSON_MARKER);
const loadDriver = (tree: string, label: string) => runDriver<LoadFigures>(tree, label, 'bench/load-driver.ts', [], LOAD_MARKER);

/** A route's latency ÷ raw PutItem's, at p50 or p99, in one tree's load run. */
function loadRatio(load: LoadFigures | undefined, route: 'pixel' | 'oneClick', at: keyof Pick<LoadRow, 'p50' | 'p99'>): string {
  const row = load?.[route];
  const base = load?.baseline;
  return row && base && base[at] > 0 ? `${(row[at] / base[at]).toFixed(1)}× (${row[at]} ÷ ${base[at]} ms)` : '–';
}

const f2 = (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));

export async function runLeanWritesBench(options: LeanWritesOptions): Promise<BenchSection> {
  const old = baselineTree();
  let before: DriverFigures | undefined;
  let loadBefore: LoadFigures | undefined;
  if (old) {
    // The same drivers in both trees: today's, reading the old tree's code through their relative imports.
    for (const f of ['bench/campaign.ts', 'bench/capacity.ts', 'bench/load-driver.ts']) copyFileSync(join(ROOT, f), join(old, f));
    before = await campaignDriver(old, 'before', options.recipients);
    loadBefore = await loadDriver(old, 'before');
  }
  const now = await campaignDriver(ROOT, 'now', options.recipients);
  const loadNow = await loadDriver(ROOT, 'now');

  const rows: Array<[string, (d: DriverFigures) => string, string]> = [
    ['DynamoDB calls per campaign recipient, send path', (d) => f2(d.send.calls), '≤ 1.5'],
    ['  WRU per recipient, send path', (d) => f2(d.send.wru), ''],
    ['SES events per mail (as the local simulator publishes them)', (d) => f2(d.eventsPerMail), ''],
    ['  DynamoDB calls per mail, SES events', (d) => f2(d.events.calls), ''],
    ['  WRU per mail, SES events', (d) => f2(d.events.wru), ''],
    ['DynamoDB calls per open', (d) => f2(d.open.calls), ''],
    ['  WRU per open', (d) => f2(d.open.wru), ''],
    ['DynamoDB calls per click', (d) => f2(d.click.calls), ''],
    ['  WRU per click', (d) => f2(d.click.wru), ''],
    [`WRU per mail, all in (send + events + ${MIX.opens} opens + ${MIX.clicks} clicks)`, (d) => f2(perMailAllIn(d).wru), '≤ 5 (stretch ≤ 3.5)'],
    ['RRU per mail, all in', (d) => f2(perMailAllIn(d).rru), ''],
    ['AWS cost on top of SES per million mails (bench/cost-model.ts; senders planned at 5, now 25 mails/s)', (d) => `$${costPerMillion(d, d === before ? SENDER_PLAN_BEFORE_17 : SENDER_PLAN).total.toFixed(2)}`, '≤ $4'],
    ['campaign recipients/s ÷ raw local-SES SendEmail/s (launch to the last mail)', (d) => f2(d.perSecond / d.rawPerSecond), '≥ 0.4'],
    ['  launch to completed, every outcome counted (since 2026-12-06 a stream batch later: ≤ 5 s)', (d) => (d.completedPerSecond === undefined ? '–' : f2(d.completedPerSecond / d.rawPerSecond)), ''],
    [
      '  the most DynamoDB Local allows: raw PutItem/s ÷ calls per recipient, ÷ raw SendEmail/s',
      (d) => (d.ceilingPerSecond === undefined ? '–' : f2(d.ceilingPerSecond / d.rawPerSecond)),
      'bounds the row above',
    ],
    [
      '  the same at exactly-once’s two writes per recipient alone (claim, sent mark)',
      (d) => (d.putsPerSecond === undefined ? '–' : f2(d.putsPerSecond / 2 / d.rawPerSecond)),
      '',
    ],
  ];
  const lines: string[] = [];
  const say = (l: string) => {
    lines.push(l);
    console.log(l);
  };
  say(`| figure | ${before ? BASELINE_LABEL : 'before #17 (not in this clone\u2019s history)'} | now | goal |`);
  say('|:---|---:|---:|:---|');
  for (const [name, get, goal] of rows) say(`| ${name} | ${before ? get(before) : '–'} | ${get(now)} | ${goal} |`);
  const loadRows: Array<[string, 'pixel' | 'oneClick', 'p50' | 'p99', string]> = [
    ['pixel p50 ÷ raw PutItem p50 (bench/load.ts of each tree)', 'pixel', 'p50', '≤ 4×'],
    ['one-click p50 ÷ raw PutItem p50', 'oneClick', 'p50', '≤ 4×'],
    ['pixel p99 ÷ raw PutItem p99', 'pixel', 'p99', '≤ 3×'],
    ['one-click p99 ÷ raw PutItem p99', 'oneClick', 'p99', '≤ 3×'],
  ];
  for (const [name, route, at, goal] of loadRows) say(`| ${name} | ${loadRatio(loadBefore, route, at)} | ${loadRatio(loadNow, route, at)} | ${goal} |`);
  const tableLines = lines.length;
  say('');
  const cost = costPerMillion(now);
  say(`cost now, per million mails: DynamoDB writes $${cost.writes.toFixed(2)}, reads $${cost.reads.toFixed(2)}, Lambda $${cost.lambda.toFixed(2)}, SQS and API Gateway $${cost.other.toFixed(2)}`);
  const loadErrors = (l: LoadFigures | undefined) => Object.values(l ?? {}).reduce((n, r) => n + r.errors, 0);
  say(`${options.recipients} recipients per tree; every check of the campaign driver: ${before && !before.ok ? 'BEFORE FAILED' : 'before ok'}, ${now.ok ? 'now ok' : 'NOW FAILED'}; load errors (must be 0): before ${loadBefore ? loadErrors(loadBefore) : '–'}, now ${loadErrors(loadNow)}`);
  say(`WRU per mail all in: ${f2(perMailAllIn(now).wru)}`);
  if (!now.ok || loadErrors(loadNow) > 0) process.exitCode = 1;
  return {
    title: 'Issue 17: writes per mail, before and after (`npm run bench:lean`)',
    markdown: [
      `The campaign driver (bench/campaign.ts \`--json\`) and each tree's own load bench (bench/load.ts through bench/load-driver.ts) run in the tree of ${BASELINE_COMMIT.slice(0, 7)} (extracted from git history, the drivers copied in) and in this one, ` +
        `${options.recipients} recipients each, one after the other, each with its own DynamoDB Local and local SES. Units are what DynamoDB Local reports ` +
        '(`ReturnConsumedCapacity: TOTAL`) but for transactions, counted from their items as DynamoDB charges them (2 per item and KB: bench/capacity.ts; Local reports 4 × the largest item per table), plus the reads it leaves out and DynamoDB charges: a BatchGetItem key that is not there, an empty Query ' +
        '(bench/campaign.ts `unreportedReadUnits`; the sender\'s suppression check asks for every reason an address could have, ~5 such keys a recipient). The mix and the prices of the cost: bench/cost-model.ts and docs/SCALING.md. ' +
        'The pixel and one-click ratios: each tree\u2019s route ÷ its own raw PutItem baseline (8 connections, 300 requests), the two trees one after the other in this run; the load section of this page is a third run of today\u2019s.',
      '',
      ...lines.slice(0, tableLines),
      '',
      '```',
      ...lines.slice(tableLines + 1),
      '```',
    ].join('\n'),
  };
}

if (import.meta.main) await runCli(USAGE, parseOptions, async (o) => void (await runLeanWritesBench(o)));

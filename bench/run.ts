/**
 * `npm run bench`: runs every benchmark in bench/ in turn, prints their figures, and writes `docs/BENCHMARKS.md`
 * (each benchmark's section, the machine, the date). It never fails on a time: figures are for reading, and compared
 * only within one run. A benchmark that finds a wrong answer (the load test's error count) sets a non-zero exit code.
 *
 * Adding a benchmark: export a function that returns a `BenchSection` (bench/report.ts) and add an entry to
 * {@link BENCHMARKS}; keep its default run short (≤ ~60 s).
 */
import os from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integerOption, parseCli, runCli, UsageError } from './cli.ts';
import { runColdStartBench } from './cold-start.ts';
import { runCampaignBench } from './campaign.ts';
import { runLeanWritesBench } from './lean-writes.ts';
import { runLoadBench } from './load.ts';
import { type PerRecipientOptions, runPerRecipientBench } from './per-recipient.ts';
import { type BenchSection, writeBenchmarksMarkdown } from './report.ts';

const DEFAULT_BUDGET_SECONDS = 25;
/** The campaign bench's size in `npm run bench` (bench:campaign alone defaults to 10,000). */
const CAMPAIGN_RECIPIENTS = 1000;
const OUTPUT = resolve(fileURLToPath(import.meta.url), '../../docs/BENCHMARKS.md');

/** One benchmark of `npm run bench`: a key for `--only`, and a run with its default options. */
export interface Benchmark {
  readonly key: string;
  readonly run: (options: RunOptions) => Promise<BenchSection>;
}

interface RunOptions {
  readonly perRecipient: PerRecipientOptions;
  readonly only?: readonly string[];
}

/** In the order they run and appear in docs/BENCHMARKS.md. */
export const BENCHMARKS: readonly Benchmark[] = [
  { key: 'per-recipient', run: (o) => runPerRecipientBench(o.perRecipient) },
  { key: 'cold-start', run: () => runColdStartBench({ rounds: 5, budgetMs: 45_000 }) },
  { key: 'load', run: () => runLoadBench({ connections: 8, requests: 300, maxSeconds: 10 }) },
  // Child processes (the campaign driver in the tree before issue 17 and in this one): nothing of this process's.
  { key: 'lean-writes', run: () => runLeanWritesBench({ recipients: 300 }) },
  // Last: it sets this process's handler environment. 1,000 recipients keep `npm run bench` within minutes on a
  // small machine; `npm run bench:campaign` runs the 10,000-recipient default.
  { key: 'campaign', run: () => runCampaignBench({ recipients: CAMPAIGN_RECIPIENTS, baseline: 500 }) },
];

const USAGE = `Usage: npm run bench -- [options]

Runs ${BENCHMARKS.map((b) => b.key).join(', ')} in turn (~2 min, plus a few for the campaign on a small machine) and writes docs/BENCHMARKS.md.

  --only K[,K]    run only these benchmarks (then docs/BENCHMARKS.md is not written)
  --recipients N  per-recipient: synthetic recipients in the mixed list (default 1000)
  --rounds R      per-recipient: timed rounds per scenario; the median round is reported (default 7,
                  fewer, but at least 3, where the run would otherwise pass ~25 s)
  --warmup W      per-recipient: untimed rounds per scenario before timing (default 2)
  --seed S        per-recipient: seed of the synthetic population (default 20250602)
  --help          this text

Each benchmark also runs on its own, with more options: npm run bench:cold, bench:load, bench:campaign
(10,000 recipients by default), bench:lean, bench:public, bench:pixel.`;

/** The options, or `undefined` when only help was asked for. */
function parseOptions(args: string[]): RunOptions | undefined {
  const values = parseCli(args, {
    only: { type: 'string' },
    recipients: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    seed: { type: 'string' },
  });
  if (values === undefined) return undefined;
  const only = (values.only as string | undefined)?.split(',').map((k) => k.trim());
  const unknown = only?.filter((k) => !BENCHMARKS.some((b) => b.key === k));
  if (unknown?.length) throw new UsageError(`--only: unknown benchmark ${unknown.join(', ')}`);
  return {
    perRecipient: {
      recipients: integerOption('recipients', values.recipients as string | undefined, 1000, 1),
      rounds: integerOption('rounds', values.rounds as string | undefined, 7, 1),
      warmupRounds: integerOption('warmup', values.warmup as string | undefined, 2, 0),
      seed: integerOption('seed', values.seed as string | undefined, 20250602, 0),
      // The default keeps the run short on a busy machine; rounds asked for explicitly all run.
      ...(values.rounds === undefined && { budgetSeconds: DEFAULT_BUDGET_SECONDS }),
    },
    ...(only && { only }),
  };
}

async function runAll(options: RunOptions): Promise<void> {
  const startedAt = new Date();
  const started = performance.now();
  const load = os.loadavg()[0] ?? Number.NaN;
  const sections: BenchSection[] = [];
  for (const b of BENCHMARKS) {
    if (options.only && !options.only.includes(b.key)) continue;
    console.log(`\n=== ${b.key} ===\n`);
    sections.push(await b.run(options));
  }
  if (options.only) {
    console.log('\n(--only: docs/BENCHMARKS.md not written)');
    return;
  }
  writeBenchmarksMarkdown(OUTPUT, sections, startedAt, (performance.now() - started) / 1000, load);
  console.log(`\nwrote docs/BENCHMARKS.md (${sections.length} sections)`);
}

await runCli(USAGE, parseOptions, runAll);

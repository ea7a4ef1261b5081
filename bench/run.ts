/**
 * `npm run bench [-- --recipients N --rounds R --warmup W --seed S]`: runs the benchmarks in bench/ and prints
 * their figures. It never fails on a time: figures are for reading, and compared only within one run.
 */
import { integerOption, parseCli, runCli } from './cli.ts';
import { type PerRecipientOptions, runPerRecipientBench } from './per-recipient.ts';

const USAGE = `Usage: npm run bench -- [options]

  --recipients N  synthetic recipients in the mixed list (default 1000)
  --rounds R      timed rounds per scenario; the median round is reported (default 7,
                  fewer, but at least 3, where the run would otherwise pass ~25 s)
  --warmup W      untimed rounds per scenario before timing (default 2)
  --seed S        seed of the synthetic population (default 20250602)
  --help          this text`;

const DEFAULT_BUDGET_SECONDS = 25;

/** The options, or `undefined` when only help was asked for. */
function parseOptions(args: string[]): PerRecipientOptions | undefined {
  const values = parseCli(args, { recipients: { type: 'string' }, rounds: { type: 'string' }, warmup: { type: 'string' }, seed: { type: 'string' } });
  if (values === undefined) return undefined;
  return {
    recipients: integerOption('recipients', values.recipients as string | undefined, 1000, 1),
    rounds: integerOption('rounds', values.rounds as string | undefined, 7, 1),
    warmupRounds: integerOption('warmup', values.warmup as string | undefined, 2, 0),
    seed: integerOption('seed', values.seed as string | undefined, 20250602, 0),
    // The default keeps the run short on a busy machine; rounds asked for explicitly all run.
    ...(values.rounds === undefined && { budgetSeconds: DEFAULT_BUDGET_SECONDS }),
  };
}

await runCli(USAGE, parseOptions, runPerRecipientBench);

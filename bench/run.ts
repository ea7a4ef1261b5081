/**
 * `npm run bench [-- --recipients N --rounds R --warmup W --seed S]`: runs the benchmarks in bench/ and prints
 * their figures. It never fails on a time: figures are for reading, and compared only within one run.
 */
import { parseArgs } from 'node:util';
import { type PerRecipientOptions, runPerRecipientBench } from './per-recipient.ts';

const USAGE = `Usage: npm run bench -- [options]

  --recipients N  synthetic recipients in the mixed list (default 1000)
  --rounds R      timed rounds per scenario; the median round is reported (default 7,
                  fewer, but at least 3, where the run would otherwise pass ~25 s)
  --warmup W      untimed rounds per scenario before timing (default 2)
  --seed S        seed of the synthetic population (default 20250602)
  --help          this text`;

const DEFAULT_BUDGET_SECONDS = 25;

class UsageError extends Error {}

function integerOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  }
  return n;
}

/** The options, or `undefined` when only help was asked for. */
function parseOptions(args: string[]): PerRecipientOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        recipients: { type: 'string' },
        rounds: { type: 'string' },
        warmup: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return undefined;
  return {
    recipients: integerOption('recipients', values.recipients, 1000, 1),
    rounds: integerOption('rounds', values.rounds, 7, 1),
    warmupRounds: integerOption('warmup', values.warmup, 2, 0),
    seed: integerOption('seed', values.seed, 20250602, 0),
    // The default keeps the run short on a busy machine; rounds asked for explicitly all run.
    ...(values.rounds === undefined && { budgetSeconds: DEFAULT_BUDGET_SECONDS }),
  };
}

try {
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) console.log(USAGE);
  else await runPerRecipientBench(options);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`${error.message}\n\n${USAGE}`);
  process.exitCode = 2;
}

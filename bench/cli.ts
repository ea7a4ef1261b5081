/** What both bench entry points share: option parsing with clear usage errors, and the run-or-help wrapper. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

/** `--name` as an integer in [min, max]; `fallback` when absent. */
export function integerOption(name: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be an integer ${range}, got "${raw}"`);
  }
  return n;
}

/** Parses strictly; a parse error becomes a {@link UsageError}. `undefined` when only `--help` was asked for. */
export function parseCli<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const parsed = values as unknown as Record<keyof O | 'help', string | boolean | undefined>;
  return parsed.help === true ? undefined : parsed;
}

/** Prints the usage for `--help`; a usage error prints the message and the usage and exits 2. */
export async function runCli<T>(usage: string, parse: (args: string[]) => T | undefined, run: (options: T) => Promise<void>): Promise<void> {
  try {
    const options = parse(process.argv.slice(2));
    if (options === undefined) console.log(usage);
    else await run(options);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${usage}`);
    process.exitCode = 2;
  }
}

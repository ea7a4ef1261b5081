/**
 * The shape of a command and the parsing every command shares (node:util parseArgs): global options, the command's
 * own options, its positional arguments, and the help text made from the same definitions.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';
import type { ApiClient } from './http.ts';
import type { Io } from './io.ts';
import { table } from './render.ts';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** The placeholder in help (`--name TEXT`). */
  readonly value?: string;
  readonly help: string;
}

export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Context {
  readonly values: Values;
  readonly args: readonly string[];
  readonly io: Io;
  /** `--json`: print the API's answer as JSON instead of text. */
  readonly json: boolean;
  /** The API client, connected on first use (a command that fails its own checks never asks for credentials). */
  client(): Promise<ApiClient>;
}

export interface Command {
  readonly summary: string;
  /** Positional arguments as shown in help, e.g. `ID`; each is required. */
  readonly args?: readonly string[];
  readonly options?: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly string[];
  /** Returns the exit code (0 when nothing is returned). */
  run(ctx: Context): Promise<number | void>;
}

export interface Group {
  readonly summary: string;
  readonly commands: Readonly<Record<string, Command>>;
}

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  api: { type: 'string', value: 'URL', help: 'API base URL (default: $SENDWELL_API_URL, else the local stack http://127.0.0.1:3000)' },
  region: { type: 'string', value: 'REGION', help: 'AWS region for SigV4 (default: from the API URL, else $AWS_REGION)' },
  auth: { type: 'string', value: 'key|sigv4', help: 'local admin key or SigV4 (default: key for 127.0.0.1/localhost, else sigv4)' },
  json: { type: 'boolean', help: "print the API's answer as JSON" },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

type ParseConfig = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

const parseConfig = (specs: Readonly<Record<string, OptionSpec>>): ParseConfig =>
  Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [name, { type: s.type, ...(s.multiple ? { multiple: true } : {}), ...(s.short ? { short: s.short } : {}) }]),
  );

/** The group and command names: the first two words that are not options (and not an option's value). */
export function splitCommand(argv: readonly string[]): { words: string[]; rest: string[] } {
  const { tokens } = parseArgs({ args: [...argv], options: parseConfig(GLOBAL_OPTIONS), strict: false, allowPositionals: true, tokens: true });
  const taken = new Set<number>();
  const words: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'option-terminator') break;
    if (t.kind === 'positional' && words.length < 2) {
      words.push(t.value);
      taken.add(t.index);
    }
  }
  return { words, rest: argv.filter((_, i) => !taken.has(i)) };
}

/** Parses a command's arguments; a wrong option, a missing value or a wrong number of arguments is a `UsageError`. */
export function parseCommand(path: string, command: Command, argv: readonly string[]): { values: Values; args: string[] } {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: parseConfig({ ...GLOBAL_OPTIONS, ...command.options }), strict: true, allowPositionals: true }) as {
      values: Values;
      positionals: string[];
    };
  } catch (e) {
    // parseArgs explains well (`Unknown option '--nme'`); its error codes are not for people.
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '.'), path);
  }
  if (parsed.values.help) return { values: parsed.values, args: parsed.positionals };
  const expected = command.args ?? [];
  if (parsed.positionals.length < expected.length) throw new UsageError(`missing ${expected.slice(parsed.positionals.length).join(' ')}`, path);
  if (parsed.positionals.length > expected.length) throw new UsageError(`unexpected argument \`${parsed.positionals[expected.length]}\``, path);
  return { values: parsed.values, args: parsed.positionals };
}

const optionLines = (specs: Readonly<Record<string, OptionSpec>>): string[] => {
  const rows = Object.entries(specs).map(([name, s]) => [`${s.short ? `-${s.short}, ` : ''}--${name}${s.value ? ` ${s.value}` : ''}`, s.help + (s.multiple ? ' (repeatable)' : '')] as const);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`);
};

export function commandHelp(path: string, command: Command): string {
  const usage = [`sendwell ${path}`, ...(command.args ?? []), ...(command.options ? ['[options]'] : [])].join(' ');
  const lines = [`Usage: ${usage}`, '', command.summary, ''];
  if (command.options) lines.push('Options:', ...optionLines(command.options), '');
  lines.push('Global options:', ...optionLines(GLOBAL_OPTIONS), '', 'Examples:', ...command.examples.map((e) => `  ${e}`), '');
  return lines.join('\n');
}

export function groupHelp(name: string, group: Group): string {
  const width = Math.max(...Object.keys(group.commands).map((c) => c.length));
  return [
    `Usage: sendwell ${name} <command> [options]`,
    '',
    group.summary,
    '',
    'Commands:',
    ...Object.entries(group.commands).map(([c, cmd]) => `  ${c.padEnd(width)}  ${cmd.summary}`),
    '',
    `Run \`sendwell ${name} <command> --help\` for a command's options and examples.`,
    '',
  ].join('\n');
}

export function mainHelp(groups: Readonly<Record<string, Group>>): string {
  const width = Math.max(...Object.keys(groups).map((g) => g.length));
  return [
    'Usage: sendwell <group> <command> [options]',
    '',
    'Sendwell from the command line: topics, templates, recipient imports and campaigns, against the local stack',
    '(admin key) or a deployed API (SigV4 with your AWS credentials).',
    '',
    'Groups:',
    ...Object.entries(groups).map(([g, group]) => `  ${g.padEnd(width)}  ${group.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Exit codes: 0 done, 1 the API refused or the command line is wrong (the reason is printed).',
    'Run `sendwell <group> --help` for its commands. More: docs/cli.md',
    '',
  ].join('\n');
}

/** A string option's value, or a UsageError naming it when it is required and missing. */
export function stringOption(ctx: Pick<Context, 'values'>, name: string, required: true, path: string): string;
export function stringOption(ctx: Pick<Context, 'values'>, name: string, required?: false, path?: string): string | undefined;
export function stringOption(ctx: Pick<Context, 'values'>, name: string, required = false, path = ''): string | undefined {
  const v = ctx.values[name];
  if (typeof v === 'string' && v !== '') return v;
  if (required) throw new UsageError(`--${name} is required`, path);
  return undefined;
}

/** A repeatable option's values, each also split on commas: `--to a@x,b@y --to c@z` → three. */
export function listOption(ctx: Pick<Context, 'values'>, name: string): string[] {
  const v = ctx.values[name];
  const all = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return all.flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean);
}

/** Prints the API's answer: as JSON with `--json`, else the text (made only when needed). */
export function printAnswer(ctx: Pick<Context, 'io' | 'json'>, value: unknown, text: () => string): void {
  ctx.io.out(ctx.json ? `${JSON.stringify(value ?? {}, null, 2)}\n` : text());
}

/** A `list` command: `GET path`, its `field` array as a table, a hint when it is empty. */
export function listCommand<T>(spec: {
  readonly summary: string;
  readonly path: string;
  readonly field: string;
  readonly examples: readonly string[];
  readonly empty: string;
  readonly header: readonly string[];
  readonly row: (item: T) => readonly string[];
}): Command {
  return {
    summary: spec.summary,
    examples: spec.examples,
    async run(ctx) {
      const answer = await (await ctx.client()).request<Record<string, T[]>>('GET', spec.path);
      const items = answer[spec.field] ?? [];
      printAnswer(ctx, answer, () => (items.length === 0 ? `${spec.empty}\n` : table([spec.header, ...items.map(spec.row)])));
    },
  };
}

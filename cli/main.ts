#!/usr/bin/env node
/**
 * `sendwell`: the command line for marketing and ops. `run` is the whole program (tests call it in-process with
 * their own Io); run as a script (`node cli/main.ts …`, or through the `sendwell` bin) it exits with what `run` returns.
 */
import { commandHelp, groupHelp, mainHelp, parseCommand, splitCommand, stringOption, type Group } from './command.ts';
import { formatError, UsageError } from './errors.ts';
import type { ApiClient } from './http.ts';
import { processIo, type Io } from './io.ts';
import { connect } from './target.ts';
import { campaigns } from './commands/campaigns.ts';
import { recipients } from './commands/recipients.ts';
import { templates } from './commands/templates.ts';
import { topics } from './commands/topics.ts';
import { segments } from './commands/segments.ts';
import { journeys } from './commands/journeys.ts';

export const GROUPS: Readonly<Record<string, Group>> = { topics, templates, recipients, segments, campaigns, journeys };

/** Runs one command line (without `node` and the script) and returns the exit code: 0 done, 1 failed. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    // `sendwell help campaigns create` is `sendwell campaigns create --help`.
    const args = argv[0] === 'help' ? [...argv.slice(1), '--help'] : argv;
    const { words, rest } = splitCommand(args);
    const [groupName, commandName] = words;
    const wantsHelp = rest.includes('--help') || rest.includes('-h');
    if (groupName === undefined) {
      if (wantsHelp) return (io.out(mainHelp(GROUPS)), 0);
      io.err(mainHelp(GROUPS));
      return 1;
    }
    const group = GROUPS[groupName];
    if (!group) throw new UsageError(`unknown command group \`${groupName}\` (one of: ${Object.keys(GROUPS).join(', ')})`);
    if (commandName === undefined) {
      if (wantsHelp) return (io.out(groupHelp(groupName, group)), 0);
      io.err(groupHelp(groupName, group));
      return 1;
    }
    const command = group.commands[commandName];
    if (!command) throw new UsageError(`unknown command \`${groupName} ${commandName}\` (one of: ${Object.keys(group.commands).join(', ')})`, groupName);
    const path = `${groupName} ${commandName}`;
    const { values, args: positionals } = parseCommand(path, command, rest);
    if (values.help) return (io.out(commandHelp(path, command)), 0);
    let client: Promise<ApiClient> | undefined;
    const code = await command.run({
      values,
      args: positionals,
      io,
      json: values.json === true,
      client: () => (client ??= connect({ api: stringOption({ values }, 'api'), region: stringOption({ values }, 'region'), auth: stringOption({ values }, 'auth') }, io)),
    });
    return code ?? 0;
  } catch (e) {
    io.err(formatError(e));
    return 1;
  }
}

/** The program as the `sendwell` bin runs it (`cli/sendwell.mjs`): this process's arguments, streams and exit code. */
export async function cli(): Promise<void> {
  process.exitCode = await run(process.argv.slice(2), processIo());
}

if (import.meta.main) await cli();

/** Parsing and checking the command line, in-process: nothing here reaches a server. */
import { describe, expect, it } from 'vitest';
import { campaignInput, parsePairs, parseSendAt } from '../../../cli/commands/campaigns.ts';
import { parseCommand, splitCommand } from '../../../cli/command.ts';
import { campaigns } from '../../../cli/commands/campaigns.ts';
import { run } from '../../../cli/main.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_BIN, recordedIo, runCli } from '../../support/cli.ts';
import { repoRoot } from '../../support/gateway.ts';

/** Runs the CLI with no server and no key: anything that got as far as the network would fail differently. */
async function cli(...argv: string[]) {
  const io = recordedIo({ SENDWELL_DATA_DIR: '/nonexistent-sendwell-test' });
  const code = await run(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('help', () => {
  it('--help at every level prints to stdout and exits 0', async () => {
    const top = await cli('--help');
    expect(top).toMatchObject({ code: 0, stderr: '' });
    expect(top.stdout).toMatch(/^Usage: sendwell <group> <command> \[options\]/);
    for (const group of ['topics', 'templates', 'recipients', 'campaigns']) expect(top.stdout).toMatch(new RegExp(`^  ${group} `, 'm'));

    const group = await cli('campaigns', '--help');
    expect(group.code).toBe(0);
    for (const command of ['list', 'get', 'create', 'launch', 'schedule', 'pause', 'resume', 'cancel', 'test', 'watch']) expect(group.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));

    const command = await cli('help', 'recipients', 'import');
    expect(command.code).toBe(0);
    expect(command.stdout).toMatch(/^Usage: sendwell recipients import FILE \[options\]\n/);
    expect(command.stdout).toContain('--chunk-size N');
    expect(command.stdout).toContain('Examples:\n  sendwell recipients import people.csv');
  });

  it('without a group or command: the help on stderr and exit 1', async () => {
    expect(await cli()).toMatchObject({ code: 1, stdout: '' });
    const group = await cli('topics');
    expect(group).toMatchObject({ code: 1, stdout: '' });
    expect(group.stderr).toMatch(/^Usage: sendwell topics <command>/);
  });
});

describe('usage errors: one message, a pointer to --help, exit 1', () => {
  it.each([
    [['mail', 'send'], 'sendwell: unknown command group `mail` (one of: topics, templates, recipients, segments, campaigns, journeys)\nRun `sendwell --help` for usage.\n'],
    [['topics', 'delete'], 'sendwell: unknown command `topics delete` (one of: list, create)\nRun `sendwell topics --help` for usage.\n'],
    [['topics', 'create', '--id', 'news'], 'sendwell: --name is required\nRun `sendwell topics create --help` for usage.\n'],
    [['campaigns', 'create', '--nme', 'x'], "sendwell: Unknown option '--nme'.\nRun `sendwell campaigns create --help` for usage.\n"],
    [['campaigns', 'get'], 'sendwell: missing ID\nRun `sendwell campaigns get --help` for usage.\n'],
    [['campaigns', 'get', 'a', 'b'], 'sendwell: unexpected argument `b`\nRun `sendwell campaigns get --help` for usage.\n'],
    [['campaigns', 'create', '--name', 'n', '--template', 't', '--rate', 'fast'], 'sendwell: --rate fast: mails per second, a number above 0\nRun `sendwell campaigns create --help` for usage.\n'],
    [['campaigns', 'create', '--name', 'n', '--template', 't', '--class', 'promo'], 'sendwell: --class takes `marketing` or `service`\nRun `sendwell campaigns create --help` for usage.\n'],
    [['campaigns', 'test', 'cmp_1'], 'sendwell: --to is required\nRun `sendwell campaigns test --help` for usage.\n'],
    [['campaigns', 'watch', 'cmp_1', '--interval', '0'], 'sendwell: --interval 0: seconds between polls, 0.01 to 3600\nRun `sendwell campaigns watch --help` for usage.\n'],
    [['recipients', 'import', 'x.csv', '--chunk-size', '20000'], 'sendwell: --chunk-size takes a whole number from 1 to 1,000\nRun `sendwell recipients import --help` for usage.\n'],
    [['topics', 'list', '--api', 'ftp://example.com'], 'sendwell: --api ftp://example.com must be an http(s) URL.\nRun `sendwell --help` for usage.\n'],
    [['topics', 'list', '--auth', 'basic'], 'sendwell: --auth takes `key` or `sigv4`, not `basic`.\nRun `sendwell --help` for usage.\n'],
  ])('%j', async (argv, stderr) => {
    expect(await cli(...argv)).toEqual({ code: 1, stdout: '', stderr });
  });
});

describe('splitting the command line', () => {
  it('finds the group and command wherever the global options stand', () => {
    expect(splitCommand(['--api', 'http://x', 'campaigns', '--json', 'get', 'cmp_1'])).toEqual({ words: ['campaigns', 'get'], rest: ['--api', 'http://x', '--json', 'cmp_1'] });
  });

  it('parses repeatable options and positionals after the command', () => {
    const create = campaigns.commands.create!;
    const { values, args } = parseCommand('campaigns create', create, ['--name', 'N', '--country', 'de,at', '--country', 'FR', '--template', 't']);
    expect(args).toEqual([]);
    expect(values).toMatchObject({ name: 'N', country: ['de,at', 'FR'], template: 't' });
  });
});

describe('campaigns create: the request body', () => {
  const parse = (argv: string[]) => campaignInput(parseCommand('campaigns create', campaigns.commands.create!, argv), new Date('2026-11-22T10:00:00Z'));

  it('builds the audience filter, data, send time and rate', () => {
    expect(
      parse([
        '--name', 'November news', '--template', 'news-weekly', '--topic', 'news',
        '--country', 'de,at', '--country', 'FR',
        '--attr', 'plan=pro', '--attr', 'plan=team', '--attr', 'vip:=true', '--attr', 'score:=3',
        '--data', 'season=winter', '--send-at', '+2h', '--rate', '12.5',
      ]),
    ).toEqual({
      name: 'November news',
      template: 'news-weekly',
      topic: 'news',
      audience: { countries: ['DE', 'AT', 'FR'], attributes: { plan: ['pro', 'team'], vip: true, score: 3 } },
      data: { season: 'winter' },
      sendAt: '2026-11-22T12:00:00.000Z',
      ratePerSecond: 12.5,
    });
  });

  it('sends only what was given', () => {
    expect(parse(['--name', 'Notice', '--template', 'policy', '--class', 'service', '--reason', 'Material change to the privacy policy'])).toEqual({
      name: 'Notice',
      template: 'policy',
      class: 'service',
      reason: 'Material change to the privacy policy',
    });
  });

  it('refuses pairs it cannot read', () => {
    expect(() => parsePairs(['plan'], 'attr', true)).toThrow('--attr plan: write name=value');
    expect(() => parsePairs(['vip:=yes'], 'attr', true)).toThrow('after := comes a JSON number');
    expect(() => parsePairs(['a=1', 'a=2'], 'data', false)).toThrow('--data a is given twice');
    expect(parsePairs(['note=a=b'], 'data', false)).toEqual({ note: 'a=b' });
  });

  it('send times: relative, with an offset, or UTC when none is given', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    expect(parseSendAt('+30m', now)).toBe('2026-11-22T10:30:00.000Z');
    expect(parseSendAt('+1d', now)).toBe('2026-11-23T10:00:00.000Z');
    expect(parseSendAt('2026-12-01T09:00:00+01:00')).toBe('2026-12-01T08:00:00.000Z');
    expect(parseSendAt('2026-12-01T09:00')).toBe('2026-12-01T09:00:00.000Z');
    expect(() => parseSendAt('tomorrow')).toThrow('--send-at tomorrow is neither');
  });
});

describe('the sendwell bin', () => {
  it('is the launcher, which runs the CLI and passes on its exit code', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(join(repoRoot, pkg.bin.sendwell ?? '')).toBe(CLI_BIN);
    expect(await runCli(['topics', 'list', '--help'], {}, CLI_BIN)).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(/^Usage: sendwell topics list/) });
    expect(await runCli(['topics', 'nope'], {}, CLI_BIN)).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^sendwell: unknown command `topics nope`/) });
  });
});

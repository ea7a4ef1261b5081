/**
 * The `sendwell` CLI as a user runs it (`node cli/main.ts …`, a child process) against the local gateway with the
 * real handlers, DynamoDB Local and the local SES.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../local/ports.ts';
import { adminClient } from '../../support/admin-client.ts';
import { runCli } from '../../support/cli.ts';
import { startTestGateway, TEST_ADMIN_KEY, type TestGateway } from '../../support/gateway.ts';

let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
const dir = mkdtempSync(join(tmpdir(), 'sendwell-cli-'));
const run = (...args: string[]) => runCli([...args, '--api', gw.url], { SENDWELL_ADMIN_KEY: TEST_ADMIN_KEY });
const tag = `c${Date.now().toString(36)}`;
const topic = `${tag}-news`;

beforeAll(async () => {
  gw = await startTestGateway();
  api = adminClient(gw);
});
afterAll(async () => {
  await gw?.stop();
});

/** What a user must never see. */
const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('topics and templates', () => {
  it('creates a topic and lists it', async () => {
    const created = await run('topics', 'create', '--id', topic, '--name', 'CLI news', '--description', 'Made by the CLI test');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toBe(`Created topic ${topic} (CLI news).\n`);

    const listed = await run('topics', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${topic}\\s+CLI news\\s+no\\s+Made by the CLI test$`, 'm'));

    const json = await run('topics', 'list', '--json');
    expect(JSON.parse(json.stdout).topics).toContainEqual(expect.objectContaining({ id: topic, name: 'CLI news', doubleOptIn: false }));
  });

  it('creates a template from a file, and shows the API’s reasons when it refuses one', async () => {
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        id: `${tag}-weekly`,
        class: 'marketing',
        topic,
        subject: 'News for {{name}}',
        html: '<p>Hi {{name}}</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>',
        text: 'Hi {{name}}\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}',
      }),
    );
    const created = await run('templates', 'create', '--file', good);
    expect(created).toMatchObject({ code: 0, stdout: `Created marketing template ${tag}-weekly.\n` });
    expect((await api.get(`/v1/templates/${tag}-weekly`)).status).toBe(200);
    expect((await run('templates', 'list')).stdout).toMatch(new RegExp(`^${tag}-weekly\\s+marketing\\s+${topic}\\s+News for \\{\\{name\\}\\}$`, 'm'));
    // Created again: the CLI says how to replace it, and `update` does (a file as GET answers it, dates included).
    const again = await run('templates', 'create', '--file', good);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`sendwell templates update --file ${good}`);
    const stored = (await api.get(`/v1/templates/${tag}-weekly`)).body;
    writeFileSync(good, JSON.stringify({ ...stored, subject: 'Weekly news for {{name}}' }));
    expect(await run('templates', 'update', '--file', good)).toMatchObject({ code: 0, stdout: `Replaced marketing template ${tag}-weekly.\n` });
    expect((await api.get(`/v1/templates/${tag}-weekly`)).body.subject).toBe('Weekly news for {{name}}');

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ id: `${tag}-bad`, class: 'marketing', topic, subject: 'Hi', html: '<p>Hi</p>', text: 'Hi' }));
    const refused = await run('templates', 'create', '--file', bad);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^sendwell: .+\(HTTP 400, [a-z_]+\)\n {2}- /);
    expect(refused.stderr).toContain('unsubscribe_url');
    noStackTrace(refused.stderr);
  });
});

describe('recipients import', () => {
  it('imports a few hundred CSV rows in chunks and reports bad rows by the line of the file', async () => {
    const lines = ['email,country,locale,topic:' + topic + ',consent_at,consent_source,plan'];
    const bad = new Map<number, RegExp>();
    const good: string[] = [];
    for (let i = 1; lines.length < 320; i++) {
      const line = lines.length + 1;
      if (i % 47 === 0) {
        lines.push(`not-an-address-${i},US,en-US,,,,free`);
        bad.set(line, /email/);
      } else if (i % 61 === 0) {
        lines.push(`${tag}.${i}@example.com,Germany,de-DE,,,,free`);
        bad.set(line, /country/);
      } else if (i % 89 === 0) {
        // A field with a line break inside quotes: one row on two lines of the file.
        lines.push(`${tag}.${i}@example.com,US,en-US,opted_in,2026-09-01T12:00:00Z,checkout,"pro\nannual"`);
        good.push(`${tag}.${i}@example.com`);
      } else if (i % 100 === 0) {
        lines.push('');
      } else {
        lines.push(`${tag}.${i}@example.com,US,en-US,${i % 2 ? 'opted_in' : ''},${i % 2 ? '2026-09-01T12:00:00Z' : ''},checkout,free`);
        good.push(`${tag}.${i}@example.com`);
      }
    }
    const file = join(dir, 'people.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    // The physical line of each bad row: rows before it that span two lines push it down.
    const fileLines = `${lines.join('\n')}\n`.split('\n');
    const expectedRejected = fileLines.flatMap((text, i) => (text.startsWith('not-an-address') || text.includes(',Germany,') ? [i + 1] : []));
    expect(expectedRejected.length).toBe(bad.size);

    const result = await run('recipients', 'import', file, '--chunk-size', '100', '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ rows: good.length + bad.size, created: good.length, updated: 0, unchanged: 0 });
    expect(report.rejected.map((r: { line: number }) => r.line)).toEqual(expectedRejected);
    for (const r of report.rejected) expect(fileLines[r.line - 1]).toMatch(/^not-an-address|,Germany,/);
    // Plain progress lines (stderr is not a terminal), one per chunk and the last.
    expect(result.stderr.trim().split('\n')).toEqual([
      `imported 0/${report.rows} rows (chunk 1/4)`,
      `imported 100/${report.rows} rows (chunk 2/4)`,
      `imported 200/${report.rows} rows (chunk 3/4)`,
      `imported 300/${report.rows} rows (chunk 4/4)`,
      `imported ${report.rows}/${report.rows} rows (chunk 4/4)`,
    ]);

    for (const email of [good[0], good[150], good.at(-1), `${tag}.89@example.com`]) {
      const found = await api.get(`/v1/recipients?email=${encodeURIComponent(email ?? '')}`);
      expect(found.status, email).toBe(200);
    }
    expect((await api.get(`/v1/recipients?email=${tag}.61@example.com`)).status).toBe(404);
    const optedIn = await api.get(`/v1/recipients?email=${tag}.1@example.com`);
    expect(optedIn.body.consents[topic]?.status).toMatch(/opted_in|pending/);

    // The same file again: nothing new, and the text report says so.
    const again = await run('recipients', 'import', file, '--chunk-size', '100');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^Imported ${report.rows} rows from .+: 0 created, \\d+ updated, \\d+ unchanged, ${bad.size} rejected\\.\\nRejected:\\n  line ${expectedRejected[0]}: `));
  }, 120_000);

  it('imports JSON lines with the line numbers of the file', async () => {
    const file = join(dir, 'people.jsonl');
    writeFileSync(file, [`{"email":"${tag}.j1@example.com"}`, '', `{"email":"${tag}.j2@example.com"`, `{"email":"${tag}.j3@example.com","country":"FR"}`].join('\n'));
    const result = await run('recipients', 'import', file, '--chunk-size', '1', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: 3, created: 2, rejected: [{ line: 3, reason: 'not valid JSON' }] });
  });
});

describe('failures are one readable message and exit 1', () => {
  it('a wrong admin key', async () => {
    const result = await runCli(['topics', 'list', '--api', gw.url], { SENDWELL_ADMIN_KEY: 'swl_wrong_key_0123456789' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('sendwell: Send the local admin key as `Authorization: Bearer <key>` (see `.sendwell/admin-key`), or a role key (`.sendwell/role-keys.json`). (HTTP 401, unauthorized)\n');
  });

  it('no admin key at all', async () => {
    const result = await runCli(['topics', 'list', '--api', gw.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^sendwell: No local admin key: set SENDWELL_ADMIN_KEY, or start the local stack once/);
  });

  it('an API that does not answer', async () => {
    // A port that was free a moment ago: nothing listens there.
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli(['topics', 'list', '--api', url], { SENDWELL_ADMIN_KEY: TEST_ADMIN_KEY });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sendwell: Cannot reach ${url} (ECONNREFUSED). Is the local stack running? Start it with \`npm start\`.\n`);
  });

  it('a file that is not there', async () => {
    const result = await run('recipients', 'import', join(dir, 'missing.csv'));
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(`sendwell: Cannot read ${join(dir, 'missing.csv')}: ENOENT\n`);
  });
});

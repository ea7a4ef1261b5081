/** `recipients import` against a loopback server that answers each chunk as scripted. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../../cli/main.ts';
import { recordedIo, scriptedServer, type ScriptedServer } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sendwell-import-'));
const file = join(dir, 'people.csv');
// Five rows, a blank line after the second: lines 2, 3, 5, 6, 7.
writeFileSync(file, 'email,plan\na@x.io,pro\nb@x.io,free\n\nc@x.io,pro\nd@x.io,pro\nbad,pro\n');

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const ok = (rows: number, rejectedAt?: number) => ({
  rows,
  created: rejectedAt ? rows - 1 : rows,
  updated: 0,
  unchanged: 0,
  rejected: rejectedAt ? [{ line: rejectedAt, reason: 'email: not a valid address' }] : [],
  warnings: [],
});

async function importWith(answer: Parameters<typeof scriptedServer>[0], ...flags: string[]) {
  server = await scriptedServer(answer);
  const io = recordedIo({ SENDWELL_ADMIN_KEY: 'swl_unit_test_key_0123456789' });
  const code = await run(['recipients', 'import', file, '--chunk-size', '2', '--api', server.url, ...flags], io);
  return { code, io, requests: server.requests };
}

describe('recipients import', () => {
  it('sends CSV chunks with the header, and reports by the lines of the file', async () => {
    const { code, io, requests } = await importWith((_, i) => [200, i === 2 ? ok(1, 2) : ok(2)]);
    expect(code).toBe(0);
    expect(requests.map((r) => [r.url, r.headers['content-type'], r.body])).toEqual([
      ['/v1/recipients/import', 'text/csv', 'email,plan\na@x.io,pro\nb@x.io,free\n'],
      ['/v1/recipients/import', 'text/csv', 'email,plan\nc@x.io,pro\nd@x.io,pro\n'],
      ['/v1/recipients/import', 'text/csv', 'email,plan\nbad,pro\n'],
    ]);
    expect(io.stdout()).toBe(`Imported 5 rows from ${file}: 4 created, 0 updated, 0 unchanged, 1 rejected.\nRejected:\n  line 7: email: not a valid address\n`);
  });

  it('a chunk the API refuses: what was imported before it, where it stopped, exit 1', async () => {
    const { code, io, requests } = await importWith(
      (_, i) => (i === 1 ? [400, { error: { code: 'bad_request', message: 'The CSV cannot be read.', details: [{ message: 'Invalid Closing Quote' }] } }] : [200, ok(2)]),
      '--json',
    );
    expect(code).toBe(1);
    expect(requests).toHaveLength(2);
    expect(JSON.parse(io.stdout())).toMatchObject({ rows: 2, created: 2 });
    expect(io.stderr().split('\n').slice(-4)).toEqual([
      'Stopped at the chunk of lines 5–6; the 2 rows before line 5 were imported:',
      'sendwell: The CSV cannot be read. (HTTP 400, bad_request)',
      '  - Invalid Closing Quote',
      '',
    ]);
  });

  it('as a job: says the job id at once, and goes on following it through a failed read (the job goes on on the server)', async () => {
    const job = { id: 'imp_1', status: 'completed', rows: { total: 5, done: 5 }, chunks: { total: 1, done: 1 }, created: 5, updated: 0, unchanged: 0, rejected: 0, warned: 0 };
    let reads = 0;
    const { code, io, requests } = await importWith((r) => {
      if (r.method === 'POST') return [202, { id: 'imp_1', status: 'queued' }];
      if (r.url.endsWith('/report')) return [200, { entries: [] }];
      // The first read of the job meets a 503 (a gateway hiccup): the command waits and reads again.
      return ++reads === 1 ? [503, { message: 'Service Unavailable' }] : [200, job];
    }, '--job');
    expect(code).toBe(0);
    expect(io.stderr()).toContain('Import job imp_1 accepted');
    expect(requests.filter((r) => r.url === '/v1/imports/imp_1')).toHaveLength(2);
    expect(io.stdout()).toContain('5 created');
  }, 20_000);

  it('as a job: a read that cannot get better (404) ends at once, naming the job to follow', async () => {
    const { code, io } = await importWith((r) => (r.method === 'POST' ? [202, { id: 'imp_2', status: 'queued' }] : [404, { error: { code: 'not_found', message: 'No import imp_2.' } }]), '--job');
    expect(code).toBe(1);
    expect(io.stderr()).toContain('Import job imp_2 goes on on the server: GET /v1/imports/imp_2');
  });

  it('as a job that fails: stops waiting, prints what it imported and its report, then the reason, exit 1', async () => {
    const reason = 'Stopped: lines 5–6 could not be fully imported (10 attempts; ProvisionedThroughputExceededException). Rows already imported stay imported (see the counts); the rest of the file was not imported. Importing it again is safe.';
    const job = { id: 'imp_3', status: 'failed', rows: { total: 5, done: 2 }, chunks: { total: 2, done: 1 }, created: 2, updated: 0, unchanged: 0, rejected: 0, warned: 0, failure: { reason, at: '2026-12-01T10:00:00Z' } };
    const { code, io, requests } = await importWith((r) => {
      if (r.method === 'POST') return [202, { id: 'imp_3', status: 'queued' }];
      if (r.url.endsWith('/report')) return [200, { id: 'imp_3', status: 'failed', entries: [{ line: 3, kind: 'warning', reason: 'w' }] }];
      return [200, job];
    }, '--job');
    expect(code).toBe(1);
    // One read of the job: failed is final, like completed.
    expect(requests.filter((r) => r.url === '/v1/imports/imp_3')).toHaveLength(1);
    expect(io.stdout()).toBe(`Imported 2 rows from ${file}: 2 created, 0 updated, 0 unchanged, 0 rejected.\nWarnings:\n  line 3: w\n`);
    expect(io.stderr()).toContain('import imp_3: 2/5 rows · failed\n');
    expect(io.stderr().endsWith(`sendwell: Import job imp_3 failed: ${reason}\n`)).toBe(true);
  });

  it('as a job that fails, --json: the report says failed and why', async () => {
    const job = { id: 'imp_4', status: 'failed', rows: { total: 5, done: 0 }, chunks: { total: 1, done: 0 }, created: 0, updated: 0, unchanged: 0, rejected: 0, warned: 0, failure: { reason: 'Stopped.', at: '2026-12-01T10:00:00Z' } };
    const { code, io } = await importWith((r) => (r.method === 'POST' ? [202, { id: 'imp_4', status: 'queued' }] : r.url.endsWith('/report') ? [200, { entries: [] }] : [200, job]), '--job', '--json');
    expect(code).toBe(1);
    expect(JSON.parse(io.stdout())).toEqual({ job: 'imp_4', status: 'failed', failure: 'Stopped.', rows: 0, created: 0, updated: 0, unchanged: 0, rejected: [], warnings: [] });
  });

  it('an empty file never reaches the API', async () => {
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, 'email,plan\n');
    const io = recordedIo({ SENDWELL_ADMIN_KEY: 'swl_unit_test_key_0123456789' });
    expect(await run(['recipients', 'import', empty, '--api', 'http://127.0.0.1:1'], io)).toBe(1);
    expect(io.stderr()).toBe(`sendwell: ${empty} has no rows to import (a CSV needs a header row and at least one row under it).\n`);
  });
});

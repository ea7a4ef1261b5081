/**
 * Import jobs through the upload path (issue 15): `POST /v1/imports` with `{upload: …}` answers a pre-signed URL on
 * the local gateway (the local stand-in for S3, same contract), the file is PUT there, its arrival goes on the import
 * queue as an S3 event, and the real worker reads the file in pieces into chunks. A 10,000-row Latin-1 CSV completes
 * with a per-row report; a JSON-lines file read in small pieces keeps every line number and, read again after a
 * crash mid-file, stores no chunk twice; a CSV cut into pieces inside quoted line breaks keeps its rows whole, as does
 * one whose first line is blank or whose lines end in a lone CR (JSON lines too); a row too large for a chunk is
 * rejected on its line; a header row past the limit fails the job instead of stalling it; the CLI sends a file above
 * 8 MB through the upload URL.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fullReport, waitForJob } from '../../support/imports.ts';
import { useUploadStack, type UploadStack } from '../../support/upload-stack.ts';
import { importJobs } from '../../../lambdas/adapters/import-jobs-container.ts';
import { readUploadedFile } from '../../../lambdas/services/import-jobs.ts';
import { runCli } from '../../support/cli.ts';
import { TEST_ADMIN_KEY, type TestGateway } from '../../support/gateway.ts';

const run = Date.now().toString(36);
const topic = `upl-${run}`;
let gw: TestGateway;
let api: UploadStack['api'];
const dir = useUploadStack('uploads', 3, (s) => ({ gw, api } = s));

beforeAll(async () => {
  expect((await api.post('/v1/topics', { id: topic, name: 'Uploads' })).status).toBe(201);
});

/**
 * Each file of 200 rows uploaded and read in pieces of `pieceBytes`, then imported whole: every 30th row from the
 * 5th is broken, and rejected on its own line (`lineOf` its index).
 */
async function expectReadInPieces(format: 'csv' | 'jsonl', files: ReadonlyArray<{ rows: readonly string[]; text: string; pieceBytes: number }>, lineOf: (i: number) => number) {
  const deps = importJobs();
  for (const file of files) {
    const accepted = await requestUpload({ format, charset: 'utf-8' });
    writeFileSync(join(dir, `imports/${accepted.id}`), file.text);
    await readUploadedFile(deps, accepted.id, { pieceBytes: file.pieceBytes });
    const done = await waitForJob(api, accepted.id, 200_000);
    const bad = file.rows.map((_, i) => i).filter((i) => i % 30 === 4);
    expect(done).toMatchObject({ status: 'completed', rows: { total: 200, done: 200 }, created: 200 - bad.length, rejected: bad.length });
    expect((await fullReport(api, accepted.id)).map((e) => e.line)).toEqual(bad.map(lineOf));
  }
}

async function requestUpload(upload: Record<string, unknown>) {
  const res = await gw.call('/v1/imports', { method: 'POST', admin: true, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upload }) });
  expect(res.status).toBe(202);
  return (await res.json()) as { id: string; status: string; upload: { url: string; method: string; headers: Record<string, string>; expiresAt: string } };
}

describe('import jobs through an upload', () => {
  it('a 10,000-row Latin-1 CSV PUT to the pre-signed URL completes with a per-row report', { timeout: 600_000 }, async () => {
    const accepted = await requestUpload({ format: 'csv' });
    expect(accepted).toMatchObject({ id: expect.stringMatching(/^imp_/), status: 'awaitingUpload', upload: { method: 'PUT', headers: { 'content-type': 'text/csv' } } });
    expect(new URL(accepted.upload.url).origin).toBe(gw.url);
    expect((await api.get(`/v1/imports/${accepted.id}`)).body).toMatchObject({ status: 'awaitingUpload', rows: { total: 0, done: 0 } });

    const rows = Array.from({ length: 10_000 }, (_, i) => (i % 500 === 3 ? `broken-${i};US;Müller;${i}` : `up-${run}-${i}@example.com;US;Müller;${i}`));
    const csv = `email;country;name;n\n${rows.join('\n')}\n`;
    const latin1 = Buffer.from(csv, 'latin1');
    // Someone else's signature, or another content type, is refused.
    const forged = new URL(accepted.upload.url);
    forged.searchParams.set('signature', 'x'.repeat(43));
    expect((await fetch(forged, { method: 'PUT', headers: accepted.upload.headers, body: latin1 })).status).toBe(403);
    expect((await fetch(accepted.upload.url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: latin1 })).status).toBe(403);

    const put = await fetch(accepted.upload.url, { method: 'PUT', headers: accepted.upload.headers, body: latin1 });
    expect(put.status).toBe(200);
    const done = await waitForJob(api, accepted.id, 500_000);
    const rejectedLines = rows.map((_, i) => i).filter((i) => i % 500 === 3).map((i) => i + 2);
    expect(done).toMatchObject({
      status: 'completed',
      encoding: 'windows-1252',
      rows: { total: 10_000, done: 10_000 },
      created: 10_000 - rejectedLines.length,
      rejected: rejectedLines.length,
      upload: { bytesRead: latin1.length, bytesTotal: latin1.length },
    });
    // Read to its end, the file (every address in it) is deleted, not kept until the bucket's expiry.
    expect(existsSync(join(dir, `imports/${accepted.id}`))).toBe(false);
    const report = await fullReport(api, accepted.id);
    expect(report.filter((e) => e.kind === 'rejected').map((e) => e.line)).toEqual(rejectedLines);
    const sample = (await api.get(`/v1/recipients?email=up-${run}-9999@example.com`)).body;
    expect(sample).toMatchObject({ country: 'US', attributes: { name: 'Müller', n: '9999' } });
  });

  it('a file read in small pieces keeps every line number; a piece read again after a crash stores nothing twice', { timeout: 600_000 }, async () => {
    const deps = importJobs();
    const accepted = await requestUpload({ format: 'jsonl', charset: 'utf-8' });
    const lines = Array.from({ length: 1_200 }, (_, i) =>
      i % 97 === 5 ? '{"email": "not json' : JSON.stringify({ email: `piece-${run}-${i}@example.com`, consents: { [topic]: { status: 'opted_out', at: '2026-01-01T00:00:00Z' } } }),
    );
    // Read the file here, in pieces of 10 KB, instead of on the queue: the S3 event would start the worker's own read.
    const store = deps.store as unknown as { recordRead: (...a: unknown[]) => Promise<boolean> };
    const real = store.recordRead.bind(store);
    let crashes = 0;
    store.recordRead = async (...a: unknown[]) => {
      // A later piece "dies" after its chunks were stored and queued, before it was recorded.
      if (a[1] !== 0 && crashes === 0 && (a[3] as { rows: number }).rows > 0 && ++crashes) throw new Error('simulated crash mid-file');
      return real(...a);
    };
    try {
      const key = `imports/${accepted.id}`;
      const { writeFileSync, mkdirSync } = await import('node:fs');
      mkdirSync(join(dir, 'imports'), { recursive: true });
      writeFileSync(join(dir, key), `${lines.join('\n')}\n`);
      await expect(readUploadedFile(deps, accepted.id, { pieceBytes: 10_000 })).rejects.toThrow('simulated crash');
      await readUploadedFile(deps, accepted.id, { pieceBytes: 10_000 });
    } finally {
      store.recordRead = real;
    }
    expect(crashes).toBe(1);
    const done = await waitForJob(api, accepted.id, 500_000);
    const bad = lines.map((_, i) => i).filter((i) => i % 97 === 5);
    expect(done).toMatchObject({ status: 'completed', rows: { total: 1_200, done: 1_200 }, created: 1_200 - bad.length, rejected: bad.length, unchanged: 0 });
    expect(done.chunks.total).toBeGreaterThan(10);
    const report = await fullReport(api, accepted.id);
    expect(report.map((e) => e.line)).toEqual(bad.map((i) => i + 1));
    for (const i of [0, 1_199]) {
      const r = (await api.get(`/v1/recipients?email=piece-${run}-${i}@example.com`)).body;
      const ledger = (await api.get(`/v1/recipients/${r.id}/ledger`)).body.entries as Array<{ subject: string }>;
      expect(ledger.filter((e) => e.subject === `topic:${topic}`)).toHaveLength(1);
    }
  });

  it('a CSV read in small pieces keeps a quoted line break in its row wherever a piece ends', { timeout: 600_000 }, async () => {
    const deps = importJobs();
    const accepted = await requestUpload({ format: 'csv', charset: 'utf-8' });
    // Every third row spans two lines of the file (a quoted line break), every 50th is bad: with 256-byte pieces,
    // piece ends fall inside quoted fields, between the two lines of a row and between rows.
    const rows = Array.from({ length: 600 }, (_, i) =>
      i % 50 === 7 ? `broken-${i},US,plain,${i}` : `qb-${run}-${i}@example.com,US,${i % 3 === 0 ? '"first line\nsecond, line"' : 'plain'},${i}`,
    );
    const csv = `email,country,note,n\n${rows.join('\n')}\n`;
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'imports'), { recursive: true });
    writeFileSync(join(dir, `imports/${accepted.id}`), csv);
    await readUploadedFile(deps, accepted.id, { pieceBytes: 256 });

    const done = await waitForJob(api, accepted.id, 500_000);
    const bad = rows.map((_, i) => i).filter((i) => i % 50 === 7);
    expect(done).toMatchObject({ status: 'completed', rows: { total: 600, done: 600 }, created: 600 - bad.length, rejected: bad.length });
    // A row's line is where it starts in the file: the rows before it that span two lines push it down.
    const lineOf = (i: number) => 2 + i + rows.slice(0, i).filter((r) => r.includes('\n')).length;
    expect((await fullReport(api, accepted.id)).filter((e) => e.kind === 'rejected').map((e) => e.line)).toEqual(bad.map(lineOf));
    for (const i of [0, 3, 297, 298, 597, 599]) {
      const r = (await api.get(`/v1/recipients?email=qb-${run}-${i}@example.com`)).body;
      expect(r.attributes, `row ${i}`).toEqual({ note: i % 3 === 0 ? 'first line\nsecond, line' : 'plain', n: String(i) });
    }
  });

  it('a JSON-lines row too large for a chunk is rejected on its line; the rest of the file imports', { timeout: 300_000 }, async () => {
    const deps = importJobs();
    const accepted = await requestUpload({ format: 'jsonl', charset: 'utf-8' });
    // ~600 KB: more than a chunk's DynamoDB item takes (its attribute breaks the 1,000-character limit too).
    const big = JSON.stringify({ email: `big-${run}@example.com`, attributes: { notes: 'é'.repeat(300_000) } });
    const lines = [JSON.stringify({ email: `big-ok1-${run}@example.com` }), big, JSON.stringify({ email: `big-ok2-${run}@example.com` })];
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'imports'), { recursive: true });
    writeFileSync(join(dir, `imports/${accepted.id}`), `${lines.join('\n')}\n`);
    await readUploadedFile(deps, accepted.id);

    const done = await waitForJob(api, accepted.id, 200_000);
    expect(done).toMatchObject({ status: 'completed', rows: { total: 3, done: 3 }, created: 2, rejected: 1 });
    expect(await fullReport(api, accepted.id)).toEqual([{ line: 2, kind: 'rejected', reason: `row too large: ${Buffer.byteLength(big)} bytes; a row takes at most 200000` }]);
    expect((await api.get(`/v1/recipients?email=big-ok2-${run}@example.com`)).status).toBe(200);
  });

  it('a CSV whose first line is blank is read under its header in every piece', { timeout: 300_000 }, async () => {
    const deps = importJobs();
    const accepted = await requestUpload({ format: 'csv', charset: 'utf-8' });
    const rows = Array.from({ length: 300 }, (_, i) => (i % 40 === 9 ? `broken-${i};US;${i}` : `blank-${run}-${i}@example.com;US;${i}`));
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'imports'), { recursive: true });
    writeFileSync(join(dir, `imports/${accepted.id}`), `\r\nemail;country;n\r\n${rows.join('\r\n')}\r\n`);
    await readUploadedFile(deps, accepted.id, { pieceBytes: 2048 });

    const done = await waitForJob(api, accepted.id, 200_000);
    const bad = rows.map((_, i) => i).filter((i) => i % 40 === 9);
    expect(done).toMatchObject({ status: 'completed', rows: { total: 300, done: 300 }, created: 300 - bad.length, rejected: bad.length, warned: 0 });
    // The header is line 2, the first row line 3.
    expect((await fullReport(api, accepted.id)).map((e) => e.line)).toEqual(bad.map((i) => i + 3));
    expect((await api.get(`/v1/recipients?email=blank-${run}-299@example.com`)).body.attributes).toEqual({ n: '299' });
  });

  it('a CSV is cut into pieces at lone CRs (classic Mac line ends), and never between the CR and LF of a CRLF', { timeout: 300_000 }, async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'imports'), { recursive: true });
    const rows = (tag: string) => Array.from({ length: 200 }, (_, i) => (i % 30 === 4 ? `broken-${i},US,${i}` : `${tag}-${run}-${i}@example.com,US,${i}`));
    const cr = rows('cr');
    const crlf = rows('crlf');
    const crlfText = `email,country,n\r\n${crlf.join('\r\n')}\r\n`;
    // 256-byte pieces; for the CRLF file, the first piece ends just after a CR, its LF the next piece's first byte.
    const files = [
      { rows: cr, text: `email,country,n\r${cr.join('\r')}\r`, pieceBytes: 256 },
      { rows: crlf, text: crlfText, pieceBytes: crlfText.indexOf('\r', 200) + 1 },
    ];
    expect(crlfText[files[1]!.pieceBytes - 1]).toBe('\r');
    await expectReadInPieces('csv', files, (i) => i + 2);
  });

  it('JSON lines are cut into pieces at lone CRs too, and never between the CR and LF of a CRLF', { timeout: 300_000 }, async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'imports'), { recursive: true });
    const lines = (tag: string) => Array.from({ length: 200 }, (_, i) => (i % 30 === 4 ? '{"email": ' : JSON.stringify({ email: `${tag}-${run}-${i}@example.com` })));
    const cr = lines('jcr');
    const crlf = lines('jcrlf');
    const crlfText = `${crlf.join('\r\n')}\r\n`;
    // Before, a file of lone CRs was one line longer than a piece: nothing of it was read.
    const files = [
      { rows: cr, text: `${cr.join('\r')}\r`, pieceBytes: 256 },
      { rows: crlf, text: crlfText, pieceBytes: crlfText.indexOf('\r', 200) + 1 },
    ];
    expect(crlfText[files[1]!.pieceBytes - 1]).toBe('\r');
    await expectReadInPieces('jsonl', files, (i) => i + 1);
  });

  it('a CSV whose header row passes the limit fails its job saying so, instead of stalling it', { timeout: 300_000 }, async () => {
    // ~450 KB of header: kept with the job to read later pieces under, it made the job's item too large for DynamoDB,
    // and the job said `running` for ever.
    const header = `email,${'x'.repeat(450_000)}`;
    const accepted = await requestUpload({ format: 'csv' });
    const put = await fetch(accepted.upload.url, { method: 'PUT', headers: accepted.upload.headers, body: `${header}\nwide-${run}@example.com,1\n` });
    expect(put.status).toBe(200);
    const done = await waitForJob(api, accepted.id, 200_000);
    const reason = `The CSV header row is too long: a header row takes at most 100000 bytes. ${Buffer.byteLength(header)} bytes; at most 100000`;
    expect(done).toMatchObject({ status: 'failed', rows: { total: 0, done: 0 }, rejected: 1, failure: { reason: `The file was not imported: ${reason}` } });
    expect(await fullReport(api, accepted.id)).toEqual([{ line: 1, kind: 'rejected', reason }]);
    expect((await api.get(`/v1/recipients?email=wide-${run}@example.com`)).status).toBe(404);
  });

  it('the CLI sends a file above 8 MB to the pre-signed upload URL, not the request body', { timeout: 600_000 }, async () => {
    // 900 rows of ten long attributes each (1,000 characters is an attribute's limit).
    const columns = Array.from({ length: 10 }, (_, k) => `a${k}`);
    const long = (i: number, k: number) => `${i}-${k}-`.padEnd(990, 'x');
    const text = `email,country,${columns.join(',')}\n${Array.from({ length: 900 }, (_, i) => `cli-${run}-${i}@example.com,US,${columns.map((_, k) => long(i, k)).join(',')}`).join('\n')}\n`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(8 * 1024 * 1024);
    const file = join(dir, 'large.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, text);

    const result = await runCli(['recipients', 'import', file, '--job', '--json', '--api', gw.url], { SENDWELL_ADMIN_KEY: TEST_ADMIN_KEY });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ rows: 900, created: 900, rejected: [], warnings: [] });
    // The job read its file from the upload store, every byte of it.
    const job = (await api.get(`/v1/imports/${report.job}`)).body;
    expect(job).toMatchObject({ status: 'completed', upload: { bytesRead: Buffer.byteLength(text), bytesTotal: Buffer.byteLength(text) } });
    const last = (await api.get(`/v1/recipients?email=cli-${run}-899@example.com`)).body;
    expect(last.attributes.a9).toBe(long(899, 9));
  });

  it('refuses an upload request it cannot read with 400 naming the field', async () => {
    const res = await gw.call('/v1/imports', { method: 'POST', admin: true, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upload: { format: 'xlsx' } }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.details[0].path).toBe('upload.format');
  });
});

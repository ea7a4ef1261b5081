/**
 * Import jobs through the API and the import worker on the local queue: a CSV of 10,000 rows answers 202 at
 * once, settles in chunks with progress, a per-row report and no 5xx; a step that dies after its rows were applied
 * but before it was recorded is done again on redelivery without applying any row twice or losing one. A chunk's
 * report never outgrows its item (a step DynamoDB refuses would otherwise be refused forever), nor do its rows (one
 * too large is rejected on its line), and a done chunk keeps its report but not its rows.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { documentClient } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { fullReport, waitForJob } from '../../support/imports.ts';
import { importJobs } from '../../../lambdas/adapters/import-jobs-container.ts';
import { startImportEngine, type ImportEngine } from '../../../local/import-engine.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway();
let engine: ImportEngine;
const run = Date.now().toString(36);
const topic = `imp-${run}`;

beforeAll(async () => {
  const servers = inject('sendwell');
  engine = await startImportEngine({ dynamodbEndpoint: servers.dynamodbEndpoint, table: `${servers.tablePrefix}-local-queues`, queuePrefix: `imports-${run}`, visibilitySeconds: 3 });
  expect((await suite.api.post('/v1/topics', { id: topic, name: 'Imports' })).status).toBe(201);
});
afterAll(async () => {
  await engine?.stop();
});



describe('import jobs', () => {
  it('imports a 10,000-row CSV in chunks: 202 at once, progress with an ETA, a report with every rejected row', { timeout: 600_000 }, async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) =>
      i % 250 === 7 ? `not-an-address-${i},US,,` : `job-${run}-${i}@example.com;US;${i % 2 ? 'opted_out' : ''};${i}`.replaceAll(';', ','),
    );
    const csv = `email,country,topic:${topic},n,Bad Column\n${rows.join('\n')}\n`;
    const res = await suite.gw.call('/v1/imports', { method: 'POST', admin: true, headers: { 'content-type': 'text/csv' }, body: csv });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { id: string; status: string };
    expect(accepted).toEqual({ id: expect.stringMatching(/^imp_/), status: 'queued' });
    expect(res.headers.get('location')).toBe(`/v1/imports/${accepted.id}`);

    const done = await waitForJob(suite.api, accepted.id);
    const rejectedLines = rows.map((_, i) => i).filter((i) => i % 250 === 7).map((i) => i + 2);
    expect(done).toMatchObject({ status: 'completed', rows: { total: 10_000, done: 10_000 }, created: 10_000 - rejectedLines.length, updated: 0, unchanged: 0, rejected: rejectedLines.length, chunks: { total: 40, done: 40 } });
    expect(done.ratePerSecond).toBeGreaterThan(0);
    expect(done.etaSeconds).toBe(0);
    // Progress moved in steps and never backwards.
    expect([...done.seen].sort((a: number, b: number) => a - b)).toEqual(done.seen);

    const report = await fullReport(suite.api, accepted.id);
    expect(report.filter((e) => e.kind === 'rejected').map((e) => e.line)).toEqual(rejectedLines);
    expect(report.filter((e) => e.kind === 'rejected').every((e) => e.reason.startsWith('email: '))).toBe(true);
    expect(report.filter((e) => e.kind === 'warning')).toContainEqual({ line: 1, kind: 'warning', reason: expect.stringContaining('"Bad Column"') });
    const sample = (await suite.api.get(`/v1/recipients?email=job-${run}-1@example.com`)).body;
    expect(sample).toMatchObject({ attributes: { n: '1' }, consents: { [topic]: { status: 'opted_out' } } });
  });

  it('a step that died after applying its rows is done again: no row lost, none applied twice, counts exact', { timeout: 600_000 }, async () => {
    const store = importJobs().store as { recordStep: (...a: any[]) => Promise<boolean> };
    const real = store.recordStep.bind(store);
    let crashes = 0;
    // The step of every chunk "dies" once, after its rows were applied and before they were recorded.
    const crashed = new Set<string>();
    store.recordStep = async (id: string, chunk: number, from: number, ...rest: any[]) => {
      const key = `${id}/${chunk}/${from}`;
      if (!crashed.has(key)) {
        crashed.add(key);
        crashes++;
        throw new Error('simulated crash between applying a step and recording it');
      }
      return real(id, chunk, from, ...rest);
    };
    try {
      const lines = Array.from({ length: 600 }, (_, i) => JSON.stringify({ email: `crash-${run}-${i}@example.com`, country: 'US', consents: { [topic]: { status: 'opted_out', at: '2026-01-01T00:00:00Z' } } }));
      const res = await suite.api.post('/v1/imports', lines.join('\n'), { 'content-type': 'application/x-ndjson' });
      expect(res.status).toBe(202);
      const done = await waitForJob(suite.api, res.body.id);
      // Chunks of 250, 250 and 100 rows, one step each.
      expect(crashes).toBe(3);
      // The rows of each crashed step were created then; done again, the claims they hold say so: counted created.
      expect(done).toMatchObject({ status: 'completed', rows: { total: 600, done: 600 }, rejected: 0, created: 600, unchanged: 0, updated: 0 });
      for (const i of [0, 120, 199, 380, 599]) {
        const r = (await suite.api.get(`/v1/recipients?email=crash-${run}-${i}@example.com`)).body;
        expect(r.consents[topic].status).toBe('opted_out');
        const ledger = (await suite.api.get(`/v1/recipients/${r.id}/ledger`)).body.entries as Array<{ subject: string }>;
        // Applied once: one ledger entry for the topic, however often the step ran.
        expect(ledger.filter((e) => e.subject === `topic:${topic}`)).toHaveLength(1);
      }
    } finally {
      store.recordStep = real;
    }
  });

  it('a step that died between claiming addresses and writing the recipients completes them on redelivery', { timeout: 600_000 }, async () => {
    const recipients = importJobs().base.recipients as { writeClaimed: (r: any[]) => Promise<void> };
    const real = recipients.writeClaimed.bind(recipients);
    let crashes = 0;
    // The first write of new recipients stores half of them, then "dies".
    recipients.writeClaimed = async (records: any[]) => {
      if (crashes === 0 && records.length > 10) {
        crashes++;
        await real(records.slice(0, Math.floor(records.length / 2)));
        // The other half gets its consents and ledger entries but no profile (DynamoDB refuses an item over 400 KB):
        // the worst point to die at, where only the same keys written again keep the ledger single.
        const rest = records.slice(Math.floor(records.length / 2));
        await expect(real(rest.map((r) => ({ ...r, profile: { ...r.profile, attributes: { big: 'x'.repeat(410_000) } } })))).rejects.toThrow();
        throw new Error('simulated crash after claiming, mid-write');
      }
      return real(records);
    };
    try {
      const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ email: `half-${run}-${i}@example.com`, country: 'US', consents: { [topic]: { status: 'opted_out', at: '2026-01-01T00:00:00Z' } } }));
      const res = await suite.api.post('/v1/imports', lines.join('\n'), { 'content-type': 'application/x-ndjson' });
      expect(res.status).toBe(202);
      const done = await waitForJob(suite.api, res.body.id);
      expect(crashes).toBe(1);
      expect(done).toMatchObject({ status: 'completed', rows: { total: 300, done: 300 }, rejected: 0, created: 300, unchanged: 0, updated: 0 });
      for (const i of [0, 1, 124, 125, 126, 200, 249, 299]) {
        const r = await suite.api.get(`/v1/recipients?email=half-${run}-${i}@example.com`);
        expect(r.status, `row ${i}`).toBe(200);
        expect(r.body.consents[topic].status).toBe('opted_out');
        const ledger = (await suite.api.get(`/v1/recipients/${r.body.id}/ledger`)).body.entries as Array<{ subject: string }>;
        expect(ledger.filter((e) => e.subject === `topic:${topic}`), `row ${i}`).toHaveLength(1);
        expect(ledger.filter((e) => e.subject === 'recipient'), `row ${i}`).toHaveLength(1);
      }
    } finally {
      recipients.writeClaimed = real;
    }
  });

  it('completes a file with many topic columns and no consent_at: one warning a row, naming every topic', { timeout: 300_000 }, async () => {
    const topics = Array.from({ length: 10 }, (_, i) => `many${i}-${run}`);
    for (const t of topics) expect((await suite.api.post('/v1/topics', { id: t, name: t })).status).toBe(201);
    const header = `email,country,${topics.map((t) => `topic:${t}`).join(',')}`;
    const rows = Array.from({ length: 250 }, (_, i) => `many-${run}-${i}@example.com,US,${topics.map(() => 'opted_in').join(',')}`);
    const res = await suite.api.post('/v1/imports', `${header}\n${rows.join('\n')}\n`, { 'content-type': 'text/csv' });
    expect(res.status).toBe(202);
    // Before, the step's 2,500 warnings passed the chunk item's 400 KB and it was refused on every delivery.
    const done = await waitForJob(suite.api, res.body.id, 120_000);
    expect(done).toMatchObject({ status: 'completed', rows: { total: 250, done: 250 }, created: 250, rejected: 0, warned: 250 });
    const report = await fullReport(suite.api, res.body.id);
    expect(report).toHaveLength(250);
    expect(report[0]).toEqual({ line: 2, kind: 'warning', reason: `opt-in to ${topics.join(', ')} not applied: no evidence (consent_at / consents.<topic>.at)` });
  });

  it('records a step whose report DynamoDB refuses with one entry saying so, instead of retrying it forever', { timeout: 300_000 }, async () => {
    const store = importJobs().store as { recordStep: (...a: any[]) => Promise<boolean> };
    const real = store.recordStep.bind(store);
    let refused = 0;
    // This step's report can never be stored (an entry over the item limit): DynamoDB refuses it on every delivery.
    store.recordStep = async (id: string, chunk: number, from: number, n: number, last: boolean, counts: any, entries: any[]) => {
      if (!entries.some((e) => String(e.reason).startsWith('same address'))) return real(id, chunk, from, n, last, counts, entries);
      refused++;
      return real(id, chunk, from, n, last, counts, [...entries, { line: 2, kind: 'warning', reason: 'x'.repeat(410_000) }]);
    };
    try {
      const email = `refused-${run}@example.com`;
      const lines = [email, email, `refused2-${run}@example.com`].map((e) => JSON.stringify({ email: e }));
      const res = await suite.api.post('/v1/imports', lines.join('\n'), { 'content-type': 'application/x-ndjson' });
      const done = await waitForJob(suite.api, res.body.id, 60_000);
      expect(refused).toBe(1);
      expect(done).toMatchObject({ status: 'completed', rows: { total: 3, done: 3 }, created: 2, rejected: 0, warned: 2 });
      expect(await fullReport(suite.api, res.body.id)).toEqual([{ line: 1, kind: 'warning', reason: "the report of lines 1–3 (1 entry) could not be stored; the job's counts include them" }]);
    } finally {
      store.recordStep = real;
    }
  });

  it('a step that died after updating its rows is done again: none applied twice; they count as updated or unchanged', { timeout: 600_000 }, async () => {
    const lines = (consents: boolean) =>
      Array.from({ length: 300 }, (_, i) => JSON.stringify({ email: `upd-${run}-${i}@example.com`, country: 'US', ...(consents ? { consents: { [topic]: { status: 'opted_out', at: '2026-01-01T00:00:00Z' } } } : {}) })).join('\n');
    const first = await suite.api.post('/v1/imports', lines(false), { 'content-type': 'application/x-ndjson' });
    expect(await waitForJob(suite.api, first.body.id)).toMatchObject({ created: 300 });
    const store = importJobs().store as { recordStep: (...a: any[]) => Promise<boolean> };
    const real = store.recordStep.bind(store);
    const crashed = new Set<string>();
    store.recordStep = async (id: string, chunk: number, from: number, ...rest: any[]) => {
      const key = `${id}/${chunk}/${from}`;
      if (!crashed.has(key)) {
        crashed.add(key);
        throw new Error('simulated crash between applying a step and recording it');
      }
      return real(id, chunk, from, ...rest);
    };
    try {
      const second = await suite.api.post('/v1/imports', lines(true), { 'content-type': 'application/x-ndjson' });
      const done = await waitForJob(suite.api, second.body.id);
      expect(crashed.size).toBe(2);
      // Done again, a step finds its rows already updated: nothing tells them from rows that were so before the job
      // (docs/api.md says so). Every row is settled once, none twice.
      expect(done).toMatchObject({ status: 'completed', rows: { total: 300, done: 300 }, created: 0, rejected: 0 });
      expect(done.updated + done.unchanged).toBe(300);
      for (const i of [0, 249, 250, 299]) {
        const r = (await suite.api.get(`/v1/recipients?email=upd-${run}-${i}@example.com`)).body;
        expect(r.consents[topic].status).toBe('opted_out');
        const ledger = (await suite.api.get(`/v1/recipients/${r.id}/ledger`)).body.entries as Array<{ subject: string }>;
        expect(ledger.filter((e) => e.subject === `topic:${topic}`), `row ${i}`).toHaveLength(1);
      }
    } finally {
      store.recordStep = real;
    }
  });

  it('rejects a row too large for a chunk on its line, in JSON lines and CSV sent as the body; the rest imports', { timeout: 300_000 }, async () => {
    // ~600 KB each: before, DynamoDB refused the chunk and the whole file was answered 413, naming no line.
    const notes = 'é'.repeat(300_000);
    const big = JSON.stringify({ email: `big-${run}@example.com`, attributes: { notes } });
    const jsonl = [JSON.stringify({ email: `big-a-${run}@example.com` }), big, JSON.stringify({ email: `big-b-${run}@example.com` })].join('\n');
    const csv = `email,notes\nbig-c-${run}@example.com,x\nbig-csv-${run}@example.com,${notes}\nbig-d-${run}@example.com,y\n`;
    for (const [body, type, line, bytes] of [
      [jsonl, 'application/x-ndjson', 2, Buffer.byteLength(big)],
      [csv, 'text/csv', 3, Buffer.byteLength(JSON.stringify({ email: `big-csv-${run}@example.com`, attributes: { notes } }))],
    ] as const) {
      const res = await suite.api.post('/v1/imports', body, { 'content-type': type });
      expect(res.status, type).toBe(202);
      const done = await waitForJob(suite.api, res.body.id, 120_000);
      expect(done, type).toMatchObject({ status: 'completed', rows: { total: 3, done: 3 }, created: 2, rejected: 1 });
      expect(await fullReport(suite.api, res.body.id)).toEqual([{ line, kind: 'rejected', reason: `row too large: ${bytes} bytes; a row takes at most 200000` }]);
    }
    expect((await suite.api.get(`/v1/recipients?email=big-d-${run}@example.com`)).body.attributes).toEqual({ notes: 'y' });
  });

  it('keeps a done chunk\'s report, not its rows (addresses wait for no expiry)', { timeout: 120_000 }, async () => {
    const lines = [`kept-${run}@example.com`, 'not-an-address'].map((e) => JSON.stringify({ email: e, attributes: { plan: 'pro' } }));
    const res = await suite.api.post('/v1/imports', lines.join('\n'), { 'content-type': 'application/x-ndjson' });
    await waitForJob(suite.api, res.body.id, 60_000);
    const item = (await documentClient().send(new GetCommand({ TableName: config().tables.campaigns, Key: { pk: `IMPORT#${res.body.id}`, sk: 'CHUNK#000000' } }))).Item!;
    expect(item).toMatchObject({ done: true, offset: 2, report: [{ line: 2, kind: 'rejected', reason: expect.stringMatching(/^email: /) }] });
    expect(item).not.toHaveProperty('rows');
    expect(JSON.stringify(item)).not.toContain(`kept-${run}`);
  });

  it('does not undo a later opt-out when a job imports an old export again', { timeout: 120_000 }, async () => {
    const email = `later-${run}@example.com`;
    const csv = `email,country,topic:${topic},consent_at\n${email},US,opted_in,2026-01-01T00:00:00Z\n`;
    const first = await suite.api.post('/v1/imports', csv, { 'content-type': 'text/csv' });
    expect(await waitForJob(suite.api, first.body.id, 60_000)).toMatchObject({ created: 1 });
    const id = (await suite.api.get(`/v1/recipients?email=${email}`)).body.id;
    expect((await suite.api.put(`/v1/recipients/${id}/consents/${topic}`, { status: 'opted_out', source: 'admin' })).status).toBe(200);
    const again = await suite.api.post('/v1/imports', csv, { 'content-type': 'text/csv' });
    expect(await waitForJob(suite.api, again.body.id, 60_000)).toMatchObject({ updated: 0, unchanged: 1, warned: 1 });
    expect(await fullReport(suite.api, again.body.id)).toEqual([{ line: 2, kind: 'warning', reason: expect.stringMatching(new RegExp(`^consent to ${topic} \\(opted_in of 2026-01-01T00:00:00Z, stored opted_out since .+\\) not applied`)) }]);
    expect((await suite.api.get(`/v1/recipients/${id}`)).body.consents[topic].status).toBe('opted_out');
  });

  it('answers 404 for a job that does not exist and 400 for a report cursor it did not issue', async () => {
    expect((await suite.api.get('/v1/imports/imp_nothere')).status).toBe(404);
    expect((await suite.api.get('/v1/imports/not-an-id')).status).toBe(400);
    const res = await suite.api.post('/v1/imports', `{"email":"c-${run}@example.com"}`, { 'content-type': 'application/x-ndjson' });
    const bad = await suite.api.get(`/v1/imports/${res.body.id}/report?cursor=xyz`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('query.cursor');
  });
});

/**
 * `npm start` killed with SIGKILL in the middle of an import job, then started again on the same data: the import
 * queue and the chunks' recorded offsets live in DynamoDB Local on disk, so the job carries on where it stood. At the
 * end every row of the file is a recipient exactly once, with exactly one ledger entry for its consent (no row lost,
 * none applied twice), and the job settled every row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { remoteAdminClient, stackPorts, childStackEnv, startChildStack, stopChildStack, type ChildStack } from '../support/local-stack.ts';

const ADMIN_KEY = 'swl_faults_import_key_0123456789abcdef';
const dataDir = mkdtempSync(join(tmpdir(), 'sendwell-import-kill-'));
let stack: ChildStack | undefined;

afterAll(async () => {
  await stopChildStack(stack);
  rmSync(dataDir, { recursive: true, force: true });
});

it('SIGKILL of npm start mid-import, then a restart: every row imported once, none lost', { timeout: 900_000 }, async () => {
  const ports = await stackPorts();
  const env = childStackEnv(ports, dataDir, ADMIN_KEY, { SENDWELL_QUEUE_VISIBILITY_SECONDS: '10' });
  stack = await startChildStack(env);
  const api = remoteAdminClient(`http://127.0.0.1:${ports.SENDWELL_PORT}`, ADMIN_KEY);
  const run = Date.now().toString(36);
  const topic = `kill-imp-${run}`;
  expect((await api.post('/v1/topics', { id: topic, name: 'Import kill' })).status).toBe(201);
  const ROWS = 3000;
  const csv = `email,country,topic:${topic},consent_at\n${Array.from({ length: ROWS }, (_, i) => `k${i}.${run}@example.com,US,opted_out,2026-01-01T00:00:00Z`).join('\n')}\n`;
  const accepted = await api.post('/v1/imports', csv, { 'content-type': 'text/csv' });
  expect(accepted.status).toBe(202);
  const id = accepted.body.id as string;

  // Kill once a part of the file is in, well before the end.
  let before: any;
  for (;;) {
    before = (await api.get(`/v1/imports/${id}`)).body;
    if (before.rows.done >= 300) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  stack.signal('SIGKILL');
  await stack.exited;
  expect(before.status).toBe('running');
  expect(before.rows.done).toBeLessThan(ROWS);

  stack = await startChildStack(env);
  let job: any;
  const until = Date.now() + 800_000;
  for (;;) {
    job = (await api.get(`/v1/imports/${id}`)).body;
    if (job.status === 'completed' || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log('import kill figures', JSON.stringify({ doneAtKill: before.rows.done, ...job }));
  expect(job).toMatchObject({ status: 'completed', rows: { total: ROWS, done: ROWS }, rejected: 0 });
  expect(job.created + job.unchanged + job.updated).toBe(ROWS);
  // Every row is a recipient, once, with its consent ledgered once.
  for (let i = 0; i < ROWS; i += 97) {
    const r = await api.get(`/v1/recipients?email=k${i}.${run}@example.com`);
    expect(r.status, `row ${i}`).toBe(200);
    const ledger = (await api.get(`/v1/recipients/${r.body.id}/ledger`)).body.entries as Array<{ subject: string }>;
    expect(ledger.filter((e) => e.subject === `topic:${topic}`), `row ${i}`).toHaveLength(1);
    expect(ledger.filter((e) => e.subject === 'recipient'), `row ${i}`).toHaveLength(1);
  }
});

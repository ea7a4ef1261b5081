/**
 * `npm start` killed with SIGKILL in the middle of a journey, then started again on the same data. The journey is
 * send → wait 2 s → send → wait 2 s → send; events for every recipient are being posted (each with its idempotency
 * key, posted again until answered, as a caller retries) when the whole process group dies. The local SES answers
 * 1 s after it accepted and journaled a mail, so at the kill some step mail is out but unknown to its step.
 *
 * After the restart the scheduled sweep takes over what the dead process left (leases ran out, waits ended) and the
 * test asserts: every recipient got each step's mail exactly once across both runs (from the SES journal), nobody was
 * enrolled twice, and the per-step figures add up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readJournal, type JournalLine } from '../../local/mail-journal.ts';
import { remoteAdminClient, stackPorts, childStackEnv, startChildStack, stopChildStack, type ChildStack } from '../support/local-stack.ts';

const ADMIN_KEY = 'swl_faults_journey_key_0123456789abcd';
const dataDir = mkdtempSync(join(tmpdir(), 'sendwell-journey-kill-'));
let stack: ChildStack | undefined;

afterAll(async () => {
  await stopChildStack(stack);
  rmSync(dataDir, { recursive: true, force: true });
});

type Sent = Extract<JournalLine, { t: 'sent' }>;
const journalFile = join(dataDir, 'ses-journal.jsonl');
const subjectOf = (l: Sent) => String((l.mail as { subject?: unknown } | undefined)?.subject ?? '');

it('SIGKILL of npm start mid-journey, then a restart: each step mails each recipient exactly once', { timeout: 600_000 }, async () => {
  const ports = await stackPorts();
  const env = childStackEnv(ports, dataDir, ADMIN_KEY, { SENDWELL_SES_LATENCY_MS: '1000', SENDWELL_SES_EVENT_DELAY_MS: '2000' });
  stack = await startChildStack(env);
  const api = remoteAdminClient(`http://127.0.0.1:${ports.SENDWELL_PORT}`, ADMIN_KEY);

  const run = Date.now().toString(36);
  const subjects = ['a', 'b', 'c'].map((s) => `Step ${s} ${run}`);
  for (const [i, subject] of subjects.entries()) {
    const t = await api.post('/v1/templates', { id: `step-${i}-${run}`, class: 'service', subject, html: '<p>Step</p><a href="{{preferences_url}}">Preferences</a>', text: 'Step {{preferences_url}}' });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
  }
  const journey = `kill-${run}`;
  const created = await api.post('/v1/journeys', {
    id: journey,
    name: 'Killed mid-journey',
    trigger: { event: 'started' },
    steps: [
      { id: 'a', send: { template: `step-0-${run}` } },
      { id: 'w1', wait: { seconds: 2 } },
      { id: 'b', send: { template: `step-1-${run}` } },
      { id: 'w2', wait: { seconds: 2 } },
      { id: 'c', send: { template: `step-2-${run}` } },
    ],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect((await api.post(`/v1/journeys/${journey}/activate`)).status).toBe(200);

  const N = 40;
  const people: Array<{ id: string; email: string }> = [];
  for (let i = 0; i < N; i++) {
    const email = `journey-${i}.${run}@example.com`;
    const r = await api.post('/v1/recipients', { email, country: 'US', welcome: false });
    expect(r.status).toBe(201);
    people.push({ id: r.body.id, email });
  }

  // Events go on through the kill: each is posted until answered, under its own idempotency key.
  const answers = new Map<string, string[]>();
  const post = async (p: { id: string }) => {
    for (;;) {
      const r = await api.post('/v1/events', { recipientId: p.id, name: 'started', idempotencyKey: `started-${p.id}` }).catch(() => undefined);
      if (r?.status === 202) {
        answers.set(p.id, [...(answers.get(p.id) ?? []), ...(r.body.enrolled as string[])]);
        return;
      }
      await new Promise((res) => setTimeout(res, 300));
    }
  };
  const posting = (async () => {
    for (let i = 0; i < people.length; i += 4) await Promise.all(people.slice(i, i + 4).map(post));
  })();

  const stepMail = () => readJournal(journalFile).filter((l): l is Sent => l.t === 'sent' && subjects.includes(subjectOf(l)));
  const killAfter = Math.floor(N * 0.8);
  const until = Date.now() + 240_000;
  while (stepMail().length < killAfter) {
    if (Date.now() > until) throw new Error(`the journey did not get to ${killAfter} mails:\n${stack.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  stack.signal('SIGKILL');
  expect((await stack.exited).signal).toBe('SIGKILL');
  const atKill = readJournal(journalFile);
  const handled = new Set(atKill.filter((l) => l.t === 'handled').map((l) => (l as { sesMessageId: string }).sesMessageId));
  const beforeKill = stepMail();
  const unansweredAtKill = beforeKill.filter((l) => !handled.has(l.sesMessageId)).length;

  stack = await startChildStack(env);
  await posting;
  // Everyone reaches the end: the sweep finishes what the dead process left.
  let figures: any;
  const deadline = Date.now() + 300_000;
  for (;;) {
    figures = (await api.get(`/v1/journeys/${journey}`)).body.figures;
    if (figures?.completed === N) break;
    if (Date.now() > deadline) throw new Error(`not every recipient finished: ${JSON.stringify(figures)}\n${stack.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }

  const all = stepMail();
  const byAddress = new Map<string, string[]>();
  for (const m of all) byAddress.set(m.to.toLowerCase(), [...(byAddress.get(m.to.toLowerCase()) ?? []), subjectOf(m)]);
  const duplicates = [...byAddress.values()].filter((l) => l.length !== new Set(l).size).length;
  const missing = people.filter((p) => (byAddress.get(p.email.toLowerCase()) ?? []).length !== 3).length;
  const enrolledTwice = [...answers.values()].filter((l) => l.length > 1).length;
  console.log(
    'fault figures: npm start SIGKILL mid-journey',
    JSON.stringify({ recipients: N, stepMailBeforeKill: beforeKill.length, unansweredAtKill, stepMailAfterRestart: all.length - beforeKill.length, duplicates, missing, enrolledTwice }),
  );

  // The kill hit the middle: some step mail was out, not all of it.
  expect(beforeKill.length).toBeLessThan(3 * N);
  expect(all.length - beforeKill.length).toBeGreaterThan(0);
  expect(duplicates).toBe(0);
  expect(missing).toBe(0);
  expect(all.length).toBe(3 * N);
  for (const p of people) expect((byAddress.get(p.email.toLowerCase()) ?? []).sort(), p.email).toEqual([...subjects].sort());
  expect(enrolledTwice).toBe(0);
  expect(figures).toMatchObject({ enrolled: N, completed: N, exited: 0 });
  for (const s of ['a', 'b', 'c']) expect(figures.steps[s], s).toMatchObject({ entered: N, sent: N, held: {} });
  for (const w of ['w1', 'w2']) expect(figures.steps[w], w).toMatchObject({ entered: N, waiting: 0 });
});

/**
 * `npm run demo [-- --recipients N]`: a tour of the running local stack (`npm start` in another terminal). Seeds a
 * few thousand recipients of every consent state through the admin API, creates a topic and templates, launches a
 * marketing campaign and a mandatory service notice, watches both to the end and prints what each sent and held back,
 * by reason; then an A/B test of two subjects with a holdout and a test share, whose winner goes to the rest of the
 * audience by itself; and the mail viewer and the ops page to look at next. Every id and address carries a run id, so it can
 * run again on the same data.
 *
 * It talks to the API as any client does (the CLI's HTTP client, the local admin key) and prints one line and exits 1
 * when something is off (no stack, no key, marketing paused), never a stack trace.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ApiError, CliError, formatError } from '../../cli/errors.ts';
import { apiClient, type ApiClient } from '../../cli/http.ts';
import { processIo } from '../../cli/io.ts';
import { progressWriter, type ProgressWriter } from '../../cli/progress.ts';
import { count, duration, heldByReason, importProgressLine, progressBar, settled } from '../../cli/render.ts';
import { apiUrl } from '../../cli/target.ts';
import { mapLimit } from '../../bench/public-setup.ts';
import { localDataDir, readAdminKey } from '../../local/admin-key.ts';
import type { Campaign } from '../../lambdas/schemas/model.ts';
import { demoPopulation, type DemoPopulation } from './population.ts';
import { figuresText, type WithFigures } from '../../cli/commands/journeys.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const DEFAULT_RECIPIENTS = 1000;
const IMPORT_CHUNK = 500;
/** Parallel admin calls for the per-recipient changes. */
const PARALLEL = 8;
/** Fast enough that the rate is not what the demo waits for (the API allows up to 1,000/s). */
const RATE_PER_SECOND = 100;
const POLL_MS = 1000;
/** The A/B test's winner is picked this long after its launch (the local sweep runs every few seconds). */
const AB_DECIDE_SECONDS = 10;
/** The demo gives up when the campaigns have not moved for this long. */
const STALL_MS = 120_000;
const AT_REST = new Set<Campaign['status']>(['completed', 'cancelled', 'paused']);

const USAGE = `Usage: npm run demo [-- --recipients N]

Against the running local stack (start it first with \`npm start\` in another terminal):
seeds N recipients (default ${count(DEFAULT_RECIPIENTS)}) of every consent state, launches a marketing
campaign and a mandatory service notice, watches both, and prints what was sent and held back.

  --recipients N  how many recipients to seed (${50} to ${count(20_000)})
  --help          this text

The API is SENDWELL_API_URL, else http://127.0.0.1:$SENDWELL_PORT (3000); the admin key is
SENDWELL_ADMIN_KEY, else .sendwell/admin-key ($SENDWELL_DATA_DIR).`;

/** A problem the person running the demo has to fix: printed as one line, exit 1. */
class DemoError extends Error {}

function parseOptions(argv: string[]): { recipients: number } | undefined {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { recipients: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    throw new DemoError(`${(e as Error).message}. Run \`npm run demo -- --help\` for usage.`);
  }
  if (values.help) return undefined;
  const raw = values.recipients;
  const recipients = raw === undefined ? DEFAULT_RECIPIENTS : Number(raw);
  if (!Number.isInteger(recipients) || recipients < 50 || recipients > 20_000) throw new DemoError(`--recipients takes a whole number from 50 to 20,000, not ${raw}.`);
  return { recipients };
}

/** The stack's API, checked to answer, with the admin key. */
async function connectToStack(env: NodeJS.ProcessEnv): Promise<ApiClient> {
  const base = apiUrl(undefined, env).href.replace(/\/+$/, '');
  try {
    const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
  } catch {
    throw new DemoError(`The local stack is not running at ${base}: start it with \`npm start\` in another terminal, then run \`npm run demo\` again.`);
  }
  const dataDir = localDataDir(ROOT, env);
  const found = readAdminKey(dataDir, env);
  if (!found) throw new DemoError(`No admin key: set SENDWELL_ADMIN_KEY, or run the demo from the repository whose \`npm start\` wrote ${dataDir}/admin-key.`);
  return apiClient(base, { kind: 'key', key: found.key });
}

interface Seeded {
  readonly topic: string;
  readonly marketingTemplate: string;
  readonly serviceTemplate: string;
}

async function createCatalog(api: ApiClient, run: string, topic: string): Promise<Seeded> {
  await api.request('POST', '/v1/topics', { json: { id: topic, name: `Demo news ${run}`, description: 'Made by npm run demo' } });
  const marketingTemplate = `demo-news-${run}`;
  const serviceTemplate = `demo-policy-${run}`;
  await api.request('POST', '/v1/templates', {
    json: {
      id: marketingTemplate,
      class: 'marketing',
      topic,
      subject: 'Spring news for {{first_name}}',
      html:
        '<h1>Hi {{first_name}},</h1><p>Our spring collection is here. <a href="https://shop.example.com/spring">Take a look</a>.</p>' +
        '<p><a href="{{unsubscribe_url}}">Unsubscribe</a> · <a href="{{preferences_url}}">Preferences</a><br>{{postal_address}}</p>',
      text: 'Hi {{first_name}},\nOur spring collection is here: https://shop.example.com/spring\n\nUnsubscribe: {{unsubscribe_url}}\nPreferences: {{preferences_url}}\n{{postal_address}}',
    },
  });
  await api.request('POST', '/v1/templates', {
    json: {
      id: serviceTemplate,
      class: 'service',
      subject: 'We are updating our privacy policy',
      html:
        '<p>Hi {{first_name}},</p><p>Our privacy policy changes on 1 January. This notice goes to everyone with an account, ' +
        'whatever their marketing choices.</p><p><a href="{{preferences_url}}">Your preferences</a></p>',
      text: 'Hi {{first_name}},\nOur privacy policy changes on 1 January. This notice goes to everyone with an account, whatever their marketing choices.\nYour preferences: {{preferences_url}}',
    },
  });
  return { topic, marketingTemplate, serviceTemplate };
}

/** The import in chunks, then what an import cannot say: unsubscribed from all, complaints, hard bounces. */
async function seedRecipients(api: ApiClient, population: DemoPopulation, progress: ProgressWriter): Promise<void> {
  const lines = population.recipients.map((r) => JSON.stringify(r.row));
  const chunks = Math.ceil(lines.length / IMPORT_CHUNK);
  let created = 0;
  for (let i = 0; i < chunks; i++) {
    progress.update((bar) => importProgressLine(i * IMPORT_CHUNK, lines.length, i + 1, chunks, bar));
    const report = await api.request<{ created: number; rejected: Array<{ line: number; reason: string }> }>('POST', '/v1/recipients/import', {
      body: lines.slice(i * IMPORT_CHUNK, (i + 1) * IMPORT_CHUNK).join('\n'),
      contentType: 'application/x-ndjson',
    });
    if (report.rejected.length) throw new DemoError(`The import refused a demo row: ${report.rejected[0]?.reason ?? '?'}`);
    created += report.created;
  }
  progress.update((bar) => importProgressLine(lines.length, lines.length, chunks, chunks, bar));
  progress.done();
  if (created !== lines.length) throw new DemoError(`The import created ${created} of ${lines.length} recipients; the run's addresses should all be new.`);

  const changes = population.recipients.filter((r) => r.cohort === 'unsubscribed_all' || r.cohort === 'complained' || r.cohort === 'hard_bounced');
  let done = 0;
  const line = (options: { bar: boolean; width: number }) =>
    `${options.bar ? `${progressBar(done, changes.length, options.width)}  ` : ''}consent changes ${count(done)}/${count(changes.length)} (unsubscribe from all, complaints, hard bounces)`;
  progress.update(line);
  await mapLimit(changes, PARALLEL, async (r) => {
    if (r.cohort === 'unsubscribed_all') {
      const found = await api.request<{ id: string }>('GET', `/v1/recipients?email=${encodeURIComponent(r.email)}`);
      await api.request('PUT', `/v1/recipients/${encodeURIComponent(found.id)}/preferences`, { json: { unsubscribedAll: true, source: 'preference_page' } });
    } else {
      await api.request('POST', '/v1/suppressions', { json: r.cohort === 'complained' ? { email: r.email, reason: 'complaint' } : { email: r.email, reason: 'hard_bounce', scope: 'all' } });
    }
    done++;
    if (done % 10 === 0 || done === changes.length) progress.update(line);
  });
  progress.done();
}

/** Both campaigns on one line: `marketing [####....] 40% 700/1,719 · service [##......] 20% 600/3,000`. */
function bothLine(campaigns: ReadonlyArray<readonly [string, Campaign]>, options: { bar: boolean; width: number }): string {
  const width = Math.max(8, Math.floor((options.width - 10) / 2));
  return campaigns
    .map(([label, c]) => {
      const p = c.progress;
      const done = settled(p);
      const bar = options.bar ? `${progressBar(done, p.targeted, width)} ` : '';
      return `${label} ${bar}${count(done)}/${p.audienceComplete ? '' : '≥'}${count(p.targeted)} ${c.status}`;
    })
    .join(' · ');
}

async function watch(api: ApiClient, ids: ReadonlyArray<readonly [string, string]>, progress: ProgressWriter): Promise<Campaign[]> {
  let lastMove = Date.now();
  let lastSettled = -1;
  for (;;) {
    const now = await Promise.all(ids.map(async ([label, id]) => [label, await api.request<Campaign>('GET', `/v1/campaigns/${id}`)] as const));
    progress.update((options) => bothLine(now, options));
    if (now.every(([, c]) => AT_REST.has(c.status))) {
      progress.done();
      return now.map(([, c]) => c);
    }
    const total = now.reduce((n, [, c]) => n + settled(c.progress), 0);
    if (total !== lastSettled) {
      lastSettled = total;
      lastMove = Date.now();
    } else if (Date.now() - lastMove > STALL_MS) {
      progress.done();
      throw new DemoError(`The campaigns have not moved for ${STALL_MS / 1000} s (${ids.map(([, id]) => id).join(', ')}); check the \`npm start\` terminal.`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const pad = (label: string) => `  ${label.padEnd(10)}`;
const num = (n: number) => count(n).padStart(7);

function campaignBlock(title: string, c: Campaign, extra: readonly string[]): string {
  const p = c.progress;
  const reasons = heldByReason(p.held);
  return [
    `${title}  ${c.id}  "${c.name}"  ${c.status}${c.pauseReason ? ` (${c.pauseReason})` : ''}`,
    ...extra,
    `${pad('audience')}${num(p.audience)}`,
    `${pad('excluded')}${num(p.excluded)}  (left out by the audience filter)`,
    `${pad('targeted')}${num(p.targeted)}`,
    `${pad('sent')}${num(p.sent)}`,
    `${pad('held')}${num(p.heldTotal)}${reasons ? `  ${reasons}` : ''}`,
    `${pad('failed')}${num(p.failed)}`,
  ].join('\n');
}

const WHY: Record<string, string> = {
  metric: 'it had the most human clicks per delivered mail',
  tie: 'a tie: the first variant',
  tooLittleData: 'too little data (nobody clicked in the demo): the first variant',
  manual: 'picked by hand',
};

/** The A/B test's variants, holdout and winner, for its block. */
function abLines(c: Campaign): string[] {
  const p = c.progress;
  return [
    ...(p.variants ?? []).map((v) => `${pad(`variant ${v.id}`)}${num(v.sent)} sent  "${c.variants?.find((x) => x.id === v.id)?.subject ?? ''}"${c.decision?.variant === v.id ? '  ← winner' : ''}`),
    `${pad('holdout')}${num(p.holdout ?? 0)}  (got nothing: the baseline)`,
    `${pad('winner')}${c.decision ? `${c.decision.variant}, ${WHY[c.decision.reason] ?? c.decision.reason}` : 'not decided'}`,
  ];
}

async function runDemo(recipients: number, env: NodeJS.ProcessEnv): Promise<number> {
  const started = Date.now();
  const io = processIo();
  const progress = progressWriter(io);
  const api = await connectToStack(env);
  const marketing = await api.request<{ paused: boolean; pause?: { reason?: string } }>('GET', '/v1/marketing');
  if (marketing.paused) {
    throw new DemoError(`Marketing is paused on this stack (${marketing.pause?.reason ?? 'no reason given'}); resume it (POST /v1/marketing/resume with a reason) and run the demo again.`);
  }

  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const population = demoPopulation(runId, recipients);
  const c = population.byCohort;
  io.out(`Sendwell demo, run ${runId}, against ${api.baseUrl}\n`);
  io.out(
    `Seeding ${count(population.recipients.length)} recipients: ${count(c.opted_in)} opted in, ${count(c.opted_out)} opted out, ${count(c.never_asked)} never asked, ` +
      `${count(c.pending_confirmation)} pending confirmation (DE, FR, NL, AT), ${count(c.unsubscribed_all)} unsubscribed from all marketing, ` +
      `${count(c.complained)} complained, ${count(c.hard_bounced)} hard-bounced, ${count(c.ses_simulator)} SES simulator addresses (bounce+…, success+…, ooto+…, suppressionlist+…)\n`,
  );
  const catalog = await createCatalog(api, runId, population.topic);
  await seedRecipients(api, population, progress);
  io.out(`Seeded in ${duration((Date.now() - started) / 1000)}. Topic ${catalog.topic}; templates ${catalog.marketingTemplate} (marketing), ${catalog.serviceTemplate} (service).\n`);

  const reason = 'Material change to the privacy policy, effective 1 January: every account holder must be told (policy change notice).';
  const news = await api.request<Campaign>('POST', '/v1/campaigns', {
    json: { name: `Spring news (demo ${runId})`, template: catalog.marketingTemplate, data: { first_name: 'there' }, ratePerSecond: RATE_PER_SECOND },
  });
  const notice = await api.request<Campaign>('POST', '/v1/campaigns', {
    json: {
      name: `Privacy policy notice (demo ${runId})`,
      template: catalog.serviceTemplate,
      class: 'service',
      reason,
      // A service broadcast goes to everyone; the filter keeps it to this run's recipients, so a second run of the
      // demo does not mail the first run's people again (they show up as excluded).
      audience: { attributes: { demo_run: runId } },
      data: { first_name: 'there' },
      ratePerSecond: RATE_PER_SECOND,
    },
  });
  const launchedAt = Date.now();
  await api.request('POST', `/v1/campaigns/${news.id}/launch`);
  await api.request('POST', `/v1/campaigns/${notice.id}/launch`);
  io.out(`Launched marketing campaign ${news.id} and service notice ${notice.id}; watching both.\n`);
  const [doneNews, doneNotice] = (await watch(api, [['marketing', news.id], ['service', notice.id]], progress)) as [Campaign, Campaign];
  const sendingSeconds = (Date.now() - launchedAt) / 1000;

  // An A/B test to the same subscribers: two subjects, 10 % held out, 40 % tested first; the winner goes to the rest.
  const ab = await api.request<Campaign>('POST', '/v1/campaigns', {
    json: {
      name: `Spring subject test (demo ${runId})`,
      template: catalog.marketingTemplate,
      data: { first_name: 'there' },
      ratePerSecond: RATE_PER_SECOND,
      variants: [
        { id: 'a', subject: 'Spring news for {{first_name}}', weight: 1 },
        { id: 'b', subject: '{{first_name}}, 20 % off the spring collection', weight: 1 },
      ],
      holdout: 10,
      test: { share: 40, metric: 'clicks', decideAfterSeconds: AB_DECIDE_SECONDS },
    },
  });
  await api.request('POST', `/v1/campaigns/${ab.id}/launch`);
  io.out(`Launched A/B test ${ab.id}: 10 % held out, 40 % get subject a or b, the winner on human clicks goes to the rest after ${AB_DECIDE_SECONDS} s.\n`);
  const [doneAb] = (await watch(api, [['a/b test', ab.id]], progress)) as [Campaign];

  const sesPort = env.SENDWELL_SES_PORT || '8005';
  const outside = `${count(c.opted_out)} opted out, ${count(c.never_asked)} never asked, ${count(c.pending_confirmation)} pending confirmation`;
  io.out(
    [
      '',
      `Both campaigns came to rest in ${duration(sendingSeconds)} (${duration((Date.now() - started) / 1000)} in all).`,
      '',
      campaignBlock('Marketing campaign', doneNews, [`${pad('topic')}${doneNews.topic ?? ''}: only its opted-in subscribers are in the audience`]),
      `${pad('outside')}${outside} (as seeded): never in its audience, so neither sent nor held`,
      '',
      campaignBlock('Service notice', doneNotice, [`${pad('reason')}${doneNotice.reason ?? ''}`]),
      `${pad('')}everyone of this run gets it, opted out and complained included; only addresses that cannot receive mail are held`,
      '',
      campaignBlock('A/B test', doneAb, abLines(doneAb)),
      '',
      `Mail viewer  http://127.0.0.1:${sesPort}/   (the mails themselves: headers, unsubscribe links, the pixel)`,
      `Ops page     ${api.baseUrl}/ops   (sent, held by reason, SES feedback from the simulator addresses; asks for the admin key)`,
      '',
    ].join('\n'),
  );
  const ok = doneNews.status === 'completed' && doneNotice.status === 'completed' && doneAb.status === 'completed';
  if (!ok) io.err(`sendwell demo: a campaign did not complete (${doneNews.id} ${doneNews.status}, ${doneNotice.id} ${doneNotice.status}, ${doneAb.id} ${doneAb.status}).\n`);
  const journeyOk = await journeyDemo(api, runId, catalog, population, io);
  return ok && journeyOk ? 0 : 1;
}

/**
 * A journey (issue 19): a welcome mail, a short wait, then the marketing news: posted as `signed-up` events for a few
 * people of every consent state, run by the local stack's journey sweep, its figures per step printed at the end —
 * the marketing step held, by reason, for whoever may not get it, the service step sent to all.
 */
async function journeyDemo(api: ApiClient, runId: string, catalog: Seeded, population: DemoPopulation, io: ReturnType<typeof processIo>): Promise<boolean> {
  const hello = `demo-hello-${runId}`;
  await api.request('POST', '/v1/templates', {
    json: { id: hello, class: 'service', subject: 'Welcome aboard', html: '<p>Welcome aboard.</p><p><a href="{{preferences_url}}">Your preferences</a></p>', text: 'Welcome aboard.\nYour preferences: {{preferences_url}}' },
  });
  const id = `demo-welcome-${runId}`;
  await api.request('POST', '/v1/journeys', {
    json: {
      id,
      name: `Welcome series (demo ${runId})`,
      trigger: { event: `signed-up-${runId}` },
      // Nobody leaves early: each step meets the send rule, which holds the news for whoever may not get it.
      exitOn: [],
      steps: [
        { id: 'hello', send: { template: hello } },
        { id: 'pause', wait: { seconds: 3 } },
        { id: 'news', send: { template: catalog.marketingTemplate } },
      ],
    },
  });
  await api.request('POST', `/v1/journeys/${id}/activate`);
  const cohorts = ['opted_in', 'opted_out', 'never_asked', 'unsubscribed_all', 'complained'] as const;
  const people = cohorts.flatMap((c) => population.recipients.filter((r) => r.cohort === c).slice(0, c === 'opted_in' ? 5 : 2));
  for (const p of people) {
    await api.request('POST', '/v1/events', { json: { email: p.email, name: `signed-up-${runId}`, properties: { first_name: 'there' }, idempotencyKey: `demo-${runId}-${p.email}` } });
  }
  io.out(`Journey ${id}: ${count(people.length)} sign-up events posted (${cohorts.join(', ')}); the welcome mail went at once, the news follows a 3 s wait.\n`);
  const until = Date.now() + STALL_MS;
  for (;;) {
    const j = await api.request<WithFigures>('GET', `/v1/journeys/${id}`);
    if (j.figures.completed + j.figures.exited >= j.figures.enrolled && j.figures.enrolled === people.length) {
      io.out(`\n${figuresText(j)}\n`);
      return true;
    }
    if (Date.now() > until) {
      io.err(`sendwell demo: the journey did not finish: ${figuresText(j)}`);
      return false;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function main(): Promise<void> {
  try {
    const options = parseOptions(process.argv.slice(2));
    if (!options) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    process.exitCode = await runDemo(options.recipients, process.env);
  } catch (e) {
    if (e instanceof DemoError) process.stderr.write(`sendwell demo: ${e.message}\n`);
    else if (e instanceof ApiError || e instanceof CliError) process.stderr.write(formatError(e).replace(/^sendwell:/, 'sendwell demo:'));
    else process.stderr.write(`sendwell demo: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}

await main();

/**
 * What the campaign tests share: the local campaign engine on this run's DynamoDB Local (each test file its own
 * queues), an audience seeded through the import API, and waiting for a campaign to reach a status.
 */
import { expect, inject } from 'vitest';
import { startCampaignEngine, type CampaignEngine, type CampaignEngineOptions } from '../../local/campaign-engine.ts';
import type { adminClient } from './admin-client.ts';
import { allMail, type CapturedMail } from './mailbox.ts';
import { hasOwnTables } from './own-tables.ts';

type Api = ReturnType<typeof adminClient>;

export async function startTestEngine(label: string, options: Partial<CampaignEngineOptions> = {}): Promise<CampaignEngine> {
  // The engine's sweeps reach every campaign, deferred mail and journey of the tables they see: on the shared ones
  // they would launch, decide or send another file's (two files run at once) on this file's queues, which stop with it.
  if (!hasOwnTables()) throw new Error(`startTestEngine('${label}'): a file that runs the campaign engine needs tables of its own (useGateway({ ownTables }) or ownTables())`);
  const servers = inject('sendwell');
  return startCampaignEngine({
    dynamodbEndpoint: servers.dynamodbEndpoint,
    table: `${servers.tablePrefix}-local-queues`,
    queuePrefix: `${label}-${Date.now().toString(36)}`,
    // Longer than a test's slowest batch (a rate-limited one), shorter than a test can wait for a redelivery.
    visibilitySeconds: 15,
    sweepMs: 1000,
    ...options,
  });
}

/** One kind of recipient of a seeded audience: how many, and what the import row says about them. */
export interface Cohort {
  readonly label: string;
  readonly count: number;
  readonly row: (email: string, i: number) => Record<string, unknown>;
}

/**
 * Imports every cohort in one JSON-lines import and returns the addresses of each, by label. Addresses are unique
 * to this call, so a test counts only its own mail.
 */
export async function seedCohorts(api: Api, cohorts: readonly Cohort[]): Promise<Record<string, string[]>> {
  const { byLabel, lines } = cohortLines(cohorts);
  // 250 rows a request: well inside the admin function's 29 s on a busy machine (500 once took longer, when DynamoDB
  // Local's stream walk made every write slow: local/tables.ts).
  for (let i = 0; i < lines.length; i += 250) {
    const r = await api.post('/v1/recipients/import', lines.slice(i, i + 250).join('\n'), { 'content-type': 'application/x-ndjson' });
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(200);
    expect(r.body.rejected).toEqual([]);
  }
  return byLabel;
}

/** An opt-in the import accepts as proof: when, where, and confirmed (so it counts where double opt-in applies). */
export const optIn = (at = '2026-01-15T10:00:00Z') => ({ status: 'opted_in', at, confirmedAt: at, source: 'signup_form', wording: 'v1' });

/** Polls the campaign until `done(campaign)` or the time runs out (then fails with the last state). */
export async function waitForCampaign(api: Api, id: string, done: (c: any) => boolean, timeoutMs = 120_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < until) {
    last = (await api.get(`/v1/campaigns/${id}`)).body;
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`campaign ${id} did not get there in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

/** Waits until the engine's queues are empty and no handler runs (late retries and checks included). */
export async function waitForIdle(engine: CampaignEngine, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await engine.idle()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the campaign engine did not go idle');
}

/** How many captured mails with `subject` each address got. */
export async function mailsBySubject(subject: string): Promise<Map<string, CapturedMail[]>> {
  const by = new Map<string, CapturedMail[]>();
  for (const m of await allMail()) {
    if (!m.subject.includes(subject)) continue;
    for (const to of m.destination.to) {
      const address = (/<([^>]+)>/.exec(to)?.[1] ?? to).toLowerCase();
      by.set(address, [...(by.get(address) ?? []), m]);
    }
  }
  return by;
}

/** The import rows (JSON lines) of every cohort, with addresses unique to this call, and the addresses by label. */
export function cohortLines(cohorts: readonly Cohort[]): { byLabel: Record<string, string[]>; lines: string[] } {
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const byLabel: Record<string, string[]> = {};
  const lines: string[] = [];
  for (const c of cohorts) {
    byLabel[c.label] = [];
    for (let i = 0; i < c.count; i++) {
      const email = `${c.label}.${i}.${run}@example.com`;
      byLabel[c.label]!.push(email);
      lines.push(JSON.stringify({ email, ...c.row(email, i) }));
    }
  }
  return { byLabel, lines };
}

/**
 * Creates a topic `<prefix>-<run>` and a marketing template of the same id for it (with the unsubscribe link and
 * postal address a marketing template needs; `content` replaces the default body); the subject is `<name> <run>`,
 * unique to this call, so a test finds its own mail by it.
 */
export async function marketingTopic(
  api: { post(path: string, body?: unknown): Promise<{ status: number }> },
  prefix: string,
  name: string,
  content: { readonly html: string; readonly text: string } = {
    html: '<p>Hello</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>',
    text: 'Hello\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}',
  },
): Promise<{ topic: string; template: string; subject: string; run: string }> {
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 4)}`;
  const topic = `${prefix}-${run}`;
  const subject = `${name} ${run}`;
  expect((await api.post('/v1/topics', { id: topic, name })).status).toBe(201);
  const template = {
    id: topic,
    class: 'marketing',
    topic,
    subject,
    ...content,
  };
  expect((await api.post('/v1/templates', template)).status).toBe(201);
  return { topic, template: topic, subject, run };
}

/**
 * `store` with some of its methods replaced and the rest bound to it: a fault, a stale read or a lost write injected
 * into a real store (its private fields stay reachable, which a spread or `Object.create` would lose).
 */
export function withMethods<T extends object>(store: T, replaced: { readonly [K in keyof T]?: T[K] }): T {
  return new Proxy(store, {
    get: (target, key) => {
      if (Object.hasOwn(replaced, key)) return replaced[key as keyof T];
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The first `read` of `get` answers `stale(fresh)` (what a racing reader saw a moment before), every later one the
 * store's own: for a store whose `get(id)` reads a campaign.
 */
export function staleOnce<T extends { get(id: string): Promise<unknown> }>(store: T, stale: (fresh: Awaited<ReturnType<T['get']>>) => Awaited<ReturnType<T['get']>>): T {
  let first = true;
  return withMethods(store, {
    get: (async (id: string) => {
      const fresh = (await store.get(id)) as Awaited<ReturnType<T['get']>>;
      if (!first || !fresh) return fresh;
      first = false;
      return stale(fresh);
    }) as T['get'],
  } as { readonly [K in keyof T]?: T[K] });
}


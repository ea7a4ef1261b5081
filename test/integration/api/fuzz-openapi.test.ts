/**
 * Property-based fuzz of the admin API from its served OpenAPI document (issue 15). For every route, fast-check
 * draws requests — valid bodies from the schemas, each with one mutation, and garbage — and sends them to the real
 * handlers behind the local gateway, in process, against DynamoDB Local and the local SES. At least 5,000 requests a
 * run. It fails on any 5xx, on a 4xx that is not `{"error": {"code", "message", "details"}}`, on a 400 that names
 * no field, and (through the gateway's contract check, test/support/contract.ts) on any answer the document does not
 * declare. Operations that change the whole stage (pausing marketing) get only requests their schema refuses.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useLocalCampaignQueues } from '../../../lambdas/adapters/container.ts';
import { useLocalImportQueue } from '../../../lambdas/adapters/import-jobs-container.ts';
import type { CampaignQueues } from '../../../lambdas/services/deps.ts';
import { operationsOf, requestArb, type FuzzRequest, type Operation } from '../../support/openapi-fuzz.ts';
import { useGateway } from '../../support/suite.ts';
import { uniqueAddress } from '../../support/mailbox.ts';

const RUNS = 640;
const PARALLEL = 8; // requests per run, sent at once: 5,120 in all
const INVALID_ONLY = new Set(['pauseMarketing', 'resumeMarketing']);

// Launches and resumes hand campaigns to the launch queue: a queue that only records (no engine runs in this file).
const queued: string[] = [];
const recordingQueues: CampaignQueues = {
  launch: async (id: string) => void queued.push(id),
  send: async () => undefined,
  deadLetter: async () => undefined,
};
useLocalCampaignQueues(recordingQueues);
// Import jobs hand their chunks to the import queue: one that only records (no import worker runs in this file).
useLocalImportQueue({ enqueue: async () => undefined });

// Valid bodies reach every route, PUT /v1/settings/delivery too (quiet hours, the stage's cap): on tables of its own,
// so no other file's mail is deferred or held by what the fuzz drew.
const suite = useGateway({ ownTables: 'fuzz' });
const run = Date.now().toString(36);
const known: Record<string, string[]> = { topic: [], template: [], recipient: [], campaign: [], message: [], import: [] };
let doc: Record<string, any>;

beforeAll(async () => {
  const api = suite.api;
  const served = await api.get('/v1/openapi.json');
  expect(served.status).toBe(200);
  doc = served.body;
  const topic = `fz-${run}`;
  expect((await api.post('/v1/topics', { id: topic, name: 'Fuzz' })).status).toBe(201);
  known.topic!.push(topic);
  const service = `fz-s-${run}`;
  const marketing = `fz-m-${run}`;
  expect((await api.post('/v1/templates', { id: service, class: 'service', subject: 'Hi {{name}}', html: '<p>{{name}}</p>', text: '{{name}}' })).status).toBe(201);
  expect(
    (
      await api.post('/v1/templates', {
        id: marketing,
        class: 'marketing',
        topic,
        subject: 'News',
        html: '<p>x</p><a href="{{unsubscribe_url}}">u</a> {{postal_address}}',
        text: 'x {{unsubscribe_url}} {{postal_address}}',
      })
    ).status,
  ).toBe(201);
  known.template!.push(service, marketing);
  for (let i = 0; i < 3; i++) {
    const r = await api.post('/v1/recipients', { email: uniqueAddress(`fuzz${i}`), country: 'US', welcome: false });
    known.recipient!.push(r.body.id);
  }
  const m = await api.post('/v1/messages', { template: service, to: { recipientId: known.recipient![0] }, data: { name: 'F' } });
  known.message!.push(m.body.messageId);
  const job = await api.post('/v1/imports', `{"email":"fuzz-job-${run}@example.com"}`, { 'content-type': 'application/x-ndjson' });
  known.import!.push(job.body.id);
  for (const body of [{ name: 'Fuzz draft', template: marketing }, { name: 'Fuzz service', template: service, reason: 'A service broadcast the fuzz test pokes at' }]) {
    const c = await api.post('/v1/campaigns', body);
    known.campaign!.push(c.body.id);
  }
}, 120_000);

/** Known ids for a path parameter, by the collection the path names. */
const idsFor = (op: Operation, param: string): readonly string[] => {
  if (param === 'topic') return known.topic!;
  if (param !== 'id') return [];
  const noun = op.path.split('/')[2];
  return (
    { topics: known.topic, templates: known.template, recipients: known.recipient, campaigns: known.campaign, messages: known.message, imports: known.import } as Record<string, string[] | undefined>
  )[noun ?? ''] ?? [];
};

interface Finding {
  readonly request: FuzzRequest;
  readonly status: number;
  readonly body: string;
  readonly problem: string;
}

/** What is wrong with one answer, if anything. The contract check has run already (it throws). */
function judge(req: FuzzRequest, status: number, contentType: string | null, body: string): string | undefined {
  if (status >= 500) return 'a 5xx for a caller’s request';
  if (status < 400) return undefined;
  const isPage = !req.path.startsWith('/v1/') && !req.path.startsWith('/health');
  if (isPage) return undefined;
  if (!/json/.test(contentType ?? '')) return 'a 4xx that is not JSON';
  let parsed: any;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'a 4xx whose body is not JSON';
  }
  const e = parsed?.error;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || !Array.isArray(e.details)) return 'a 4xx not in the error shape';
  if (status === 400 && !e.details.some((d: any) => typeof d?.path === 'string' && d.path.length > 0)) return 'a 400 that names no field';
  return undefined;
}

const KEYS: Record<FuzzRequest['as'], 'admin' | 'marketing' | 'ops' | 'privacy' | undefined> = { admin: 'admin', marketing: 'marketing', ops: 'ops', privacy: 'privacy', none: undefined };

describe('fuzz of the admin API from its OpenAPI document', () => {
  it(`answers ${RUNS * PARALLEL} generated requests over every route with no 5xx and every 4xx in the error shape`, { timeout: 900_000 }, async () => {
    const ops = operationsOf(doc, INVALID_ONLY);
    const routes = new Set(ops.map((o) => `${o.method} ${o.path}`));
    expect(routes.size).toBe(Object.values(doc.paths).reduce((n: number, item: any) => n + Object.keys(item).length, 0));
    const hints = {
      topic: fc.constantFrom(...known.topic!),
      template: fc.constantFrom(...known.template!),
      recipientId: fc.constantFrom(...known.recipient!),
      campaign: fc.constantFrom(...known.campaign!),
    };
    const perOp = ops.map((op) => requestArb(op, doc, idsFor, hints));
    const anyRequest = fc.oneof(...perOp);
    const byStatus = new Map<number, number>();
    const byKind = new Map<string, number>();
    const seenOps = new Set<string>();
    let sent = 0;
    const findings: Finding[] = [];

    const send = async (req: FuzzRequest): Promise<void> => {
      const headers: Record<string, string> = {};
      if (req.contentType) headers['content-type'] = req.contentType;
      const as = KEYS[req.as];
      let res: Response;
      try {
        res = await suite.gw.call(req.path, {
          method: req.method,
          headers,
          ...(req.body !== undefined && req.method !== 'GET' ? { body: typeof req.body === 'string' ? req.body : new Uint8Array(req.body) } : {}),
          ...(as ? { as } : {}),
        });
      } catch (e) {
        findings.push({ request: req, status: 0, body: '', problem: (e as Error).message.slice(0, 800) });
        return;
      }
      const text = await res.text();
      sent++;
      seenOps.add(req.operationId);
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      byKind.set(req.kind, (byKind.get(req.kind) ?? 0) + 1);
      const problem = judge(req, res.status, res.headers.get('content-type'), text);
      if (problem) findings.push({ request: req, status: res.status, body: text.slice(0, 400), problem });
    };

    await fc.assert(
      fc.asyncProperty(fc.array(anyRequest, { minLength: PARALLEL, maxLength: PARALLEL }), async (requests) => {
        const before = findings.length;
        await Promise.all(requests.map(send));
        return findings.length === before;
      }),
      { numRuns: RUNS, endOnFailure: true },
    ).catch((e: Error) => {
      throw new Error(`${e.message.split('\n').slice(0, 3).join('\n')}\nfirst findings:\n${findings.slice(0, 5).map((f) => JSON.stringify({ ...f, request: { ...f.request, body: typeof f.request.body === 'string' ? f.request.body.slice(0, 300) : f.request.body } })).join('\n')}`);
    });

    console.log(
      `fuzz: ${sent} requests over ${seenOps.size} of ${ops.length} operations; by status ${JSON.stringify(Object.fromEntries([...byStatus].sort(([a], [b]) => a - b)))}; by kind ${JSON.stringify(Object.fromEntries(byKind))}`,
    );
    expect(findings).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(5000);
    // Every operation was reached, and not only with refusals: the stores were exercised too.
    expect(seenOps.size).toBe(ops.length);
    expect([...byStatus.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
  });
});

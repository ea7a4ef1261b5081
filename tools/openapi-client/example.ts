/**
 * The example calls of docs/api.md, written against the types openapi-typescript generates from the served OpenAPI
 * document (`schema.d.ts`). `npm run check` fails if the document no longer describes them: a renamed field, a
 * response shape that changed, a route that went away.
 */
import type { paths, components } from './schema.d.ts';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody: infer R } ? Json<R> : never;
type Answer<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends { responses: infer R }
  ? S extends keyof R
    ? Json<R[S]>
    : never
  : never;

/** A typed call: the body must be what the document says the route takes, and the answer is what it says it gives. */
async function call<P extends keyof paths, M extends keyof paths[P] & string, S extends number>(
  method: M,
  path: P,
  status: S,
  body?: Body<P, M>,
): Promise<Answer<P, M, S>> {
  const res = await fetch(`http://127.0.0.1:3000${String(path)}`, {
    method: method.toUpperCase(),
    headers: { authorization: 'Bearer KEY', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status !== status) throw new Error(`${res.status}`);
  return (await res.json()) as Answer<P, M, S>;
}

export async function examples(): Promise<void> {
  // docs/api.md "Recipients and consent": create, then read it back.
  const jane = await call('post', '/v1/recipients', 201, { email: 'Jane.Doe@Example.com', country: 'US', locale: 'en-US' });
  const id: string = jane.id;
  const consents: Record<string, components['schemas']['Recipient']['consents'][string]> = jane.consents;
  void consents;

  // docs/api.md "Sending": a transactional message; a hold is an outcome with a reason.
  const sent = await call('post', '/v1/messages', 202, { template: 'news-weekly', to: { recipientId: id }, data: { name: 'Jane' }, idempotencyKey: `news-2026-47-${id}` });
  const status: 'deferred' | 'sending' | 'sent' | 'held' | 'failed' = sent.status;
  void status;

  // docs/api.md "Campaigns": progress counts held reasons that occurred, not all of them.
  const campaign = await call('post', '/v1/campaigns', 201, { name: 'November news', template: 'news-weekly', audience: { countries: ['DE', 'AT'] }, ratePerSecond: 50 });
  const optedOut: number | undefined = campaign.progress.held.opted_out;
  void optedOut;

  // docs/api.md "A/B tests": variants, holdout and test share; the winner and the figures per variant.
  const ab = await call('post', '/v1/campaigns', 201, {
    name: 'Subject test',
    template: 'news-weekly',
    variants: [
      { id: 'a', subject: 'November news', weight: 1 },
      { id: 'b', subject: '20 % off in November', weight: 1 },
    ],
    holdout: 10,
    test: { share: 30, metric: 'clicks', decideAfterSeconds: 14_400 },
  });
  const clickRate: number | null | undefined = ab.progress.variants?.[0]?.clickRate;
  const heldOut: number | undefined = ab.progress.holdout;
  const picked = await call('post', '/v1/campaigns/{id}/winner', 202, { variant: 'b' });
  const reason: 'metric' | 'tie' | 'tooLittleData' | 'manual' | undefined = picked.decision?.reason;
  void clickRate;
  void heldOut;
  void reason;

  // docs/api.md "Import jobs": the job and its progress.
  const job = await call('get', '/v1/imports/{id}', 200);
  const done: number = job.rows.done;
  const eta: number | undefined = job.etaSeconds;
  // A job that stopped says why; `failed` is final, like `completed`.
  const jobStatus: 'awaitingUpload' | 'queued' | 'running' | 'completed' | 'failed' = job.status;
  const failure: string | undefined = job.status === 'failed' ? job.failure?.reason : undefined;
  void done;
  void eta;
  void jobStatus;
  void failure;

  // Errors have one shape.
  const error: components['schemas']['Error'] = { error: { code: 'not_found', message: 'No route', details: [{ path: 'path', message: 'no such route' }] } };
  void error;
}

/**
 * The inputs that answered 500 in the fuzz run of issue 15 answer 4xx in the error shape, naming the field:
 * cursors not issued by us, integers beyond 2^53, data nested 10,000 deep, concurrent lifecycle calls on one draft.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useGateway } from '../../support/suite.ts';
import { uniqueAddress } from '../../support/mailbox.ts';

const suite = useGateway();
const run = Date.now().toString(36);
let recipientId: string;

beforeAll(async () => {
  const r = await suite.api.post('/v1/recipients', { email: uniqueAddress('no5xx'), welcome: false });
  recipientId = r.body.id;
  await suite.api.post('/v1/topics', { id: `n5-${run}`, name: 'No 5xx' });
  await suite.api.post('/v1/templates', { id: `n5-${run}`, class: 'service', subject: 'Hi', html: '<p>{{x}}</p>', text: '{{x}}' });
});

const expectFieldError = (res: { status: number; body: any }, status: number, path: string | RegExp) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String), details: expect.any(Array) } });
  expect(res.body.error.details.map((d: { path?: string }) => d.path)).toContainEqual(typeof path === 'string' ? path : expect.stringMatching(path));
};

describe('no 5xx for anything a caller sends', () => {
  it('refuses a campaign list cursor it did not issue, and pages with the ones it did', async () => {
    for (const cursor of ['anything', 'eyJwayI6IkMjeCJ9', Buffer.from(JSON.stringify({ pk: 'C#cmp_1', sk: 'CAMPAIGN' })).toString('base64url'), '%%%']) {
      expectFieldError(await suite.api.get(`/v1/campaigns?cursor=${encodeURIComponent(cursor)}`), 400, 'query.cursor');
    }
    for (let i = 0; i < 3; i++) await suite.api.post('/v1/campaigns', { name: `page ${i}`, template: `n5-${run}`, reason: 'A service broadcast for a paging test' });
    const first = await suite.api.get('/v1/campaigns?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await suite.api.get(`/v1/campaigns?limit=2&cursor=${first.body.next}`);
    expect(second.status).toBe(200);
    expect(second.body.campaigns[0].id).not.toBe(first.body.campaigns[0].id);
  });

  it('refuses a ledger cursor it did not issue (not a 200 with no entries)', async () => {
    expectFieldError(await suite.api.get(`/v1/recipients/${recipientId}/ledger?cursor=garbage`), 400, 'query.cursor');
    const campaigns = await suite.api.get('/v1/campaigns?limit=1');
    // A cursor of another list is not a ledger cursor either.
    if (campaigns.body.next) expectFieldError(await suite.api.get(`/v1/recipients/${recipientId}/ledger?cursor=${campaigns.body.next}`), 400, 'query.cursor');
  });

  it('refuses an integer beyond 2^53 in attributes and data with the field named', async () => {
    expectFieldError(await suite.api.post('/v1/recipients', `{"email":"${uniqueAddress('big')}","attributes":{"loyaltyId":12345678901234567}}`), 400, 'attributes.loyaltyId');
    expectFieldError(await suite.api.post('/v1/messages', `{"template":"n5-${run}","to":{"recipientId":"${recipientId}"},"data":{"n":-99999999999999999999}}`), 400, 'data.n');
  });

  it('refuses data nested 10,000 deep on POST /v1/messages with a 400, like any other body', async () => {
    const deep = `{"template":"n5-${run}","to":{"recipientId":"${recipientId}"},"data":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
    expectFieldError(await suite.api.post('/v1/messages', deep), 400, /^data\.x(\[0\])+$/);
    const campaign = `{"name":"deep","template":"n5-${run}","data":{"x":${'['.repeat(40)}${']'.repeat(40)}}}`;
    expectFieldError(await suite.api.post('/v1/campaigns', campaign), 400, /^data\.x/);
  });

  it('answers concurrent schedule calls on one draft with 202 or 409, never 5xx', async () => {
    const c = await suite.api.post('/v1/campaigns', { name: 'race', template: `n5-${run}`, reason: 'A service broadcast for a race test' });
    expect(c.status).toBe(201);
    const sendAt = (i: number) => new Date(Date.now() + 3_600_000 + i * 1000).toISOString();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => suite.api.post(`/v1/campaigns/${c.body.id}/schedule`, { sendAt: sendAt(i) })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s !== 202 && s !== 409)).toEqual([]);
    expect(statuses).toContain(202);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.error.code).toBe('conflict');
  });
});

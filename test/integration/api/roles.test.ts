/**
 * Roles, enforced by the API itself: the local gateway turns a role key into the JWT authorizer context API Gateway
 * builds from a Cognito ID token (groups as `[marketing]`), and the admin key into the IAM one; every admin route's
 * handler checks the caller against the route table. Marketing cannot erase or export people, privacy can; ops can
 * pause and resume (a campaign, all marketing) but not create campaigns; a user in no group gets only `GET /v1/me`.
 *
 * Pausing marketing is stage-wide, so this file runs on tables of its own (the other files send marketing on the
 * shared ones).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../../lambdas/wiring/routes.ts';
import type { CampaignEngine } from '../../../local/campaign-engine.ts';
import { optIn, seedCohorts, startTestEngine } from '../../support/campaigns.ts';
import { uniqueAddress } from '../../support/mailbox.ts';
import { useGateway } from '../../support/suite.ts';
import { ownTables } from '../../support/own-tables.ts';

// Before anything reads the configuration: this file's own tables.
const createOwnTables = ownTables('roles');

let engine: CampaignEngine;
beforeAll(async () => {
  await createOwnTables();
  engine = await startTestEngine('roles');
}, 60_000);
afterAll(async () => {
  await engine?.stop();
});

const suite = useGateway();

const newRecipient = async () => {
  const r = await suite.api.post('/v1/recipients', { email: uniqueAddress('roles'), country: 'US', welcome: false });
  expect(r.status).toBe(201);
  return r.body.id as string;
};

const expectForbidden = (answer: { status: number; body: any }, key: string) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(403);
  expect(answer.body.error.code).toBe('forbidden');
  expect(answer.body.error.message).toContain(`${key} needs one of the roles admin`);
};

describe('who is calling: GET /v1/me', () => {
  it('a SigV4 service is admin; a console user has the roles of their groups; a user in no group has none', async () => {
    expect((await suite.api.get('/v1/me')).body).toEqual({ id: 'arn:aws:iam::000000000000:user/local-admin', roles: ['admin'], kind: 'service' });
    for (const role of ['marketing', 'ops', 'privacy'] as const) {
      const me = await suite.as(role).get('/v1/me');
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ id: `${role}@local.invalid`, roles: [role], kind: 'user' });
    }
    // Groups that are not roles are ignored.
    expect((await suite.as('multi').get('/v1/me')).body).toEqual({ id: 'multi@local.invalid', roles: ['ops', 'privacy'], kind: 'user' });
    expect((await suite.as('nogroup').get('/v1/me')).body).toEqual({ id: 'nogroup@local.invalid', roles: [], kind: 'user' });
  });

  it('a wrong key is still a 401 from the gateway', async () => {
    const res = await fetch(`${suite.gw.url}/v1/me`, { headers: { authorization: 'Bearer swl_not_a_key_of_this_stack' } });
    expect(res.status).toBe(401);
  });
});

describe('a console user in no group', () => {
  it('is refused on every admin route but GET /v1/me, before the request is looked at', async () => {
    const nobody = suite.as('nogroup');
    for (const route of ROUTES.filter((r) => r.auth === 'admin')) {
      const path = route.path.replace(/\{(\w+)\+?\}/g, 'x1');
      const answer = await nobody.call(route.method, path, route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
      if (route.path === '/v1/me') expect(answer.status).toBe(200);
      else expectForbidden(answer, routeKey(route));
    }
  });
});

describe('privacy rights: marketing cannot erase or export people; privacy can', () => {
  it('marketing is refused export and erasure, and nothing is erased', async () => {
    const id = await newRecipient();
    const marketing = suite.as('marketing');
    expectForbidden(await marketing.get(`/v1/recipients/${id}/export`), 'GET /v1/recipients/{id}/export');
    expectForbidden(await marketing.del(`/v1/recipients/${id}`), 'DELETE /v1/recipients/{id}');
    expect((await suite.api.get(`/v1/recipients/${id}`)).status).toBe(200);
    // What marketing may do on the same person.
    expect((await marketing.get(`/v1/recipients/${id}`)).status).toBe(200);
  });

  it('privacy exports and erases the person', async () => {
    const id = await newRecipient();
    const privacy = suite.as('privacy');
    const exported = await privacy.get(`/v1/recipients/${id}/export`);
    expect(exported.status).toBe(200);
    expect(JSON.stringify(exported.body)).toContain(id);
    const erased = await privacy.del(`/v1/recipients/${id}`);
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect((await suite.api.get(`/v1/recipients/${id}`)).status).toBe(404);
  });
});

describe('suppressions', () => {
  it('marketing may read suppressions but not lift one; ops may', async () => {
    const email = uniqueAddress('supp');
    expect((await suite.as('ops').post('/v1/suppressions', { email, reason: 'manual', scope: 'marketing' })).status).toBe(201);
    expect((await suite.as('marketing').get(`/v1/suppressions?email=${encodeURIComponent(email)}`)).status).toBe(200);
    expectForbidden(await suite.as('marketing').del('/v1/suppressions', { email, reason: 'manual' }), 'DELETE /v1/suppressions');
    expect((await suite.api.get(`/v1/suppressions?email=${encodeURIComponent(email)}`)).body.suppressions ?? []).not.toEqual([]);
    const lifted = await suite.as('ops').del('/v1/suppressions', { email, reason: 'manual' });
    expect(lifted.status, JSON.stringify(lifted.body)).toBe(200);
  });
});

describe('the marketing switch', () => {
  it('marketing cannot pause all marketing; ops pauses and resumes it, recorded as the ops user', async () => {
    expectForbidden(await suite.as('marketing').post('/v1/marketing/pause', { reason: 'looks odd to me' }), 'POST /v1/marketing/pause');
    expect((await suite.api.get('/v1/marketing')).body.paused).toBe(false);
    const ops = suite.as('ops');
    const paused = await ops.post('/v1/marketing/pause', { reason: 'complaints spiking on the new list' });
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect((await suite.api.get('/v1/marketing')).body).toMatchObject({ paused: true, pause: { actor: 'ops@local.invalid' } });
    expectForbidden(await suite.as('marketing').post('/v1/marketing/resume', { reason: 'we want to send' }), 'POST /v1/marketing/resume');
    const resumed = await ops.post('/v1/marketing/resume', { reason: 'list cleaned' });
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    expect((await suite.api.get('/v1/marketing')).body).toMatchObject({ paused: false, lastResume: { actor: 'ops@local.invalid' } });
  });
});

describe('campaigns', () => {
  it('ops cannot create or launch a campaign, but pauses and resumes one that marketing launched', { timeout: 120_000 }, async () => {
    const marketing = suite.as('marketing');
    const ops = suite.as('ops');
    const run = Date.now().toString(36);
    const topic = `t-roles-${run}`;
    const template = `m-roles-${run}`;
    expect((await marketing.post('/v1/topics', { id: topic, name: 'Roles' })).status).toBe(201);
    expect(
      (
        await marketing.post('/v1/templates', {
          id: template,
          class: 'marketing',
          topic,
          subject: 'Roles',
          html: '<p>News</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>',
          text: 'News {{unsubscribe_url}} {{postal_address}}',
        })
      ).status,
    ).toBe(201);
    await seedCohorts(suite.api, [{ label: `roles-${run}`, count: 30, row: () => ({ country: 'US', consents: { [topic]: optIn() } }) }]);

    expectForbidden(await ops.post('/v1/campaigns', { name: 'By ops', template }), 'POST /v1/campaigns');
    // One mail a second: still sending while ops pause it.
    const created = await marketing.post('/v1/campaigns', { name: 'By marketing', template, ratePerSecond: 1 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.createdBy).toBe('marketing@local.invalid');
    const id = created.body.id as string;
    expectForbidden(await ops.post(`/v1/campaigns/${id}/launch`), 'POST /v1/campaigns/{id}/launch');
    expect((await marketing.post(`/v1/campaigns/${id}/launch`)).status).toBe(202);

    const paused = await ops.post(`/v1/campaigns/${id}/pause`);
    expect(paused.status, JSON.stringify(paused.body)).toBe(202);
    expect(paused.body).toMatchObject({ status: 'paused', pausedBy: 'ops@local.invalid' });
    const resumed = await ops.post(`/v1/campaigns/${id}/resume`);
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(202);
    expect(resumed.body.status).toBe('sending');
    expectForbidden(await ops.post(`/v1/campaigns/${id}/cancel`), 'POST /v1/campaigns/{id}/cancel');
    expect((await marketing.post(`/v1/campaigns/${id}/cancel`)).status).toBe(202);

    const history = (await ops.get(`/v1/campaigns/${id}`)).body.history as Array<{ action: string; actor: string }>;
    expect(history.filter((h) => h.action === 'pause' || h.action === 'resume').map((h) => h.actor)).toEqual(['ops@local.invalid', 'ops@local.invalid']);
  });
});

describe('the ops page', () => {
  it('is served to ops, refused to marketing, and served without credentials (a shell that holds no data)', async () => {
    const as = (who: 'ops' | 'marketing') => suite.gw.call('/ops', { as: who });
    const ops = await as('ops');
    expect(ops.status).toBe(200);
    expect(ops.headers.get('content-type')).toContain('text/html');
    const marketing = await as('marketing');
    expect(marketing.status).toBe(403);
    expect(((await marketing.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await suite.gw.call('/ops')).status).toBe(200);
  });
});

describe('the send API is for services', () => {
  it('a console user, whatever the role, cannot send a transactional message', async () => {
    for (const role of ['marketing', 'ops', 'privacy'] as const) {
      expectForbidden(await suite.as(role).post('/v1/messages', { template: 'sendwell-welcome', to: { email: 'x@example.com' } }), 'POST /v1/messages');
    }
  });
});

describe('the OpenAPI document', () => {
  it('every role may read it; it lists each operation’s roles and the new routes', async () => {
    const doc = await suite.as('privacy').get('/v1/openapi.json');
    expect(doc.status).toBe(200);
    const paths = doc.body.paths;
    expect(paths['/v1/recipients/{id}'].delete['x-sendwell-roles']).toEqual(['admin', 'privacy']);
    expect(paths['/v1/campaigns/{id}/pause'].post['x-sendwell-roles']).toEqual(['admin', 'marketing', 'ops']);
    expect(paths['/v1/messages'].post['x-sendwell-roles']).toEqual(['admin']);
    expect(paths['/v1/recipients/{id}'].delete.responses['403']).toBeDefined();
    expect(paths['/v1/me'].get.responses['200'].content['application/json'].schema).toBeDefined();
    expect(paths['/v1/templates/preview'].post.requestBody).toBeDefined();
    expect(paths['/v1/campaigns/preview'].post['x-sendwell-roles']).toEqual(['admin', 'marketing', 'ops']);
    expect(paths['/v1/campaigns/{id}/preview'].get).toBeDefined();
  });
});

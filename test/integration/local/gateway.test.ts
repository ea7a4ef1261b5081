import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.ts';
import { HealthResponseSchema } from '../../../lambdas/schemas/common.ts';
import { TABLES } from '../../../lambdas/wiring/tables.ts';
import { ROUTES } from '../../../lambdas/wiring/routes.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

describe('GET /health on the local stack', () => {
  it('reports DynamoDB, every table and SES reachable', async () => {
    const res = await gw.call('/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = HealthResponseSchema.parse(await res.json());
    expect(body).toMatchObject({ status: 'ok', dynamodb: 'ok', ses: 'ok' });
    expect(Object.keys(body.tables).sort()).toEqual(Object.keys(TABLES).sort());
    expect(new Set(Object.values(body.tables))).toEqual(new Set(['ok']));
  });

  it('needs no credentials', async () => {
    const res = await gw.call('/health', { headers: { authorization: 'Bearer wrong' } });
    expect(res.status).toBe(200);
  });
});

describe('admin routes on the local stack', () => {
  // Shell pages (routes.ts `shell`) hold no data and are served without the key; checked below.
  const adminRoutes = ROUTES.filter((r) => r.auth === 'admin' && !r.path.includes('{') && r.shell !== true);

  it.each(adminRoutes.map((r) => [r.method, r.path] as const))('%s %s refuses a request without the admin key (401)', async (method, path) => {
    const res = await gw.call(path, { method });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unauthorized');
  });

  it('serves a shell page without the key: HTML and script only, under a strict content security policy', async () => {
    const shells = ROUTES.filter((r) => r.auth === 'admin' && r.shell === true);
    expect(shells.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /ops']);
    const res = await gw.call('/ops');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'nonce-[A-Za-z0-9+/=]+'; /);
    expect(await res.text()).toContain('<label for="admin-key">Admin key</label>');
  });

  it('refuses a wrong key and a key sent without the Bearer scheme', async () => {
    expect((await gw.call('/v1/openapi.json', { headers: { authorization: 'Bearer swl_not_the_key' } })).status).toBe(401);
    expect((await gw.call('/v1/openapi.json', { headers: { authorization: 'swl_test_admin_key_0123456789' } })).status).toBe(401);
  });

  it('serves the OpenAPI document with the admin key, listing every route', async () => {
    const res = await gw.call('/v1/openapi.json', { admin: true });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const r of ROUTES) expect(doc.paths[r.path]?.[r.method.toLowerCase()]?.operationId).toBe(r.operationId);
  });
});

describe('the gateway itself', () => {
  it('answers an unknown route with 404 in the error shape (as the $default route does on AWS)', async () => {
    const res = await gw.call('/nope');
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string; details: unknown[] } };
    expect(body.error.code).toBe('not_found');
    expect(body.error.details).toEqual([{ path: 'path', message: 'no such route' }]);
  });

  it('answers a wrong method with 405, the error shape and Allow naming the methods the path takes', async () => {
    const res = await gw.call('/v1/campaigns', { method: 'DELETE', admin: true });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('method_not_allowed');
    const one = await gw.call('/v1/recipients/rcp_x/ledger', { method: 'POST' });
    expect(one.status).toBe(405);
    expect(one.headers.get('allow')).toBe('GET');
    // HEAD is served on the public GET routes only, as on AWS (routes.ts answersHead): elsewhere a 405 not naming it.
    const head = await gw.call('/v1/campaigns', { method: 'HEAD', admin: true });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET, POST');
    const pixel = await gw.call('/o/anything.gif', { method: 'HEAD' });
    expect(pixel.status).toBe(200);
    expect(pixel.headers.get('content-type')).toBe('image/gif');
  });

  it('binds to loopback only', () => {
    expect(gw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const address = gw.server.address();
    expect(typeof address === 'object' && address?.address).toBe('127.0.0.1');
  });

  it('runs against the servers the test setup started', () => {
    const servers = inject('sendwell');
    expect(servers.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(servers.sesEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

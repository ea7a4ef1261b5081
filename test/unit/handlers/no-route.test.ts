import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { handler as noRoute } from '../../../lambdas/handlers/no-route.ts';
import { allowedMethods } from '../../../lambdas/wiring/route-match.ts';
import { ROUTES } from '../../../lambdas/wiring/routes.ts';

const event = (method: string, rawPath: string) => ({ routeKey: '$default', rawPath, requestContext: { http: { method, path: rawPath } } }) as unknown as APIGatewayProxyEventV2;

describe('the $default route', () => {
  it('answers an unknown path 404 in the error shape', async () => {
    const res = await noRoute(event('GET', '/v2/anything'));
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body!)).toMatchObject({ error: { code: 'not_found', details: [{ path: 'path' }] } });
  });

  it('answers a known path with a wrong method 405 and Allow', async () => {
    const res = await noRoute(event('PUT', '/v1/campaigns/cmp_1/cancel'));
    expect(res.statusCode).toBe(405);
    expect(res.headers?.allow).toBe('POST');
    expect(JSON.parse(res.body!)).toMatchObject({ error: { code: 'method_not_allowed' } });
  });

  it('lists every method of a path, HEAD with a public GET only (the routes that take it: routes.ts answersHead)', () => {
    expect(allowedMethods(ROUTES, '/v1/recipients/rcp_1')).toEqual(['DELETE', 'GET', 'PATCH']);
    expect(allowedMethods(ROUTES, '/o/tok.gif')).toEqual(['GET', 'HEAD']);
    expect(allowedMethods(ROUTES, '/u/tok')).toEqual(['GET', 'HEAD', 'POST']);
    expect(allowedMethods(ROUTES, '/v1/recipients/rcp_1/x')).toEqual([]);
  });

  it('never advertises a method it then refuses: a HEAD it is asked is not in its Allow', async () => {
    const res = await noRoute(event('HEAD', '/v1/topics'));
    expect(res.statusCode).toBe(405);
    expect(res.headers?.allow).toBe('GET, POST');
  });

  it('is what the admin function answers for an event of no route of its own', async () => {
    const { handler: admin } = await import('../../../lambdas/handlers/admin.ts');
    const res = (await admin(event('DELETE', '/v1/topics'), {} as Context)) as { statusCode: number; headers: Record<string, string> };
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, POST');
  });
});

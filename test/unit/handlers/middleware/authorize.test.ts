import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { refusal } from '../../../../lambdas/handlers/middleware/authorize.ts';
import { adminRoute } from '../../../../lambdas/handlers/middleware/admin-route.ts';
import { json } from '../../../../lambdas/handlers/middleware/http.ts';
import { IAM_AUTHORIZER, jwtAuthorizer } from '../../../../local/gateway.ts';

const event = (routeKey: string, authorizer?: unknown, body?: string): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey,
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: { http: { method: routeKey.split(' ')[0], path: '/' }, ...(authorizer ? { authorizer } : {}) },
    isBase64Encoded: false,
    ...(body !== undefined ? { body } : {}),
  }) as unknown as APIGatewayProxyEventV2;

const context = { functionName: 't', awsRequestId: 'r', invokedFunctionArn: 'arn:aws:lambda:us-east-1:0:function:t', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

describe('refusal', () => {
  it('lets a caller with one of the route’s roles through, and admin everywhere', () => {
    expect(refusal(event('GET /v1/recipients/{id}/export', jwtAuthorizer('p', ['privacy'])))).toBeUndefined();
    expect(refusal(event('GET /v1/recipients/{id}/export', IAM_AUTHORIZER))).toBeUndefined();
    expect(refusal(event('POST /v1/messages', IAM_AUTHORIZER))).toBeUndefined();
  });

  it('refuses a caller without one, naming the route and the roles that may', () => {
    const refused = refusal(event('GET /v1/recipients/{id}/export', jwtAuthorizer('m', ['marketing'])));
    expect(refused?.code).toBe('forbidden');
    expect(refused?.message).toBe('GET /v1/recipients/{id}/export needs one of the roles admin, privacy; the caller has marketing.');
  });

  it('a caller with no role: only GET /v1/me', () => {
    expect(refusal(event('GET /v1/me', jwtAuthorizer('n', [])))).toBeUndefined();
    expect(refusal(event('GET /v1/topics', jwtAuthorizer('n', [])))?.message).toMatch(/no role/);
    // No authorizer context at all on a data route: refused too.
    expect(refusal(event('GET /v1/topics'))?.code).toBe('forbidden');
  });

  it('an event for a route the table does not have is refused (fail closed)', () => {
    expect(refusal(event('GET /v1/secret', IAM_AUTHORIZER))?.code).toBe('forbidden');
  });

  it('the ops page shell: served without credentials (it holds no data), else checked like any route', () => {
    expect(refusal(event('GET /ops'))).toBeUndefined();
    expect(refusal(event('GET /ops', jwtAuthorizer('o', ['ops'])))).toBeUndefined();
    expect(refusal(event('GET /ops', jwtAuthorizer('m', ['marketing'])))?.code).toBe('forbidden');
  });

  it('public routes need nothing', () => {
    expect(refusal(event('GET /health'))).toBeUndefined();
  });
});

describe('adminRoute', () => {
  const handler = adminRoute({}, async () => json(200, { ok: true }));

  it('answers 403 with the error shape before the implementation runs', async () => {
    const res = (await handler(event('POST /v1/marketing/pause', jwtAuthorizer('m', ['marketing']), '{not json'), context)) as { statusCode: number; body: string };
    // Refused before the (broken) body is parsed: a 403, not a 400.
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: 'forbidden', message: 'POST /v1/marketing/pause needs one of the roles admin, ops; the caller has marketing.', details: [] },
    });
  });

  it('runs the implementation for a caller who may', async () => {
    const res = (await handler(event('POST /v1/marketing/pause', jwtAuthorizer('o', ['ops'])), context)) as { statusCode: number };
    expect(res.statusCode).toBe(200);
  });
});

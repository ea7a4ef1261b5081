import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { httpRoute, json, parsePart } from '../../../../lambdas/handlers/middleware/http.ts';
import { SendwellError } from '../../../../lambdas/domain/errors.ts';

const context = {
  functionName: 'test',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
  memoryLimitInMB: '128',
  getRemainingTimeInMillis: () => 1000,
} as unknown as Context;

const event = (over: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'POST /x/{id}',
    rawPath: '/x/1',
    rawQueryString: '',
    headers: { 'Content-Type': 'application/json' },
    requestContext: { http: { method: 'POST', path: '/x/1' } },
    isBase64Encoded: false,
    ...over,
  }) as APIGatewayProxyEventV2;

const handler = httpRoute(
  {
    body: z.object({ name: z.string().min(1), to: z.object({ email: z.email() }) }),
    params: z.object({ id: z.string().regex(/^\d+$/) }),
  },
  async ({ body, params }) => json(201, { id: params.id, name: body.name }),
);

const parse = (r: unknown) => {
  const res = r as { statusCode: number; body: string };
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
};

describe('httpRoute', () => {
  it('hands the parsed body and path parameters to the implementation', async () => {
    const res = parse(await handler(event({ body: '{"name":"a","to":{"email":"a@b.example"}}', pathParameters: { id: '1' } }), context));
    expect(res).toEqual({ status: 201, body: { id: '1', name: 'a' } });
  });

  it('answers 400 naming each bad field', async () => {
    const res = parse(await handler(event({ body: '{"name":"","to":{"email":"nope"}}', pathParameters: { id: '1' } }), context));
    expect(res.status).toBe(400);
    const error = res.body.error as { code: string; details: Array<{ path: string }> };
    expect(error.code).toBe('validation_failed');
    expect(error.details.map((d) => d.path).sort()).toEqual(['name', 'to.email']);
  });

  it('names the field inside a union the value has the shape of, not just the union', () => {
    const cond = z.object({ field: z.string(), op: z.enum(['eq', 'in']) }).strict();
    const schema = z.object({ if: z.union([z.object({ clicked: z.string() }).strict(), cond, z.object({ all: z.array(cond) }).strict()]) });
    const details = (value: unknown) => {
      try {
        parsePart(schema, value, 'body');
      } catch (e) {
        return (e as SendwellError).details;
      }
      throw new Error('parsed');
    };
    expect(details({ if: { all: [{ field: 'country', op: 'equals' }] } })).toEqual([{ path: 'if.all.0.op', message: expect.stringContaining('"eq"') }]);
    // None of the shapes: the union itself is named.
    expect(details({ if: 'x' })).toEqual([{ path: 'if', message: 'Invalid input' }]);
  });

  it('answers 400 for a bad path parameter, with the place named', async () => {
    const res = parse(await handler(event({ body: '{"name":"a","to":{"email":"a@b.example"}}', pathParameters: { id: 'x' } }), context));
    expect(res.status).toBe(400);
    expect((res.body.error as { details: Array<{ path: string }> }).details[0]?.path).toBe('path.id');
  });

  it('answers 400 for a body that is not JSON, and 415 for another content type', async () => {
    expect(parse(await handler(event({ body: '{"name":', pathParameters: { id: '1' } }), context)).status).toBe(400);
    const res = parse(await handler(event({ body: 'name=a', headers: { 'content-type': 'text/plain' }, pathParameters: { id: '1' } }), context));
    expect(res.status).toBe(415);
    expect((res.body.error as { code: string }).code).toBe('unsupported_media_type');
  });

  it('maps a domain error to its status and code', async () => {
    const h = httpRoute({}, async () => {
      throw new SendwellError('not_found', 'No recipient r_9.');
    });
    expect(parse(await h(event(), context))).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'No recipient r_9.', details: [] } } });
  });

  it('answers 500 without internals for anything else', async () => {
    const h = httpRoute({}, async () => {
      throw new Error('connect ECONNREFUSED 10.1.2.3:8000 secret-table-name');
    });
    const res = parse(await h(event(), context));
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|secret-table-name|10\.1\.2\.3/);
    expect((res.body.error as { code: string }).code).toBe('internal');
  });
});

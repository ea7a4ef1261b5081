/**
 * The HTTP edge every API handler goes through: logging context, header normalization, JSON body and query parsing
 * with zod, flushing the invocation's CloudWatch metrics, and the mapping of errors to `{"error": {"code", "message", "details"}}`. Handlers stay a few lines:
 * parsed input in, one domain call, a response out.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { ERROR_STATUS, SendwellError, isSendwellError, type ErrorDetail } from '../../domain/errors.ts';
import { logger } from '../../adapters/logger.ts';
import { flushMetrics } from '../../adapters/metrics.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface HttpRequest<B, Q, P> {
  readonly body: B;
  readonly query: Q;
  readonly params: P;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly event: HttpEvent;
  readonly context: Context;
}

export interface RouteSchemas<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  readonly body?: B;
  readonly query?: Q;
  readonly params?: P;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } as const;

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** The error body every 4xx and 5xx of the admin API carries. */
export function errorBody(code: string, message: string, details: readonly ErrorDetail[] = []) {
  return { error: { code, message, details } };
}

const zodDetails = (issues: readonly z.core.$ZodIssue[], prefix: string): ErrorDetail[] =>
  issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'), message: i.message }));

function parsePart<S extends z.ZodType>(schema: S | undefined, value: unknown, where: string): z.infer<S> {
  if (!schema) return value as z.infer<S>;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new SendwellError('validation_failed', `The request ${where} is not valid.`, zodDetails(result.error.issues, where === 'body' ? '' : where));
  }
  return result.data;
}

function readJsonBody(event: HttpEvent): unknown {
  if (event.body === undefined || event.body === '') return undefined;
  const type = event.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new SendwellError('unsupported_media_type', 'Send the body as JSON with `Content-Type: application/json`.');
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new SendwellError('bad_request', 'The request body is not valid JSON.', [{ message: (e as Error).message }]);
  }
}

/** Turns every thrown value into the error shape; a 5xx never carries internals. */
const errorResponder = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  name: 'sendwell-error-responder',
  onError: (request) => {
    const err = request.error;
    if (isSendwellError(err)) {
      request.response = json(ERROR_STATUS[err.code], errorBody(err.code, err.message, err.details));
      return;
    }
    logger.error('unhandled error', { error: err as Error });
    request.response = json(500, errorBody('internal', 'Something went wrong on our side. The request can be retried.'));
  },
});

/**
 * Wraps a route implementation in the HTTP edge. `guard` runs after error mapping is in place and before any input
 * is parsed (`adminRoute` passes the role check).
 *
 * @example
 * export const handler = httpRoute({ params: z.object({ id: z.string() }) }, async ({ params }) => json(200, await get(params.id)));
 */
export function httpRoute<
  B extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  P extends z.ZodType = z.ZodUnknown,
>(
  schemas: RouteSchemas<B, Q, P>,
  impl: (req: HttpRequest<z.infer<B>, z.infer<Q>, z.infer<P>>) => Promise<HttpResult>,
  guard?: MiddlewareObj<HttpEvent, HttpResult>,
) {
  const chain = middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use(flushMetrics())
    .use(errorResponder());
  if (guard) chain.use(guard);
  return chain.handler(async (event, context) => {
      const body = parsePart(schemas.body, schemas.body ? readJsonBody(event) : undefined, 'body');
      const query = parsePart(schemas.query, event.queryStringParameters ?? {}, 'query');
      const params = parsePart(schemas.params, event.pathParameters ?? {}, 'path');
      return impl({ body, query, params, headers: event.headers, event, context });
    });
}

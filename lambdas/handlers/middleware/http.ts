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
import { JSON_LIMITS, readJson } from '../../domain/json-input.ts';
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

/** The raw bytes of the request body (a file upload): base64-decoded when API Gateway sent it so. */
export function bodyBytes(event: HttpEvent): Buffer {
  if (event.body === undefined || event.body === '') return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** The error body every 4xx and 5xx of the admin API carries. */
export function errorBody(code: string, message: string, details: readonly ErrorDetail[] = []) {
  return { error: { code, message, details } };
}

/** Body fields are named from the top (`to.email`), query and path fields with their part (`query.limit`); the body as a whole is `body`. */
const zodDetails = (issues: readonly z.core.$ZodIssue[], prefix: string): ErrorDetail[] =>
  issues.flatMap(closest).map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || 'body', message: i.message }));

/**
 * A union none of whose shapes matched says only "Invalid input" at the union: a typo deep in a segment rule would
 * name the whole rule. Report instead the issues of the shape the value has (its keys and types match, something
 * inside does not), the one whose issues reach deepest; when the value has none of the shapes, the union's own issue.
 */
function closest(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return [issue];
  const at = issue.path.length;
  const notThisShape = (i: z.core.$ZodIssue) => (i.code === 'invalid_type' && i.path.length <= at + 1) || (i.code === 'invalid_value' && i.path.length === at);
  const options = issue.errors
    .map((option) => option.map((i) => ({ ...i, path: [...issue.path, ...i.path] })).flatMap(closest))
    .filter((o) => o.length > 0 && !o.some(notThisShape));
  const depth = (o: z.core.$ZodIssue[]) => Math.max(...o.map((i) => i.path.length));
  const best = options.sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0];
  return best ?? [issue];
}

export function parsePart<S extends z.ZodType>(schema: S | undefined, value: unknown, where: string): z.infer<S> {
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
  // The one JSON reading step: size, depth, string length and the number rule, the same for every route.
  return readJson(text, JSON_LIMITS, 'body');
}

/**
 * AWS errors a caller's request can cause on its own, mapped to what they mean for it. A conditional write or
 * transaction that lost a race with another request on the same item (two `schedule` calls at once) is a 409: the
 * caller reads again and decides. A `ValidationException` from DynamoDB on input that passed our schemas (an item
 * over 400 KB) is the caller's input too, answered without internals; the cause stays in the log.
 */
function awsErrorFor(err: unknown): SendwellError | undefined {
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'ConditionalCheckFailedException' || name === 'TransactionConflictException') {
    return new SendwellError('conflict', 'Another request changed the same record at the same time; read it again and retry if it still applies.');
  }
  if (name === 'TransactionCanceledException') {
    const reasons = ((err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map((r) => r.Code);
    if (reasons.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict')) {
      return new SendwellError('conflict', 'Another request changed the same record at the same time; read it again and retry if it still applies.');
    }
  }
  if (name === 'ValidationException' && /size has exceeded|Item size|too large/i.test((err as Error).message ?? '')) {
    return new SendwellError('payload_too_large', 'The record this request would store is larger than the store takes (400 KB); send less.');
  }
  return undefined;
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
    const mapped = awsErrorFor(err);
    if (mapped) {
      logger.warn('request lost a race or broke a store limit', { error: err as Error });
      request.response = json(ERROR_STATUS[mapped.code], errorBody(mapped.code, mapped.message, mapped.details));
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

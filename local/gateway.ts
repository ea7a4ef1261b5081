/**
 * The local stand-in for API Gateway (HTTP API, payload format 2.0). It serves the route table of
 * `lambdas/wiring/routes.ts` by calling the very handler modules CDK deploys, with the event and context shapes
 * Lambda gives them. Admin routes take a bearer key in place of API Gateway's authorizers: the local admin key stands
 * for IAM (SigV4) auth, a role key for a console user's Cognito ID token (JWT authorizer), each turned into the
 * authorizer context API Gateway would hand the Lambda.
 */
import { asFunction } from './table-access-guard.ts';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { answersHead, CONSOLE_PROXY_KEY, consoleProxied, routeKey, routeKeysOf, type FunctionDef, type RouteDef } from '../lambdas/wiring/routes.ts';
import { createRouter, noRouteAnswer } from '../lambdas/wiring/route-match.ts';

export type LocalRole = 'marketing' | 'ops' | 'privacy';
export const LOCAL_ROLES: readonly LocalRole[] = ['marketing', 'ops', 'privacy'];

export interface LocalUser {
  readonly key: string;
  /** The user's name; the token's `email` is `<name>@local.invalid`. */
  readonly name: string;
  readonly groups: readonly string[];
}

export type HttpLambda = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export interface GatewayOptions {
  readonly routes: readonly RouteDef[];
  readonly functions: Readonly<Record<string, FunctionDef>>;
  readonly handlers: Readonly<Record<string, HttpLambda>>;
  readonly adminKey: string;
  /** A key per console role: the request is a console user in that Cognito group (JWT authorizer context). */
  readonly roleKeys?: Partial<Record<LocalRole, string>>;
  /**
   * Further console users by key, with any groups (none, several, names that are not roles): for tests of what a
   * token with such groups may do.
   *
   * @default - none
   */
  readonly users?: readonly LocalUser[];
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
  /** Static sites served beside the routes (the console): requests to `prefix` or below go to `handle`. */
  readonly staticSites?: readonly StaticSite[];
}

/** A static site of the local gateway. Its files are public; it holds no data (its API calls need the key). */
export interface StaticSite {
  /** `/console`: serves `/console` and everything under `/console/`. */
  readonly prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface RunningGateway {
  readonly url: string;
  readonly server: Server;
  /** `METHOD /path` of every route this gateway serves. */
  readonly routeKeys: readonly string[];
  stop(): Promise<void>;
}

/** API Gateway's payload limit for HTTP APIs. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The bearer key of the request, if it sent one. */
const bearerOf = (header: string | undefined): string | undefined => /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];

/** Compares digests (equal length) in constant time, so a wrong key's timing says nothing about the right one. */
const sameKey = (given: string, key: string): boolean => timingSafeEqual(digest(given), digest(key));

/** What API Gateway's IAM authorizer hands the Lambda for a SigV4 request (payload format 2.0). */
export const IAM_AUTHORIZER = {
  iam: {
    accessKey: 'local',
    accountId: '000000000000',
    callerId: 'local-admin',
    principalOrgId: null,
    userArn: 'arn:aws:iam::000000000000:user/local-admin',
    userId: 'local-admin',
    cognitoIdentity: null,
  },
} as const;

/**
 * What API Gateway's JWT authorizer hands the Lambda for a Cognito ID token (payload format 2.0): every claim as a
 * string, and an array claim such as `cognito:groups` as one bracketed, space-separated string (`[marketing ops]`).
 * An ID token has no `scope` claim, so `scopes` is null.
 */
export function jwtAuthorizer(name: string, groups: readonly string[], now = new Date()): Record<string, unknown> {
  const iat = Math.floor(now.getTime() / 1000);
  // A stable subject per user, shaped like Cognito's (a UUID).
  const sub = createHash('sha256').update(`sendwell-local-user:${name}`).digest('hex').replace(/^(.{8})(.{4})(.{3})(.{3})(.{12}).*$/, '$1-$2-4$3-8$4-$5');
  return {
    jwt: {
      claims: {
        aud: 'sendwell-local-console',
        auth_time: String(iat),
        ...(groups.length ? { 'cognito:groups': `[${groups.join(' ')}]` } : {}),
        'cognito:username': name,
        email: `${name}@local.invalid`,
        email_verified: 'true',
        exp: String(iat + 3600),
        iat: String(iat),
        iss: 'https://cognito-idp.local.invalid/sendwell-local',
        sub,
        token_use: 'id',
      },
      scopes: null,
    },
  };
}

/** The authorizer context for a bearer key, or undefined when it is none of the keys. Every key is compared. */
function authorize(header: string | undefined, options: GatewayOptions): Record<string, unknown> | undefined {
  const given = bearerOf(header);
  if (given === undefined) return undefined;
  const holders: Array<{ key: string; context: () => Record<string, unknown> }> = [
    { key: options.adminKey, context: () => IAM_AUTHORIZER },
    ...LOCAL_ROLES.flatMap((role) => {
      const key = options.roleKeys?.[role];
      return key ? [{ key, context: () => jwtAuthorizer(role, [role]) }] : [];
    }),
    ...(options.users ?? []).map((user) => ({ key: user.key, context: () => jwtAuthorizer(user.name, user.groups) })),
  ];
  // Every key is compared (no early exit), the first match wins.
  const matches = holders.filter((h) => sameKey(given, h.key));
  return matches[0]?.context();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error('payload too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const isUtf8 = (bytes: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** The event the console API's proxy route makes of a request: its route key, and the path after `/v1/` as `proxy`. */
function asProxied(event: APIGatewayProxyEventV2, path: string): APIGatewayProxyEventV2 {
  return { ...event, routeKey: CONSOLE_PROXY_KEY, pathParameters: { proxy: path.slice('/v1/'.length) }, requestContext: { ...event.requestContext, routeKey: CONSOLE_PROXY_KEY } };
}

const TEXT_TYPES = /^(?:text\/|application\/(?:json|x-www-form-urlencoded|xml|javascript)|[^;]*\+json|[^;]*\+xml)/i;

/** Builds the API Gateway v2 event for one request, with API Gateway's conventions (comma-joined repeats). */
export function toEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  route: RouteDef,
  pathParameters: Record<string, string>,
  authorizer: Record<string, unknown> | undefined,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/).filter(Boolean));
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const contentType = headers['content-type'] ?? '';
  // A text type whose bytes are not UTF-8 (a Latin-1 CSV) goes as base64, so the handler sees the bytes sent.
  const isText = body.length === 0 || (TEXT_TYPES.test(contentType) && isUtf8(body));
  const now = new Date();
  // A HEAD is served by its GET route's function under a route key of its own, as on AWS (routes.ts answersHead).
  const key = (req.method ?? '').toUpperCase() === 'HEAD' ? `HEAD ${route.path}` : routeKey(route);
  return {
    version: '2.0',
    routeKey: key,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        // The request's own method: a HEAD routed to a GET route still says HEAD (link checkers, scanners).
        method: (req.method ?? route.method).toUpperCase(),
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: key,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(authorizer ? { authorizer } : {}),
    },
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  } as APIGatewayProxyEventV2;
}

function lambdaContext(name: string, def: FunctionDef, requestId: string): Context {
  const deadline = Date.now() + (def.timeoutSeconds ?? 10) * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `sendwell-local-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:sendwell-local-${name}`,
    memoryLimitInMB: String(def.memorySize ?? 256),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/sendwell-local-${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(body);
}

/** Writes a Lambda result back the way API Gateway does (payload 2.0: a bare value becomes a 200 JSON body). */
function writeResult(res: ServerResponse, result: APIGatewayProxyResultV2) {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    send(res, 200, typeof result === 'string' ? result : JSON.stringify(result));
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

const unauthorized = JSON.stringify({
  error: {
    code: 'unauthorized',
    message: 'Send the local admin key as `Authorization: Bearer <key>` (see `.sendwell/admin-key`), or a role key (`.sendwell/role-keys.json`).',
    details: [],
  },
});

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const host = options.host ?? '127.0.0.1';
  const route = createRouter(options.routes);
  const log = options.log ?? (() => undefined);

  const server = createServer(async (req, res) => {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    let found: ReturnType<typeof route>;
    let status = 500;
    try {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? host}`);
      const site = options.staticSites?.find((s) => url.pathname === s.prefix || url.pathname.startsWith(`${s.prefix}/`));
      if (site) {
        await site.handle(req, res);
        status = res.statusCode;
        return;
      }
      found = route(method === 'HEAD' ? 'GET' : method, url.pathname);
      // Only a route that takes HEAD on AWS takes it here (a public GET route); any other HEAD is what `$default` answers.
      if (found && method === 'HEAD' && !answersHead(found.route)) found = undefined;
      if (!found) {
        // What the `$default` route answers on AWS (lambdas/handlers/no-route.ts): the error shape, 405 with Allow.
        const answer = noRouteAnswer(options.routes, method, url.pathname);
        status = answer.status;
        return send(res, answer.status, JSON.stringify(answer.body), answer.headers);
      }
      let authorizer: Record<string, unknown> | undefined;
      if (found.route.auth === 'admin') {
        authorizer = authorize(req.headers.authorization, options);
        // A shell page holds no data (routes.ts `shell`): served without a key, its API calls need one.
        if (!authorizer && found.route.shell !== true) {
          status = 401;
          return send(res, 401, unauthorized, { 'www-authenticate': 'Bearer realm="sendwell-local"' });
        }
      }
      const body = await readBody(req);
      const built = toEvent(req, url, body, found.route, found.params, authorizer);
      // A console user's call of the admin function reaches it as through the console API's proxy route on AWS
      // (routes.ts CONSOLE_PROXY_KEY): the function finds the route itself.
      const event = authorizer && 'jwt' in authorizer && consoleProxied(found.route) ? asProxied(built, url.pathname) : built;
      const fn = options.handlers[found.route.fn];
      const def = options.functions[found.route.fn];
      if (!fn || !def) throw new Error(`No handler loaded for function ${found.route.fn}`);
      const result = await fn(event, lambdaContext(found.route.fn, def, event.requestContext.requestId));
      status = typeof result === 'object' && result && 'statusCode' in result ? (result.statusCode ?? 200) : 200;
      writeResult(res, result);
    } catch (e) {
      status = (e as { status?: number }).status === 413 ? 413 : 500;
      // What API Gateway answers when the integration fails; the cause goes to the log only.
      log('gateway integration error', { route: found ? routeKey(found.route) : undefined, error: (e as Error).message });
      if (!res.headersSent) {
        send(
          res,
          status,
          JSON.stringify(
            status === 413
              ? { error: { code: 'payload_too_large', message: `The body is larger than ${MAX_BODY_BYTES} bytes, the most API Gateway takes.`, details: [{ path: 'body', message: 'too large' }] } }
              : { error: { code: 'internal', message: 'Something went wrong on our side. The request can be retried.', details: [] } },
          ),
        );
      }
    } finally {
      log('request', {
        method,
        route: found ? routeKey(found.route) : null,
        status,
        ms: Math.round(performance.now() - started),
      });
    }
  });

  // Keep idle connections longer than clients keep them (undici: 4 s; Node's server default is 5 s): on a loaded machine
  // a client reusing a socket the server is just closing gets ECONNRESET. API Gateway keeps them far longer too.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port }, () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host}:${port}`,
    server,
    routeKeys: options.routes.flatMap(routeKeysOf),
    stop: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

/** Imports each function's handler module, as Lambda would at cold start. Set the environment first. */
export async function loadHandlers(functions: Readonly<Record<string, FunctionDef>>, root: string): Promise<Record<string, HttpLambda>> {
  const entries = await Promise.all(
    Object.entries(functions).map(async ([key, def]) => {
      const mod = (await import(pathToFileURL(resolve(root, def.entry)).href)) as { handler?: HttpLambda };
      if (typeof mod.handler !== 'function') throw new Error(`${def.entry} does not export a handler`);
      // Its table calls are checked against the function's grants, as IAM checks them on AWS (./table-access-guard.ts).
      return [key, asFunction(key, mod.handler)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

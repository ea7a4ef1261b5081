/**
 * The HTTP route table, defined once. `lib/http-api.ts` turns it into API Gateway (HTTP API) routes and Lambda
 * functions; `local/gateway.ts` serves the same routes with the same handler modules. A test compares the two.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `admin`: IAM (SigV4) on AWS, bearer admin key on the local stack. `public`: no login (health, token pages). */
export type RouteAuth = 'admin' | 'public';

/** What a function may touch; `lib/http-api.ts` turns each into the narrowest grant that serves it. */
export type Permission = 'tables:describe' | 'ses:account';

export interface FunctionDef {
  /** Source file, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default 10 */
  readonly timeoutSeconds?: number;
  readonly permissions: readonly Permission[];
}

export interface RouteDef {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/v1/recipients/{id}`. */
  readonly path: string;
  readonly fn: FunctionKey;
  readonly auth: RouteAuth;
  readonly operationId: string;
  readonly summary: string;
}

export const FUNCTIONS = {
  health: {
    entry: 'lambdas/handlers/get-health.ts',
    description: 'Reports whether DynamoDB and SES are reachable.',
    permissions: ['tables:describe', 'ses:account'],
  },
  openapi: {
    entry: 'lambdas/handlers/get-openapi.ts',
    description: 'Serves the admin API OpenAPI document generated from the zod schemas.',
    memorySize: 128,
    permissions: [],
  },
} as const satisfies Record<string, FunctionDef>;

export type FunctionKey = keyof typeof FUNCTIONS;

export const ROUTES: readonly RouteDef[] = [
  {
    method: 'GET',
    path: '/health',
    fn: 'health',
    auth: 'public',
    operationId: 'getHealth',
    summary: 'Whether DynamoDB and SES are reachable',
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    fn: 'openapi',
    auth: 'admin',
    operationId: 'getOpenApi',
    summary: 'This API as an OpenAPI 3.1 document',
  },
];

/** `GET /v1/recipients/{id}`: the route key API Gateway uses, and the one the local gateway reports. */
export const routeKey = (r: Pick<RouteDef, 'method' | 'path'>): string => `${r.method} ${r.path}`;

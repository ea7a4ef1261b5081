/**
 * The HTTP concern: one API Gateway HTTP API serving every route of `lambdas/wiring/routes.ts`, and one Lambda
 * function per entry of `FUNCTIONS`. Nothing here names a route or a function: a new entry in the route table is a new
 * route and function on the next deploy.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { answersHead, FUNCTIONS, ROUTES, routeKey, routeKeysOf, type FunctionDef, type RouteDef } from '../lambdas/wiring/routes.ts';
import { buildFunction, pascal, type BuildFunctionOptions, type FunctionOptions } from './functions.ts';

export type { PowertoolsLogLevel } from './functions.ts';

/**
 * `stage` also names the API; `logRetention` and `logRemovalPolicy` also apply to the access log. The functions are
 * built by `buildFunction` (lib/functions.ts).
 */
export interface HttpEndpointsProps extends FunctionOptions {
  /**
   * The functions to build, by key.
   *
   * @default FUNCTIONS from `lambdas/wiring/routes.ts`
   */
  readonly functions?: Readonly<Record<string, FunctionDef>>;
  /**
   * The routes to serve; each names a key of `functions`.
   *
   * @default ROUTES from `lambdas/wiring/routes.ts`
   */
  readonly routes?: readonly RouteDef[];
  /**
   * Base URL of the public pages, put into links in mail (`SENDWELL_PUBLIC_BASE_URL`), without a trailing slash.
   *
   * @default - this API's own `https://{id}.execute-api.{region}.amazonaws.com` endpoint
   */
  readonly publicBaseUrl?: string;
  /**
   * Steady-state requests per second and burst allowed on each route (stage default route settings). The open pixel
   * is fetched by prefetching mail clients as a campaign is delivered, so this is sized above the SES send rate.
   *
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttle?: apigwv2.ThrottleSettings;
}

/**
 * An access log line, JSON, for the HTTP APIs. Deliberately without `$context.identity.sourceIp` (IP addresses are
 * kept only in pseudonymous form, and that happens in the handlers) and without `$context.path` (public paths carry
 * signed tokens, which are credentials): the route key names the route; `caller` names who called, by what the API's
 * authorizer knows (the IAM principal here, the Cognito user's `sub` on the console API).
 */
export function accessLogFormat(caller: string, extra: Readonly<Record<string, string>> = {}): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      time: '$context.requestTimeEpoch',
      routeKey: '$context.routeKey',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationStatus: '$context.integrationStatus',
      integrationLatency: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
      error: '$context.error.message',
      authorizerError: '$context.authorizer.error',
      caller,
      ...extra,
    }),
  );
}

const ACCESS_LOG_FORMAT = accessLogFormat('$context.identity.userArn', { userAgent: '$context.identity.userAgent' });

/**
 * One HTTP API with every route of the route table, and one function per entry of `FUNCTIONS`.
 *
 * - `admin` routes: IAM (SigV4) authorization. `public` routes: none, each acknowledged by name to cdk-nag.
 * - Functions: built by `buildFunction` (lib/functions.ts): Node.js 24 on arm64, bundled locally by esbuild into
 *   minified ESM with source maps, an explicit role and log group (no AWS managed policy), X-Ray active tracing,
 *   Powertools settings in the environment, exactly the grants of their permissions.
 * - Stage `$default` with JSON access logs and default route throttling.
 *
 * @example
 * const api = new HttpEndpoints(stack, 'Api', { stage: 'dev', resources: { data, email, keys, partners, campaigns } });
 * new CfnOutput(stack, 'ApiUrl', { value: api.url });
 */
export class HttpEndpoints extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  /** The functions by their key in `functions`. */
  readonly functions: Readonly<Record<string, nodejs.NodejsFunction>>;
  /** The routes by route key (`GET /health`). */
  readonly routes: ReadonlyMap<string, apigwv2.HttpRoute>;
  readonly accessLogGroup: logs.LogGroup;
  /** `$default`: the no-route function, when `functions` has one. */
  readonly defaultRoute: apigwv2.HttpRoute | undefined;

  constructor(scope: Construct, id: string, props: HttpEndpointsProps) {
    super(scope, id);
    const functionDefs = props.functions ?? (FUNCTIONS as Readonly<Record<string, FunctionDef>>);
    const routeDefs = props.routes ?? ROUTES;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;
    checkRouteTable(functionDefs, routeDefs);

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `sendwell-${props.stage}`,
      description: `Sendwell ${props.stage}: admin API (IAM) and public recipient endpoints.`,
      // The stage is created below with access logging and throttling, which the default stage cannot take.
      createDefaultStage: false,
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: ACCESS_LOG_FORMAT,
      },
    });

    const functionOptions: BuildFunctionOptions = {
      stage: props.stage,
      resources: props.resources,
      logRetention,
      logRemovalPolicy,
      logLevel: props.logLevel,
      publicBaseUrl: props.publicBaseUrl ?? this.httpApi.apiEndpoint,
    };
    const functions: Record<string, nodejs.NodejsFunction> = {};
    for (const [key, def] of Object.entries(functionDefs)) functions[key] = buildFunction(this, key, def, functionOptions);
    this.functions = functions;

    const iamAuthorizer = new HttpIamAuthorizer();
    const noneAuthorizer = new apigwv2.HttpNoneAuthorizer();
    const integrations = new Map<string, HttpLambdaIntegration>();
    const routes = new Map<string, apigwv2.HttpRoute>();
    for (const def of routeDefs) {
      const fn = functions[def.fn]!;
      let integration = integrations.get(def.fn);
      if (!integration) {
        // One invoke permission per function and API, not one per route: a function's resource-based policy is limited
        // to 20,480 bytes, and the admin function serves dozens of routes on two APIs (test/cdk/aws-limits.test.ts).
        integration = new HttpLambdaIntegration(`${pascal(def.fn)}Integration`, fn, { scopePermissionToRoute: false });
        integrations.set(def.fn, integration);
      }
      // A public GET route takes HEAD too (answersHead): HTTP API routes by exact method, so it is a route of its own.
      const added = this.httpApi.addRoutes({
        path: def.path,
        methods: answersHead(def) ? [apigwv2.HttpMethod[def.method], apigwv2.HttpMethod.HEAD] : [apigwv2.HttpMethod[def.method]],
        integration,
        // Explicit NONE for public routes, so a default authorizer added to the API later cannot silently lock
        // recipients out of their unsubscribe links.
        authorizer: def.auth === 'admin' ? iamAuthorizer : noneAuthorizer,
      });
      if (def.auth === 'public') for (const route of added) acknowledgePublicRoute(route, def);
      routeKeysOf(def).forEach((key, i) => routes.set(key, added[i]!));
    }
    this.routes = routes;

    // Any request no route takes: API Gateway's own answer is `{"message":"Not Found"}` for every path and method; the
    // no-route function answers 404, or 405 with `Allow`, in the API's error shape.
    const noRoute = functions.noRoute;
    if (noRoute) {
      this.defaultRoute = new apigwv2.HttpRoute(this, 'DefaultRoute', {
        httpApi: this.httpApi,
        routeKey: apigwv2.HttpRouteKey.DEFAULT,
        integration: new HttpLambdaIntegration('NoRouteIntegration', noRoute, { scopePermissionToRoute: false }),
        authorizer: noneAuthorizer,
      });
      Validations.of(this.defaultRoute.node.defaultChild ?? this.defaultRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          '"$default" takes only requests no route matches and answers 404 or 405 with the route table\'s Allow header, in the API ' +
          "error shape; its function reads no table, secret or queue (no permissions, no `tables`). An authorizer would turn a wrong path into a 403.",
      });
    }
  }

  /** The API's base URL, without a trailing slash (`$default` stage serves at the root). */
  get url(): string {
    return this.httpApi.apiEndpoint;
  }
}

/** A route naming an unknown function, or two routes with the same key, fails the synth with the route named. */
function checkRouteTable(functions: Readonly<Record<string, FunctionDef>>, routes: readonly RouteDef[]): void {
  const seen = new Set<string>();
  for (const r of routes) {
    const key = routeKey(r);
    if (!Object.hasOwn(functions, r.fn)) throw new Error(`Sendwell: route "${key}" names function "${r.fn}", which is not defined.`);
    if (seen.has(key)) throw new Error(`Sendwell: route "${key}" is defined twice.`);
    seen.add(key);
  }
}

/**
 * Public routes that carry no token, each with its reviewed reason. Every other public route must take its
 * credential in the path (`{token}`); a new public route that does neither fails the synth until it is reviewed here.
 */
const TOKENLESS_PUBLIC_ROUTES: Readonly<Record<string, string>> = {
  'GET /health':
    'It answers only ok/degraded per dependency (DynamoDB, SES), no data, and uptime monitors must reach it without credentials.',
};

/** On the `AWS::ApiGatewayV2::Route` resource only, not on the integration and permission constructs below the route. */
function acknowledgePublicRoute(route: apigwv2.HttpRoute, def: RouteDef): void {
  const key = routeKey(def);
  let why: string;
  if (/\{token\}/.test(def.path)) {
    why =
      "Its callers are recipients' browsers and mail clients following a link in mail, with no AWS identity, so SigV4 cannot apply. " +
      'The {token} path parameter is the credential: the handler verifies its HMAC-SHA256 signature (keys from Secrets Manager), ' +
      'purpose and expiry before it reads or changes anything, and answers nothing else.';
  } else if (Object.hasOwn(TOKENLESS_PUBLIC_ROUTES, key)) {
    why = TOKENLESS_PUBLIC_ROUTES[key]!;
  } else {
    throw new Error(
      `Sendwell: public route "${key}" has no {token} in its path and no reviewed reason in TOKENLESS_PUBLIC_ROUTES (lib/http-api.ts). ` +
        "Make it an 'admin' route, or review why it may be open and add the reason there.",
    );
  }
  Validations.of(route.node.defaultChild ?? route).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason: `"${key}" (${def.summary}) is public by design: auth 'public' in lambdas/wiring/routes.ts. ${why} Throttled by the stage default route settings.`,
  });
}

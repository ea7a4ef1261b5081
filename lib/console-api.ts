/**
 * The console's API: the admin routes of `lambdas/wiring/routes.ts` again, behind a Cognito JWT authorizer, on the very
 * functions the IAM API runs. The console reaches it same-origin through CloudFront (`/v1/*`, lib/console-site.ts).
 * The admin function's `/v1/…` routes are one proxy route here (`ANY /v1/{proxy+}`, routes.ts `CONSOLE_PROXY_KEY`):
 * the function finds the route by method and path; the routes of other functions keep a route each.
 *
 * Why a second HTTP API and not JWT routes on the first: an HTTP API route has exactly one authorizer, and a route key
 * (`GET /v1/topics`) exists once per API. Keeping `/v1/...` paths unchanged is what lets the handlers find their route
 * by `event.routeKey` whoever calls; a prefix (`/console/v1/...`) on the same API would give the same handler two route
 * keys. Two APIs keep the IAM API exactly as it was (SigV4 callers, the CLI) and give each caller kind its own
 * authorizer, access log and throttling.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONSOLE_PROXY_KEY, consoleProxied, consoleRoutes, routeKey, type RouteDef } from '../lambdas/wiring/routes.ts';
import { pascal } from './functions.ts';
import { accessLogFormat } from './http-api.ts';

/** The access log line, JSON, like the IAM API's: `caller` is the Cognito user's `sub` (a pseudonymous id), never the email address. */
const ACCESS_LOG_FORMAT = accessLogFormat('$context.authorizer.claims.sub');

export interface ConsoleApiProps {
  /** Deployment stage; names the API. */
  readonly stage: string;
  /** The functions of the IAM API by key (`HttpEndpoints.functions`): each console route targets the same one. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The pool whose tokens are accepted (issuer) and the console client they must be issued to (audience). */
  readonly userPool: cognito.IUserPool;
  readonly client: cognito.IUserPoolClient;
  /**
   * The routes to mirror.
   *
   * @default consoleRoutes(ROUTES)
   */
  readonly routes?: readonly RouteDef[];
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Requests per second and burst on each route. People click; they do not send campaigns.
   *
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: apigwv2.ThrottleSettings;
}

/**
 * A second HTTP API with a JWT authorizer (issuer: the user pool, audience: the console client) on every route, and no
 * function of its own: each route integrates with the function its IAM twin uses.
 *
 * @example
 * const consoleApi = new ConsoleApi(stack, 'ConsoleApi', { stage, functions: api.functions, userPool, client });
 */
export class ConsoleApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly authorizer: HttpUserPoolAuthorizer;
  /** The routes by route key (`GET /v1/topics`). */
  readonly routes: ReadonlyMap<string, apigwv2.HttpRoute>;
  readonly accessLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ConsoleApiProps) {
    super(scope, id);
    const routeDefs = props.routes ?? consoleRoutes();

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `sendwell-${props.stage}-console`,
      description: `Sendwell ${props.stage}: the admin routes for console users (Cognito JWT), reached through the console's CloudFront distribution.`,
      createDefaultStage: false,
    });
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup), format: ACCESS_LOG_FORMAT },
    });

    // Issuer https://cognito-idp.<region>.amazonaws.com/<pool id>, audience the console client: API Gateway checks the
    // signature, expiry, issuer and `aud` (ID token) or `client_id` (access token) before any function runs.
    this.authorizer = new HttpUserPoolAuthorizer('CognitoAuthorizer', props.userPool, {
      userPoolClients: [props.client],
      authorizerName: 'console-users',
    });

    const integrations = new Map<string, HttpLambdaIntegration>();
    const integrationOf = (key: string, fn: lambda.IFunction) => {
      let integration = integrations.get(key);
      if (!integration) {
        // One invoke permission per function and API (see lib/http-api.ts).
        integration = new HttpLambdaIntegration(`Console${pascal(key)}Integration`, fn, { scopePermissionToRoute: false });
        integrations.set(key, integration);
      }
      return integration;
    };
    const routes = new Map<string, apigwv2.HttpRoute>();
    const functionOf = (def: RouteDef) => {
      if (def.auth !== 'admin') throw new Error(`Sendwell: console route "${routeKey(def)}" is not an admin route.`);
      const fn = props.functions[def.fn];
      if (!fn) throw new Error(`Sendwell: console route "${routeKey(def)}" names function "${def.fn}", which the IAM API did not build.`);
      return fn;
    };
    // The admin function's /v1 routes through one proxy route (routes.ts CONSOLE_PROXY_KEY: it finds each route by
    // method and path); the others, a route each. A more specific route wins over the proxy on API Gateway.
    for (const def of routeDefs.filter((d) => !consoleProxied(d))) {
      const [route] = this.httpApi.addRoutes({ path: def.path, methods: [apigwv2.HttpMethod[def.method]], integration: integrationOf(def.fn, functionOf(def)), authorizer: this.authorizer });
      routes.set(routeKey(def), route!);
    }
    const proxiedDefs = routeDefs.filter(consoleProxied);
    if (proxiedDefs.length > 0) {
      const admin = functionOf(proxiedDefs[0]!);
      const route = new apigwv2.HttpRoute(this, 'AdminProxyRoute', {
        httpApi: this.httpApi,
        routeKey: apigwv2.HttpRouteKey.with(CONSOLE_PROXY_KEY.split(' ')[1]!, apigwv2.HttpMethod.ANY),
        integration: integrationOf('admin', admin),
        authorizer: this.authorizer,
      });
      routes.set(CONSOLE_PROXY_KEY, route);
    }
    this.routes = routes;

    // A console call no route takes: 404 or 405 in the error shape, behind the same authorizer (lib/http-api.ts).
    const noRoute = props.functions.noRoute;
    if (noRoute) {
      new apigwv2.HttpRoute(this, 'DefaultRoute', {
        httpApi: this.httpApi,
        routeKey: apigwv2.HttpRouteKey.DEFAULT,
        integration: new HttpLambdaIntegration('ConsoleNoRouteIntegration', noRoute, { scopePermissionToRoute: false }),
        authorizer: this.authorizer,
      });
    }
  }

  /** `https://<id>.execute-api.<region>.amazonaws.com`, no trailing slash. */
  get url(): string {
    return this.httpApi.apiEndpoint;
  }
}

/**
 * The local gateway and the deployed API must be the same list of routes: synthesize the CDK stack, read the
 * `AWS::ApiGatewayV2::Route` resources from the template, and compare them with what the local gateway serves,
 * both its list and its answers (a route the gateway does not know gets API Gateway's `{"message":"Not Found"}`).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startImportEngine, type ImportEngine } from '../../local/import-engine.ts';
import { synthTemplate } from '../cdk/synth.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { ROUTES } from '../../lambdas/wiring/routes.ts';
import type { CfnElement } from 'aws-cdk-lib';

let gw: TestGateway;
let imports: ImportEngine | undefined;
beforeAll(async () => {
  // POST /v1/imports hands its chunks to the import queue: the local one, as npm start runs it.
  const servers = inject('sendwell');
  imports = await startImportEngine({ dynamodbEndpoint: servers.dynamodbEndpoint, table: `${servers.tablePrefix}-local-queues`, queuePrefix: 'route-parity' });
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
  await imports?.stop();
});

// The routes and their auth do not depend on the functions' code: the synth skips bundling them (as aws-limits.test.ts does),
// which alone took over a minute on a busy machine. test/cdk synthesizes the bundled app.
const ROUTES_ONLY = { 'aws:cdk:bundling-stacks': [] };

describe('route parity between the CDK stack and the local gateway', () => {
  it('deploys exactly the routes the local gateway serves', { timeout: 240_000 }, () => {
    const deployed = synthTemplate(ROUTES_ONLY).routeKeys;
    expect(deployed.length).toBeGreaterThan(0);
    expect([...gw.routeKeys].sort()).toEqual(deployed);
  });

  it('answers every deployed route locally (never the gateway 404)', async () => {
    for (const key of synthTemplate(ROUTES_ONLY).routeKeys) {
      const [method, path] = key.split(' ') as [string, string];
      const concrete = path.replace(/\{(\w+)\+?\}/g, 'x1');
      const res = await gw.call(concrete, { method, admin: true, ...(['GET', 'HEAD', 'DELETE'].includes(method) ? {} : { body: '{}', headers: { 'content-type': 'application/json' } }) });
      const text = await res.text();
      expect({ key, notFoundByGateway: res.status === 404 && text === '{"message":"Not Found"}' }).toEqual({ key, notFoundByGateway: false });
    }
  });

  it('keeps IAM auth on exactly the admin routes', () => {
    const { template, stack } = synthTemplate(ROUTES_ONLY);
    // The console API (lib/console-api.ts) has the admin route keys again, behind its JWT authorizer: look at the IAM API's own.
    const iamApi = { Ref: stack.getLogicalId(stack.api.httpApi.node.defaultChild as CfnElement) };
    for (const route of ROUTES) {
      const found = template.findResources('AWS::ApiGatewayV2::Route', { Properties: { ApiId: iamApi, RouteKey: `${route.method} ${route.path}` } });
      expect({ route: route.path, found: Object.keys(found).length }).toEqual({ route: route.path, found: 1 });
      const props = Object.values(found)[0]?.Properties as { AuthorizationType?: string } | undefined;
      expect({ route: route.path, auth: props?.AuthorizationType }).toEqual({ route: route.path, auth: route.auth === 'admin' ? 'AWS_IAM' : 'NONE' });
    }
  });
});

/**
 * The synthesized Sendwell template against the shared wiring: every table, function and route the wiring defines is
 * there with the settings Sendwell promises, and nothing else is routed or granted.
 */
import { describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { FUNCTIONS, ROUTES, routeKey, type FunctionDef, type Permission } from '../../lambdas/wiring/routes.ts';
import { TABLES, TABLE_LIST, type TableKey } from '../../lambdas/wiring/tables.ts';
import { synthTemplate } from './synth.ts';

const synth = synthTemplate();
const { template, json, stack } = synth;
const FUNCTION_DEFS = Object.entries(FUNCTIONS as Readonly<Record<string, FunctionDef>>);

const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const resourcesOfType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

describe('data tables', () => {
  it('has one DynamoDB table per entry of TABLE_LIST and no other', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', TABLE_LIST.length);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  describe.each(Object.entries(TABLES) as [TableKey, (typeof TABLES)[TableKey]][])('%s', (key, def) => {
    const id = logicalId(stack.data.tables[key]);
    const table = json.Resources[id]!;
    const props = table.Properties;

    it('is on-demand with the generic string keys', () => {
      expect(table.Type).toBe('AWS::DynamoDB::GlobalTable');
      expect(props.BillingMode).toBe('PAY_PER_REQUEST');
      expect(props.KeySchema).toEqual([
        { AttributeName: def.partitionKey, KeyType: 'HASH' },
        ...(def.sortKey ? [{ AttributeName: def.sortKey, KeyType: 'RANGE' }] : []),
      ]);
      const keyNames = new Set([def, ...def.indexes].flatMap((k) => [k.partitionKey, k.sortKey].filter(Boolean)));
      expect(props.AttributeDefinitions).toEqual(
        expect.arrayContaining([...keyNames].map((n) => ({ AttributeName: n, AttributeType: 'S' }))),
      );
      expect(props.AttributeDefinitions).toHaveLength(keyNames.size);
    });

    it('has point-in-time recovery and KMS encryption', () => {
      expect(props.Replicas).toHaveLength(1);
      expect(props.Replicas[0].PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 });
      expect(props.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    });

    it('has exactly its indexes, each projecting all attributes', () => {
      const expected = def.indexes.map((i) => ({
        IndexName: i.name,
        KeySchema: [
          { AttributeName: i.partitionKey, KeyType: 'HASH' },
          ...(i.sortKey ? [{ AttributeName: i.sortKey, KeyType: 'RANGE' }] : []),
        ],
        Projection: { ProjectionType: 'ALL' },
      }));
      expect(props.GlobalSecondaryIndexes ?? []).toEqual(expected);
    });

    it('has TTL and a stream exactly where defined', () => {
      const ttl = 'ttlAttribute' in def ? def.ttlAttribute : undefined;
      expect(props.TimeToLiveSpecification).toEqual(ttl ? { AttributeName: ttl, Enabled: true } : undefined);
      const stream = 'stream' in def && def.stream;
      expect(props.StreamSpecification).toEqual(stream ? { StreamViewType: 'NEW_AND_OLD_IMAGES' } : undefined);
    });

    it('is deleted with a dev stack (retained on production stages: data-tables.test.ts)', () => {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(props.Replicas[0].DeletionProtectionEnabled).toBe(false);
    });
  });
});

describe('functions', () => {
  it('has one function per entry of FUNCTIONS, every function on nodejs24.x and arm64', () => {
    const fns = resourcesOfType('AWS::Lambda::Function');
    expect(fns).toHaveLength(FUNCTION_DEFS.length);
    for (const [, fn] of fns) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
  });

  describe.each(FUNCTION_DEFS)('%s', (key, def) => {
    const fn = stack.api.functions[key]!;
    const props = json.Resources[logicalId(fn)]!.Properties;

    it('runs the bundled ESM handler with its memory, timeout, tracing and own log group', () => {
      expect(props).toMatchObject({
        Handler: 'index.handler',
        MemorySize: def.memorySize ?? 256,
        Timeout: def.timeoutSeconds ?? 10,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
      expect(props.Description).toBe(def.description);
      const logGroupId = props.LoggingConfig.LogGroup.Ref as string;
      expect(json.Resources[logGroupId]?.Type).toBe('AWS::Logs::LogGroup');
      expect(json.Resources[logGroupId]?.Properties?.RetentionInDays).toBeGreaterThan(0);
    });

    it('gets every table name, the stage, the SES configuration set and the public base URL', () => {
      const vars = props.Environment.Variables as Record<string, unknown>;
      for (const t of TABLE_LIST) expect(vars[t.envKey], t.envKey).toEqual({ Ref: logicalId(stack.data.tables[keyOf(t.id)]) });
      expect(vars[ENV.stage]).toBe('dev');
      expect(vars[ENV.sesConfigurationSet]).toEqual({ Ref: logicalId(stack.email.configurationSet) });
      expect(vars[ENV.publicBaseUrl]).toEqual({ 'Fn::GetAtt': [logicalId(stack.api.httpApi), 'ApiEndpoint'] });
      expect(vars).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'sendwell', POWERTOOLS_LOGGER_LOG_EVENT: 'false' });
      // Not configured in a plain synth: the variables are left out rather than set to a placeholder.
      expect(vars).not.toHaveProperty(ENV.fromAddress);
      expect(vars).not.toHaveProperty(ENV.postalAddress);
      // Local-stack-only endpoints never reach AWS.
      expect(vars).not.toHaveProperty(ENV.dynamodbEndpoint);
      expect(vars).not.toHaveProperty(ENV.sesEndpoint);
    });
  });
});

/** What each permission must become in IAM: the spec the grants in lib/permissions.ts are held to. */
const EXPECTED_ACTIONS: { readonly [P in Permission]: readonly string[] } = {
  'tables:describe': ['dynamodb:DescribeTable'],
  'ses:account': ['ses:GetAccount'],
};
const BASELINE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
/** Actions without a resource type, the only ones allowed on Resource "*" (and acknowledged to cdk-nag as such). */
const RESOURCELESS_ACTIONS = new Set(['xray:PutTelemetryRecords', 'xray:PutTraceSegments', 'ses:GetAccount']);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const policies = [...resourcesOfType('AWS::IAM::Policy'), ...resourcesOfType('AWS::IAM::ManagedPolicy')];
const statementsOfRole = (roleId: string): Statement[] =>
  policies
    .filter(([, p]) => asArray(p.Properties.Roles).some((r: any) => r?.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);

describe('IAM', () => {
  it.each(FUNCTION_DEFS)('%s gets exactly what its permissions need', (key, def) => {
    const roleId = logicalId(stack.api.functions[key]!.role!);
    const actions = new Set(statementsOfRole(roleId).flatMap((s) => asArray(s.Action)));
    const expected = new Set([...BASELINE_ACTIONS, ...def.permissions.flatMap((p) => EXPECTED_ACTIONS[p])]);
    expect([...actions].sort()).toEqual([...expected].sort());
  });

  it('grants DescribeTable on the table ARNs, not on a wildcard', () => {
    const tableArns = TABLE_LIST.map((t) => ({ 'Fn::GetAtt': [logicalId(stack.data.tables[keyOf(t.id)]), 'Arn'] }));
    const describe = policies
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => asArray(s.Action).includes('dynamodb:DescribeTable'));
    expect(describe.length).toBeGreaterThan(0);
    for (const s of describe) expect(asArray(s.Resource)).toEqual(expect.arrayContaining(tableArns));
  });

  it('uses Resource "*" only for actions that have no resource type', () => {
    const wildcard = policies.flatMap(([id, p]) =>
      (p.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => asArray(s.Resource).some((r) => typeof r === 'string' && r.includes('*')))
        .flatMap((s) => asArray(s.Action).map((action) => ({ policy: id, action }))),
    );
    expect(wildcard.filter((w) => !RESOURCELESS_ACTIONS.has(w.action))).toEqual([]);
  });

  it('attaches no AWS managed policy and allows nothing but Allow statements', () => {
    for (const [, role] of resourcesOfType('AWS::IAM::Role')) {
      for (const arn of asArray(role.Properties.ManagedPolicyArns)) expect(JSON.stringify(arn)).not.toContain('aws:policy/');
    }
    for (const [, p] of policies) for (const s of p.Properties.PolicyDocument.Statement as Statement[]) expect(s.Effect).toBe('Allow');
  });
});

describe('HTTP API', () => {
  const expectedKeys = ROUTES.map(routeKey).sort();

  it('routes exactly the route keys of ROUTES', () => {
    expect(synth.routeKeys).toEqual(expectedKeys);
  });

  it.each(ROUTES.map((r) => [routeKey(r), r] as const))('%s: authorization and target function', (key, r) => {
    const routes = resourcesOfType('AWS::ApiGatewayV2::Route').filter(([, route]) => route.Properties.RouteKey === key);
    expect(routes).toHaveLength(1);
    const props = routes[0]![1].Properties;
    expect(props.AuthorizationType).toBe(r.auth === 'admin' ? 'AWS_IAM' : 'NONE');
    const integrationId = props.Target['Fn::Join'][1][1].Ref as string;
    expect(json.Resources[integrationId]?.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalId(stack.api.functions[r.fn]!), 'Arn'] },
    });
  });

  it('serves the $default stage with JSON access logs (no source IP, no raw path) and default throttling', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    const [, stage] = resourcesOfType('AWS::ApiGatewayV2::Stage')[0]!;
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: expect.any(Number), ThrottlingBurstLimit: expect.any(Number) },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
    });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(Object.values(format)).not.toContain('$context.identity.sourceIp');
    expect(Object.values(format)).not.toContain('$context.path');
  });
});

describe('SES configuration set', () => {
  it('is named by stage with reputation metrics on', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      Name: 'sendwell-dev',
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
  });
});

describe('outputs', () => {
  it('has the API URL and every table name', () => {
    expect(json.Outputs?.ApiUrl?.Value).toEqual({ 'Fn::GetAtt': [logicalId(stack.api.httpApi), 'ApiEndpoint'] });
    for (const t of TABLE_LIST) {
      expect(json.Outputs?.[`${t.id}TableName`]?.Value).toEqual({ Ref: logicalId(stack.data.tables[keyOf(t.id)]) });
    }
  });
});

function keyOf(tableId: string): TableKey {
  const entry = Object.entries(TABLES).find(([, def]) => def.id === tableId);
  if (!entry) throw new Error(`no table with id ${tableId}`);
  return entry[0] as TableKey;
}

/**
 * The synthesized Sendwell template against the shared wiring: every table, function and route the wiring defines is
 * there with the settings Sendwell promises, and nothing else is routed or granted.
 */
import { describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { EVENT_FUNCTIONS } from '../../lambdas/wiring/event-functions.ts';
import { FUNCTIONS, ROUTES, routeKeysOf, type FunctionDef, type Permission } from '../../lambdas/wiring/routes.ts';
import { TABLE_VERBS, VERB_ACTIONS, type TableVerb } from '../../lambdas/wiring/table-access.ts';
import { TABLES, TABLE_LIST, type TableKey } from '../../lambdas/wiring/tables.ts';

const TABLE_KEYS = Object.keys(TABLES) as TableKey[];
import { asArray, expectedActions, ITEM_READ, ITEM_WRITE, policiesOf, RESOURCELESS_ACTIONS, type Statement } from './iam.ts';
import { flattenCfn, synthTemplate } from './synth.ts';

const synth = synthTemplate();
const { template, json, stack } = synth;
/** Every function of the stage, HTTP and event (a plain synth has no mailbox, so no mailto function). */
const FUNCTION_DEFS: [string, FunctionDef][] = Object.entries(stack.functions).map(([key, { def }]) => [key, def]);
const fnOf = (key: string) => stack.functions[key]!.fn;

const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const resourcesOfType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);

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

    it('has exactly its indexes, each projecting all attributes or, where defined, keys only', () => {
      const expected = def.indexes.map((i) => ({
        IndexName: i.name,
        KeySchema: [
          { AttributeName: i.partitionKey, KeyType: 'HASH' },
          ...(i.sortKey ? [{ AttributeName: i.sortKey, KeyType: 'RANGE' }] : []),
        ],
        Projection: { ProjectionType: i.projection === 'keys' ? 'KEYS_ONLY' : 'ALL' },
      }));
      expect(props.GlobalSecondaryIndexes ?? []).toEqual(expected);
      // A record's updates rewrite no index entry (issue 17): the messages' gsi1 (a person's messages) holds keys only.
      if (key === 'messages') expect(props.GlobalSecondaryIndexes.find((i: { IndexName: string }) => i.IndexName === 'gsi1').Projection).toEqual({ ProjectionType: 'KEYS_ONLY' });
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

describe('partner relay tables', () => {
  const propsOf = (key: TableKey) => json.Resources[logicalId(stack.data.tables[key])]!.Properties;

  it('keeps failed partner deliveries in PartnerRelay: on-demand, PITR, KMS, TTL on expiresAt, no stream', () => {
    expect(TABLES.relay.id).toBe('PartnerRelay');
    const props = propsOf('relay');
    expect(props.BillingMode).toBe('PAY_PER_REQUEST');
    expect(props.Replicas[0].PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 });
    expect(props.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(props.StreamSpecification).toBeUndefined();
  });

  it('streams the consent ledger with new and old images: the relay reads it', () => {
    expect(propsOf('ledger').StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });
});

describe('functions', () => {
  it('has one function per entry of FUNCTIONS and per event function but the mailto one, every function on nodejs24.x and arm64', () => {
    const expected = [...Object.keys(FUNCTIONS), ...Object.entries(EVENT_FUNCTIONS).filter(([, d]) => d.source !== 'ses-receipt').map(([k]) => k)];
    expect(Object.keys(stack.functions).sort()).toEqual(expected.sort());
    for (const [key, fn] of Object.entries(stack.api.functions)) expect(stack.functions[key]!.fn, key).toBe(fn);
    for (const [key, fn] of Object.entries(stack.relay.functions)) expect(stack.functions[key]!.fn, key).toBe(fn);
    // CDK's console deployment handler (Python, deploy time only) is checked in console.test.ts.
    const fns = synth.sendwellFunctionResources;
    expect(fns).toHaveLength(FUNCTION_DEFS.length);
    expect(resourcesOfType('AWS::Lambda::Function')).toHaveLength(FUNCTION_DEFS.length + 1);
    for (const [, fn] of fns) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
  });

  describe.each(FUNCTION_DEFS)('%s', (key, def) => {
    const fn = fnOf(key);
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
      expect(vars).not.toHaveProperty(ENV.unsubscribeMailbox);
      // Local-stack-only endpoints never reach AWS.
      expect(vars).not.toHaveProperty(ENV.dynamodbEndpoint);
      expect(vars).not.toHaveProperty(ENV.sesEndpoint);
    });
  });
});

const { policies, statementsOfRole, resourcesFor: resourcesOfRoleFor } = policiesOf(json);
const roleOf = (key: string) => logicalId(fnOf(key).role!);
/** Every resource (flattened, sorted) on which a function's policies allow `action`. */
const resourcesFor = (key: string, action: string): string[] => resourcesOfRoleFor(roleOf(key), action);

const tableArns = TABLE_LIST.map((t) => `<${logicalId(stack.data.tables[keyOf(t.id)])}.Arn>`).sort();
/** Every index by its ARN, named: no policy names `index/*`. */
const namedIndexArns = TABLE_LIST.flatMap((t) => t.indexes.map((i) => `<${logicalId(stack.data.tables[keyOf(t.id)])}.Arn>/index/${i.name}`));
/** `…/index/*` of the tables that have indexes, and of no other. */
const indexArns = TABLE_LIST.filter((t) => t.indexes.length > 0)
  .map((t) => `<${logicalId(stack.data.tables[keyOf(t.id)])}.Arn>/index/*`)
  .sort();
const keySecretArns = [stack.keys.tokenKeys, stack.keys.pseudonymSecret].map((s) => `<${logicalId(s)}>`);
const partnersSecretArn = `<${logicalId(stack.partners.secret)}>`;
/** `arn:<partition>:ses:<region>:<account>:` followed by `resource`, with the three as literals or pseudo parameters. */
const sesArn = (resource: string) =>
  new RegExp(`^arn:(<AWS::Partition>|aws[a-z-]*):ses:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\\d{12}):${resource}$`);
const configurationSetArn = sesArn(`configuration-set/<${logicalId(stack.email.configurationSet)}>`);
const anyIdentityArn = sesArn('identity/\\*');
const has = (def: FunctionDef, p: Permission) => (def.permissions as readonly Permission[]).includes(p);
const holding = (p: Permission) => FUNCTION_DEFS.filter(([, def]) => has(def, p));
const lacking = (p: Permission) => FUNCTION_DEFS.filter(([, def]) => !has(def, p));
/** The secrets a function may read: the key secrets with keys:read, the partner webhooks with partners:read. */
const secretsOf = (def: FunctionDef) => [...(has(def, 'keys:read') ? keySecretArns : []), ...(has(def, 'partners:read') ? [partnersSecretArn] : [])].sort();

describe('IAM', () => {
  it.each(FUNCTION_DEFS)('%s gets exactly the actions its permissions and its event source need', (key, def) => {
    const actions = new Set(statementsOfRole(roleOf(key)).flatMap((s) => asArray(s.Action)));
    expect([...actions].sort()).toEqual(expectedActions(def));
  });

  it('grants DescribeTable on the table ARNs, not on a wildcard', () => {
    for (const [key] of holding('tables:describe')) expect(resourcesFor(key, 'dynamodb:DescribeTable'), key).toEqual(tableArns);
  });

  describe.each(FUNCTION_DEFS)('%s: item access exactly as its `tables` declare', (key, def) => {
    it.each(TABLE_KEYS)('%s', (table) => {
      const verbs: readonly TableVerb[] = def.tables?.[table] ?? [];
      const arn = `<${logicalId(stack.data.tables[table])}.Arn>`;
      for (const verb of TABLE_VERBS) {
        for (const action of VERB_ACTIONS[verb]) {
          const on = resourcesFor(key, action).filter((r) => r === arn);
          expect(on, `${action} on ${table}`).toEqual(verbs.includes(verb) ? [arn] : []);
        }
      }
      const indexes = resourcesFor(key, 'dynamodb:Query').filter((r) => r.startsWith(`${arn}/index/`));
      expect(indexes, 'Query on its indexes').toEqual(verbs.includes('read') ? TABLES[table].indexes.map((i) => `${arn}/index/${i.name}`).sort() : []);
    });

    it('never Scan, never a wildcard table or index', () => {
      expect(resourcesFor(key, 'dynamodb:Scan')).toEqual([]);
      for (const action of Object.values(VERB_ACTIONS).flat()) {
        for (const r of resourcesFor(key, action)) expect(tableArns.includes(r) || namedIndexArns.includes(r), `${action} on ${r}`).toBe(true);
      }
    });
  });

  describe.each(holding('ses:send'))('%s (ses:send)', (key) => {
    it('SendEmail only through the configuration set, from identities of the account and region (no fromAddress: identity/*)', () => {
      const resources = resourcesFor(key, 'ses:SendEmail');
      expect(resources).toHaveLength(2);
      expect(resources.filter((r) => configurationSetArn.test(r))).toHaveLength(1);
      expect(resources.filter((r) => anyIdentityArn.test(r))).toHaveLength(1);
    });
  });

  describe.each(holding('keys:read'))('%s (keys:read)', (key, def) => {
    it('GetSecretValue on the two key secrets, the partner webhooks only with partners:read, and nothing else', () => {
      expect(resourcesFor(key, 'secretsmanager:GetSecretValue')).toEqual(secretsOf(def));
    });

    it('gets the two secret ARNs in its environment', () => {
      const vars = json.Resources[logicalId(fnOf(key))]!.Properties.Environment.Variables;
      expect(vars[ENV.tokenKeysSecret]).toEqual({ Ref: logicalId(stack.keys.tokenKeys) });
      expect(vars[ENV.pseudonymSecret]).toEqual({ Ref: logicalId(stack.keys.pseudonymSecret) });
      // The local-stack variables that stand in for the secrets never reach AWS.
      expect(vars).not.toHaveProperty(ENV.tokenKeys);
      expect(vars).not.toHaveProperty(ENV.pseudonymKey);
    });
  });

  it.each(lacking('keys:read'))('%s gets neither the key secrets nor their ARNs', (key, def) => {
    expect(resourcesFor(key, 'secretsmanager:GetSecretValue')).toEqual(secretsOf(def));
    for (const arn of keySecretArns) expect(resourcesFor(key, 'secretsmanager:GetSecretValue')).not.toContain(arn);
    const vars = json.Resources[logicalId(fnOf(key))]!.Properties.Environment.Variables;
    for (const v of [ENV.tokenKeysSecret, ENV.pseudonymSecret, ENV.tokenKeys, ENV.pseudonymKey]) expect(vars).not.toHaveProperty(v);
  });

  it('gives partners:read to some function (the relay), so the tests below check something', () => {
    expect(holding('partners:read').map(([key]) => key)).toEqual(expect.arrayContaining(['relayLedgerStream', 'replayPartnerEvents']));
  });

  describe.each(holding('partners:read'))('%s (partners:read)', (key, def) => {
    it('GetSecretValue on the partner webhooks secret (and the key secrets only with keys:read)', () => {
      expect(resourcesFor(key, 'secretsmanager:GetSecretValue')).toEqual(secretsOf(def));
      expect(resourcesFor(key, 'secretsmanager:GetSecretValue')).toContain(partnersSecretArn);
    });

    it(`gets the secret ARN in ${ENV.partnersSecret}, never the local-stack list`, () => {
      const vars = json.Resources[logicalId(fnOf(key))]!.Properties.Environment.Variables;
      expect(vars[ENV.partnersSecret]).toEqual({ Ref: logicalId(stack.partners.secret) });
      expect(vars).not.toHaveProperty(ENV.partners);
    });
  });

  it.each(lacking('partners:read'))('%s gets neither the partner webhooks secret nor its ARN', (key) => {
    expect(resourcesFor(key, 'secretsmanager:GetSecretValue')).not.toContain(partnersSecretArn);
    const vars = json.Resources[logicalId(fnOf(key))]!.Properties.Environment.Variables;
    for (const v of [ENV.partnersSecret, ENV.partners]) expect(vars).not.toHaveProperty(v);
  });

  it('grants the partner webhooks secret to no role but those of partners:read functions', () => {
    const roles = new Set(holding('partners:read').map(([key]) => roleOf(key)));
    for (const [id, p] of policies) {
      const grants = (p.Properties.PolicyDocument.Statement as Statement[]).some((s) => asArray(s.Resource).map(flattenCfn).includes(partnersSecretArn));
      if (!grants) continue;
      for (const role of asArray(p.Properties.Roles)) expect(roles.has((role as { Ref: string }).Ref), id).toBe(true);
    }
  });

  it('health holds none of the data, send or key grants', () => {
    const actions = new Set(statementsOfRole(roleOf('health')).flatMap((s) => asArray(s.Action)));
    for (const a of [...ITEM_READ, ...ITEM_WRITE, 'ses:SendEmail', 'secretsmanager:GetSecretValue']) expect(actions.has(a), a).toBe(false);
  });

  it('allows a wildcard only where it cannot be avoided (the console deployment role: console.test.ts)', () => {
    const deploymentRole = logicalId(stack.consoleSite.deploymentRole);
    const wildcards = policies.filter(([, p]) => !asArray(p.Properties.Roles).some((r: any) => r?.Ref === deploymentRole)).flatMap(([id, p]) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).flatMap((s) =>
        asArray(s.Resource)
          .map(flattenCfn)
          .filter((r) => r.includes('*'))
          .map((resource) => ({ policy: id, resource, actions: asArray(s.Action).sort() })),
      ),
    );
    for (const w of wildcards) {
      if (w.resource === '*') {
        // Actions without a resource type (X-Ray, ses:GetAccount).
        expect(w.actions.filter((a) => !RESOURCELESS_ACTIONS.has(a)), w.policy).toEqual([]);
      } else if (w.resource.endsWith('/index/*')) {
        expect(indexArns, w.policy).toContain(w.resource);
        expect(w.actions, w.policy).toEqual(['dynamodb:Query']);
      } else if (w.resource.endsWith('/imports/*')) {
        // Import uploads (objects named by job ids): put (admin), get and delete (worker), on that prefix of the bucket.
        expect(w.resource, w.policy).toBe(`<${logicalId(stack.importJobs.uploads)}.Arn>/imports/*`);
        expect([['s3:PutObject'], ['s3:DeleteObject', 's3:GetObject']], w.policy).toContainEqual(w.actions);
      } else {
        // No fromAddress in a plain synth: every identity, in a statement that also pins the configuration set.
        expect(w.resource, w.policy).toMatch(anyIdentityArn);
        expect(w.actions, w.policy).toEqual(['ses:SendEmail']);
      }
    }
  });

  it('has no condition except on SendEmail, and none there without a fromAddress', () => {
    for (const [, p] of policies) for (const s of p.Properties.PolicyDocument.Statement as Statement[]) expect(s.Condition).toBeUndefined();
  });

  it('attaches no AWS managed policy and allows nothing but Allow statements', () => {
    for (const [, role] of resourcesOfType('AWS::IAM::Role')) {
      for (const arn of asArray(role.Properties.ManagedPolicyArns)) expect(JSON.stringify(arn)).not.toContain('aws:policy/');
    }
    for (const [, p] of policies) for (const s of p.Properties.PolicyDocument.Statement as Statement[]) expect(s.Effect).toBe('Allow');
  });

  it('makes every function wait for the managed policies attached to its role', () => {
    for (const [key] of FUNCTION_DEFS) {
      const fn = json.Resources[logicalId(fnOf(key))]!;
      const attached = resourcesOfType('AWS::IAM::ManagedPolicy')
        .filter(([, p]) => asArray(p.Properties.Roles).some((r: any) => r?.Ref === roleOf(key)))
        .map(([id]) => id);
      expect(fn.DependsOn ?? [], key).toEqual(expect.arrayContaining(attached));
    }
  });
});

describe('key secrets', () => {
  const secrets = resourcesOfType('AWS::SecretsManager::Secret');
  const tokenKeys = json.Resources[logicalId(stack.keys.tokenKeys)]!;
  const pseudonym = json.Resources[logicalId(stack.keys.pseudonymSecret)]!;

  it('are two of the three secrets (the third: partner webhooks), without rotation schedules', () => {
    expect(secrets.map(([id]) => id).sort()).toEqual(
      [stack.keys.tokenKeys, stack.keys.pseudonymSecret, stack.partners.secret].map((s) => logicalId(s)).sort(),
    );
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  // Pinned: CloudFormation generates a new value whenever GenerateSecretString changes. For the token keys that breaks
  // every link in mail already sent, for the pseudonymization secret every suppression. Never change these.
  it('generates the token keys as {"current":"k1","k1":<64 characters>}', () => {
    expect(tokenKeys.Properties.GenerateSecretString).toEqual({
      SecretStringTemplate: '{"current":"k1"}',
      GenerateStringKey: 'k1',
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
  });

  it('generates the pseudonymization secret as {"secret":<64 characters>}', () => {
    expect(pseudonym.Properties.GenerateSecretString).toEqual({
      SecretStringTemplate: '{}',
      GenerateStringKey: 'secret',
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
  });

  it('retains the pseudonymization secret even on a dev stage; the token keys follow the data (deleted on dev)', () => {
    expect(pseudonym).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(tokenKeys).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('are encrypted with the AWS managed key aws/secretsmanager', () => {
    for (const [, s] of secrets) expect(s.Properties.KmsKeyId).toBeUndefined();
  });
});

describe('partner webhooks secret', () => {
  const secret = json.Resources[logicalId(stack.partners.secret)]!;

  // Pinned: the operator owns the value. With either property CloudFormation would put a value of its own into the
  // secret at creation (the runtime cannot parse a generated one), and again whenever the property changed, wiping
  // the partner list.
  it('is created without a value: neither SecretString nor GenerateSecretString', () => {
    expect(secret.Properties).not.toHaveProperty('SecretString');
    expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
  });

  it('is encrypted with the AWS managed key and has no resource policy', () => {
    expect(secret.Properties.KmsKeyId).toBeUndefined();
    template.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 0);
  });

  it('follows the data on a dev stage (deleted; retained on production stages, below)', () => {
    expect(secret).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('is in the outputs, with how to set it', () => {
    expect(json.Outputs?.PartnersSecretArn?.Value).toEqual({ Ref: logicalId(stack.partners.secret) });
    expect(json.Outputs?.PartnersSecretArn?.Description).toContain('put-secret-value');
  });
});

describe('production stage with a From address', () => {
  const prod = synthTemplate({
    stage: 'prod',
    fromAddress: 'Sendwell <no-reply@mail.example.com>',
    postalAddress: 'Example Ltd, 1 Main St, Springfield',
  });
  const prodId = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
  const sendStatements = Object.values(prod.json.Resources)
    .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy')
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
    .filter((s) => asArray(s.Action).includes('ses:SendEmail'));

  it('allows SendEmail on the configuration set and the address and domain identities, from that address only', () => {
    expect(sendStatements).toHaveLength(1);
    const [statement] = sendStatements;
    expect(asArray(statement!.Action)).toEqual(['ses:SendEmail']);
    const resources = asArray(statement!.Resource).map(flattenCfn).sort();
    expect(resources).toHaveLength(3);
    expect(resources.filter((r) => new RegExp(`configuration-set/<${prodId(prod.stack.email.configurationSet)}>$`).test(r))).toHaveLength(1);
    expect(resources.filter((r) => r.endsWith(':identity/no-reply@mail.example.com'))).toHaveLength(1);
    expect(resources.filter((r) => r.endsWith(':identity/mail.example.com'))).toHaveLength(1);
    expect(statement!.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'no-reply@mail.example.com' } });
  });

  it('retains the relay table and the relay failure queue', () => {
    expect(prod.json.Resources[prodId(prod.stack.data.tables.relay)]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(prod.json.Resources[prodId(prod.stack.data.tables.relay)]!.Properties.Replicas[0].DeletionProtectionEnabled).toBe(true);
    expect(prod.json.Resources[prodId(prod.stack.relay.streamFailures.queue)]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('retains the four campaign queues (work in flight, dead letters)', () => {
    const { launchQueue, launchDeadLetterQueue, sendQueue, sendDeadLetterQueue } = prod.stack.campaignQueues;
    for (const q of [launchQueue, launchDeadLetterQueue, sendQueue, sendDeadLetterQueue]) {
      expect(prod.json.Resources[prodId(q)], q.node.path).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('retains every secret', () => {
    for (const s of [prod.stack.keys.tokenKeys, prod.stack.keys.pseudonymSecret, prod.stack.partners.secret]) {
      expect(prod.json.Resources[prodId(s)]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });
});

describe('HTTP API', () => {
  const expectedKeys = ROUTES.flatMap(routeKeysOf).sort();

  it('routes exactly the route keys of ROUTES, and HEAD on each public GET route (an HTTP API routes by exact method)', () => {
    expect(synth.routeKeys).toEqual(expectedKeys);
    expect(expectedKeys.filter((k) => k.startsWith('HEAD ')).sort()).toEqual(ROUTES.filter((r) => r.method === 'GET' && r.auth === 'public').map((r) => `HEAD ${r.path}`).sort());
  });

  it.each(ROUTES.flatMap((r) => routeKeysOf(r).map((key) => [key, r] as const)))('%s: authorization and target function', (key, r) => {
    const apiId = logicalId(stack.api.httpApi);
    const routes = resourcesOfType('AWS::ApiGatewayV2::Route').filter(([, route]) => route.Properties.RouteKey === key && route.Properties.ApiId.Ref === apiId);
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
    // The other stage is the console API's (console.test.ts).
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 2);
    const [, stage] = resourcesOfType('AWS::ApiGatewayV2::Stage').find(([, st]) => st.Properties.ApiId.Ref === logicalId(stack.api.httpApi))!;
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
  it('has the API URL, the secret ARNs, the relay failure queue and every table name', () => {
    expect(json.Outputs?.PartnersSecretArn?.Value).toEqual({ Ref: logicalId(stack.partners.secret) });
    expect(json.Outputs?.RelayFailureQueueUrl?.Value).toEqual({ Ref: logicalId(stack.relay.streamFailures.queue) });
    expect(json.Outputs?.ApiUrl?.Value).toEqual({ 'Fn::GetAtt': [logicalId(stack.api.httpApi), 'ApiEndpoint'] });
    expect(json.Outputs?.TokenKeysSecretArn?.Value).toEqual({ Ref: logicalId(stack.keys.tokenKeys) });
    expect(json.Outputs?.PseudonymSecretArn?.Value).toEqual({ Ref: logicalId(stack.keys.pseudonymSecret) });
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

describe('$default', () => {
  it('sends any request no route takes to the no-route function, without an authorizer on the IAM API and with the JWT one on the console API', () => {
    const defaults = Object.values(json.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.RouteKey === '$default');
    expect(defaults).toHaveLength(2);
    const iamDefault = defaults.find((r) => r.Properties.ApiId.Ref === logicalId(stack.api.httpApi))!;
    expect(iamDefault.Properties.AuthorizationType).toBe('NONE');
    const consoleDefault = defaults.find((r) => r.Properties.ApiId.Ref === logicalId(stack.consoleApi.httpApi))!;
    expect(consoleDefault.Properties.AuthorizationType).toBe('JWT');
    for (const r of defaults) {
      const integration = json.Resources[String(r.Properties.Target['Fn::Join'][1][1].Ref)]!;
      expect(integration.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [logicalId(stack.api.functions.noRoute!), 'Arn'] });
    }
  });
});

/**
 * AWS's own limits, checked offline against a synthesized template: what `cdk synth` and cdk-nag cannot see and the
 * first `cdk deploy` would fail on. Pure functions over the template JSON (the tests call them on every stage), and a
 * validation plugin ({@link AwsLimitsChecks}) so that `cdk synth` itself fails when a template crosses one.
 *
 * Sizes are computed the way the service stores the document, with every unresolved value (`Ref`, `Fn::GetAtt`,
 * pseudo parameters) replaced by the longest value it can take, so a template that passes here passes in any
 * account, region and partition.
 */
import { readFileSync } from 'node:fs';
import type { IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1, PolicyViolationBeta1 } from 'aws-cdk-lib';

/** The limits, from the service quotas pages; none is adjustable. */
export const AWS_LIMITS = {
  /** A Lambda function's resource-based policy (`PolicyLengthExceededException` above it). */
  lambdaResourcePolicyBytes: 20_480,
  /** Resources in one CloudFormation stack. */
  stackResources: 500,
  /** Outputs of one CloudFormation stack. */
  stackOutputs: 200,
  /** All inline policies of one IAM role together, in characters without whitespace. */
  roleInlinePolicyChars: 10_240,
  /** One customer managed policy, in characters without whitespace. */
  managedPolicyChars: 6_144,
} as const;

/**
 * The share of each limit Sendwell allows itself, so that the routes, functions and tables the next issues add do not
 * turn into a failed deploy: half of a function's resource policy, 90 % of the rest.
 */
export const HEADROOM = {
  lambdaResourcePolicyBytes: 0.5,
  stackResources: 0.9,
  stackOutputs: 0.9,
  roleInlinePolicyChars: 0.9,
  managedPolicyChars: 0.9,
} as const satisfies Record<keyof typeof AWS_LIMITS, number>;

export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: any }>>;
  readonly Outputs?: Readonly<Record<string, unknown>>;
}

/** Longest values of the pseudo parameters over the commercial, China and GovCloud partitions. */
const LONGEST_PSEUDO: Readonly<Record<string, string>> = {
  'AWS::Region': 'ap-southeast-5',
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws-us-gov',
  'AWS::URLSuffix': 'amazonaws.com.cn',
  'AWS::StackName': `Sendwell-${'s'.repeat(20)}`,
  'AWS::StackId': `arn:aws-us-gov:cloudformation:ap-southeast-5:123456789012:stack/Sendwell-${'s'.repeat(20)}/${'0'.repeat(36)}`,
  'AWS::NoValue': '',
};

/** A physical id CloudFormation generates: at most 64 characters for names, 10 for an API id. */
const physicalIdOf = (type: string): string => (type.startsWith('AWS::ApiGatewayV2::') ? 'a'.repeat(10) : 'x'.repeat(64));

/**
 * A template value as the longest string it can become: pseudo parameters at their longest, a `Ref` to a resource as
 * its longest generated id, `Fn::GetAtt …Arn` as an ARN of such an id. `pseudo` overrides (a concrete account and region).
 */
export function longestValue(value: unknown, template: CfnTemplate, pseudo: Readonly<Record<string, string>> = {}): string {
  const p = { ...LONGEST_PSEUDO, ...pseudo };
  const walk = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return v.map(walk).join(',');
    if (v && typeof v === 'object') {
      const o = v as Record<string, any>;
      if ('Ref' in o) {
        const ref = String(o.Ref);
        if (ref in p) return p[ref]!;
        return physicalIdOf(template.Resources[ref]?.Type ?? '');
      }
      if ('Fn::Join' in o) return (o['Fn::Join'][1] as unknown[]).map(walk).join(o['Fn::Join'][0] as string);
      if ('Fn::GetAtt' in o) {
        const [target] = o['Fn::GetAtt'] as [string, string];
        return `arn:${p['AWS::Partition']}:service:${p['AWS::Region']}:${p['AWS::AccountId']}:resource/${physicalIdOf(template.Resources[target]?.Type ?? '')}`;
      }
      if ('Fn::Sub' in o) {
        const [text, vars] = Array.isArray(o['Fn::Sub']) ? o['Fn::Sub'] : [o['Fn::Sub'], {}];
        return String(text).replace(/\$\{([^}]+)\}/g, (_m, name: string) => (name in vars ? walk(vars[name]) : name in p ? p[name]! : physicalIdOf('')));
      }
      if ('Fn::Select' in o) return walk((o['Fn::Select'][1] as unknown[])[Number(o['Fn::Select'][0])] ?? 'x'.repeat(64));
      // Any other intrinsic (Fn::If, Fn::ImportValue…): as long as a generated name.
      if (Object.keys(o).some((k) => k.startsWith('Fn::'))) return 'x'.repeat(64);
      return JSON.stringify(resolveDeep(o, walk));
    }
    return '';
  };
  return walk(value);
}

/** A JSON document with every intrinsic replaced by its longest string. */
function resolveDeep(value: unknown, walk: (v: unknown) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, walk));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return walk(o);
    return Object.fromEntries(keys.map((k) => [k, resolveDeep(o[k], walk)]));
  }
  return value;
}

/** The longest JSON a policy document can become, without whitespace (how IAM and Lambda count). */
export function documentSize(document: unknown, template: CfnTemplate, pseudo: Readonly<Record<string, string>> = {}): number {
  const walk = (v: unknown) => longestValue(v, template, pseudo);
  return Buffer.byteLength(JSON.stringify(resolveDeep(document, walk)), 'utf8');
}

export interface LambdaPolicySize {
  /** Logical id of the function (or the function name, when a permission names one). */
  readonly function: string;
  readonly statements: number;
  readonly bytes: number;
}

/**
 * The resource-based policy Lambda builds for each function from the template's `AWS::Lambda::Permission`s: one
 * statement per permission, its `Sid` the generated `<stack>-<logical id>-<12 random>` (at most 100 characters).
 */
export function lambdaResourcePolicies(template: CfnTemplate): LambdaPolicySize[] {
  const byFunction = new Map<string, unknown[]>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Permission') continue;
    const p = r.Properties ?? {};
    const fn = p.FunctionName?.['Fn::GetAtt']?.[0] ?? p.FunctionName?.Ref ?? String(p.FunctionName);
    const condition: Record<string, Record<string, unknown>> = {};
    if (p.SourceArn) condition.ArnLike = { 'AWS:SourceArn': p.SourceArn };
    if (p.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': p.SourceAccount };
    if (p.PrincipalOrgID) condition.StringEquals = { ...condition.StringEquals, 'aws:PrincipalOrgID': p.PrincipalOrgID };
    const statement = {
      Sid: `${LONGEST_PSEUDO['AWS::StackName']}-${id}-XXXXXXXXXXXX`.slice(0, 100),
      Effect: 'Allow',
      Principal: typeof p.Principal === 'string' && /^\d{12}$/.test(p.Principal) ? { AWS: `arn:aws-us-gov:iam::${p.Principal}:root` } : { Service: p.Principal },
      Action: p.Action,
      Resource: { 'Fn::GetAtt': [fn, 'Arn'] },
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    };
    byFunction.set(fn, [...(byFunction.get(fn) ?? []), statement]);
  }
  return [...byFunction].map(([fn, statements]) => ({
    function: fn,
    statements: statements.length,
    bytes: documentSize({ Version: '2012-10-17', Id: 'default', Statement: statements }, template),
  }));
}

export interface RolePolicySize {
  readonly role: string;
  readonly chars: number;
}

/** The inline policies (`AWS::IAM::Policy` and a role's `Policies`) of each role, added up. */
export function roleInlinePolicySizes(template: CfnTemplate): RolePolicySize[] {
  const sizes = new Map<string, number>();
  const add = (role: string, chars: number) => sizes.set(role, (sizes.get(role) ?? 0) + chars);
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::IAM::Policy') {
      const chars = documentSize(r.Properties.PolicyDocument, template) + String(r.Properties.PolicyName ?? '').length;
      for (const role of r.Properties.Roles ?? []) add(role?.Ref ?? String(role), chars);
    }
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of r.Properties?.Policies ?? []) add(id, documentSize(p.PolicyDocument, template) + String(p.PolicyName).length);
    }
  }
  return [...sizes].map(([role, chars]) => ({ role, chars }));
}

/** Each customer managed policy's document. */
export function managedPolicySizes(template: CfnTemplate): { readonly policy: string; readonly chars: number }[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy')
    .map(([policy, r]) => ({ policy, chars: documentSize(r.Properties.PolicyDocument, template) }));
}

/** Where a physical name must be unique: across every account (S3), in an account (CloudFront, IAM, dashboards), or in a region. */
export type NameScope = 'global' | 'account' | 'region';

export interface PhysicalName {
  readonly type: string;
  readonly logicalId: string;
  readonly scope: NameScope;
  /** The name, pseudo parameters resolved with the stack's account and region. */
  readonly name: string;
}

/**
 * Resource types whose name, when the template sets it, must be unique in a scope, and the property that holds it.
 * A `singleton` is unique whatever its properties (one per account and region).
 */
const NAMED: Readonly<Record<string, { readonly property: string | null; readonly scope: NameScope }>> = {
  'AWS::CloudFront::Function': { property: 'Name', scope: 'account' },
  'AWS::CloudFront::ResponseHeadersPolicy': { property: 'ResponseHeadersPolicyConfig.Name', scope: 'account' },
  'AWS::CloudFront::CachePolicy': { property: 'CachePolicyConfig.Name', scope: 'account' },
  'AWS::CloudFront::OriginAccessControl': { property: 'OriginAccessControlConfig.Name', scope: 'account' },
  'AWS::CloudWatch::Dashboard': { property: 'DashboardName', scope: 'account' },
  'AWS::IAM::Role': { property: 'RoleName', scope: 'account' },
  'AWS::IAM::ManagedPolicy': { property: 'ManagedPolicyName', scope: 'account' },
  'AWS::S3::Bucket': { property: 'BucketName', scope: 'global' },
  // A prefix domain is <prefix>.auth.<region>.amazoncognito.com: unique in its region, across every account.
  'AWS::Cognito::UserPoolDomain': { property: 'Domain', scope: 'region' },
  'AWS::SES::ConfigurationSet': { property: 'Name', scope: 'region' },
  'AWS::SES::EmailIdentity': { property: 'EmailIdentity', scope: 'region' },
  'AWS::SES::DedicatedIpPool': { property: 'PoolName', scope: 'region' },
  'AWS::SES::ReceiptRuleSet': { property: 'RuleSetName', scope: 'region' },
  'AWS::SES::VdmAttributes': { property: null, scope: 'region' },
  'AWS::Scheduler::ScheduleGroup': { property: 'Name', scope: 'region' },
  'AWS::Logs::LogGroup': { property: 'LogGroupName', scope: 'region' },
  'AWS::SNS::Topic': { property: 'TopicName', scope: 'region' },
  'AWS::SQS::Queue': { property: 'QueueName', scope: 'region' },
  'AWS::SecretsManager::Secret': { property: 'Name', scope: 'region' },
  'AWS::Lambda::Function': { property: 'FunctionName', scope: 'region' },
  'AWS::DynamoDB::GlobalTable': { property: 'TableName', scope: 'region' },
  'AWS::DynamoDB::Table': { property: 'TableName', scope: 'region' },
  'AWS::CloudWatch::Alarm': { property: 'AlarmName', scope: 'region' },
  'AWS::Events::Rule': { property: 'Name', scope: 'region' },
  'AWS::KMS::Alias': { property: 'AliasName', scope: 'region' },
};

const propertyAt = (props: any, path: string): unknown => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), props);

/** Every name the template sets explicitly on a resource whose name must be unique in its scope. */
export function physicalNames(template: CfnTemplate, pseudo: Readonly<Record<string, string>>): PhysicalName[] {
  const names: PhysicalName[] = [];
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    const named = NAMED[r.Type];
    if (!named) continue;
    if (named.property === null) {
      names.push({ type: r.Type, logicalId, scope: named.scope, name: '(one per account and region)' });
      continue;
    }
    const value = propertyAt(r.Properties, named.property);
    if (value === undefined) continue;
    names.push({ type: r.Type, logicalId, scope: named.scope, name: longestValue(value, template, pseudo) });
  }
  // A receipt rule's name is unique within its rule set.
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::SES::ReceiptRule' || r.Properties?.Rule?.Name === undefined) continue;
    names.push({ type: r.Type, logicalId, scope: 'region', name: `${longestValue(r.Properties.RuleSetName, template, pseudo)}/${longestValue(r.Properties.Rule.Name, template, pseudo)}` });
  }
  return names;
}

export interface NameCollision {
  readonly type: string;
  readonly scope: NameScope;
  readonly name: string;
  /** `<stage>:<logical id>` of each resource claiming the name. */
  readonly claimedBy: readonly string[];
}

/**
 * The names two resources would claim in the same scope, across stages deployed to one account and region (or within
 * one stage): each is a stack that fails to create.
 */
export function nameCollisions(stages: Readonly<Record<string, readonly PhysicalName[]>>): NameCollision[] {
  const claims = new Map<string, { type: string; scope: NameScope; name: string; by: string[] }>();
  for (const [stage, names] of Object.entries(stages)) {
    for (const n of names) {
      // CloudFormation compares most names case-sensitively; S3 and Cognito domains are lower case anyway.
      const key = `${n.type}\u0000${n.name}`;
      const claim = claims.get(key) ?? { type: n.type, scope: n.scope, name: n.name, by: [] };
      claim.by.push(`${stage}:${n.logicalId}`);
      claims.set(key, claim);
    }
  }
  return [...claims.values()].filter((c) => c.by.length > 1).map(({ by, ...c }) => ({ ...c, claimedBy: by }));
}

export interface LimitFinding {
  readonly rule: string;
  readonly resource?: string;
  readonly message: string;
}

/** Every limit `template` crosses (within {@link HEADROOM}), one finding each. */
export function checkTemplateLimits(template: CfnTemplate): LimitFinding[] {
  const findings: LimitFinding[] = [];
  const cap = (k: keyof typeof AWS_LIMITS) => Math.floor(AWS_LIMITS[k] * HEADROOM[k]);
  const resources = Object.keys(template.Resources).length;
  if (resources > cap('stackResources')) {
    findings.push({ rule: 'Sendwell-Limits-StackResources', message: `${resources} resources; CloudFormation allows ${AWS_LIMITS.stackResources} per stack, Sendwell keeps under ${cap('stackResources')}.` });
  }
  const outputs = Object.keys(template.Outputs ?? {}).length;
  if (outputs > cap('stackOutputs')) findings.push({ rule: 'Sendwell-Limits-StackOutputs', message: `${outputs} outputs; CloudFormation allows ${AWS_LIMITS.stackOutputs}.` });
  for (const p of lambdaResourcePolicies(template)) {
    if (p.bytes > cap('lambdaResourcePolicyBytes')) {
      findings.push({
        rule: 'Sendwell-Limits-LambdaResourcePolicy',
        resource: p.function,
        message: `resource-based policy of ${p.bytes} bytes in ${p.statements} statements; Lambda allows ${AWS_LIMITS.lambdaResourcePolicyBytes}, Sendwell keeps under ${cap('lambdaResourcePolicyBytes')} (one invoke permission per API, not per route).`,
      });
    }
  }
  for (const r of roleInlinePolicySizes(template)) {
    if (r.chars > cap('roleInlinePolicyChars')) {
      findings.push({ rule: 'Sendwell-Limits-RoleInlinePolicies', resource: r.role, message: `inline policies of ${r.chars} characters; IAM allows ${AWS_LIMITS.roleInlinePolicyChars} per role.` });
    }
  }
  for (const m of managedPolicySizes(template)) {
    if (m.chars > cap('managedPolicyChars')) {
      findings.push({ rule: 'Sendwell-Limits-ManagedPolicy', resource: m.policy, message: `managed policy of ${m.chars} characters; IAM allows ${AWS_LIMITS.managedPolicyChars}.` });
    }
  }
  const collisions = nameCollisions({ stack: physicalNames(template, {}) });
  for (const c of collisions) findings.push({ rule: 'Sendwell-Limits-DuplicateName', resource: c.claimedBy.join(', '), message: `${c.type} "${c.name}" is named twice in the stack.` });
  return findings;
}

/**
 * The checks above as a CDK validation plugin: `cdk synth` fails, like on a cdk-nag finding, when a stack crosses one.
 */
export class AwsLimitsChecks implements IPolicyValidationPluginBeta1 {
  readonly name = 'Sendwell-AwsLimits';
  readonly ruleIds = ['Sendwell-Limits-StackResources', 'Sendwell-Limits-StackOutputs', 'Sendwell-Limits-LambdaResourcePolicy', 'Sendwell-Limits-RoleInlinePolicies', 'Sendwell-Limits-ManagedPolicy', 'Sendwell-Limits-DuplicateName'];

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const violations: PolicyViolationBeta1[] = [];
    for (const templatePath of context.templatePaths) {
      const template = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
      for (const f of checkTemplateLimits(template)) {
        violations.push({
          ruleName: f.rule,
          description: f.message,
          fix: 'docs/deploy.md, "AWS limits": what each limit is and how Sendwell stays under it.',
          violatingResources: [{ resourceLogicalId: f.resource ?? 'stack', templatePath, locations: [f.resource ? `Resources/${f.resource}` : 'Resources'] }],
        });
      }
    }
    return { success: violations.length === 0, violations };
  }
}

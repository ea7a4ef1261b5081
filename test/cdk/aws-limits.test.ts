/**
 * AWS's own limits, offline (lib/aws-limits.ts): what a first `cdk deploy` would fail on and neither `cdk synth` nor
 * cdk-nag sees. Every stage a team deploys is synthesized for one account and region, and each template is checked
 * for policy sizes and resource counts, for physical names two stages would both claim, and by AWS's own offline
 * template validator (@aws/cloudformation-validate).
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegoEngine, TemplateFile } from '@aws/cloudformation-validate';
import { ROUTES } from '../../lambdas/wiring/routes.ts';
import {
  AWS_LIMITS,
  checkTemplateLimits,
  HEADROOM,
  lambdaResourcePolicies,
  managedPolicySizes,
  nameCollisions,
  physicalNames,
  roleInlinePolicySizes,
  type CfnTemplate,
  type PhysicalName,
} from '../../lib/aws-limits.ts';
import { PROD_CONTEXT } from './fixtures.ts';
import { synthApp, type SendwellSynth } from './synth.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

/** Synthesizes `context` for a concrete account and region (what `cdk deploy` with credentials builds). */
function synthIn(context: Record<string, unknown>, region = REGION): SendwellSynth {
  const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  process.env.CDK_DEFAULT_ACCOUNT = ACCOUNT;
  process.env.CDK_DEFAULT_REGION = region;
  try {
    // Bundling does not change a template's limits: skipped, it keeps five syntheses quick.
    return synthApp({ 'aws:cdk:bundling-stacks': [], ...context });
  } finally {
    for (const [k, v] of [['CDK_DEFAULT_ACCOUNT', saved.account], ['CDK_DEFAULT_REGION', saved.region]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * How a team runs three stages in one account and region: prod owns the sending domain and the mailto rule set;
 * staging sends from the same domain (identity imported) and adds its mailto rule to prod's active rule set; dev sends
 * from a subdomain of its own and sets nothing else.
 */
const STAGES: Record<string, Record<string, unknown>> = {
  prod: { ...PROD_CONTEXT, accountVdm: 'true' },
  staging: {
    stage: 'staging',
    fromAddress: 'Sendwell Staging <no-reply@mail.example.com>',
    postalAddress: PROD_CONTEXT.postalAddress,
    emailIdentity: 'import',
    unsubscribeMailbox: 'unsubscribe-staging@mail.example.com',
    receiptRuleSet: 'sendwell-prod-inbound',
  },
  dev: { stage: 'dev', fromAddress: 'Sendwell Dev <no-reply@dev.example.com>' },
};

const synths = Object.fromEntries(Object.entries(STAGES).map(([stage, context]) => [stage, synthIn(context)]));
const templates = Object.entries(synths).map(([stage, s]) => [stage, s.json as CfnTemplate] as const);
const pseudo = (region = REGION) => ({ 'AWS::AccountId': ACCOUNT, 'AWS::Region': region });

describe('AWS limits, per stage (as `cdk synth` for an account and region builds it)', () => {
  it.each(templates)('%s: every function\'s resource-based policy is at most half of Lambda\'s 20,480 bytes', (stage, template) => {
    const policies = lambdaResourcePolicies(template).sort((a, b) => b.bytes - a.bytes);
    console.log(`${stage}: largest function resource policies (bytes, statements):`, policies.slice(0, 3).map((p) => `${p.function} ${p.bytes} B / ${p.statements}`).join('; '));
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) expect(p.bytes, p.function).toBeLessThanOrEqual(AWS_LIMITS.lambdaResourcePolicyBytes * HEADROOM.lambdaResourcePolicyBytes);
    // One invoke permission per function and API: the admin function is on two APIs (IAM and console).
    expect(Math.max(...policies.map((p) => p.statements))).toBeLessThanOrEqual(2);
  });

  it.each(templates)('%s: resources, outputs and IAM policy sizes under their limits with headroom', (stage, template) => {
    const resources = Object.keys(template.Resources).length;
    const outputs = Object.keys(template.Outputs ?? {}).length;
    const inline = Math.max(...roleInlinePolicySizes(template).map((r) => r.chars));
    const managed = Math.max(0, ...managedPolicySizes(template).map((m) => m.chars));
    console.log(`${stage}: ${resources} resources (limit ${AWS_LIMITS.stackResources}), ${outputs} outputs, largest role inline policies ${inline} chars, largest managed policy ${managed} chars`);
    expect(resources).toBeLessThanOrEqual(AWS_LIMITS.stackResources * HEADROOM.stackResources);
    expect(outputs).toBeLessThanOrEqual(AWS_LIMITS.stackOutputs * HEADROOM.stackOutputs);
    expect(inline).toBeLessThanOrEqual(AWS_LIMITS.roleInlinePolicyChars * HEADROOM.roleInlinePolicyChars);
    expect(managed).toBeLessThanOrEqual(AWS_LIMITS.managedPolicyChars * HEADROOM.managedPolicyChars);
    expect(checkTemplateLimits(template)).toEqual([]);
  });

  it.each(templates)('%s: AWS\'s offline validator (@aws/cloudformation-validate) reports no error', (_stage, template) => {
    const file = join(mkdtempSync(join(tmpdir(), 'sendwell-cfn-')), 'template.json');
    writeFileSync(file, JSON.stringify(template));
    const engine = new RegoEngine();
    try {
      const report = engine.validateStandard(new TemplateFile(file));
      const errors = report.diagnostics.filter((d) => d.severity === 'ERROR').map((d) => `${d.ruleId} ${d.entity?.logicalId ?? ''}: ${d.message}`);
      expect(errors).toEqual([]);
    } finally {
      engine.free();
    }
  });

  it('the limit check fails a function with one invoke permission per route (the pattern that broke the first deploy)', () => {
    // The admin function's routes on both APIs, each with its own route-scoped permission, as HttpLambdaIntegration
    // builds them by default.
    const adminRoutes = ROUTES.filter((r) => r.fn === 'admin');
    const resources: Record<string, { Type: string; Properties?: unknown }> = {
      Admin: { Type: 'AWS::Lambda::Function', Properties: {} },
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: {} },
      ConsoleApi: { Type: 'AWS::ApiGatewayV2::Api', Properties: {} },
    };
    for (const api of ['Api', 'ConsoleApi']) {
      adminRoutes.forEach((r, i) => {
        resources[`${api}${r.operationId}Permission${i}`] = {
          Type: 'AWS::Lambda::Permission',
          Properties: {
            Action: 'lambda:InvokeFunction',
            FunctionName: { 'Fn::GetAtt': ['Admin', 'Arn'] },
            Principal: 'apigateway.amazonaws.com',
            SourceArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', { Ref: api }, `/*/*${r.path}`]] },
          },
        };
      });
    }
    const [policy] = lambdaResourcePolicies({ Resources: resources });
    expect(policy!.bytes).toBeGreaterThan(AWS_LIMITS.lambdaResourcePolicyBytes);
    expect(checkTemplateLimits({ Resources: resources }).map((f) => f.rule)).toContain('Sendwell-Limits-LambdaResourcePolicy');
  });
});

describe('physical names of several stages in one account', () => {
  const named: Record<string, PhysicalName[]> = Object.fromEntries(templates.map(([stage, t]) => [stage, physicalNames(t, pseudo())]));

  it('prod, staging and dev in one account and region claim no name twice', () => {
    for (const [stage, names] of Object.entries(named)) console.log(`${stage}: ${names.map((n) => `${n.type.replace('AWS::', '')}=${n.name}`).join(', ')}`);
    expect(nameCollisions(named)).toEqual([]);
    // What the stages must not share is actually named (a check over nothing would pass too).
    expect(named.prod!.map((n) => n.type)).toEqual(
      expect.arrayContaining(['AWS::CloudFront::Function', 'AWS::SES::ConfigurationSet', 'AWS::SES::EmailIdentity', 'AWS::SES::ReceiptRuleSet', 'AWS::Cognito::UserPoolDomain']),
    );
  });

  it('prod deployed to a second region of the same account claims no account-wide name of the first (CloudFront, the dashboard)', () => {
    const other = synthIn(STAGES.prod!, 'us-east-1');
    const accountWide = (names: PhysicalName[]) => names.filter((n) => n.scope !== 'region');
    const collisions = nameCollisions({ 'prod@eu-west-1': accountWide(named.prod!), 'prod@us-east-1': accountWide(physicalNames(other.json as CfnTemplate, pseudo('us-east-1'))) });
    expect(collisions).toEqual([]);
  });

  it('finds the collision when two stages would both create the sending domain\'s identity', () => {
    const bothCreate = synthIn({ ...STAGES.staging, emailIdentity: 'create' });
    const collisions = nameCollisions({ prod: named.prod!, staging: physicalNames(bothCreate.json as CfnTemplate, pseudo()) });
    expect(collisions).toEqual([expect.objectContaining({ type: 'AWS::SES::EmailIdentity', name: 'mail.example.com' })]);
  });
});

describe('the sending domain', () => {
  const outputs = (s: SendwellSynth) => Object.values(s.json.Outputs ?? {}).map((o: any) => ({ description: String(o.Description), value: o.Value }));

  it('prod creates the identity with Easy DKIM 2048 and a MAIL FROM subdomain, and lists every DNS record it needs', () => {
    const { json } = synths.prod!;
    const [identity] = Object.values(json.Resources).filter((r) => r.Type === 'AWS::SES::EmailIdentity');
    expect(identity!.Properties).toMatchObject({
      EmailIdentity: 'mail.example.com',
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      DkimAttributes: { SigningEnabled: true },
      MailFromAttributes: { MailFromDomain: 'bounce.mail.example.com', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
      ConfigurationSetAttributes: { ConfigurationSetName: expect.anything() },
    });
    const records = outputs(synths.prod!).filter((o) => /^(DKIM|MAIL FROM|DMARC)/.test(o.description));
    expect(records.map((r) => r.description.split(':')[0])).toEqual(['DKIM 1', 'DKIM 2', 'DKIM 3', 'MAIL FROM MX', 'MAIL FROM SPF', 'DMARC']);
  });

  it('with a hosted zone, creates the DKIM CNAMEs, the MAIL FROM MX and SPF, and the DMARC record in it', () => {
    const records = Object.values(synths.prod!.json.Resources).filter((r) => r.Type === 'AWS::Route53::RecordSet');
    expect(records.map((r) => r.Properties.Type).sort()).toEqual(['CNAME', 'CNAME', 'CNAME', 'MX', 'TXT', 'TXT']);
    for (const r of records) expect(r.Properties.HostedZoneId).toBe(PROD_CONTEXT.hostedZoneId);
    // Fully qualified names, never suffixed with the zone a second time.
    expect(records.find((r) => r.Properties.Type === 'MX')!.Properties.Name).toBe('bounce.mail.example.com.');
    for (const r of records.filter((r) => r.Properties.Type === 'CNAME')) {
      expect(r.Properties.Name).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.any(String), expect.stringMatching(/^DkimDNSTokenName[123]$/)] }, '.']] });
    }
    const txt = records.filter((r) => r.Properties.Type === 'TXT').map((r) => JSON.stringify(r.Properties.ResourceRecords));
    expect(txt.some((t) => t.includes('v=spf1 include:amazonses.com ~all'))).toBe(true);
    expect(txt.some((t) => t.includes('v=DMARC1; p=none; rua=mailto:dmarc@example.com'))).toBe(true);
  });

  it('an imported identity creates nothing, but still lists the MAIL FROM and DMARC records', () => {
    const { json } = synths.staging!;
    expect(Object.values(json.Resources).filter((r) => r.Type === 'AWS::SES::EmailIdentity')).toEqual([]);
    expect(outputs(synths.staging!).filter((o) => /^(MAIL FROM|DMARC)/.test(o.description))).toHaveLength(3);
  });

  it('every configuration set turns SES\'s account-level suppression list off, so a complaint never blocks service mail at SES', () => {
    for (const [stage, template] of templates) {
      const [set] = Object.values(template.Resources).filter((r) => r.Type === 'AWS::SES::ConfigurationSet');
      expect(set!.Properties.SuppressionOptions, stage).toEqual({ SuppressedReasons: [] });
    }
  });

  it('VDM and the dedicated IP pool only where asked for', () => {
    const prodSet = Object.values(synths.prod!.json.Resources).find((r) => r.Type === 'AWS::SES::ConfigurationSet')!;
    expect(prodSet.Properties.VdmOptions).toEqual({ DashboardOptions: { EngagementMetrics: 'ENABLED' }, GuardianOptions: { OptimizedSharedDelivery: 'ENABLED' } });
    expect(prodSet.Properties.DeliveryOptions?.SendingPoolName).toEqual(expect.anything());
    const devSet = Object.values(synths.dev!.json.Resources).find((r) => r.Type === 'AWS::SES::ConfigurationSet')!;
    expect(devSet.Properties.VdmOptions).toBeUndefined();
    expect(devSet.Properties.DeliveryOptions?.SendingPoolName).toBeUndefined();
  });
});

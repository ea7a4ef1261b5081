/**
 * cdk-nag 3 runs as a CDK validation plugin (`Validations.of(app).addPlugins(new AwsSolutionsChecks(app))`): it does
 * not annotate constructs any more, it reports. Every finding no `Validations.of(scope).acknowledge()` covers lands in
 * the cloud assembly's `validation-report.json` (and fails `cdk synth`). These tests read that report, so a new
 * finding fails them with its rule and construct path, and they check that the acknowledgements stay the reviewed set.
 */
import { describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { FUNCTIONS, ROUTES, routeKeysOf, type Permission } from '../../lambdas/wiring/routes.ts';
import { EVENT_FUNCTIONS } from '../../lambdas/wiring/event-functions.ts';
import { findingsOf, flattenCfn, synthApp, synthTemplate } from './synth.ts';
import { CONTEXTS } from './fixtures.ts';
import { iam5ResourceFinding } from '../../lib/managed-policies.ts';

const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);

describe.each(CONTEXTS)('synth %s', (_name, context) => {
  const synth = synthTemplate(context);

  it('has no unacknowledged finding, error or warning, from any validation plugin', () => {
    expect(findingsOf(synth.validationReport)).toEqual([]);
  });

  it('leaves no CDK warning or error annotation on the stack', () => {
    const messages = synth.assembly
      .getStackArtifact(synth.stack.artifactId)
      .messages.filter((m) => m.level === 'warning' || m.level === 'error')
      .map((m) => `${m.level} at ${m.id}: ${String(m.entry.data)}`);
    expect(messages).toEqual([]);
  });

  it('acknowledges a wildcard SES identity only when no fromAddress names the identity', () => {
    const identityAcks = Object.values(synth.json.Resources)
      .flatMap((r) => (r.Metadata?.cdk_nag?.rules_to_suppress ?? []) as { id: string }[])
      .filter((a) => a.id.includes(':identity/'));
    expect(identityAcks).toHaveLength(context.fromAddress ? 0 : 1);
  });

  it('builds the inbound mail resources exactly when unsubscribeMailbox is set', () => {
    expect(synth.stack.inbound !== undefined).toBe(context.unsubscribeMailbox !== undefined);
  });

  it('acknowledges exactly the reviewed findings, each with a specific reason', () => {
    // writeSuppressionsToCloudFormation copies every acknowledgement into the resource's Metadata.cdk_nag.
    const acknowledged = Object.entries(synth.json.Resources).flatMap(([id, r]) =>
      ((r.Metadata?.cdk_nag?.rules_to_suppress ?? []) as { id: string; reason: string }[]).map((rule) => ({ ...rule, resource: id })),
    );
    for (const a of acknowledged) {
      expect(a.reason.length, `${a.id} on ${a.resource}`).toBeGreaterThanOrEqual(80);
      expect(a.reason, `${a.id} on ${a.resource} names its rule's subject`).toMatch(
        /X-Ray|ses:GetAccount|public by design|no route matches|SES identity unknown at synth|rotate|dead-letter end: the Lambda on-failure destination|Console deployment \(CDK BucketDeployment\)|Cognito threat protection|console's log bucket|console bucket|[Ii]mport uploads|geo restriction|WAF web ACL|default \*\.cloudfront\.net/,
      );
    }

    const { stack, json } = synth;
    // Every function the stack built, HTTP and event, with its definition.
    const built = Object.values(stack.functions);
    expect(built.length).toBe(
      Object.keys(FUNCTIONS).length + Object.values(EVENT_FUNCTIONS).filter((d) => d.source !== 'ses-receipt' || context.unsubscribeMailbox).length,
    );
    const holds = (p: Permission) => built.some(({ def }) => (def.permissions as readonly Permission[]).includes(p));
    const sendPolicy = stack.email.node.tryFindChild('SendPolicy') as IConstruct | undefined;
    const sendIdentityWildcard = sendPolicy
      ? (json.Resources[logicalId(sendPolicy)]!.Properties.PolicyDocument.Statement as { Resource: unknown[] }[])
          .flatMap((st) => st.Resource.map(flattenCfn))
          .find((r) => r.endsWith(':identity/*'))
      : undefined;
    const expected = [
      // X-Ray active tracing: xray:Put* accept only Resource "*" (one default policy per function role).
      ...built.map(({ fn }) => ({ id: 'AwsSolutions-IAM5[Resource::*]', resource: logicalId(fn.role!.node.findChild('DefaultPolicy')) })),
      // ses:GetAccount accepts only Resource "*": the one managed policy that holds it.
      ...(holds('ses:account')
        ? [{ id: 'AwsSolutions-IAM5[Resource::*]', resource: logicalId(stack.email.node.findChild('AccountReadPolicy')) }]
        : []),
      // No fromAddress: the send policy's identity/* (and only there).
      ...(holds('ses:send') && !context.fromAddress
        ? [{ id: `AwsSolutions-IAM5[Resource::${sendIdentityWildcard}]`, resource: logicalId(sendPolicy!) }]
        : []),
      // No secret may rotate automatically: the key secrets, and the partner webhooks (rotated with each partner).
      { id: 'AwsSolutions-SMG4', resource: logicalId(stack.keys.tokenKeys) },
      { id: 'AwsSolutions-SMG4', resource: logicalId(stack.keys.pseudonymSecret) },
      { id: 'AwsSolutions-SMG4', resource: logicalId(stack.partners.secret) },
      // Lambda on-failure destination queues (the delivery events one also its EventBridge target's DLQ) are
      // dead-letter ends cdk-nag does not recognise as such (on the queue resource only, not on its policy).
      { id: 'AwsSolutions-SQS3', resource: logicalId(stack.relay.streamFailures.queue) },
      { id: 'AwsSolutions-SQS3', resource: logicalId(stack.figures.streamFailures.queue) },
      { id: 'AwsSolutions-SQS3', resource: logicalId(stack.deliveryEvents.failures.queue) },
      ...(stack.inbound ? [{ id: 'AwsSolutions-SQS3', resource: logicalId(stack.inbound.failures.queue) }] : []),
      // `$default`: the no-route function, no authorizer (a wrong path is a 404, not a 403).
      { id: 'AwsSolutions-APIG4', resource: Stack.of(stack).getLogicalId(stack.api.defaultRoute!.node.defaultChild as CfnElement) },
      // Public routes (and the HEAD route beside each public GET one): no authorizer by design.
      ...ROUTES.filter((r) => r.auth === 'public').flatMap((r) =>
        routeKeysOf(r).map((key) => ({ id: 'AwsSolutions-APIG4', resource: Stack.of(stack).getLogicalId(stack.api.routes.get(key)!.node.defaultChild as CfnElement) })),
      ),
      // The console (lib/console-auth.ts, lib/console-site.ts): threat protection needs the Plus plan; no S3 access log
      // on the log bucket itself nor on the console bucket (CloudFront logs every read); no geo restriction, WAF or
      // TLS policy choice on CloudFront's default domain.
      { id: 'AwsSolutions-COG8', resource: logicalId(stack.consoleAuth.userPool) },
      { id: 'AwsSolutions-S1', resource: logicalId(stack.consoleSite.logBucket) },
      { id: 'AwsSolutions-S1', resource: logicalId(stack.consoleSite.bucket) },
      // Import uploads (lib/import-jobs.ts): no access log on the transient upload bucket; its object grants are on
      // `imports/*` (the objects are named by job ids made at run time).
      { id: 'AwsSolutions-S1', resource: logicalId(stack.importJobs.uploads) },
      ...['UploadPutPolicy', 'UploadReadPolicy'].map((child) => {
        const policy = stack.importJobs.node.findChild(child);
        return { id: iam5ResourceFinding(policy, stack.importJobs.uploads.arnForObjects('imports/*')), resource: logicalId(policy) };
      }),
      ...['CFR1', 'CFR2', 'CFR4'].map((rule) => ({ id: `AwsSolutions-${rule}`, resource: logicalId(stack.consoleSite.distribution) })),
      // CDK's BucketDeployment: its Python handler's runtime, and the wildcards of CDK's grants to its role (each
      // wildcard action and resource of that policy, as cdk-nag names them).
      { id: 'AwsSolutions-L1', resource: consoleDeploymentHandler(json, logicalId(stack.consoleSite.deploymentRole)) },
      ...consoleDeploymentWildcards(json, logicalId(stack.consoleSite.deploymentRole.node.findChild('DefaultPolicy'))),
    ];
    expect(sendIdentityWildcard === undefined).toBe(Boolean(context.fromAddress));
    const key = (a: { id: string; resource: string }) => `${a.id} @ ${a.resource}`;
    expect(acknowledged.map(key).sort()).toEqual(expected.map(key).sort());
  });
});

/** The logical id of the one function running with the console deployment role: CDK's BucketDeployment handler. */
function consoleDeploymentHandler(json: ReturnType<typeof synthTemplate>['json'], roleId: string): string {
  const handlers = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Role?.['Fn::GetAtt']?.[0] === roleId);
  expect(handlers).toHaveLength(1);
  return handlers[0]![0];
}

/** `AwsSolutions-IAM5[Action::s3:List*]`, `…[Resource::<Bucket.Arn>/*]`: every wildcard of one policy, once each. */
function consoleDeploymentWildcards(json: ReturnType<typeof synthTemplate>['json'], policyId: string): { id: string; resource: string }[] {
  const statements = json.Resources[policyId]!.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
  const found = new Set<string>();
  for (const st of statements) {
    for (const action of [st.Action].flat()) if (action.includes('*')) found.add(`Action::${action}`);
    for (const resource of [st.Resource].flat().map(flattenCfn)) if (resource.includes('*')) found.add(`Resource::${resource}`);
  }
  return [...found].map((f) => ({ id: `AwsSolutions-IAM5[${f}]`, resource: policyId }));
}

describe('cdk-nag AwsSolutions', () => {
  it('is live: the same app setup reports a finding on a non-compliant resource', () => {
    // Guards against a false pass: an empty report must mean "checked and clean", not "never checked".
    // Bundling changes no finding (cdk-nag reads the resources, not the code): skipped, as aws-limits.test.ts does.
    const canary = synthApp({ 'aws:cdk:bundling-stacks': [] }, (app) => new sqs.Queue(new Stack(app, 'NagCanary'), 'Queue'));
    const findings = findingsOf(canary.validationReport);
    expect(findings).toContainEqual(expect.objectContaining({ rule: 'AwsSolutions-SQS3', path: 'NagCanary/Queue/Resource' }));
    expect(findings.filter((f) => !f.path.startsWith('NagCanary/'))).toEqual([]);
  });
});

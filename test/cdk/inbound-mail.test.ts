/**
 * The `mailto:` unsubscribe mailbox (`-c unsubscribeMailbox=…`, lib/inbound-mail.ts): with it, an SES receipt rule for
 * exactly that address invokes the mailto function, which is built and granted like the HTTP functions and may be
 * invoked by SES from that rule only; every function gets the mailbox. Without it, none of that exists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { MAILTO_WORDING } from '../../lambdas/handlers/mailto-unsubscribe.ts';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { FUNCTIONS, type FunctionDef, type Permission } from '../../lambdas/wiring/routes.ts';
import { EVENT_FUNCTIONS } from '../../lambdas/wiring/event-functions.ts';
import { asArray, expectedActions, policiesOf, RESOURCELESS_ACTIONS } from './iam.ts';
import { findingsOf, flattenCfn, synthTemplate } from './synth.ts';
import { asyncFailureConfig } from './fixtures.ts';

const MAILBOX = 'unsubscribe@mail.example.com';
/** Both synths differ in the mailbox only; sending settings are required with it. */
const BASE = { fromAddress: 'Sendwell <no-reply@mail.example.com>', postalAddress: 'Example Ltd, 1 Main St, Springfield' };
const HTTP_FUNCTIONS = Object.entries(FUNCTIONS as Readonly<Record<string, FunctionDef>>);
const def = EVENT_FUNCTIONS.mailtoUnsubscribe;
/** The event functions every stage builds, mailbox or not (the partner relay). */
const ALWAYS_BUILT = Object.values(EVENT_FUNCTIONS).filter((d) => d.source !== 'ses-receipt').length;

const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const sortedPermissions = (d: FunctionDef) => `${[...new Set(d.permissions)].sort().join(',')} ${JSON.stringify(d.tables ?? {})}`;

describe('with unsubscribeMailbox', () => {
  const synth = synthTemplate({ ...BASE, unsubscribeMailbox: MAILBOX });
  const { json, stack, template } = synth;
  const inbound = stack.inbound!;
  const fn = inbound.functions.mailtoUnsubscribe!;
  const fnId = logicalId(fn);
  const fnResource = json.Resources[fnId]!;
  const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
  const { actionsOfRole, resourcesFor, statementsOfRole } = policiesOf(json);
  const roleId = logicalId(fn.role!);
  /** An HTTP function with the same permissions: the mailto function must get what it gets. */
  const twin = HTTP_FUNCTIONS.find(([, d]) => sortedPermissions(d) === sortedPermissions(def));
  const twinFn = stack.api.functions[twin![0]]!;

  it('is cdk-nag clean', () => {
    expect(findingsOf(synth.validationReport)).toEqual([]);
  });

  it('keeps event and HTTP function keys apart', () => {
    for (const key of Object.keys(EVENT_FUNCTIONS)) expect(Object.keys(FUNCTIONS)).not.toContain(key);
  });

  describe('receipt rule', () => {
    const [[ruleSetId, ruleSet]] = ofType('AWS::SES::ReceiptRuleSet') as [[string, any]];
    const rules = ofType('AWS::SES::ReceiptRule');

    it('is one rule in one rule set named by stage', () => {
      expect(ofType('AWS::SES::ReceiptRuleSet')).toHaveLength(1);
      expect(ruleSet.Properties.RuleSetName).toBe('sendwell-dev-inbound');
      expect(rules).toHaveLength(1);
      expect(rules[0]![1].Properties.RuleSetName).toEqual({ Ref: ruleSetId });
    });

    it('matches exactly the mailbox, with spam and virus scanning and TLS required', () => {
      expect(rules[0]![1].Properties.Rule).toMatchObject({
        Name: 'sendwell-dev-mailto-unsubscribe',
        Enabled: true,
        Recipients: [MAILBOX],
        ScanEnabled: true,
        TlsPolicy: 'Require',
      });
    });

    it('has one action: invoke the mailto function asynchronously', () => {
      expect(rules[0]![1].Properties.Rule.Actions).toEqual([
        { LambdaAction: { FunctionArn: { 'Fn::GetAtt': [fnId, 'Arn'] }, InvocationType: 'Event' } },
      ]);
    });

    it('is created after the invoke permission (SES checks it at CreateReceiptRule)', () => {
      expect(rules[0]![1].DependsOn).toContain(Stack.of(inbound).getLogicalId(inbound.invokePermission));
    });

    it('is in the outputs, to be activated once', () => {
      expect(json.Outputs?.InboundRuleSetName?.Value).toBe('sendwell-dev-inbound');
      expect(json.Outputs?.InboundRuleSetName?.Description).toContain('set-active-receipt-rule-set');
    });
  });

  describe('invoke permission', () => {
    const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => p.Properties.FunctionName?.['Fn::GetAtt']?.[0] === fnId);

    it('is the only one on the function, for SES, from this account and this rule only', () => {
      expect(permissions).toHaveLength(1);
      const props = permissions[0]![1].Properties;
      expect(props.Action).toBe('lambda:InvokeFunction');
      expect(props.Principal).toBe('ses.amazonaws.com');
      expect(flattenCfn(props.SourceAccount)).toMatch(/^(<AWS::AccountId>|\d{12})$/);
      expect(flattenCfn(props.SourceArn)).toMatch(
        /^arn:(<AWS::Partition>|aws[a-z-]*):ses:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):receipt-rule-set\/sendwell-dev-inbound:receipt-rule\/sendwell-dev-mailto-unsubscribe$/,
      );
    });

    it('is the only one SES holds in the stack', () => {
      expect(ofType('AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 'ses.amazonaws.com')).toHaveLength(1);
    });
  });

  describe('mailto function', () => {
    it('runs the bundled ESM handler on nodejs24.x and arm64 with its memory, timeout, tracing and own log group', () => {
      expect(fnResource.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: def.memorySize,
        Timeout: def.timeoutSeconds,
        TracingConfig: { Mode: 'Active' },
        Description: def.description,
      });
      const logGroupId = fnResource.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(json.Resources[logGroupId]?.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroupId).not.toBe(json.Resources[logicalId(twinFn)]!.Properties.LoggingConfig.LogGroup.Ref);
    });

    it('bundles lambdas/handlers/mailto-unsubscribe.ts', () => {
      // The staged asset directory is named by the hash the template's S3 key carries.
      const hash = String(fnResource.Properties.Code.S3Key).replace(/\.zip$/, '');
      const bundle = readFileSync(join(synth.assembly.directory, `asset.${hash}`, 'index.mjs'), 'utf8');
      expect(bundle).toContain(MAILTO_WORDING);
    });

    it(`has an HTTP function with the same permissions to compare with (${sortedPermissions(def)})`, () => {
      expect(twin).toBeDefined();
    });

    it('holds exactly the actions of keys:read and of its tables (those of the unsubscribe page), besides its logs, X-Ray and its failure queue', () => {
      expect(def.permissions as readonly Permission[]).toEqual(['keys:read']);
      expect(def.tables).toEqual(FUNCTIONS.unsubscribe.tables);
      expect(actionsOfRole(roleId)).toEqual(expectedActions(def));
    });

    it('is granted Resource "*" only for actions without a resource type (X-Ray)', () => {
      const onStar = statementsOfRole(roleId)
        .filter((s) => asArray(s.Resource).some((r) => r === '*'))
        .flatMap((s) => asArray(s.Action));
      expect(onStar.length).toBeGreaterThan(0);
      for (const action of onStar) expect(RESOURCELESS_ACTIONS.has(action), action).toBe(true);
    });

    it('holds them on the same resources as the HTTP function with the same permissions', () => {
      for (const action of actionsOfRole(roleId).filter((a) => !a.startsWith('logs:') && !a.startsWith('sqs:'))) {
        expect(resourcesFor(roleId, action), action).toEqual(resourcesFor(logicalId(twinFn.role!), action));
      }
      // Logging on its own log group only.
      expect(resourcesFor(roleId, 'logs:PutLogEvents')).toEqual([`<${fnResource.Properties.LoggingConfig.LogGroup.Ref}.Arn>`]);
    });

    it('may send to its own failure queue only, SendMessage only', () => {
      expect(actionsOfRole(roleId).filter((a) => a.startsWith('sqs:'))).toEqual(['sqs:SendMessage']);
      expect(resourcesFor(roleId, 'sqs:SendMessage')).toEqual([`<${logicalId(inbound.failures.queue)}.Arn>`]);
    });

    it('waits for the policies of its role (its grants, inline and managed)', () => {
      const policies = ofType('AWS::IAM::ManagedPolicy')
        .concat(ofType('AWS::IAM::Policy'))
        .filter(([, p]) => asArray(p.Properties.Roles).some((r: any) => r?.Ref === roleId))
        .map(([id]) => id);
      expect(policies.length).toBeGreaterThan(0);
      expect(fnResource.DependsOn).toEqual(expect.arrayContaining(policies));
    });

    it('gets the environment of the HTTP function with the same permissions', () => {
      const twinVars = json.Resources[logicalId(twinFn)]!.Properties.Environment.Variables;
      expect(fnResource.Properties.Environment.Variables).toEqual(twinVars);
    });
  });

  describe('failed invocations', () => {
    const queueId = logicalId(inbound.failures.queue);
    const configs = ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => c.Properties.FunctionName?.Ref === fnId);

    it('are retried twice within 6 hours, then sent to the inbound failure queue', () => {
      expect(configs).toHaveLength(1);
      expect(configs[0]![1].Properties).toEqual(asyncFailureConfig(fnId, queueId));
    });

    it('are kept 14 days, encrypted, TLS only, in a queue of their own', () => {
      expect(queueId).not.toBe(logicalId(stack.relay.streamFailures.queue));
      expect(json.Resources[queueId]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
      const policy = ofType('AWS::SQS::QueuePolicy').find(([, p]) => asArray(p.Properties.Queues).some((q: any) => q?.Ref === queueId));
      expect(policy?.[1].Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    });

    it('are in the outputs', () => {
      expect(json.Outputs?.InboundFailureQueueUrl?.Value).toEqual({ Ref: queueId });
    });
  });

  it(`sets ${ENV.unsubscribeMailbox} on every function`, () => {
    const fns = synth.sendwellFunctionResources;
    expect(fns).toHaveLength(HTTP_FUNCTIONS.length + ALWAYS_BUILT + 1);
    for (const [id, f] of fns) expect(f.Properties.Environment.Variables[ENV.unsubscribeMailbox], id).toBe(MAILBOX);
    // + CDK's console deployment handler (lib/console-site.ts), which reads no Sendwell setting.
    template.resourceCountIs('AWS::Lambda::Function', HTTP_FUNCTIONS.length + ALWAYS_BUILT + 2);
  });
});

describe('without unsubscribeMailbox', () => {
  const { json, stack, validationReport, sendwellFunctionResources } = synthTemplate(BASE);
  const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);

  it('is cdk-nag clean', () => {
    expect(findingsOf(validationReport)).toEqual([]);
  });

  it('has no receipt rule set, rule, mailto function or SES invoke permission', () => {
    expect(stack.inbound).toBeUndefined();
    expect(ofType('AWS::SES::ReceiptRuleSet')).toEqual([]);
    expect(ofType('AWS::SES::ReceiptRule')).toEqual([]);
    expect(sendwellFunctionResources).toHaveLength(HTTP_FUNCTIONS.length + ALWAYS_BUILT);
    expect(ofType('AWS::Lambda::Function')).toHaveLength(HTTP_FUNCTIONS.length + ALWAYS_BUILT + 1);
    // API Gateway for the routes, EventBridge for the delivery events rule (lib/delivery-events.ts): nothing for SES.
    expect(
      ofType('AWS::Lambda::Permission').filter(([, p]) => !['apigateway.amazonaws.com', 'events.amazonaws.com'].includes(p.Properties.Principal)),
    ).toEqual([]);
    expect(json.Outputs).not.toHaveProperty('InboundRuleSetName');
    expect(json.Outputs).not.toHaveProperty('InboundFailureQueueUrl');
    // The failure queues are the partner relay's, the figures reader's and the delivery events' only; the rest are the
    // campaign and import queues.
    const idOf = (c: IConstruct) => Stack.of(stack).getLogicalId(c.node.defaultChild as CfnElement);
    const { launchQueue, launchDeadLetterQueue, sendQueue, sendDeadLetterQueue } = stack.campaignQueues;
    const { queue: importQueue, deadLetterQueue: importDeadLetters } = stack.importJobs;
    expect(ofType('AWS::SQS::Queue').map(([id]) => id).sort()).toEqual(
      [stack.relay.streamFailures.queue, stack.figures.streamFailures.queue, stack.deliveryEvents.failures.queue, launchQueue, launchDeadLetterQueue, sendQueue, sendDeadLetterQueue, importQueue, importDeadLetters]
        .map(idOf)
        .sort(),
    );
  });

  it(`sets ${ENV.unsubscribeMailbox} on no function`, () => {
    for (const [id, f] of sendwellFunctionResources) expect(f.Properties.Environment.Variables, id).not.toHaveProperty(ENV.unsubscribeMailbox);
  });
});

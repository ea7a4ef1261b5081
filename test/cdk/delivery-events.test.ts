/**
 * SES delivery events (lib/delivery-events.ts) in the synthesized stack: the configuration set publishes exactly the
 * seven event types to the default bus, a rule there matches this stage's SES events only, and its one target is the
 * sesEvents function with a retry policy and a dead-letter queue; the function is built and granted from its
 * definition. Checked on a dev synth and a production synth with every parameter.
 */
import { describe, expect, it } from 'vitest';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { EVENT_FUNCTIONS, type EventFunctionDef } from '../../lambdas/wiring/event-functions.ts';
import { FUNCTIONS, type FunctionDef, type Permission } from '../../lambdas/wiring/routes.ts';
import { DeliveryEvents } from '../../lib/delivery-events.ts';
import { FAILURE_RETENTION } from '../../lib/failure-queue.ts';
import { asArray, expectedActions, policiesOf, RESOURCELESS_ACTIONS } from './iam.ts';
import { findingsOf, flattenCfn, synthTemplate } from './synth.ts';
import { PROD_CONTEXT, asyncFailureConfig } from './fixtures.ts';

const DETAIL_TYPES = [
  'Email Sent',
  'Email Delivered',
  'Email Bounced',
  'Email Complaint Received',
  'Email Rejected',
  'Email Delivery Delayed',
  'Email Rendering Failed',
];
/** `MatchingEventTypes` as aws-cdk-lib writes the seven (SES accepts the camel-case names). */
const EVENT_TYPES = ['send', 'delivery', 'bounce', 'complaint', 'reject', 'deliveryDelay', 'renderingFailure'];

const CONTEXTS: [string, Record<string, string>, string][] = [
  ['dev (no context)', {}, 'sendwell-dev'],
  ['prod (all parameters)', PROD_CONTEXT, 'sendwell-prod'],
];

const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const sortedPermissions = (d: FunctionDef) => [...new Set(d.permissions)].sort().join(',');

describe.each(CONTEXTS)('synth %s', (_name, context, configurationSetName) => {
  const synth = synthTemplate(context);
  const { json, stack } = synth;
  const delivery = stack.deliveryEvents;
  const def = EVENT_FUNCTIONS.sesEvents;
  const fn = delivery.eventsFunction;
  const fnId = logicalId(fn);
  const roleId = logicalId(fn.role!);
  const queueId = logicalId(delivery.failures.queue);
  const ruleId = logicalId(delivery.rule);
  const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
  const { actionsOfRole, resourcesFor, statementsOfRole } = policiesOf(json);

  it('is cdk-nag clean', () => {
    expect(findingsOf(synth.validationReport)).toEqual([]);
  });

  describe('configuration set event destination', () => {
    const destinations = ofType('AWS::SES::ConfigurationSetEventDestination');

    it('is the one destination, on this stage\'s configuration set, enabled', () => {
      expect(destinations).toHaveLength(1);
      const props = destinations[0]![1].Properties;
      expect(props.ConfigurationSetName).toEqual({ Ref: logicalId(stack.email.configurationSet) });
      expect(json.Resources[logicalId(stack.email.configurationSet)]!.Properties.Name).toBe(configurationSetName);
      expect(props.EventDestination.Enabled).toBe(true);
    });

    it('publishes exactly send, delivery, bounce, complaint, reject, delivery delay and rendering failure', () => {
      const types = destinations[0]![1].Properties.EventDestination.MatchingEventTypes as string[];
      expect([...types].sort()).toEqual([...EVENT_TYPES].sort());
      expect(new Set(types).size).toBe(types.length);
      // No opens or clicks: Sendwell tracks them itself, where consent allows.
      for (const t of ['open', 'click', 'subscription']) expect(types).not.toContain(t);
    });

    it('publishes to the default bus of the stack\'s account and region, and nowhere else', () => {
      const dest = destinations[0]![1].Properties.EventDestination;
      expect(flattenCfn(dest.EventBridgeDestination.EventBusArn)).toMatch(
        /^arn:(<AWS::Partition>|aws[a-z-]*):events:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):event-bus\/default$/,
      );
      for (const other of ['SnsDestination', 'CloudWatchDestination', 'KinesisFirehoseDestination']) expect(dest).not.toHaveProperty(other);
    });

    it('is created after the rule, its invoke permission and the dead-letter queue policy', () => {
      const dependsOn = destinations[0]![1].DependsOn ?? [];
      const permission = ofType('AWS::Lambda::Permission').find(([, p]) => p.Properties.Principal === 'events.amazonaws.com')![0];
      const queuePolicy = ofType('AWS::SQS::QueuePolicy').find(([, p]) => asArray(p.Properties.Queues).some((q: any) => q?.Ref === queueId))![0];
      expect(dependsOn).toEqual(expect.arrayContaining([ruleId, permission, queuePolicy]));
    });
  });

  describe('rule', () => {
    const rules = ofType('AWS::Events::Rule');
    const rule = json.Resources[ruleId]!;

    it('is the one rule of the stack, on the default bus, enabled', () => {
      expect(rules).toHaveLength(1);
      expect(rule.Properties).not.toHaveProperty('EventBusName');
      expect(rule.Properties.State).toBe('ENABLED');
    });

    it('matches SES events of this account with the seven detail-types, of this stage\'s configuration set only', () => {
      const pattern = rule.Properties.EventPattern;
      expect(Object.keys(pattern).sort()).toEqual(['account', 'detail', 'detail-type', 'source']);
      expect(pattern.source).toEqual(['aws.ses']);
      expect(pattern.account.map(flattenCfn)).toEqual([expect.stringMatching(/^(<AWS::AccountId>|\d{12})$/)]);
      expect([...pattern['detail-type']].sort()).toEqual([...DETAIL_TYPES].sort());
      expect(pattern.detail).toEqual({ mail: { tags: { 'ses:configuration-set': [configurationSetName] } } });
    });

    it('has one target: the sesEvents function, with a retry policy and the failure queue as dead-letter queue', () => {
      expect(rule.Properties.Targets).toEqual([
        {
          Id: expect.any(String),
          Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 24 * 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        },
      ]);
    });

    it('lets EventBridge invoke the function from this rule only', () => {
      const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes(fnId));
      expect(permissions).toHaveLength(1);
      expect(permissions[0]![1].Properties).toEqual({
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      });
    });
  });

  describe('failures', () => {
    const queue = json.Resources[queueId]!;
    const queuePolicies = ofType('AWS::SQS::QueuePolicy').filter(([, p]) => asArray(p.Properties.Queues).some((q: any) => q?.Ref === queueId));

    it('are kept 14 days, encrypted with SQS managed keys, in a queue of their own without a DLQ', () => {
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: FAILURE_RETENTION.toSeconds() });
      expect(queue.Properties).not.toHaveProperty('RedrivePolicy');
      expect(queueId).not.toBe(logicalId(stack.relay.streamFailures.queue));
      if (stack.inbound) expect(queueId).not.toBe(logicalId(stack.inbound.failures.queue));
    });

    it('are retained exactly on production stages', () => {
      const policy = context.stage === 'prod' ? 'Retain' : 'Delete';
      expect(queue).toMatchObject({ DeletionPolicy: policy, UpdateReplacePolicy: policy });
    });

    it('may be sent by EventBridge from this rule only, and only over TLS', () => {
      expect(queuePolicies).toHaveLength(1);
      const statements = queuePolicies[0]![1].Properties.PolicyDocument.Statement as any[];
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      const allows = statements.filter((s) => s.Effect === 'Allow');
      expect(allows).toEqual([
        expect.objectContaining({
          Action: 'sqs:SendMessage',
          Principal: { Service: 'events.amazonaws.com' },
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
        }),
      ]);
    });

    it('also receive what the function failed, after two Lambda retries within 6 hours', () => {
      const configs = ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => c.Properties.FunctionName?.Ref === fnId);
      expect(configs).toHaveLength(1);
      expect(configs[0]![1].Properties).toEqual(asyncFailureConfig(fnId, queueId));
    });

    it('are acknowledged to cdk-nag as a dead-letter end, naming the EventBridge target too', () => {
      const acks = (queue.Metadata?.cdk_nag?.rules_to_suppress ?? []) as { id: string; reason: string }[];
      expect(acks.map((a) => a.id)).toEqual(['AwsSolutions-SQS3']);
      expect(acks[0]!.reason).toMatch(/dead-letter end: the Lambda on-failure destination/);
      expect(acks[0]!.reason).toMatch(/DeadLetterConfig of an EventBridge rule target/);
    });

    it('are in the outputs', () => {
      expect(json.Outputs?.DeliveryEventsFailureQueueUrl?.Value).toEqual({ Ref: queueId });
    });
  });

  describe('sesEvents function', () => {
    const props = json.Resources[fnId]!.Properties;
    /** An HTTP function with the same permissions: the sesEvents function must get what it gets. */
    const twin = Object.entries(FUNCTIONS as Readonly<Record<string, FunctionDef>>).find(([, d]) => sortedPermissions(d) === sortedPermissions(def));
    const twinFn = stack.api.functions[twin![0]]!;

    it('is built from its definition in EVENT_FUNCTIONS, by buildFunction', () => {
      expect(def.source).toBe('ses-events');
      expect(stack.functions.sesEvents?.fn).toBe(fn);
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: def.memorySize,
        Timeout: def.timeoutSeconds,
        Description: def.description,
        TracingConfig: { Mode: 'Active' },
      });
      expect(json.Resources[props.LoggingConfig.LogGroup.Ref]?.Type).toBe('AWS::Logs::LogGroup');
    });

    it('holds exactly the actions of keys:read and of its tables, besides its logs, X-Ray and its failure queue', () => {
      expect(def.permissions as readonly Permission[]).toEqual(['keys:read']);
      expect(Object.keys(def.tables).length).toBeGreaterThan(0);
      expect(actionsOfRole(roleId)).toEqual(expectedActions(def));
    });

    // Item actions are per table, from its own `tables` (test/cdk/sendwell-stack.test.ts checks every function's).
    it('holds its other grants on the same resources as the HTTP function with the same permissions', () => {
      expect(twin, 'an HTTP function with keys:read').toBeDefined();
      for (const action of actionsOfRole(roleId).filter((a) => !a.startsWith('logs:') && !a.startsWith('sqs:') && !a.startsWith('dynamodb:'))) {
        expect(resourcesFor(roleId, action), action).toEqual(resourcesFor(logicalId(twinFn.role!), action));
      }
      expect(resourcesFor(roleId, 'logs:PutLogEvents')).toEqual([`<${props.LoggingConfig.LogGroup.Ref}.Arn>`]);
    });

    it('may send to its own failure queue only, SendMessage only', () => {
      expect(actionsOfRole(roleId).filter((a) => a.startsWith('sqs:'))).toEqual(['sqs:SendMessage']);
      expect(resourcesFor(roleId, 'sqs:SendMessage')).toEqual([`<${queueId}.Arn>`]);
    });

    it('is granted Resource "*" only for actions without a resource type (X-Ray)', () => {
      const onStar = statementsOfRole(roleId)
        .filter((s) => asArray(s.Resource).some((r) => r === '*'))
        .flatMap((s) => asArray(s.Action));
      for (const action of onStar) expect(RESOURCELESS_ACTIONS.has(action), action).toBe(true);
    });

    it('gets the environment of the HTTP function with the same permissions', () => {
      expect(props.Environment.Variables).toEqual(json.Resources[logicalId(twinFn)]!.Properties.Environment.Variables);
    });
  });
});

describe('DeliveryEvents', () => {
  it('refuses a function whose definition names another event source', () => {
    const wrong = { key: 'x', def: { ...EVENT_FUNCTIONS.sesEvents, source: 'schedule' } as EventFunctionDef };
    expect(
      () => new DeliveryEvents(new Stack(new App(), 'T'), 'D', { stage: 'dev', publicBaseUrl: 'https://x', resources: {} as never, function: wrong }),
    ).toThrow(/"x" is invoked by "schedule", not by "ses-events"/);
  });
});

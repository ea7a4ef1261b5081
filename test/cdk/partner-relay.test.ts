/**
 * The partner relay (lib/partner-relay.ts) in the synthesized stack: the consent ledger's stream invokes the relay
 * function with the settings that keep order and isolate bad records, what still fails lands in an encrypted,
 * TLS-only failure queue, and a 15-minute schedule invokes the replay function through a role that can do nothing
 * else. Grants are exact: the ledger stream only, the failure queue only, the function only.
 */
import { describe, expect, it } from 'vitest';
import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { EVENT_FUNCTIONS, type EventFunctionDef } from '../../lambdas/wiring/event-functions.ts';
import { LEDGER_STREAM_SETTINGS, PartnerRelay } from '../../lib/partner-relay.ts';
import { SCHEDULED_INVOKE_RETRIES } from '../../lib/function-schedule.ts';
import { FAILURE_RETENTION } from '../../lib/failure-queue.ts';
import { asArray, policiesOf, type Statement } from './iam.ts';
import { flattenCfn, synthTemplate } from './synth.ts';

const { json, stack } = synthTemplate();
const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const { policies, statementsOfRole, resourcesFor } = policiesOf(json);

const relay = stack.relay;
const relayFnId = logicalId(relay.relayFunction);
const replayFnId = logicalId(relay.replayFunction);
const relayRoleId = logicalId(relay.relayFunction.role!);
const queueId = logicalId(relay.streamFailures.queue);
const ledgerId = logicalId(stack.data.tables.ledger);
const ledgerStreamArn = `<${ledgerId}.StreamArn>`;

describe('functions', () => {
  it.each([
    ['relayLedgerStream', 'ledger-stream'],
    ['replayPartnerEvents', 'schedule'],
  ] as const)('builds %s (source %s) from its definition in EVENT_FUNCTIONS', (key, source) => {
    const def: EventFunctionDef = EVENT_FUNCTIONS[key];
    expect(def.source).toBe(source);
    const fn = json.Resources[logicalId(relay.functions[key]!)]!;
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: def.memorySize,
      Timeout: def.timeoutSeconds,
      Description: def.description,
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('builds every event function but the mailto one in a plain synth (no construct is left out)', () => {
    const built = Object.keys(stack.functions);
    for (const [key, def] of Object.entries(EVENT_FUNCTIONS)) expect(built.includes(key), key).toBe(def.source !== 'ses-receipt');
  });

  it('refuses a function whose definition names another event source', () => {
    const wrong = { key: 'x', def: { ...EVENT_FUNCTIONS.relayLedgerStream, source: 'schedule' } as EventFunctionDef };
    const replay = { key: 'replayPartnerEvents', def: EVENT_FUNCTIONS.replayPartnerEvents };
    expect(
      () => new PartnerRelay(new Stack(new App(), 'T'), 'Relay', { stage: 'dev', publicBaseUrl: 'https://x', resources: {} as never, functions: { relay: wrong, replay } }),
    ).toThrow(/"x" is invoked by "schedule", not by "ledger-stream"/);
  });
});

describe('ledger stream → relay function', () => {
  const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => m.Properties.FunctionName?.Ref === relayFnId);

  it('is the one event source mapping of the relay function and the one on the consent ledger stream', () => {
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0]!;
    expect(mapping.Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': [ledgerId, 'StreamArn'] });
    const onLedger = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [ledgerId, 'StreamArn'] }));
    expect(onLedger.map(([id]) => id)).toEqual([mappings[0]![0]]);
  });

  it('reads from the trim horizon, 25 records a batch, one batch per shard, with partial failures, bisection and 10 retries', () => {
    const [, mapping] = mappings[0]!;
    expect(mapping.Properties).toEqual(
      expect.objectContaining({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 25,
        ParallelizationFactor: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        MaximumRecordAgeInSeconds: LEDGER_STREAM_SETTINGS.maxRecordAge.toSeconds(),
      }),
    );
    // New entries only (the relay has nothing to send for an erasure's REMOVEs); no tumbling window, not disabled.
    expect((mapping.Properties.FilterCriteria.Filters as Array<{ Pattern: string }>).map((f) => JSON.parse(f.Pattern))).toEqual([{ eventName: ['INSERT'] }]);
    for (const p of ['TumblingWindowInSeconds', 'Enabled']) expect(mapping.Properties).not.toHaveProperty(p);
  });

  it('gives up on a record well before the stream trims it (24 hours), so a failure is recorded, not lost', () => {
    const age = mappings[0]![1].Properties.MaximumRecordAgeInSeconds as number;
    expect(age).toBeGreaterThanOrEqual(Duration.hours(1).toSeconds());
    expect(age).toBeLessThanOrEqual(Duration.hours(12).toSeconds());
  });

  it('sends what still fails to the relay failure queue', () => {
    expect(mappings[0]![1].Properties.DestinationConfig).toEqual({ OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } });
  });

  it('is created after the grants it is checked against (the function waits for its role policy)', () => {
    const fn = json.Resources[relayFnId]!;
    expect(fn.DependsOn).toContain(logicalId(relay.relayFunction.role!.node.findChild('DefaultPolicy')));
  });

  it('lets the relay function read the ledger stream, and no other stream, with no wildcard', () => {
    for (const action of ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']) {
      expect(resourcesFor(relayRoleId, action), action).toEqual([ledgerStreamArn]);
    }
  });

  it('grants the ledger stream reads to no other role (the figures function reads the messages stream only)', () => {
    for (const [id, p] of policies) {
      const onLedger = (p.Properties.PolicyDocument.Statement as Statement[]).filter(
        (s) => asArray(s.Action).some((a) => /^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/.test(a)) && JSON.stringify(s.Resource).includes(`"${ledgerId}"`),
      );
      if (onLedger.length === 0) continue;
      expect(asArray(p.Properties.Roles), id).toEqual([{ Ref: relayRoleId }]);
    }
  });

  it('lets the relay function send to its failure queue, SendMessage only', () => {
    const sqsStatements = statementsOfRole(relayRoleId).filter((s) => asArray(s.Action).some((a) => a.startsWith('sqs:')));
    expect(sqsStatements.flatMap((s) => asArray(s.Action))).toEqual(['sqs:SendMessage']);
    expect(resourcesFor(relayRoleId, 'sqs:SendMessage')).toEqual([`<${queueId}.Arn>`]);
  });

  it('is not invoked asynchronously: no async invoke configuration on the relay function', () => {
    expect(ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => c.Properties.FunctionName?.Ref === relayFnId)).toEqual([]);
  });
});

describe('relay failure queue', () => {
  const queue = json.Resources[queueId]!;

  it('is encrypted with SQS managed keys and keeps messages 14 days, without a DLQ of its own', () => {
    expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: FAILURE_RETENTION.toSeconds() });
    expect(FAILURE_RETENTION.toSeconds()).toBe(1_209_600);
    expect(queue.Properties).not.toHaveProperty('RedrivePolicy');
  });

  it('denies every request without TLS', () => {
    const policies = ofType('AWS::SQS::QueuePolicy').filter(([, p]) => asArray(p.Properties.Queues).some((q: any) => q?.Ref === queueId));
    expect(policies).toHaveLength(1);
    expect(policies[0]![1].Properties.PolicyDocument.Statement).toContainEqual({
      Action: 'sqs:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
    });
  });

  it('is deleted with a dev stack (retained on production stages: sendwell-stack.test.ts)', () => {
    expect(queue).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('is in the outputs', () => {
    expect(json.Outputs?.RelayFailureQueueUrl?.Value).toEqual({ Ref: queueId });
  });
});

describe('schedule → replay function', () => {
  const schedules = ofType('AWS::Scheduler::Schedule').filter(([, sc]) => sc.Properties.Target.Arn?.['Fn::GetAtt']?.[0] === replayFnId);
  const schedulerRoleId = logicalId(relay.replaySchedule.role);
  const groupId = logicalId(relay.replaySchedule.group);

  it('is the one schedule of the replay function: every 15 minutes, no flexible window, enabled', () => {
    expect(schedules).toHaveLength(1);
    expect(schedules[0]![1].Properties).toMatchObject({
      ScheduleExpression: 'rate(15 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
  });

  it('targets the replay function through the scheduler role, with a retry policy bounded by one period', () => {
    const target = schedules[0]![1].Properties.Target;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [replayFnId, 'Arn'] });
    expect(target.RoleArn).toEqual({ 'Fn::GetAtt': [schedulerRoleId, 'Arn'] });
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: SCHEDULED_INVOKE_RETRIES, MaximumEventAgeInSeconds: 900 });
    expect(target).not.toHaveProperty('Input');
  });

  it('lives in a schedule group of its own', () => {
    expect(schedules[0]![1].Properties.GroupName).toBe(json.Resources[groupId]!.Properties.Name);
    const sameGroup = ofType('AWS::Scheduler::Schedule').filter(([, sc]) => JSON.stringify(sc.Properties.GroupName) === JSON.stringify(json.Resources[groupId]!.Properties.Name));
    expect(sameGroup).toHaveLength(1);
  });

  it('uses a role Scheduler may assume only for that group of this account', () => {
    expect(json.Resources[schedulerRoleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': expect.anything(), 'aws:SourceArn': { 'Fn::GetAtt': [groupId, 'Arn'] } } },
      },
    ]);
    const account = json.Resources[schedulerRoleId]!.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals['aws:SourceAccount'];
    expect(flattenCfn(account)).toMatch(/^(<AWS::AccountId>|\d{12})$/);
  });

  it('whose policies allow invoking the replay function and nothing else (no version or alias wildcard)', () => {
    const statements = statementsOfRole(schedulerRoleId);
    expect(statements).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [replayFnId, 'Arn'] } }]);
    expect(json.Resources[schedulerRoleId]!.Properties).not.toHaveProperty('ManagedPolicyArns');
  });

  it('needs no resource-based permission on the replay function', () => {
    expect(ofType('AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes(replayFnId))).toEqual([]);
  });

  it('does not retry a failed run asynchronously: the next run is the retry', () => {
    const configs = ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => c.Properties.FunctionName?.Ref === replayFnId);
    expect(configs).toHaveLength(1);
    expect(configs[0]![1].Properties).toEqual({
      FunctionName: { Ref: replayFnId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 900,
    });
  });
});

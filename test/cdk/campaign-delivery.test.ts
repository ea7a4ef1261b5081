/**
 * Campaign fan-out on AWS (lib/campaign-queues.ts, lib/campaign-delivery.ts): four encrypted, TLS-only queues with
 * the redrive counts and visibility timeouts the consumers need; the launch and send queues invoke the launcher and
 * the sender with partial batch responses and a concurrency derived from the send rate; a one-minute schedule invokes
 * startDueCampaigns; the queue URLs and SendMessage go to exactly the functions with `campaigns:enqueue`. Checked on
 * a plain synth and on one with `-c sendRate=200`; the formula and the construct checks on their own.
 */
import { describe, expect, it } from 'vitest';
import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { EVENT_FUNCTIONS, type EventFunctionDef } from '../../lambdas/wiring/event-functions.ts';
import type { FunctionDef, Permission } from '../../lambdas/wiring/routes.ts';
import { TABLES } from '../../lambdas/wiring/tables.ts';
import { CampaignDelivery, MAILS_PER_SECOND_PER_SENDER, MAX_SENDER_CONCURRENCY, senderConcurrency } from '../../lib/campaign-delivery.ts';
import {
  CampaignQueues,
  DEFAULT_SEND_MAX_ATTEMPTS,
  DEFAULT_SEND_RATE,
  DEFAULT_SEND_RECONCILE_SECONDS,
  LAUNCH_MAX_RECEIVES,
  SEND_REDRIVE_MARGIN,
  WORK_QUEUE_RETENTION,
  type CampaignQueuesProps,
} from '../../lib/campaign-queues.ts';
import { FAILURE_RETENTION } from '../../lib/failure-queue.ts';
import { SCHEDULED_INVOKE_RETRIES } from '../../lib/function-schedule.ts';
import { asArray, policiesOf, SQS_CONSUME } from './iam.ts';
import { inlineFunction } from './fixtures.ts';
import { synthTemplate, type SendwellSynth } from './synth.ts';

const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const arnOf = (q: sqs.IQueue) => `<${logicalId(q)}.Arn>`;
const QUEUE_ENV = [ENV.launchQueueUrl, ENV.sendQueueUrl, ENV.sendDeadLetterQueueUrl, ENV.sendMaxAttempts, ENV.sendReconcileSeconds];

describe('senderConcurrency', () => {
  it.each([
    [0.5, 2],
    [1, 2],
    [10, 2],
    [DEFAULT_SEND_RATE, 2],
    [50, 2],
    [51, 3],
    [200, 8],
    [2_500, 100],
    [2_501, 100],
    [50_000, 100],
  ])('sendRate %d → %d senders', (rate, expected) => {
    expect(senderConcurrency(rate)).toBe(expected);
  });

  it('is a whole number within what SQS accepts (2 to 1000) and the cap, never decreasing with the rate', () => {
    let previous = 0;
    for (let rate = 0.25; rate <= 3_000; rate += 0.25) {
      const c = senderConcurrency(rate);
      expect(Number.isInteger(c), String(rate)).toBe(true);
      expect(c).toBeGreaterThanOrEqual(Math.max(2, previous));
      expect(c).toBeLessThanOrEqual(Math.min(1000, MAX_SENDER_CONCURRENCY));
      previous = c;
    }
  });

  it('runs enough senders to use the whole rate, up to the cap', () => {
    for (let rate = 1; rate <= MAX_SENDER_CONCURRENCY * MAILS_PER_SECOND_PER_SENDER; rate++) {
      expect(senderConcurrency(rate) * MAILS_PER_SECOND_PER_SENDER, String(rate)).toBeGreaterThanOrEqual(rate);
      // And not a whole sender more than needed, beyond SQS's minimum of 2.
      expect((senderConcurrency(rate) - 1) * MAILS_PER_SECOND_PER_SENDER < rate || senderConcurrency(rate) === 2, String(rate)).toBe(true);
    }
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses sendRate %d', (rate) => {
    expect(() => senderConcurrency(rate)).toThrow(/sendRate must be a number of mails per second greater than 0/);
  });
});

describe('CampaignQueues on its own', () => {
  const build = (props?: CampaignQueuesProps) => {
    const stack = new Stack(new App(), 'T');
    return { stack, queues: new CampaignQueues(stack, 'Q', props) };
  };

  it('retains the four queues by default and deletes them with retain: false', () => {
    for (const [retain, policy] of [[undefined, 'Retain'], [false, 'Delete']] as const) {
      const queues = Object.values(Template.fromStack(build({ retain }).stack).findResources('AWS::SQS::Queue'));
      expect(queues).toHaveLength(4);
      for (const q of queues) expect(q).toMatchObject({ DeletionPolicy: policy, UpdateReplacePolicy: policy });
    }
  });

  it('derives the send redrive and the variables from sendMaxAttempts, and sets the send rate', () => {
    const { stack, queues } = build({ sendMaxAttempts: 8, sendReconcileSeconds: 900, sendRate: 2.5 });
    const fn = inlineFunction(stack);
    queues.bindEnvironment(fn);
    queues.bindQueueEnvironment(fn);
    const json = Template.fromStack(stack).toJSON();
    expect(json.Resources[logicalId(queues.sendQueue)].Properties.RedrivePolicy.maxReceiveCount).toBe(8 + SEND_REDRIVE_MARGIN);
    expect(json.Resources[logicalId(fn)].Properties.Environment.Variables).toMatchObject({
      [ENV.sendRate]: '2.5',
      [ENV.sendMaxAttempts]: '8',
      [ENV.sendReconcileSeconds]: '900',
      [ENV.sendQueueUrl]: { Ref: logicalId(queues.sendQueue) },
    });
  });

  it.each([
    [{ sendRate: 0 }, /sendRate must be a number of mails per second greater than 0, got 0/],
    [{ sendRate: Number.NaN }, /sendRate must be/],
    [{ sendMaxAttempts: 0 }, /sendMaxAttempts must be a whole number from 1 to 998, got 0/],
    [{ sendMaxAttempts: 2.5 }, /sendMaxAttempts must be a whole number/],
    [{ sendMaxAttempts: 999 }, /sendMaxAttempts must be a whole number from 1 to 998, got 999/],
    [{ sendReconcileSeconds: 0 }, /sendReconcileSeconds must be a whole number of seconds greater than 0/],
  ] as [CampaignQueuesProps, RegExp][])('refuses %j', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

describe('CampaignDelivery checks', () => {
  const tryBuild = (queueProps: CampaignQueuesProps, functions?: ConstructorParameters<typeof CampaignDelivery>[2]['functions']) => {
    const stack = new Stack(new App(), 'T');
    const campaigns = new CampaignQueues(stack, 'Q', queueProps);
    // The checks run before any function is built, so no other resource is needed.
    return () => new CampaignDelivery(stack, 'C', { stage: 'dev', publicBaseUrl: 'https://x', resources: { campaigns } as never, functions });
  };
  const defaults = {
    launcher: { key: 'campaignLauncher', def: EVENT_FUNCTIONS.campaignLauncher as EventFunctionDef },
    sender: { key: 'campaignSender', def: EVENT_FUNCTIONS.campaignSender as EventFunctionDef },
    starter: { key: 'startDueCampaigns', def: EVENT_FUNCTIONS.startDueCampaigns as EventFunctionDef },
  };

  it('refuses a send queue whose visibility timeout is under six times the sender timeout', () => {
    expect(tryBuild({ sendVisibilityTimeout: Duration.seconds(6 * EVENT_FUNCTIONS.campaignSender.timeoutSeconds - 1) })).toThrow(
      /the send queue's visibility timeout \(719 s\) must be at least 6 × the timeout of "campaignSender" \(720 s\)/,
    );
    expect(tryBuild({ launchVisibilityTimeout: Duration.minutes(5) })).toThrow(/the launch queue's visibility timeout \(300 s\)/);
  });

  it('refuses a function whose definition names another event source', () => {
    const sender = { key: 'x', def: { ...EVENT_FUNCTIONS.campaignSender, source: 'campaign-launch-queue' } as EventFunctionDef };
    expect(tryBuild({}, { ...defaults, sender })).toThrow(/"x" is invoked by "campaign-launch-queue", not by "campaign-send-queue"/);
    const starter = { key: 'y', def: { ...EVENT_FUNCTIONS.startDueCampaigns, source: 'ses-events' } as EventFunctionDef };
    expect(tryBuild({}, { ...defaults, starter })).toThrow(/"y" is invoked by "ses-events", not by "schedule"/);
  });
});

describe.each([
  ['plain synth (default send rate)', {}, DEFAULT_SEND_RATE],
  ['-c sendRate=200', { sendRate: '200' }, 200],
] as [string, Record<string, string>, number][])('%s', (_name, context, rate) => {
  const synth: SendwellSynth = synthTemplate(context);
  const { json, stack } = synth;
  const queues = stack.campaignQueues;
  const campaigns = stack.campaigns;
  const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
  const props = (c: IConstruct) => json.Resources[logicalId(c)]!.Properties;
  const fnIdOf = (key: string) => logicalId(stack.functions[key]!.fn);
  const mappingsOf = (key: string) => ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => m.Properties.FunctionName?.Ref === fnIdOf(key));
  const { policies, resourcesFor } = policiesOf(json);
  const roleOf = (key: string) => logicalId(stack.functions[key]!.fn.role!);
  const functions = Object.entries(stack.functions).map(([key, { def }]) => [key, def] as [string, FunctionDef]);
  const enqueues = (def: FunctionDef) => (def.permissions as readonly Permission[]).includes('campaigns:enqueue');

  describe('queues', () => {
    const { launchQueue, launchDeadLetterQueue, sendQueue, sendDeadLetterQueue } = queues;
    const all = [launchQueue, launchDeadLetterQueue, sendQueue, sendDeadLetterQueue];

    it('are encrypted with SQS managed keys and deny every request without TLS', () => {
      for (const q of all) {
        expect(props(q), q.node.path).toMatchObject({ SqsManagedSseEnabled: true });
        expect(props(q)).not.toHaveProperty('KmsMasterKeyId');
        const queuePolicies = ofType('AWS::SQS::QueuePolicy').filter(([, p]) => asArray(p.Properties.Queues).some((r: any) => r?.Ref === logicalId(q)));
        expect(queuePolicies, q.node.path).toHaveLength(1);
        expect(queuePolicies[0]![1].Properties.PolicyDocument.Statement).toContainEqual({
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Resource: { 'Fn::GetAtt': [logicalId(q), 'Arn'] },
        });
      }
    });

    it(`redrive a send batch after sendMaxAttempts + ${SEND_REDRIVE_MARGIN} receives and a launch after ${LAUNCH_MAX_RECEIVES}`, () => {
      expect(props(sendQueue).RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(sendDeadLetterQueue), 'Arn'] },
        maxReceiveCount: DEFAULT_SEND_MAX_ATTEMPTS + 2,
      });
      expect(props(launchQueue).RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(launchDeadLetterQueue), 'Arn'] },
        maxReceiveCount: 5,
      });
      for (const dlq of [sendDeadLetterQueue, launchDeadLetterQueue]) expect(props(dlq)).not.toHaveProperty('RedrivePolicy');
    });

    it('hide a message for at least six times the consuming function\'s timeout', () => {
      for (const [q, key] of [[launchQueue, 'campaignLauncher'], [sendQueue, 'campaignSender']] as const) {
        const timeout = props(stack.functions[key]!.fn).Timeout as number;
        expect(timeout).toBe(EVENT_FUNCTIONS[key].timeoutSeconds);
        expect(props(q).VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
      }
    });

    it('keep dead letters 14 days, longer than the work queues keep messages', () => {
      for (const dlq of [sendDeadLetterQueue, launchDeadLetterQueue]) expect(props(dlq).MessageRetentionPeriod).toBe(14 * 86_400);
      expect(FAILURE_RETENTION.toSeconds()).toBe(14 * 86_400);
      for (const q of [sendQueue, launchQueue]) expect(props(q).MessageRetentionPeriod).toBe(WORK_QUEUE_RETENTION.toSeconds());
      expect(WORK_QUEUE_RETENTION.toSeconds()).toBeLessThan(FAILURE_RETENTION.toSeconds());
    });

    it('are deleted with a dev stack (retained on production stages: sendwell-stack.test.ts)', () => {
      for (const q of all) expect(json.Resources[logicalId(q)]).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    });

    it('put the dead-letter queue URLs in the outputs', () => {
      expect(json.Outputs?.CampaignSendDeadLetterQueueUrl?.Value).toEqual({ Ref: logicalId(sendDeadLetterQueue) });
      expect(json.Outputs?.CampaignLaunchDeadLetterQueueUrl?.Value).toEqual({ Ref: logicalId(launchDeadLetterQueue) });
    });
  });

  describe('event sources', () => {
    it.each([
      ['campaignLauncher', 'launch', 1, 2],
      ['campaignSender', 'send', 5, senderConcurrency(rate)],
    ] as const)('%s consumes the %s queue: batches of %d, at most %d at once, partial batch responses', (key, queue, batchSize, concurrency) => {
      const mappings = mappingsOf(key);
      expect(mappings).toHaveLength(1);
      expect(mappings[0]![1].Properties).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [logicalId(queue === 'launch' ? queues.launchQueue : queues.sendQueue), 'Arn'] },
        BatchSize: batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: concurrency },
      });
    });

    it(`sizes the sender's concurrency from the send rate: senderConcurrency(${rate}) = ${senderConcurrency(rate)}`, () => {
      expect(campaigns.senderConcurrency).toBe(senderConcurrency(rate));
      expect(mappingsOf('campaignSender')[0]![1].Properties.ScalingConfig.MaximumConcurrency).toBe(rate === DEFAULT_SEND_RATE ? 2 : 8);
    });

    it('startDueCampaigns consumes no queue, and no other function consumes a campaign queue', () => {
      expect(mappingsOf('startDueCampaigns')).toEqual([]);
      const onCampaignQueues = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) =>
        [queues.launchQueue, queues.sendQueue, queues.launchDeadLetterQueue, queues.sendDeadLetterQueue].some(
          (q) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [logicalId(q), 'Arn'] }),
        ),
      );
      expect(onCampaignQueues.map(([, m]) => m.Properties.FunctionName.Ref).sort()).toEqual([fnIdOf('campaignLauncher'), fnIdOf('campaignSender')].sort());
    });

    it('lets each consumer receive from its own queue only, and nobody from a dead-letter queue', () => {
      const consumers = { campaignLauncher: queues.launchQueue, campaignSender: queues.sendQueue } as const;
      for (const [key] of functions) {
        const expected = key in consumers ? [arnOf(consumers[key as keyof typeof consumers])] : [];
        for (const action of SQS_CONSUME) {
          const campaignArns = resourcesFor(roleOf(key), action).filter((r) =>
            [queues.launchQueue, queues.sendQueue, queues.launchDeadLetterQueue, queues.sendDeadLetterQueue].map(arnOf).includes(r),
          );
          expect(campaignArns, `${key} ${action}`).toEqual(expected);
        }
      }
    });
  });

  describe('schedule → startDueCampaigns', () => {
    const fnId = fnIdOf('startDueCampaigns');
    const schedules = ofType('AWS::Scheduler::Schedule').filter(([, s]) => s.Properties.Target.Arn?.['Fn::GetAtt']?.[0] === fnId);

    it('runs every minute through its own role, retrying an invoke within one period, alone in its group', () => {
      expect(schedules).toHaveLength(1);
      const schedule = schedules[0]![1].Properties;
      expect(schedule).toMatchObject({ ScheduleExpression: 'rate(1 minute)', FlexibleTimeWindow: { Mode: 'OFF' }, State: 'ENABLED' });
      expect(schedule.Target.RoleArn).toEqual({ 'Fn::GetAtt': [logicalId(campaigns.startSchedule.role), 'Arn'] });
      expect(schedule.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: SCHEDULED_INVOKE_RETRIES, MaximumEventAgeInSeconds: 60 });
      expect(schedule.GroupName).toBe(props(campaigns.startSchedule.group).Name);
      expect(ofType('AWS::Scheduler::Schedule').filter(([, s]) => s.Properties.GroupName === schedule.GroupName)).toHaveLength(1);
    });

    it('whose role may invoke startDueCampaigns and nothing else', () => {
      const roleId = logicalId(campaigns.startSchedule.role);
      const statements = policies.filter(([, p]) => asArray(p.Properties.Roles).some((r: any) => r?.Ref === roleId)).flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      expect(statements).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [fnId, 'Arn'] } }]);
      expect(json.Resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals['aws:SourceArn']).toEqual({
        'Fn::GetAtt': [logicalId(campaigns.startSchedule.group), 'Arn'],
      });
    });

    it('does not retry a failed run asynchronously: the next minute is the retry', () => {
      const configs = ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => c.Properties.FunctionName?.Ref === fnId);
      expect(configs.map(([, c]) => c.Properties)).toEqual([
        { FunctionName: { Ref: fnId }, Qualifier: '$LATEST', MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      ]);
    });
  });

  describe('functions', () => {
    it('gives some functions campaigns:enqueue (admin, the three campaign functions, the deferred-mail sender), so the tests below check something', () => {
      expect(functions.filter(([, def]) => enqueues(def)).map(([key]) => key).sort()).toEqual(
        ['admin', 'campaignLauncher', 'campaignSender', 'startDueCampaigns', 'sendDueMessages'].sort(),
      );
    });

    it.each(Object.keys(stack.functions))(`%s gets ${ENV.sendRate} = ${rate}`, (key) => {
      expect(props(stack.functions[key]!.fn).Environment.Variables[ENV.sendRate]).toBe(String(rate));
    });

    it.each(functions)('%s gets the queue URLs and send settings exactly when it has campaigns:enqueue', (key, def) => {
      const vars = props(stack.functions[key]!.fn).Environment.Variables as Record<string, unknown>;
      if (!enqueues(def)) {
        for (const v of QUEUE_ENV) expect(vars, v).not.toHaveProperty(v);
        return;
      }
      expect(vars).toMatchObject({
        [ENV.launchQueueUrl]: { Ref: logicalId(queues.launchQueue) },
        [ENV.sendQueueUrl]: { Ref: logicalId(queues.sendQueue) },
        [ENV.sendDeadLetterQueueUrl]: { Ref: logicalId(queues.sendDeadLetterQueue) },
        [ENV.sendMaxAttempts]: String(DEFAULT_SEND_MAX_ATTEMPTS),
        [ENV.sendReconcileSeconds]: String(DEFAULT_SEND_RECONCILE_SECONDS),
      });
    });

    it.each(functions)('%s may send to the launch queue, the send queue and the send DLQ exactly when it has campaigns:enqueue', (key, def) => {
      // The exact action sets of every function are checked in sendwell-stack.test.ts (expectedActions of iam.ts).
      const expected = enqueues(def) ? [queues.launchQueue, queues.sendQueue, queues.sendDeadLetterQueue].map(arnOf).sort() : [];
      const campaignArns = [queues.launchQueue, queues.sendQueue, queues.launchDeadLetterQueue, queues.sendDeadLetterQueue].map(arnOf);
      expect(resourcesFor(roleOf(key), 'sqs:SendMessage').filter((r) => campaignArns.includes(r))).toEqual(expected);
    });

    it('lets no role send to the launch dead-letter queue (only SQS redrives into it)', () => {
      for (const [id, p] of policies) {
        for (const s of p.Properties.PolicyDocument.Statement) expect(asArray(s.Resource), id).not.toContainEqual({ 'Fn::GetAtt': [logicalId(queues.launchDeadLetterQueue), 'Arn'] });
      }
    });
  });

  it('expires campaign send-rate windows by TTL on expiresAt', () => {
    expect(TABLES.campaigns.ttlAttribute).toBe('expiresAt');
    expect(props(stack.data.tables.campaigns).TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });
});

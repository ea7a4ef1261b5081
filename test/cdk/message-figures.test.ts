/**
 * The figures reader (lib/message-figures.ts) in the synthesized stack: the messages table's stream invokes the
 * figures function in batches, with partial failures and no bisection (a written part's marker is named after a
 * record; a half starting inside it would count it again), what still fails lands in its failure queue, and the
 * function may read that one stream and write the counters table and campaign progress, nothing else.
 */
import { describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { EVENT_FUNCTIONS } from '../../lambdas/wiring/event-functions.ts';
import { FIGURES_STREAM } from '../../lambdas/wiring/event-functions.ts';
import { asArray, policiesOf, type Statement } from './iam.ts';
import { synthTemplate } from './synth.ts';

const { json, stack } = synthTemplate();
const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const { policies, statementsOfRole, resourcesFor } = policiesOf(json);

const figures = stack.figures;
const fnId = logicalId(figures.figuresFunction);
const roleId = logicalId(figures.figuresFunction.role!);
const queueId = logicalId(figures.streamFailures.queue);
const messagesId = logicalId(stack.data.tables.messages);

describe('messages stream → figures function', () => {
  const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => m.Properties.FunctionName?.Ref === fnId);

  it('is built from its definition and is the one mapping on the messages stream', () => {
    expect(EVENT_FUNCTIONS.countMessageFigures.source).toBe('messages-stream');
    expect(json.Resources[fnId]!.Properties).toMatchObject({ Timeout: EVENT_FUNCTIONS.countMessageFigures.timeoutSeconds, Description: EVENT_FUNCTIONS.countMessageFigures.description });
    expect(mappings).toHaveLength(1);
    expect(mappings[0]![1].Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': [messagesId, 'StreamArn'] });
    const onMessages = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => JSON.stringify(m.Properties.EventSourceArn).includes(`"${messagesId}"`));
    expect(onMessages.map(([id]) => id)).toEqual([mappings[0]![0]]);
  });

  it('batches 100 records or 5 s, one batch per shard, partial failures, never bisected, retried until written, alarmed when behind', () => {
    const props = mappings[0]![1].Properties;
    expect(props).toEqual(
      expect.objectContaining({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 5,
        ParallelizationFactor: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: false,
      }),
    );
    // Campaign progress is counted here: no record is dropped after a number of tries or an age (Lambda's default, -1:
    // until the stream's 24 h retention); a reader that falls behind alarms instead.
    expect(props.MaximumRetryAttempts ?? -1).toBe(-1);
    expect(props.MaximumRecordAgeInSeconds ?? -1).toBe(-1);
    expect(props.DestinationConfig).toEqual({ OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } });
    const behind = ofType('AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.MetricName === 'IteratorAge' && JSON.stringify(a.Properties.Dimensions).includes(fnId));
    expect(behind?.[1].Properties).toMatchObject({ Statistic: 'Maximum', Threshold: 15 * 60 * 1000, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('is invoked only for the changes that can count (the filters the local reader applies too)', () => {
    const patterns = (mappings[0]![1].Properties.FilterCriteria.Filters as Array<{ Pattern: string }>).map((f) => JSON.parse(f.Pattern));
    expect(patterns).toEqual(FIGURES_STREAM.filters);
    // Lambda's limit for an event source mapping is 5 filters.
    expect(patterns.length).toBeLessThanOrEqual(5);
  });

  it('reads the messages stream only, writes the counters and campaigns tables only, and sends to its failure queue only', () => {
    const streamArn = `<${messagesId}.StreamArn>`;
    for (const action of ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']) {
      expect(resourcesFor(roleId, action), action).toEqual([streamArn]);
    }
    const countersId = logicalId(stack.data.tables.counters);
    const campaignsId = logicalId(stack.data.tables.campaigns);
    expect(resourcesFor(roleId, 'dynamodb:PutItem')).toEqual([`<${countersId}.Arn>`]);
    // Campaign progress (update) and completion (read the campaign, update it, delete its active-campaign entry).
    for (const action of ['dynamodb:UpdateItem', 'dynamodb:GetItem']) expect(resourcesFor(roleId, action).sort(), action).toEqual([`<${campaignsId}.Arn>`, `<${countersId}.Arn>`].sort());
    expect(resourcesFor(roleId, 'dynamodb:DeleteItem')).toEqual([`<${campaignsId}.Arn>`]);
    expect(resourcesFor(roleId, 'sqs:SendMessage')).toEqual([`<${queueId}.Arn>`]);
    const dynamoActions = statementsOfRole(roleId).flatMap((s) => asArray(s.Action).filter((a) => a.startsWith('dynamodb:')));
    expect(dynamoActions).not.toContain('dynamodb:Scan');
  });

  it('grants the messages stream reads to no other role', () => {
    for (const [id, p] of policies) {
      const onMessages = (p.Properties.PolicyDocument.Statement as Statement[]).filter(
        (s) => asArray(s.Action).some((a) => a === 'dynamodb:GetRecords') && JSON.stringify(s.Resource).includes(`"${messagesId}"`),
      );
      if (onMessages.length === 0) continue;
      expect(asArray(p.Properties.Roles), id).toEqual([{ Ref: roleId }]);
    }
  });
});

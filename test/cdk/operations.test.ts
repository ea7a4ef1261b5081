/**
 * Observability in the synthesized stack (lib/alarms.ts, lib/operations-dashboard.ts): the alarms with their exact
 * thresholds (bounce ≥ 4 %, complaint ≥ 0.08 %, Sendwell's and SES's own), one per failure queue, errors and throttles
 * per function, all to an SNS topic encrypted with a rotating customer-managed key that CloudWatch may use; the email
 * subscription only with `alarmEmail`; the dashboard with the same figures; the SES event destination they rest on.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { FailureQueue } from '../../lib/failure-queue.ts';
import { CONTEXTS, PROD_CONTEXT } from './fixtures.ts';
import { findingsOf, synthTemplate } from './synth.ts';

const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);

describe.each(CONTEXTS)('synth %s', (_name, context) => {
  const synth = synthTemplate(context);
  const { json, stack } = synth;
  const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
  const alarm = (name: string) => {
    const a = stack.alarms.alarms.get(name);
    expect(a, name).toBeDefined();
    return json.Resources[logicalId(a!)]!.Properties;
  };
  const topicId = logicalId(stack.alarms.topic);

  it('is cdk-nag clean', () => {
    expect(findingsOf(synth.validationReport)).toEqual([]);
  });

  it('alarms at a 4 % hard-bounce and 0.08 % complaint rate per hour, once 100 mails were sent', () => {
    const bounce = alarm('bounceRate');
    expect(bounce).toMatchObject({ Threshold: 4, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    const expr = (p: any) => (p.Metrics as Array<{ Expression?: string }>).find((m) => m.Expression)!.Expression;
    expect(expr(bounce)).toBe('IF((FILL(ss, 0) + FILL(sm, 0)) >= 100, 100 * FILL(bounced_hard, 0) / (FILL(ss, 0) + FILL(sm, 0)), 0)');
    const inputs = (bounce.Metrics as Array<{ Id: string; MetricStat?: any }>).filter((m) => m.MetricStat);
    expect(inputs.map((m) => [m.Id, m.MetricStat.Metric.MetricName, m.MetricStat.Metric.Namespace, m.MetricStat.Period, m.MetricStat.Stat]).sort()).toEqual([
      ['bounced_hard', 'bounced_hard', 'Sendwell', 3600, 'Sum'],
      ['sm', 'sent_marketing', 'Sendwell', 3600, 'Sum'],
      ['ss', 'sent_service', 'Sendwell', 3600, 'Sum'],
    ]);
    expect(inputs[0]!.MetricStat.Metric.Dimensions).toEqual([{ Name: 'service', Value: 'sendwell' }]);
    const complaint = alarm('complaintRate');
    expect(complaint).toMatchObject({ Threshold: 0.08, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(expr(complaint)).toContain('100 * FILL(complained, 0)');
  });

  it("also alarms on SES's own reputation metrics at 0.04 and 0.0008", () => {
    expect(alarm('sesBounceRate')).toMatchObject({ Namespace: 'AWS/SES', MetricName: 'Reputation.BounceRate', Threshold: 0.04, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(alarm('sesComplaintRate')).toMatchObject({ Namespace: 'AWS/SES', MetricName: 'Reputation.ComplaintRate', Threshold: 0.0008 });
  });

  it('alarms when the campaign sweep could not move a campaign on (its own metric: the function does not fail)', () => {
    expect(alarm('campaignSweep')).toMatchObject({
      Namespace: 'Sendwell',
      MetricName: 'campaign_sweep_failed',
      Dimensions: [{ Name: 'service', Value: 'sendwell' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms when any failure queue holds a message, every one of them', () => {
    const queues = [
      ...stack.node.findAll().filter((c): c is FailureQueue => c instanceof FailureQueue).map((q) => q.queue),
      stack.campaignQueues.launchDeadLetterQueue,
      stack.campaignQueues.sendDeadLetterQueue,
      stack.importJobs.deadLetterQueue,
    ];
    expect(queues.length).toBe(context.unsubscribeMailbox ? 7 : 6);
    const queueAlarms = [...stack.alarms.alarms.entries()].filter(([name]) => name.startsWith('queue:'));
    expect(queueAlarms).toHaveLength(queues.length);
    for (const q of queues) {
      const found = queueAlarms.map(([, a]) => json.Resources[logicalId(a)]!.Properties).find((p) => p.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] === logicalId(q));
      expect(found, q.node.path).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
  });

  it('every queue the template uses as a dead letter or failure destination has an alarm (found from the template, not a list)', () => {
    const arnTarget = (v: any): string | undefined => v?.['Fn::GetAtt']?.[0];
    const ends = new Set<string>();
    for (const r of Object.values(json.Resources)) {
      const p = r.Properties ?? {};
      const redrive = typeof p.RedrivePolicy === 'object' ? arnTarget(p.RedrivePolicy?.deadLetterTargetArn) : undefined;
      for (const t of [redrive, arnTarget(p.DestinationConfig?.OnFailure?.Destination), ...(p.Targets ?? []).map((t: any) => arnTarget(t.DeadLetterConfig?.Arn))]) {
        if (t && json.Resources[t]?.Type === 'AWS::SQS::Queue') ends.add(t);
      }
    }
    expect(ends.size).toBeGreaterThanOrEqual(4);
    const alarmed = new Set(
      Object.values(json.Resources)
        .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')
        .map((r) => r.Properties.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0]),
    );
    for (const q of ends) expect(alarmed.has(q), q).toBe(true);
  });

  it('alarms on errors and throttles of every function', () => {
    for (const [key, { fn }] of Object.entries(stack.functions)) {
      for (const [kind, metric] of [['errors', 'Errors'], ['throttles', 'Throttles']] as const) {
        expect(alarm(`${kind}:${key}`)).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }],
        });
      }
    }
    // The two stream readers (the figures of the messages stream, the partner relay of the ledger's) alarm when behind.
    expect([...stack.alarms.alarms.keys()].filter((k) => k.startsWith('behind:')).sort()).toEqual(['behind:countMessageFigures', 'behind:relayLedgerStream']);
    expect(stack.alarms.alarms.size).toBe(5 + (context.unsubscribeMailbox ? 7 : 6) + 2 + 2 * Object.keys(stack.functions).length);
  });

  it('sends every alarm to the one topic, encrypted with a rotating customer-managed key CloudWatch may use', () => {
    for (const [, a] of ofType('AWS::CloudWatch::Alarm')) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    const topic = json.Resources[topicId]!.Properties;
    const keyId = logicalId(stack.alarms.key);
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    const key = json.Resources[keyId]!.Properties;
    expect(key.EnableKeyRotation).toBe(true);
    const cw = (key.KeyPolicy.Statement as Array<any>).find((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(cw).toMatchObject({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] });
    expect(Object.keys(cw.Condition.StringEquals)).toEqual(['aws:SourceAccount']);
    // TLS only: the topic policy denies publishing without aws:SecureTransport.
    const policies = ofType('AWS::SNS::TopicPolicy').map(([, p]) => p.Properties);
    expect(policies.some((p) => (p.PolicyDocument.Statement as Array<any>).some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'))).toBe(true);
  });

  it('subscribes alarmEmail by email exactly when it is set', () => {
    const subs = ofType('AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(subs).toEqual(context.alarmEmail ? [{ Protocol: 'email', Endpoint: PROD_CONTEXT.alarmEmail, TopicArn: { Ref: topicId } }] : []);
  });

  it('builds the dashboard with the ops figures, the thresholds and every alarm', () => {
    const dashboards = ofType('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    // The body is an Fn::Join of JSON text and tokens (function names, queue ARNs, the region): tokens become "X".
    const raw = dashboards[0]![1].Properties.DashboardBody;
    const body = typeof raw === 'string' ? raw : (raw['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'X')).join('');
    const widgets = JSON.parse(body).widgets as Array<{ type: string; properties: any }>;
    const titles = widgets.map((w) => w.properties.title).filter(Boolean);
    expect(titles).toEqual([
      'Sending and delivery (per hour)',
      'Bounce and complaint rate (%, per hour, ≥ 100 sent)',
      'SES account reputation (fraction, as SES reviews it)',
      'Engagement (per hour)',
      'Unsubscribes by source (per hour)',
      'Held back, by reason (per hour)',
      'Suppressions added (per hour)',
      'Failure queues (messages waiting: work still owed)',
      'Function errors and throttles (5 minutes)',
      'Alarms',
    ]);
    const rates = widgets.find((w) => w.properties.title?.startsWith('Bounce and complaint rate'))!.properties;
    expect(rates.annotations.horizontal.map((a: { value: number; yAxis?: string }) => [a.value, a.yAxis ?? 'left'])).toEqual([
      [4, 'left'],
      [5, 'left'],
      [0.08, 'right'],
      [0.1, 'right'],
    ]);
    for (const figure of ['bounced_hard', 'complained', 'delivered', 'opens_unique', 'clicks_unique', 'unsubscribed_one_click', 'unsubscribed_complaint', 'held_reason_marketing_paused', 'suppressions_added_soft_bounce']) {
      expect(body, figure).toContain(`"${figure}"`);
    }
    expect(widgets.find((w) => w.properties.title === 'Alarms')!.properties.alarms).toHaveLength(stack.alarms.alarms.size);
  });

  it('rests on the SES event destination that feeds the figures', () => {
    const destinations = ofType('AWS::SES::ConfigurationSetEventDestination');
    expect(destinations).toHaveLength(1);
    expect(destinations[0]![1].Properties.EventDestination.MatchingEventTypes).toEqual(expect.arrayContaining(['bounce', 'complaint', 'delivery', 'send']));
  });

  it('bundles uPlot next to the ops page function, so the page needs no CDN', () => {
    const fn = stack.functions.opsPage!.fn;
    const s3Key = String(json.Resources[logicalId(fn)]!.Properties.Code.S3Key);
    const dir = join(synth.assembly.directory, `asset.${s3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map', 'uPlot.iife.min.js', 'uPlot.min.css']);
  });
});

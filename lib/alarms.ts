/**
 * The alarms concern: what must wake someone up, to one SNS topic. The topic is encrypted with a customer-managed KMS
 * key (alarm messages name queues and functions; CloudWatch may use the key to publish, nothing else), requires TLS,
 * and gets an email subscription when the deployer set `alarmEmail`.
 *
 * - Bounce rate ≥ 4 % and complaint rate ≥ 0.08 % (WARNING_RATES of lambdas/domain/metrics.ts), twice each: Sendwell's
 *   own rate from its EMF metrics per hour (once {@link RATE_ALARM_MIN_SENT} mails were sent in it), and SES's
 *   account-wide reputation metrics, the figures SES itself reviews (at 5 % and 0.1 %). The marketing auto-pause acts
 *   at 4.5 % / 0.09 %, between the warning and the review.
 * - Every failure queue not empty: a bounce, complaint, opt-out or partner event still owed.
 * - Every stream reader 15 minutes or more behind its stream.
 * - A campaign the minute sweep cannot move on (its launch fails every run; the sweep itself goes on).
 * - Every function's errors and throttles.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, METRICS_SERVICE, SWEEP_FAILED_METRIC, WARNING_RATES } from '../lambdas/domain/metrics.ts';
import { pascal } from './functions.ts';

/** The hour Sendwell's own rates are computed over. */
export const RATE_ALARM_PERIOD = Duration.hours(1);
/** Below this many mails in the hour a rate says nothing, and the rate alarms read 0. */
export const RATE_ALARM_MIN_SENT = 100;
/** The alarm thresholds, in percent as the alarms compare them. */
export const RATE_ALARM_THRESHOLDS = { bouncePercent: WARNING_RATES.bounce * 100, complaintPercent: WARNING_RATES.complaint * 100 } as const;

/** One of Sendwell's EMF metrics (lambdas/adapters/metrics.ts): a counter figure, summed. */
export function sendwellMetric(name: string, period: Duration = Duration.minutes(5), label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: METRICS_SERVICE }, statistic: 'Sum', period, ...(label ? { label } : {}) });
}

/** Mail SES accepted, both classes: `sent_service + sent_marketing`, missing data as 0. */
export function sentMetrics(period: Duration) {
  return { ss: sendwellMetric('sent_service', period), sm: sendwellMetric('sent_marketing', period) };
}

/** `100 * <figure> / sent` over `period`, 0 below `minSent` mails. `figure` is also the expression's id for it. */
export function ratePercent(figure: string, label: string, period: Duration = RATE_ALARM_PERIOD, minSent = RATE_ALARM_MIN_SENT): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `IF((FILL(ss, 0) + FILL(sm, 0)) >= ${minSent}, 100 * FILL(${figure}, 0) / (FILL(ss, 0) + FILL(sm, 0)), 0)`,
    usingMetrics: { ...sentMetrics(period), [figure]: sendwellMetric(figure, period) },
    period,
    label,
  });
}

export interface AlarmsProps {
  readonly stage: string;
  /**
   * Where alarm notifications go by email (the subscription must be confirmed from the mailbox once).
   *
   * @default - no subscription: the topic exists for other subscribers
   */
  readonly alarmEmail?: string;
  /** The stack's functions by key: each gets an errors and a throttles alarm. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The failure (dead-letter) queues by a readable name: each gets a not-empty alarm. */
  readonly failureQueues: Readonly<Record<string, sqs.IQueue>>;
  /**
   * The functions a DynamoDB stream invokes, by key: each gets an iterator-age alarm ({@link STREAM_BEHIND}). A batch
   * that keeps failing holds its shard back while Lambda retries it (the figures' mapping until it is written).
   *
   * @default - none
   */
  readonly streamReaders?: Readonly<Record<string, lambda.IFunction>>;
}

/** How far behind its stream a reader may fall before it alarms: far past a batching window, well inside the 24 h retention. */
export const STREAM_BEHIND = Duration.minutes(15);

/**
 * @example
 * const alarms = new Alarms(stack, 'Alarms', { stage, alarmEmail, functions: { admin: fn }, failureQueues: { relay: queue } });
 * new CfnOutput(stack, 'AlarmTopicArn', { value: alarms.topic.topicArn });
 */
export class Alarms extends Construct {
  readonly key: kms.Key;
  readonly topic: sns.Topic;
  /** Every alarm, by a stable name (`bounceRate`, `sesComplaintRate`, `queue:<name>`, `behind:<fn>`, `errors:<fn>`, `throttles:<fn>`). */
  readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'TopicKey', {
      description: `Sendwell ${props.stage}: encrypts the alarm topic`,
      enableKeyRotation: true,
    });
    // CloudWatch publishes to the encrypted topic with this key, for this account's alarms only.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { displayName: `Sendwell ${props.stage} alarms`, masterKey: this.key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const alarms = new Map<string, cloudwatch.Alarm>();
    const notify = new actions.SnsAction(this.topic);
    const add = (name: string, alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: `Sendwell ${props.stage}: ${description}`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(notify);
      alarms.set(name, alarm);
    };

    add('bounceRate', 'BounceRate', ratePercent('bounced_hard', 'Hard-bounce rate (%)'), RATE_ALARM_THRESHOLDS.bouncePercent,
      `hard-bounce rate ≥ ${RATE_ALARM_THRESHOLDS.bouncePercent} % in an hour (SES reviews at 5 %; marketing pauses itself at 4.5 %). See docs/operations.md.`);
    add('complaintRate', 'ComplaintRate', ratePercent('complained', 'Complaint rate (%)'), RATE_ALARM_THRESHOLDS.complaintPercent,
      `complaint rate ≥ ${RATE_ALARM_THRESHOLDS.complaintPercent} % in an hour (SES reviews at 0.1 %; marketing pauses itself at 0.09 %). See docs/operations.md.`);
    add('sesBounceRate', 'SesBounceRate', sesReputation('Reputation.BounceRate'), WARNING_RATES.bounce,
      `SES account reputation: bounce rate ≥ ${WARNING_RATES.bounce} (SES reviews at 0.05).`);
    add('sesComplaintRate', 'SesComplaintRate', sesReputation('Reputation.ComplaintRate'), WARNING_RATES.complaint,
      `SES account reputation: complaint rate ≥ ${WARNING_RATES.complaint} (SES reviews at 0.001).`);
    add('campaignSweep', 'CampaignSweepFailed', sendwellMetric(SWEEP_FAILED_METRIC), 1,
      'a campaign could not be moved on by the minute sweep (a scheduled launch that fails, a stalled one it cannot restart); the log line "campaign could not be moved on" names it and why. Mend it or cancel it.');
    for (const [name, queue] of Object.entries(props.failureQueues)) {
      add(`queue:${name}`, `${pascal(name)}NotEmpty`, queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), 1,
        `failure queue ${name} is not empty: work still owed (a suppression, an opt-out, a partner event). Read it, fix the cause, replay.`);
    }
    for (const [key, fn] of Object.entries(props.streamReaders ?? {})) {
      add(`behind:${key}`, `${pascal(key)}Behind`, fn.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }), STREAM_BEHIND.toMilliseconds(),
        `function ${key} is ${STREAM_BEHIND.toMinutes()} minutes or more behind its stream: a batch it keeps failing on holds back what follows (campaign progress and figures, partner events). Its log says why.`);
    }
    for (const [key, fn] of Object.entries(props.functions)) {
      add(`errors:${key}`, `${pascal(key)}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `function ${key} failed (errors ≥ 1 in 5 minutes).`);
      add(`throttles:${key}`, `${pascal(key)}Throttles`, fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `function ${key} was throttled (≥ 1 in 5 minutes).`);
    }
    this.alarms = alarms;
  }
}

/** SES's account-level reputation metric (a fraction), the one SES reviews. */
export function sesReputation(metricName: 'Reputation.BounceRate' | 'Reputation.ComplaintRate'): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: Duration.hours(1) });
}

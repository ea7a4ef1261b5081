/**
 * The operations dashboard concern: one CloudWatch dashboard with the figures `GET /v1/metrics` and the ops page
 * serve, from the EMF metrics the functions emit under the same names (lambdas/adapters/metrics.ts): sending and
 * delivery, the bounce and complaint rates against SES's thresholds (Sendwell's and SES's own), engagement,
 * unsubscribes by source, hold reasons, suppressions added, the failure queues, function errors and throttles, and the
 * state of every alarm. Topic and campaign breakdowns stay in the API (no per-topic metric dimensions).
 */
import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HOLD_REASONS } from '../lambdas/domain/decide.ts';
import { SES_REVIEW_RATES, WARNING_RATES } from '../lambdas/domain/metrics.ts';
import { ratePercent, sendwellMetric, sentMetrics, sesReputation } from './alarms.ts';

/** The unsubscribe sources shown (each `unsubscribed_<source>`). */
export const UNSUBSCRIBE_SOURCES = ['link', 'one_click', 'preference_page', 'complaint', 'mailto', 'api', 'admin'] as const;
/** The suppression reasons shown (each `suppressions_added_<reason>`). */
export const SUPPRESSION_REASONS = ['hard_bounce', 'complaint', 'soft_bounce'] as const;

export interface OperationsDashboardProps {
  readonly stage: string;
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly failureQueues: Readonly<Record<string, sqs.IQueue>>;
  /** Alarms whose state the dashboard shows. @default - none */
  readonly alarms?: readonly cloudwatch.IAlarm[];
}

const HOUR = Duration.hours(1);

const percentLine = (value: number, label: string, color: string): cloudwatch.HorizontalAnnotation => ({ value, label, color });

/**
 * @example
 * new OperationsDashboard(stack, 'Dashboard', { stage, functions, failureQueues, alarms: [...alarms.alarms.values()] });
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const m = (name: string, label: string) => sendwellMetric(name, HOUR, label);
    // Expression ids are the figure names, so expressions sharing a graph never give one id to two metrics.
    const sum = (a: string, b: string, label: string) =>
      new cloudwatch.MathExpression({ expression: `FILL(${a}, 0) + FILL(${b}, 0)`, usingMetrics: { [a]: sendwellMetric(a, HOUR), [b]: sendwellMetric(b, HOUR) }, period: HOUR, label });
    const sent = new cloudwatch.MathExpression({ expression: 'FILL(ss, 0) + FILL(sm, 0)', usingMetrics: sentMetrics(HOUR), period: HOUR, label: 'Sent' });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboard names are unique per account, across regions (the ARN has no region): a stage in two regions needs both.
      dashboardName: `sendwell-${props.stage}-${Aws.REGION}-operations`,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        width: 24,
        height: 2,
        markdown:
          `# Sendwell ${props.stage}\nFigures per hour from the functions' EMF metrics (namespace \`Sendwell\`). SES reviews an account at a ` +
          `${SES_REVIEW_RATES.bounce * 100} % bounce or ${SES_REVIEW_RATES.complaint * 100} % complaint rate; the alarms fire at ` +
          `${WARNING_RATES.bounce * 100} % / ${WARNING_RATES.complaint * 100} %; marketing pauses itself at 4.5 % / 0.09 %. Per topic and campaign: \`GET /v1/metrics\` and the ops page. See docs/operations.md.`,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Sending and delivery (per hour)',
        width: 12,
        left: [sent, m('delivered', 'Delivered'), m('bounced_hard', 'Hard bounces'), m('bounced_soft', 'Soft bounces'), m('complained', 'Complaints'), m('rejected', 'Rejected'), m('ses_suppressed', "Dropped by SES's account list"),
          sum('held_service', 'held_marketing', 'Held back'), sum('failed_service', 'failed_marketing', 'Failed (SES refused)')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Bounce and complaint rate (%, per hour, ≥ 100 sent)',
        width: 12,
        left: [ratePercent('bounced_hard', 'Hard-bounce rate (%)')],
        right: [ratePercent('complained', 'Complaint rate (%)')],
        leftAnnotations: [percentLine(WARNING_RATES.bounce * 100, 'bounce warning', '#ff7f0e'), percentLine(SES_REVIEW_RATES.bounce * 100, 'SES bounce review', '#d62728')],
        rightAnnotations: [percentLine(WARNING_RATES.complaint * 100, 'complaint warning', '#ff7f0e'), percentLine(SES_REVIEW_RATES.complaint * 100, 'SES complaint review', '#d62728')],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'SES account reputation (fraction, as SES reviews it)',
        width: 12,
        left: [sesReputation('Reputation.BounceRate').with({ label: 'Bounce rate' })],
        right: [sesReputation('Reputation.ComplaintRate').with({ label: 'Complaint rate' })],
        leftAnnotations: [percentLine(WARNING_RATES.bounce, 'warning', '#ff7f0e'), percentLine(SES_REVIEW_RATES.bounce, 'review', '#d62728')],
        rightAnnotations: [percentLine(WARNING_RATES.complaint, 'warning', '#ff7f0e'), percentLine(SES_REVIEW_RATES.complaint, 'review', '#d62728')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Engagement (per hour)',
        width: 12,
        left: [m('opens_unique', 'Opened (unique)'), m('opens_unique_human', 'Opened by a person (unique)'), m('opens_total', 'Opens'), m('opens_machine', 'Machine opens'), m('clicks_unique', 'Clicked (unique)'), m('clicks_total', 'Clicks')],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Unsubscribes by source (per hour)',
        width: 8,
        stacked: true,
        left: UNSUBSCRIBE_SOURCES.map((s) => m(`unsubscribed_${s}`, s.replace('_', ' '))),
      }),
      new cloudwatch.GraphWidget({
        title: 'Held back, by reason (per hour)',
        width: 8,
        stacked: true,
        left: [...HOLD_REASONS, 'unknown_recipient'].map((r) => m(`held_reason_${r}`, r.replaceAll('_', ' '))),
      }),
      new cloudwatch.GraphWidget({
        title: 'Suppressions added (per hour)',
        width: 8,
        stacked: true,
        left: SUPPRESSION_REASONS.map((r) => m(`suppressions_added_${r}`, r.replace('_', ' '))),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Failure queues (messages waiting: work still owed)',
        width: 12,
        left: Object.entries(props.failureQueues).map(([name, q]) => q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5), label: name })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors and throttles (5 minutes)',
        width: 12,
        left: Object.entries(props.functions).map(([key, fn]) => fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(5), label: `${key} errors` })),
        right: Object.entries(props.functions).map(([key, fn]) => fn.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5), label: `${key} throttles` })),
      }),
    );
    if (props.alarms?.length) {
      this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: [...props.alarms] }));
    }
  }
}

/**
 * How Sendwell runs a function on a timer: an EventBridge Scheduler rate in a schedule group of its own, through a
 * role that may invoke that one function and nothing else. One construct, so every scheduled function
 * (`replayPartnerEvents` in lib/partner-relay.ts, `startDueCampaigns` in lib/campaign-delivery.ts) gets the same
 * narrow trust, retry policy and "the next run is the retry" behaviour.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';

/**
 * How often Scheduler retries an invoke it could not make (throttling, a service error), within one period: after
 * that, the next run supersedes it.
 */
export const SCHEDULED_INVOKE_RETRIES = 5;

export interface FunctionScheduleProps {
  /** The function to invoke; it must not need any input (the schedule sends none). */
  readonly fn: lambda.IFunction;
  /** The period: the function runs every `every` (`rate(…)`). At least one minute, Scheduler's and Lambda's floor. */
  readonly every: Duration;
  /** Shown on the schedule and the role: what the runs do. */
  readonly description: string;
}

/**
 * A `rate(every)` schedule invoking one function:
 *
 * - **Group.** The schedule sits alone in a schedule group of its own. Scheduler names the group, not the schedule,
 *   in `aws:SourceArn`, so that is what lets the role below be trusted for this schedule only.
 * - **Role.** Assumable by `scheduler.amazonaws.com` only for schedules of this account in that group; it may call
 *   `lambda:InvokeFunction` on the unqualified function ARN and nothing else (`Function.grantInvoke` would add
 *   `<arn>:*`, every version and alias). The function needs no resource-based permission.
 * - **Retries.** Scheduler retries an invoke it could not make up to {@link SCHEDULED_INVOKE_RETRIES} times within one
 *   period; Lambda does not retry a run that failed (`retryAttempts: 0`) and drops an invoke throttled for longer than
 *   one period: the next run is the retry, and two runs never overlap because of a retry.
 *
 * Scheduler rather than an EventBridge rule: it is AWS's service for schedules (a retry policy per target, no event
 * bus or rule quota involved), and the wiring names it (`schedule` in lambdas/wiring/event-functions.ts). Not the
 * aws-scheduler-targets `LambdaInvoke`: it grants InvokeFunction on `<arn>:*` too and trusts the role for the whole
 * default schedule group.
 *
 * @example
 * new FunctionSchedule(this, 'ReplaySchedule', { fn, every: Duration.minutes(15), description: 'Send kept failed deliveries again.' });
 */
export class FunctionSchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  /** The schedule group holding this schedule alone; the role is trusted for this group only. */
  readonly group: scheduler.ScheduleGroup;
  /** The role Scheduler assumes to invoke the function. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: FunctionScheduleProps) {
    super(scope, id);
    const { fn, every } = props;
    // Nothing to keep: deleting a group deletes its schedule, which the stack recreates.
    this.group = new scheduler.ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, 'Role', {
      description: `Sendwell: EventBridge Scheduler invokes ${fn.node.path}`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account, 'aws:SourceArn': this.group.scheduleGroupArn },
        },
      }),
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
    const role = this.role;
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleGroup: this.group,
      description: props.description,
      schedule: scheduler.ScheduleExpression.rate(every),
      target: {
        bind: () => ({
          arn: fn.functionArn,
          role,
          retryPolicy: { maximumRetryAttempts: SCHEDULED_INVOKE_RETRIES, maximumEventAgeInSeconds: every.toSeconds() },
        }),
      },
    });
    // Scheduler invokes asynchronously. A failed run is not retried by Lambda: the next run is the retry.
    fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: every });
  }
}

/**
 * The delivery events concern: what SES reports about each mail sent through the stage's configuration set (sent,
 * delivered, bounced, complained about, rejected, delayed, not rendered) reaches the `sesEvents` function of
 * `lambdas/wiring/event-functions.ts`, through the default EventBridge bus. What cannot be processed lands in a failure
 * queue instead of vanishing: a bounce or complaint not recorded is a suppression (an opt-out) still owed.
 *
 * A construct of its own rather than part of `EmailSending` (lib/email.ts): that one is a resource the functions use
 * (`FunctionResources`, granted through lib/permissions.ts), built before any function; this one builds a function
 * and connects an event source to it, like `InboundMail` and `PartnerRelay`. It only adds an event destination to
 * the configuration set `EmailSending` owns.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { EVENT_FUNCTIONS, type EventFunctionDef } from '../lambdas/wiring/event-functions.ts';
import { FailureQueue } from './failure-queue.ts';
import { assertEventSource, buildFunction, type BuildFunctionOptions } from './functions.ts';

/**
 * The SES event types published, each with the EventBridge `detail-type` SES gives it on the default bus. Opens,
 * clicks and subscription events are not published: Sendwell tracks opens and clicks itself (lambdas/handlers/
 * open-pixel.ts, click.ts) where the recipient's tracking consent allows, and manages subscriptions itself.
 */
export const SES_EVENT_TYPES: readonly { readonly event: ses.EmailSendingEvent; readonly detailType: string }[] = [
  { event: ses.EmailSendingEvent.SEND, detailType: 'Email Sent' },
  { event: ses.EmailSendingEvent.DELIVERY, detailType: 'Email Delivered' },
  { event: ses.EmailSendingEvent.BOUNCE, detailType: 'Email Bounced' },
  { event: ses.EmailSendingEvent.COMPLAINT, detailType: 'Email Complaint Received' },
  { event: ses.EmailSendingEvent.REJECT, detailType: 'Email Rejected' },
  { event: ses.EmailSendingEvent.DELIVERY_DELAY, detailType: 'Email Delivery Delayed' },
  { event: ses.EmailSendingEvent.RENDERING_FAILURE, detailType: 'Email Rendering Failed' },
];

/**
 * How EventBridge retries delivering an event to the function (throttling, a Lambda service error) before it puts
 * the event in the dead-letter queue: its maximums, since a bounce or complaint must not be dropped for a busy hour.
 */
export const SES_EVENT_DELIVERY = { retryAttempts: 185, maxEventAge: Duration.hours(24) } as const;


export interface DeliveryEventsProps extends BuildFunctionOptions {
  /**
   * The function the rule invokes, by key.
   *
   * @default the `sesEvents` entry of EVENT_FUNCTIONS (lambdas/wiring/event-functions.ts)
   */
  readonly function?: { readonly key: string; readonly def: EventFunctionDef };
  /**
   * Keep the failure queue (SES events not yet recorded, with recipients' addresses) when the stack is deleted.
   *
   * @default true
   */
  readonly retainFailures?: boolean;
}

/**
 * SES event publishing for the stage's configuration set (`resources.email`, lib/email.ts):
 *
 * - **Event destination.** The configuration set publishes {@link SES_EVENT_TYPES} to the default EventBridge bus of
 *   the account and region (SES can publish to the default bus only). SES needs no grant for it.
 * - **Rule.** On the default bus, matching `source` `aws.ses` from this account, the seven detail-types, and
 *   `detail.mail.tags["ses:configuration-set"]` = this stage's set (a tag SES adds to every mail sent through a set),
 *   so another stage, or another application, in the same account and region is not processed here.
 * - **Target.** The function, built by `buildFunction` (lib/functions.ts) and granted by its `permissions`
 *   (`keys:read` and its `tables`); EventBridge may invoke it from this rule only. EventBridge retries a delivery it could
 *   not make ({@link SES_EVENT_DELIVERY}) and then puts the event into {@link failures}; an invocation the function
 *   fails is retried by Lambda (`ASYNC_INVOKE_RETRY` of lib/failure-queue.ts) and then also sent to {@link failures}, as a Lambda
 *   destination record with the event in `requestPayload`. The queue (lib/failure-queue.ts) keeps both 14 days,
 *   encrypted: they hold recipients' addresses. Replay by invoking the function with the event once the cause is fixed.
 *
 * Events are delivered at least once and may arrive out of order: the handler must be idempotent.
 *
 * @example
 * const delivery = new DeliveryEvents(stack, 'DeliveryEvents', { stage, publicBaseUrl, resources: { data, email, keys, partners, campaigns } });
 * new CfnOutput(stack, 'DeliveryEventsFailureQueueUrl', { value: delivery.failures.queue.queueUrl });
 */
export class DeliveryEvents extends Construct {
  /** The function the rule invokes. */
  readonly eventsFunction: nodejs.NodejsFunction;
  /** The functions of this construct by key (`sesEvents`), as `HttpEndpoints.functions`. */
  readonly functions: Readonly<Record<string, nodejs.NodejsFunction>>;
  /** The configuration set's event destination: the default bus. */
  readonly eventDestination: ses.ConfigurationSetEventDestination;
  /** The rule on the default bus that matches this stage's SES events. */
  readonly rule: events.Rule;
  /** Dead-letter queue of the rule's target and on-failure destination of the function's asynchronous invocations. */
  readonly failures: FailureQueue;

  constructor(scope: Construct, id: string, props: DeliveryEventsProps) {
    super(scope, id);
    const { key, def } = props.function ?? { key: 'sesEvents', def: EVENT_FUNCTIONS.sesEvents };
    assertEventSource(key, def, 'ses-events');
    const email = props.resources.email;
    const stack = Stack.of(this);

    const fn = buildFunction(this, key, def, props);
    this.eventsFunction = fn;
    this.functions = { [key]: fn };
    this.failures = new FailureQueue(this, 'Failures', {
      holds:
        'SES delivery events (bounces, complaints, deliveries…) EventBridge could not deliver or the function failed after ' +
        'their retries: suppressions and message records still owed',
      retain: props.retainFailures,
      ruleTargetDeadLetter: true,
    });
    this.failures.protectAsyncInvocations(fn);

    this.rule = new events.Rule(this, 'Rule', {
      description: `Sendwell ${props.stage}: SES events of configuration set ${email.configurationSetName} → ${key}.`,
      // No eventBus: the default bus, the only one SES publishes to.
      eventPattern: {
        source: ['aws.ses'],
        account: [stack.account],
        detailType: SES_EVENT_TYPES.map((t) => t.detailType),
        detail: { mail: { tags: { 'ses:configuration-set': [email.configurationSetName] } } },
      },
    });
    // Adds the invoke permission for this rule (SourceArn) and the queue policy statement letting this rule (and no
    // other) send to the dead-letter queue.
    this.rule.addTarget(new targets.LambdaFunction(fn, { ...SES_EVENT_DELIVERY, deadLetterQueue: this.failures.queue }));

    this.eventDestination = new ses.ConfigurationSetEventDestination(this, 'EventDestination', {
      configurationSet: email.configurationSet,
      configurationSetEventDestinationName: 'default-event-bus',
      enabled: true,
      destination: ses.EventDestination.eventBus(events.EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: SES_EVENT_TYPES.map((t) => t.event),
    });
    // Publish only once the rule and its target (invoke permission, DLQ policy) exist: an event on the bus that no rule
    // matches is dropped.
    this.eventDestination.node.addDependency(this.rule, this.failures);
  }
}

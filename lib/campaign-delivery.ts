/**
 * The campaign delivery concern: what consumes the campaign queues (lib/campaign-queues.ts) and starts scheduled
 * campaigns. The launch queue invokes `campaignLauncher`, the send queue invokes `campaignSender` with a concurrency
 * sized to the send rate, and a one-minute schedule invokes `startDueCampaigns` (all three from
 * `lambdas/wiring/event-functions.ts`).
 */
import { Duration } from 'aws-cdk-lib';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_FUNCTIONS, type EventFunctionDef } from '../lambdas/wiring/event-functions.ts';
import { VISIBILITY_PER_TIMEOUT, visibilityFor, type CampaignQueues } from './campaign-queues.ts';
import { FunctionSchedule } from './function-schedule.ts';
import { assertEventSource, buildFunction, type BuildFunctionOptions } from './functions.ts';

/**
 * Mails per second one sender invocation is planned for. It works its send batches at once, each in chunks of 10
 * sends at once (claim, SES SendEmail, record: ~100-250 ms a chunk on AWS), so it could do far more; `npm run
 * bench:campaign` measures ~30 mails/s per send consumer on the local stack, where every DynamoDB call waits on
 * DynamoDB Local's one thread. 25 keeps headroom. The shared per-second rate limit, not the concurrency, holds
 * campaigns to the send rate: a sender too many waits on that limit and is billed for the wait (issue 17: at 5 a
 * second, ~0.2 s billed per mail), a sender too few leaves budget unused.
 */
export const MAILS_PER_SECOND_PER_SENDER = 25;
/** The smallest maximum concurrency an SQS event source accepts. */
export const MIN_SQS_CONCURRENCY = 2;
/**
 * The most sender invocations at once, whatever the send rate: 10 % of Lambda's default regional concurrency quota
 * (1,000, shared by every function of the account), so a campaign never starves the API and the recipients' pages.
 * It binds above 2,500 mails per second ({@link MAILS_PER_SECOND_PER_SENDER} × 100).
 */
export const MAX_SENDER_CONCURRENCY = 100;
/**
 * Send batches per sender invocation. Each carries up to 50 recipients, so an invocation holds up to 250 mails: about
 * 10 seconds at {@link MAILS_PER_SECOND_PER_SENDER}, well inside the sender's 120-second timeout. (A campaign with a much
 * lower rate of its own cannot send 250 mails in one invocation; the sender hands back what it did not reach.)
 */
export const SEND_BATCH_SIZE = 5;
/**
 * Launches paged at once. Each launch pages one campaign's audience into the send queue; two let a second campaign
 * start while a large one is still paging, and keep audience queries off the recipients table's hot path.
 */
export const LAUNCH_CONCURRENCY = 2;

/**
 * The send queue event source's maximum concurrency for a send rate (mails per second):
 * `min(MAX_SENDER_CONCURRENCY, max(MIN_SQS_CONCURRENCY, ceil(sendRate / MAILS_PER_SECOND_PER_SENDER)))`, i.e. enough
 * senders, each planned for 25 mails a second, to use the whole rate; never fewer than SQS's minimum of 2, never more
 * than 100.
 *
 * @example
 * senderConcurrency(14);    // 2   (SES's default rate; SQS's minimum)
 * senderConcurrency(1);     // 2   (the sandbox)
 * senderConcurrency(200);   // 8
 * senderConcurrency(10000); // 100 (capped)
 */
export function senderConcurrency(sendRate: number): number {
  if (!(Number.isFinite(sendRate) && sendRate > 0)) {
    throw new Error(`Sendwell: sendRate must be a number of mails per second greater than 0, got ${sendRate}.`);
  }
  return Math.min(MAX_SENDER_CONCURRENCY, Math.max(MIN_SQS_CONCURRENCY, Math.ceil(sendRate / MAILS_PER_SECOND_PER_SENDER)));
}

interface KeyedDef {
  readonly key: string;
  readonly def: EventFunctionDef;
}

export interface CampaignDeliveryProps extends BuildFunctionOptions {
  /**
   * How often scheduled campaigns whose time has come are started (and stalled launches restarted).
   *
   * @default Duration.minutes(1)
   */
  readonly startEvery?: Duration;
  /**
   * The three functions, by key, if not those of EVENT_FUNCTIONS.
   *
   * @default campaignLauncher, campaignSender and startDueCampaigns of lambdas/wiring/event-functions.ts
   */
  readonly functions?: {
    readonly launcher: KeyedDef;
    readonly sender: KeyedDef;
    readonly starter: KeyedDef;
  };
}

/** A queue consumed by a function must hide a message for {@link VISIBILITY_PER_TIMEOUT} × the function's timeout. */
function assertVisibility(queue: string, visibility: Duration, { key, def }: KeyedDef): void {
  const needed = visibilityFor(def).toSeconds();
  if (visibility.toSeconds() < needed) {
    throw new Error(
      `Sendwell: the ${queue} queue's visibility timeout (${visibility.toSeconds()} s) must be at least ${VISIBILITY_PER_TIMEOUT} × the timeout of "${key}" (${needed} s).`,
    );
  }
}

/**
 * Campaign delivery, on the queues of `resources.campaigns` ({@link CampaignQueues}):
 *
 * - **Launch queue → launcher.** Batch size 1 (a launch message is one campaign), at most {@link LAUNCH_CONCURRENCY}
 *   at once.
 * - **Send queue → sender.** {@link SEND_BATCH_SIZE} batches per invocation, maximum concurrency
 *   {@link senderConcurrency}(sendRate), so enough senders run to use the send rate and no more than needed wait on
 *   its limit.
 * - Both with partial batch responses (`ReportBatchItemFailures`): a failed batch is retried alone, its siblings are
 *   deleted. The event sources grant the consumption actions on their queue (ReceiveMessage, DeleteMessage,
 *   ChangeMessageVisibility, GetQueueAttributes, GetQueueUrl); what the functions enqueue is `campaigns:enqueue`.
 *   The synth fails if a queue's visibility timeout is under six times its consumer's timeout.
 * - **Schedule → startDueCampaigns.** A {@link FunctionSchedule} (lib/function-schedule.ts), `rate(1 minute)`: a run
 *   that fails is not retried; the next minute's run is the retry.
 *
 * The functions are built by `buildFunction` (lib/functions.ts) and granted by their `permissions`. No alarms here:
 * the dead-letter queues ({@link CampaignQueues}) and the functions are public for the observability construct.
 *
 * @example
 * const campaigns = new CampaignDelivery(stack, 'Campaigns', { stage, publicBaseUrl, resources });
 * new CfnOutput(stack, 'SendDlqUrl', { value: campaigns.queues.sendDeadLetterQueue.queueUrl });
 */
export class CampaignDelivery extends Construct {
  /** The functions by key (`campaignLauncher`, `campaignSender`, `startDueCampaigns`), as `HttpEndpoints.functions`. */
  readonly functions: Readonly<Record<string, nodejs.NodejsFunction>>;
  readonly launcherFunction: nodejs.NodejsFunction;
  readonly senderFunction: nodejs.NodejsFunction;
  readonly startDueFunction: nodejs.NodejsFunction;
  /** The queues consumed here (`resources.campaigns`), with their dead-letter queues. */
  readonly queues: CampaignQueues;
  /** The send queue event source's maximum concurrency: `senderConcurrency(queues.sendRate)`. */
  readonly senderConcurrency: number;
  readonly launchSource: eventSources.SqsEventSource;
  readonly sendSource: eventSources.SqsEventSource;
  /** The schedule invoking startDueCampaigns, its group and the role Scheduler assumes. */
  readonly startSchedule: FunctionSchedule;
  /** The function that sends deferred mail when it is due, and its one-minute schedule. */
  readonly dueFunction: nodejs.NodejsFunction;
  readonly dueSchedule: FunctionSchedule;
  /** The function that runs journey steps whose time came (waits ended, steps a failed run left), and its schedule. */
  readonly journeyFunction: nodejs.NodejsFunction;
  readonly journeySchedule: FunctionSchedule;

  constructor(scope: Construct, id: string, props: CampaignDeliveryProps) {
    super(scope, id);
    const launcher = props.functions?.launcher ?? { key: 'campaignLauncher', def: EVENT_FUNCTIONS.campaignLauncher };
    const sender = props.functions?.sender ?? { key: 'campaignSender', def: EVENT_FUNCTIONS.campaignSender };
    const starter = props.functions?.starter ?? { key: 'startDueCampaigns', def: EVENT_FUNCTIONS.startDueCampaigns };
    assertEventSource(launcher.key, launcher.def, 'campaign-launch-queue');
    assertEventSource(sender.key, sender.def, 'campaign-send-queue');
    assertEventSource(starter.key, starter.def, 'schedule');
    this.queues = props.resources.campaigns;
    assertVisibility('launch', this.queues.launchVisibilityTimeout, launcher);
    assertVisibility('send', this.queues.sendVisibilityTimeout, sender);
    this.senderConcurrency = senderConcurrency(this.queues.sendRate);

    this.launcherFunction = buildFunction(this, launcher.key, launcher.def, props);
    this.senderFunction = buildFunction(this, sender.key, sender.def, props);
    this.startDueFunction = buildFunction(this, starter.key, starter.def, props);
    // Deferred mail (quiet hours, local-time campaigns) waits in the messages table's due-time index; this reads it.
    assertEventSource('sendDueMessages', EVENT_FUNCTIONS.sendDueMessages, 'schedule');
    this.dueFunction = buildFunction(this, 'sendDueMessages', EVENT_FUNCTIONS.sendDueMessages, props);
    // Journey waits live in the recipients table's due index (enrolments, `JDUE#n`); this reads it.
    assertEventSource('runDueJourneys', EVENT_FUNCTIONS.runDueJourneys, 'schedule');
    this.journeyFunction = buildFunction(this, 'runDueJourneys', EVENT_FUNCTIONS.runDueJourneys, props);
    this.functions = {
      [launcher.key]: this.launcherFunction,
      [sender.key]: this.senderFunction,
      [starter.key]: this.startDueFunction,
      sendDueMessages: this.dueFunction,
      runDueJourneys: this.journeyFunction,
    };

    const consume = (queue: sqs.IQueue, batchSize: number, maxConcurrency: number) =>
      new eventSources.SqsEventSource(queue, { batchSize, maxConcurrency, reportBatchItemFailures: true });
    // With one message a batch, partial responses still matter: a launcher that reports its message failed (rather
    // than throwing) must get it back, not have it deleted.
    this.launchSource = consume(this.queues.launchQueue, 1, LAUNCH_CONCURRENCY);
    this.launcherFunction.addEventSource(this.launchSource);
    this.sendSource = consume(this.queues.sendQueue, SEND_BATCH_SIZE, this.senderConcurrency);
    this.senderFunction.addEventSource(this.sendSource);

    this.startSchedule = new FunctionSchedule(this, 'StartSchedule', {
      fn: this.startDueFunction,
      every: props.startEvery ?? Duration.minutes(1),
      description: `Sendwell ${props.stage}: start scheduled campaigns whose time has come, restart stalled launches (${starter.key}).`,
    });
    this.dueSchedule = new FunctionSchedule(this, 'DueSchedule', {
      fn: this.dueFunction,
      every: props.startEvery ?? Duration.minutes(1),
      description: `Sendwell ${props.stage}: send deferred mail whose time has come (quiet hours over, local-time moments reached).`,
    });
    this.journeySchedule = new FunctionSchedule(this, 'JourneySchedule', {
      fn: this.journeyFunction,
      every: props.startEvery ?? Duration.minutes(1),
      description: `Sendwell ${props.stage}: run journey steps whose time has come (waits ended).`,
    });
  }
}

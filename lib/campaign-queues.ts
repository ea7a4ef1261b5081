/**
 * The campaign queues concern: the two SQS queues a campaign travels through (launch → launcher, send → sender), their
 * dead-letter queues, and what a function needs to put work on them (the environment variables it reads, the grant
 * it gets). Like `EmailSending` (lib/email.ts) it is a resource the functions use (`FunctionResources`, granted
 * through `campaigns:enqueue` in lib/permissions.ts), built before any function: the admin API enqueues launches, so
 * the queues must exist before `HttpEndpoints` connects its functions. The consumers, their event sources and the
 * schedule are `CampaignDelivery` (lib/campaign-delivery.ts), built once the public base URL is known.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/wiring/env-keys.ts';
import { EVENT_FUNCTIONS } from '../lambdas/wiring/event-functions.ts';
import type { FunctionDef } from '../lambdas/wiring/routes.ts';
import { FAILURE_RETENTION } from './failure-queue.ts';

/** Campaign mails per second when the deployer sets none: SES's default maximum send rate out of the sandbox. */
export const DEFAULT_SEND_RATE = 14;
/** Deliveries of a send batch before the sender dead-letters what still fails, with its reason. */
export const DEFAULT_SEND_MAX_ATTEMPTS = 5;
/** Seconds before a message claimed but never marked sent is settled (see `ENV.sendReconcileSeconds`). */
export const DEFAULT_SEND_RECONCILE_SECONDS = 600;

/**
 * AWS's guidance for a queue that is a Lambda event source: a visibility timeout of at least six times the function's
 * timeout, so a message is not handed to a second invocation while Lambda is still retrying a throttled one.
 */
export const VISIBILITY_PER_TIMEOUT = 6;
/**
 * Receives of a send batch SQS allows beyond `sendMaxAttempts` before its own redrive moves it to the dead-letter
 * queue. The sender dead-letters a batch itself, with the reason, on its `sendMaxAttempts`-th delivery; the redrive
 * is the safety net for deliveries that never reach that code (a crash, a timeout, an out-of-memory).
 */
export const SEND_REDRIVE_MARGIN = 2;
/**
 * Receives of a launch message before SQS moves it to the launch dead-letter queue: AWS's recommended minimum for a
 * Lambda consumer. The launcher resumes from its saved cursor, so a redelivery repeats no page; `startDueCampaigns`
 * restarts a launch that stalled.
 */
export const LAUNCH_MAX_RECEIVES = 5;
/**
 * How long the work queues keep a message. Shorter than the dead-letter queues' {@link FAILURE_RETENTION}: SQS keeps a
 * message's first enqueue time when it redrives it, so a batch that fails late still stays at least a week in its
 * dead-letter queue for an operator to read.
 */
export const WORK_QUEUE_RETENTION = Duration.days(7);

/** The visibility timeout a queue consumed by a function of `def` needs: {@link VISIBILITY_PER_TIMEOUT} × its timeout. */
export const visibilityFor = (def: FunctionDef): Duration => Duration.seconds(VISIBILITY_PER_TIMEOUT * (def.timeoutSeconds ?? 10));

export interface CampaignQueuesProps {
  /**
   * Campaign mails per second a campaign sends at when it sets no rate of its own (`SENDWELL_SEND_RATE`, set on every
   * function), and the budget the sender's concurrency is sized from (lib/campaign-delivery.ts). At most the SES
   * account's maximum send rate in the region, less what transactional mail needs.
   *
   * @default DEFAULT_SEND_RATE (14, SES's default out of the sandbox)
   */
  readonly sendRate?: number;
  /**
   * Deliveries of a send batch before the sender dead-letters what still fails (`SENDWELL_SEND_MAX_ATTEMPTS`); the send
   * queue's redrive allows {@link SEND_REDRIVE_MARGIN} more.
   *
   * @default DEFAULT_SEND_MAX_ATTEMPTS (5)
   */
  readonly sendMaxAttempts?: number;
  /**
   * Seconds after which a message claimed but never marked sent is settled (`SENDWELL_SEND_RECONCILE_SECONDS`).
   *
   * @default DEFAULT_SEND_RECONCILE_SECONDS (600)
   */
  readonly sendReconcileSeconds?: number;
  /**
   * Visibility timeout of the launch queue.
   *
   * @default visibilityFor(EVENT_FUNCTIONS.campaignLauncher): six times the launcher's timeout
   */
  readonly launchVisibilityTimeout?: Duration;
  /**
   * Visibility timeout of the send queue.
   *
   * @default visibilityFor(EVENT_FUNCTIONS.campaignSender): six times the sender's timeout
   */
  readonly sendVisibilityTimeout?: Duration;
  /**
   * Keep the four queues (campaign work in flight, dead letters) when the stack is deleted.
   *
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * The campaign queues:
 *
 * - **Launch queue** → `campaignLauncher`: one message per launch (or resumption) of a campaign. Redrive to the launch
 *   dead-letter queue after {@link LAUNCH_MAX_RECEIVES} receives.
 * - **Send queue** → `campaignSender`: one message per send batch (up to 50 recipients). Redrive to the send
 *   dead-letter queue after `sendMaxAttempts` + {@link SEND_REDRIVE_MARGIN} receives; the sender also writes that
 *   queue itself, with the reason, after `sendMaxAttempts` deliveries.
 * - Every queue: server-side encryption with SQS-managed keys, a queue policy denying any request without TLS, retained
 *   on production stages. SQS-managed rather than a customer managed KMS key: the messages hold campaign and recipient
 *   ids, not addresses; nothing outside this account reads or writes them, so IAM and the queue policy are the access
 *   control a key policy would duplicate; and a CMK would add a KMS call to the producers and consumers at the send
 *   rate (KMS request quotas, cost) and a key to manage, for no reader it would keep out. cdk-nag's SQS rules accept it.
 *   Work queues keep messages {@link WORK_QUEUE_RETENTION}, dead-letter queues the 14 days SQS allows.
 *
 * Functions whose definition lists `campaigns:enqueue` get {@link grantEnqueue} and {@link bindQueueEnvironment}; every
 * function gets {@link bindEnvironment} (the default send rate).
 *
 * @example
 * const queues = new CampaignQueues(stack, 'CampaignQueues', { sendRate: 50, retain: true });
 * queues.bindEnvironment(fn);       // SENDWELL_SEND_RATE
 * queues.bindQueueEnvironment(fn);  // the three queue URLs, SENDWELL_SEND_MAX_ATTEMPTS, SENDWELL_SEND_RECONCILE_SECONDS
 * queues.grantEnqueue(fn);          // sqs:SendMessage on the launch queue, the send queue and the send DLQ
 */
export class CampaignQueues extends Construct {
  readonly launchQueue: sqs.Queue;
  /** Launch messages the launcher failed {@link LAUNCH_MAX_RECEIVES} times. */
  readonly launchDeadLetterQueue: sqs.Queue;
  readonly sendQueue: sqs.Queue;
  /** Send batches that kept failing: dead-lettered by the sender with their reason, or redriven by SQS after a crash. */
  readonly sendDeadLetterQueue: sqs.Queue;
  readonly launchVisibilityTimeout: Duration;
  readonly sendVisibilityTimeout: Duration;
  readonly sendRate: number;
  readonly sendMaxAttempts: number;
  readonly sendReconcileSeconds: number;

  constructor(scope: Construct, id: string, props: CampaignQueuesProps = {}) {
    super(scope, id);
    this.sendRate = props.sendRate ?? DEFAULT_SEND_RATE;
    this.sendMaxAttempts = props.sendMaxAttempts ?? DEFAULT_SEND_MAX_ATTEMPTS;
    this.sendReconcileSeconds = props.sendReconcileSeconds ?? DEFAULT_SEND_RECONCILE_SECONDS;
    if (!(Number.isFinite(this.sendRate) && this.sendRate > 0)) {
      throw new Error(`Sendwell: sendRate must be a number of mails per second greater than 0, got ${this.sendRate}.`);
    }
    // SQS allows a maxReceiveCount of 1 to 1000.
    if (!Number.isInteger(this.sendMaxAttempts) || this.sendMaxAttempts < 1 || this.sendMaxAttempts + SEND_REDRIVE_MARGIN > 1000) {
      throw new Error(`Sendwell: sendMaxAttempts must be a whole number from 1 to ${1000 - SEND_REDRIVE_MARGIN}, got ${this.sendMaxAttempts}.`);
    }
    if (!Number.isInteger(this.sendReconcileSeconds) || this.sendReconcileSeconds < 1) {
      throw new Error(`Sendwell: sendReconcileSeconds must be a whole number of seconds greater than 0, got ${this.sendReconcileSeconds}.`);
    }
    this.launchVisibilityTimeout = props.launchVisibilityTimeout ?? visibilityFor(EVENT_FUNCTIONS.campaignLauncher);
    this.sendVisibilityTimeout = props.sendVisibilityTimeout ?? visibilityFor(EVENT_FUNCTIONS.campaignSender);

    const removalPolicy = (props.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const queue = (queueId: string, options: sqs.QueueProps) =>
      new sqs.Queue(this, queueId, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, removalPolicy, ...options });

    this.launchDeadLetterQueue = queue('LaunchDeadLetterQueue', { retentionPeriod: FAILURE_RETENTION });
    this.launchQueue = queue('LaunchQueue', {
      retentionPeriod: WORK_QUEUE_RETENTION,
      visibilityTimeout: this.launchVisibilityTimeout,
      deadLetterQueue: { queue: this.launchDeadLetterQueue, maxReceiveCount: LAUNCH_MAX_RECEIVES },
    });
    this.sendDeadLetterQueue = queue('SendDeadLetterQueue', { retentionPeriod: FAILURE_RETENTION });
    this.sendQueue = queue('SendQueue', {
      retentionPeriod: WORK_QUEUE_RETENTION,
      visibilityTimeout: this.sendVisibilityTimeout,
      deadLetterQueue: { queue: this.sendDeadLetterQueue, maxReceiveCount: this.sendMaxAttempts + SEND_REDRIVE_MARGIN },
    });
  }

  /** The default send rate, on every function: the admin API reports rates and ETAs against it, the sender sends at it. */
  bindEnvironment(fn: lambda.Function): void {
    fn.addEnvironment(ENV.sendRate, String(this.sendRate));
  }

  /**
   * What a function that enqueues campaign work reads: the three queue URLs, and the send queue's attempt and
   * reconcile settings (which the redrive count above is derived from, so the two cannot disagree).
   */
  bindQueueEnvironment(fn: lambda.Function): void {
    fn.addEnvironment(ENV.launchQueueUrl, this.launchQueue.queueUrl);
    fn.addEnvironment(ENV.sendQueueUrl, this.sendQueue.queueUrl);
    fn.addEnvironment(ENV.sendDeadLetterQueueUrl, this.sendDeadLetterQueue.queueUrl);
    fn.addEnvironment(ENV.sendMaxAttempts, String(this.sendMaxAttempts));
    fn.addEnvironment(ENV.sendReconcileSeconds, String(this.sendReconcileSeconds));
  }

  /**
   * `sqs:SendMessage` (which also authorizes `SendMessageBatch`) on the launch queue, the send queue and the send
   * dead-letter queue, and nothing else: not `Queue.grantSendMessages`, which adds `GetQueueAttributes` and
   * `GetQueueUrl` (the functions get the URLs from their environment). No KMS grant: SQS-managed encryption needs none.
   */
  grantEnqueue(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.launchQueue.queueArn, this.sendQueue.queueArn, this.sendDeadLetterQueue.queueArn],
    });
  }
}

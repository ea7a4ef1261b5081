/**
 * The import jobs concern (issue 15): the queue a job's chunks travel on (POST /v1/imports → import worker) and its
 * dead-letter queue. Like `CampaignQueues`, a resource the functions use; it owns its grants and the variable it sets.
 * Functions with the `imports:enqueue` permission (the admin function) may send to the queue; the import worker of
 * `EVENT_FUNCTIONS` consumes it ({@link ImportJobs.connectWorker}).
 *
 * Large files through a pre-signed S3 upload are not built yet: no bucket until a route hands out upload URLs.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/wiring/env-keys.ts';
import { EVENT_FUNCTIONS } from '../lambdas/wiring/event-functions.ts';

/** SQS receives of a chunk before it goes to the dead-letter queue: a chunk resumes at its offset, so retries are cheap. */
export const IMPORT_MAX_RECEIVES = 10;

export interface ImportJobsProps {
  /**
   * Import workers at once (the event source's maximum concurrency): each writes the recipients table.
   *
   * @default 10
   */
  readonly maxConcurrency?: number;
  /** Keep the dead-letter queue (chunks that kept failing) when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export class ImportJobs extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly #maxConcurrency: number;

  constructor(scope: Construct, id: string, props: ImportJobsProps = {}) {
    super(scope, id);
    this.#maxConcurrency = props.maxConcurrency ?? 10;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.queue = new sqs.Queue(this, 'Chunks', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's guidance for a Lambda event source: six times the consumer's timeout.
      visibilityTimeout: Duration.seconds(6 * EVENT_FUNCTIONS.importWorker.timeoutSeconds),
      retentionPeriod: Duration.days(7),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: IMPORT_MAX_RECEIVES },
    });
  }

  /** `fn` may start import jobs: SendMessage on the queue (nothing else of SQS) and its URL. */
  allowEnqueue(fn: lambda.Function): void {
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['sqs:SendMessage'], resourceArns: [this.queue.queueArn] });
    fn.addEnvironment(ENV.importQueueUrl, this.queue.queueUrl);
  }

  /** `fn` (the import worker) consumes the queue, one chunk a call, reporting partial failures. */
  connectWorker(fn: lambda.Function): void {
    fn.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: Math.max(2, this.#maxConcurrency) }));
  }
}

/**
 * The import jobs concern (issue 15): the import queue a job's chunks travel on (POST /v1/imports → import worker),
 * its dead-letter queue, and the bucket large files are uploaded to with a pre-signed URL. Like `CampaignQueues`, a
 * resource the functions use; it owns its grants and the environment variables it sets.
 *
 * Not yet composed by the stack (the CDK side wires it at merge):
 *
 * ```ts
 * const importJobs = new ImportJobs(this, 'ImportJobs');
 * importJobs.allowEnqueue(adminFunction);                       // POST /v1/imports: SendMessage + SENDWELL_IMPORT_QUEUE_URL
 * const worker = buildFunction(this, 'ImportWorker', IMPORT_FUNCTIONS.importWorker, …); // data:write, keys:read
 * importJobs.connectWorker(worker);                             // event source, GetObject on uploads
 * ```
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/wiring/env-keys.ts';
import { IMPORT_FUNCTIONS } from '../lambdas/wiring/import-functions.ts';

/** SQS receives of a chunk before it goes to the dead-letter queue: a chunk resumes at its offset, so retries are cheap. */
export const IMPORT_MAX_RECEIVES = 10;

export interface ImportJobsProps {
  /**
   * Import workers at once (the event source's maximum concurrency): each writes the recipients table.
   *
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Days an uploaded file is kept in the upload bucket.
   *
   * @default 7
   */
  readonly uploadRetentionDays?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export class ImportJobs extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly uploads: s3.Bucket;
  readonly #maxConcurrency: number;

  constructor(scope: Construct, id: string, props: ImportJobsProps = {}) {
    super(scope, id);
    this.#maxConcurrency = props.maxConcurrency ?? 10;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Chunks', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's guidance for a Lambda event source: six times the consumer's timeout.
      visibilityTimeout: Duration.seconds(6 * IMPORT_FUNCTIONS.importWorker.timeoutSeconds),
      retentionPeriod: Duration.days(7),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: IMPORT_MAX_RECEIVES },
    });
    this.uploads = new s3.Bucket(this, 'Uploads', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [{ expiration: Duration.days(props.uploadRetentionDays ?? 7), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** `fn` may start import jobs: SendMessage on the queue, PutObject pre-signing on the bucket, and their names. */
  allowEnqueue(fn: lambda.Function): void {
    this.queue.grantSendMessages(fn);
    this.uploads.grantPut(fn);
    fn.addEnvironment(ENV.importQueueUrl, this.queue.queueUrl);
    fn.addEnvironment(ENV.importBucket, this.uploads.bucketName);
  }

  /** `fn` (the import worker) consumes the queue, one chunk a call, reporting partial failures; it reads uploads. */
  connectWorker(fn: lambda.Function): void {
    fn.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: Math.max(2, this.#maxConcurrency) }));
    this.uploads.grantRead(fn);
    fn.addEnvironment(ENV.importBucket, this.uploads.bucketName);
  }
}

/**
 * The import jobs concern (issue 15): the queue a job's chunks travel on (POST /v1/imports → import worker) and its
 * dead-letter queue. Like `CampaignQueues`, a resource the functions use; it owns its grants and the variable it sets.
 * Functions with the `imports:enqueue` permission (the admin function) may send to the queue; the import worker of
 * `EVENT_FUNCTIONS` consumes it ({@link ImportJobs.connectWorker}).
 *
 * Large files come through a bucket: `POST /v1/imports` with `{upload: …}` hands out a pre-signed PUT URL (the admin
 * function signs it: `s3:PutObject` under `imports/`), the object's arrival is an S3 event on the same queue, and the
 * worker reads the object in byte ranges (`s3:GetObject`) and deletes it once read to its end (`s3:DeleteObject`: its
 * chunks hold the rows). Whatever is left (never read, a failed delete) expires after 2 days: a file of addresses
 * nobody imports should not stay.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/wiring/env-keys.ts';
import { attachPolicy, iam5ResourceFinding } from './managed-policies.ts';
import { EVENT_FUNCTIONS, IMPORT_MAX_RECEIVES } from '../lambdas/wiring/event-functions.ts';

/** SQS receives of a chunk before it goes to the dead-letter queue (shared with the worker, which fails the job on the last). */
export { IMPORT_MAX_RECEIVES };

export interface ImportJobsProps {
  /**
   * Import workers at once (the event source's maximum concurrency): each writes the recipients table.
   *
   * @default 10
   */
  readonly maxConcurrency?: number;
  /** Keep the dead-letter queue (chunks that kept failing) and the upload bucket when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** Days an uploaded import file is kept. */
export const UPLOAD_RETENTION_DAYS = 2;

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
    this.uploads = new s3.Bucket(this, 'Uploads', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ prefix: 'imports/', expiration: Duration.days(UPLOAD_RETENTION_DAYS), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      // The console PUTs the file from the browser; the pre-signed URL is the permission, CORS only lets it be sent.
      cors: [{ allowedMethods: [s3.HttpMethods.PUT], allowedOrigins: ['*'], allowedHeaders: ['content-type'], maxAge: 3600 }],
      // Like the dead letters; a deleted stage's bucket empties itself within the retention above.
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // The file's arrival starts the job: S3 puts the event on the import queue, where the worker reads it. Set on the
    // bucket itself (CloudFormation's own property) rather than through CDK's notification custom resource: no
    // deployment-time Lambda with account-wide S3 rights. S3 checks the queue policy when the bucket is configured,
    // so the policy comes first; it names the account, not the bucket, which would make the two depend on each other.
    const s3Sends = this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const cfnBucket = this.uploads.node.defaultChild as s3.CfnBucket;
    cfnBucket.notificationConfiguration = {
      queueConfigurations: [{ event: 's3:ObjectCreated:*', queue: this.queue.queueArn, filter: { s3Key: { rules: [{ name: 'prefix', value: 'imports/' }] } } }],
    };
    if (s3Sends.policyDependable) cfnBucket.node.addDependency(s3Sends.policyDependable);
    Validations.of(this.uploads.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The import uploads bucket: uploads are transient (expired after 2 days) and written only through pre-signed URLs the admin API issues to authenticated callers, each logged with the job it belongs to; ' +
        'server access logs would need a second bucket and hold the same callers the API logs already hold.',
    });
  }

  /** `fn` (the admin function) may hand out upload URLs: it signs them, so it holds PutObject under `imports/` only. */
  allowUpload(fn: lambda.Function): void {
    this.#uploadPolicy ??= this.#objectPolicy('UploadPutPolicy', 's3:PutObject', 'sign pre-signed PUT URLs for import files (the signer must hold the right it hands out)');
    attachPolicy(this.#uploadPolicy, fn);
    fn.addEnvironment(ENV.importBucket, this.uploads.bucketName);
  }

  /** `fn` (the import worker) reads uploaded files and deletes each once read: Get and DeleteObject under `imports/` only. */
  allowReadUploads(fn: lambda.Function): void {
    this.#readPolicy ??= this.#objectPolicy('UploadReadPolicy', ['s3:GetObject', 's3:DeleteObject'], 'read uploaded import files in byte ranges, and delete each once read to its end');
    attachPolicy(this.#readPolicy, fn);
    fn.addEnvironment(ENV.importBucket, this.uploads.bucketName);
  }

  #uploadPolicy: iam.ManagedPolicy | undefined;
  #readPolicy: iam.ManagedPolicy | undefined;

  /** Actions on the objects under `imports/` (whose names are job ids, unknown at synth): a managed policy. */
  #objectPolicy(id: string, action: string | string[], purpose: string): iam.ManagedPolicy {
    const actions = [action].flat();
    const objects = this.uploads.arnForObjects('imports/*');
    const policy = new iam.ManagedPolicy(this, id, {
      description: `Sendwell: ${actions.join(' and ')} on the import uploads bucket, under imports/ only: ${purpose}.`,
      statements: [new iam.PolicyStatement({ actions, resources: [objects] })],
    });
    Validations.of(policy).acknowledge({
      id: iam5ResourceFinding(policy, objects),
      reason:
        `Import uploads are named imports/<job id>, a job created at run time, so the object ARN cannot be named at synth; ` +
        `the wildcard covers only that prefix of this stage's own upload bucket, for ${actions.join(' and ')} only.`,
    });
    return policy;
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

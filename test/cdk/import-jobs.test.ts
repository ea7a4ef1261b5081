/** The import jobs construct on a tiny stack: the queue as an event source of the worker, its grants and variables. */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { ImportJobs } from '../../lib/import-jobs.ts';
import { EVENT_FUNCTIONS } from '../../lambdas/wiring/event-functions.ts';

function synth() {
  const stack = new Stack(new App(), 'ImportJobsTest');
  const jobs = new ImportJobs(stack, 'ImportJobs');
  const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>({})') });
  const admin = fn('Admin');
  const worker = fn('Worker');
  jobs.allowEnqueue(admin);
  jobs.allowUpload(admin);
  jobs.connectWorker(worker);
  jobs.allowReadUploads(worker);
  return Template.fromStack(stack);
}

describe('ImportJobs', () => {
  const t = synth();
  it('has an encrypted queue with a dead-letter queue and a visibility of six worker timeouts', () => {
    t.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * EVENT_FUNCTIONS.importWorker.timeoutSeconds,
      SqsManagedSseEnabled: true,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 10 }),
    });
  });

  it('connects the worker one chunk at a time with partial batch failures', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 10 } });
  });

  it('gives the enqueuing function the queue URL and SendMessage on the queue only', () => {
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SENDWELL_IMPORT_QUEUE_URL: Match.anyValue() }) } });
    t.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ImportJobsChunks'), 'Arn'] } })]) } });
    expect(Object.keys(t.findResources('AWS::SQS::Queue'))).toHaveLength(2);
  });

  it('keeps uploads in an encrypted, private, SSL-only bucket that expires them and tells the queue of each', () => {
    expect(Object.keys(t.findResources('AWS::S3::Bucket'))).toHaveLength(1);
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 2, Prefix: 'imports/', Status: 'Enabled' })] },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    t.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { QueueConfigurations: [{ Event: 's3:ObjectCreated:*', Queue: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ImportJobsChunks'), 'Arn'] }, Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'imports/' }] } } }] },
    });
    // S3 may send to the queue (checked by S3 when the bucket is configured, so the policy is there first).
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 's3.amazonaws.com' }, Action: 'sqs:SendMessage' })]) },
    });
    const bucket = Object.values(t.findResources('AWS::S3::Bucket'))[0] as { DependsOn?: string[] };
    expect(bucket.DependsOn?.some((d) => /ChunksPolicy/.test(d))).toBe(true);
    // No notification custom resource (and so no deployment-time Lambda).
    expect(Object.keys(t.findResources('Custom::S3BucketNotifications'))).toHaveLength(0);
  });

  it('lets the admin function put (sign) and the worker get and delete objects under imports/ only, each with the bucket name', () => {
    for (const action of ['s3:PutObject', ['s3:GetObject', 's3:DeleteObject']]) {
      t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: { Statement: [Match.objectLike({ Action: action, Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ImportJobsUploads'), 'Arn'] }, '/imports/*']] } })] },
      });
    }
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SENDWELL_IMPORT_BUCKET: Match.anyValue() }) } });
  });
});

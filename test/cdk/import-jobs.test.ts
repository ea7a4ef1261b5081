/** The import jobs construct on a tiny stack: the queue as an event source of the worker, its grants and variables. */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { ImportJobs } from '../../lib/import-jobs.ts';
import { IMPORT_FUNCTIONS } from '../../lambdas/wiring/import-functions.ts';

function synth() {
  const stack = new Stack(new App(), 'ImportJobsTest');
  const jobs = new ImportJobs(stack, 'ImportJobs');
  const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>({})') });
  jobs.allowEnqueue(fn('Admin'));
  jobs.connectWorker(fn('Worker'));
  return Template.fromStack(stack);
}

describe('ImportJobs', () => {
  const t = synth();
  it('has an encrypted queue with a dead-letter queue and a visibility of six worker timeouts', () => {
    t.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * IMPORT_FUNCTIONS.importWorker.timeoutSeconds,
      SqsManagedSseEnabled: true,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 10 }),
    });
  });

  it('connects the worker one chunk at a time with partial batch failures', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 10 } });
  });

  it('gives the admin function the queue URL and bucket name, and a private upload bucket', () => {
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SENDWELL_IMPORT_QUEUE_URL: Match.anyValue(), SENDWELL_IMPORT_BUCKET: Match.anyValue() }) } });
    t.hasResourceProperties('AWS::S3::Bucket', { PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true } });
    expect(Object.keys(t.findResources('AWS::SQS::Queue'))).toHaveLength(2);
  });
});

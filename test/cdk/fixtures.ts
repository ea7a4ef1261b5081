/** What several CDK tests build the same way: the contexts they synthesize, a stand-in function, expected shapes. */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

/** A production stage with every deployer parameter set. */
export const PROD_CONTEXT = {
  stage: 'prod',
  fromAddress: 'Sendwell <no-reply@mail.example.com>',
  postalAddress: 'Example Ltd, 1 Main St, Springfield',
  publicBaseUrl: 'https://mail.example.com',
  alarmEmail: 'ops@example.com',
  unsubscribeMailbox: 'unsubscribe@mail.example.com',
  // The sending domain's records go into this Route 53 zone; deliverability switches on (lib/sending-domain.ts).
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  hostedZoneName: 'example.com',
  dmarcReportAddress: 'dmarc@example.com',
  vdm: 'true',
  dedicatedIpPool: 'managed',
} as const;

/**
 * A plain `cdk synth` (stage dev) and a production stage with every parameter set: retention differs between them,
 * the SES identity is a wildcard only in the first, and only the second builds the inbound mail resources.
 */
export const CONTEXTS: [string, Record<string, string>][] = [
  ['dev (no context)', {}],
  ['prod (all parameters)', PROD_CONTEXT],
];

/** A function with inline code, for tiny stacks that test one construct's grants and variables (no bundling). */
export const inlineFunction = (scope: Construct, id = 'Fn') =>
  new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('export const handler = async () => {};'),
  });

/** The `AWS::Lambda::EventInvokeConfig` of a function protected by `FailureQueue.protectAsyncInvocations`. */
export const asyncFailureConfig = (fnId: string, queueId: string) => ({
  FunctionName: { Ref: fnId },
  Qualifier: '$LATEST',
  MaximumRetryAttempts: 2,
  MaximumEventAgeInSeconds: 6 * 3600,
  DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
});

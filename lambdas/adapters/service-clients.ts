/**
 * The SES and SQS SDK clients, built on first use and shared by the process. Apart from the DynamoDB clients
 * (clients.ts) so that a function whose stores send through the lean client (dynamo/lean-db.ts) and that may send a
 * mail (the preference page, the confirm link) bundles neither SDK DynamoDB client.
 */
import { createRequire } from 'node:module';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { config } from './config.ts';
import { SendOnceRetryStrategy } from './send-once.ts';

// The SES and SQS SDKs are required on first use, not imported: a static import would load them at every cold start of
// every function, the public routes' included (in a bundle, esbuild hoists every external import to the top).
const requireOnUse = createRequire(import.meta.url);

/** The SES SDK module, loaded on the first call. */
export const sesSdk = () => requireOnUse('@aws-sdk/client-sesv2') as typeof import('@aws-sdk/client-sesv2');

/** The SQS SDK module, loaded on the first call. */
export const sqsSdk = () => requireOnUse('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');

let ses: SESv2Client | undefined;
let sqs: SQSClient | undefined;

export function sesClient(): SESv2Client {
  const c = config();
  // Retries only what SES did not take: a lost answer is never resent (./send-once.ts).
  ses ??= new (sesSdk().SESv2Client)({ region: c.region, retryStrategy: new SendOnceRetryStrategy(), ...(c.sesEndpoint ? { endpoint: c.sesEndpoint } : {}) });
  return ses;
}

/** Only used on AWS: the local stack and the tests hand the services their in-process stand-in for the queues. */
export function sqsClient(): SQSClient {
  sqs ??= new (sqsSdk().SQSClient)({ region: config().region });
  return sqs;
}

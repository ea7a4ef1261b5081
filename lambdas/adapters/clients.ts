/**
 * AWS SDK clients, built once per cold start and shared by every adapter of the process. The endpoints point at
 * DynamoDB Local and the local SES when the local stack or the tests set them, at AWS otherwise.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as documentCommands from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRequire } from 'node:module';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { config, LOCAL_DYNAMODB_ATTEMPTS } from './config.ts';
import type { Db, Operation } from './dynamo/db.ts';
import { SendOnceRetryStrategy } from './send-once.ts';

// The SES and SQS SDKs are required on first use, not imported: a static import would load them at every cold start of
// every function, the public routes' included (in a bundle, esbuild hoists every external import to the top).
const requireOnUse = createRequire(import.meta.url);

/** The SES SDK module, loaded on the first call. */
export const sesSdk = () => requireOnUse('@aws-sdk/client-sesv2') as typeof import('@aws-sdk/client-sesv2');

/** The SQS SDK module, loaded on the first call. */
export const sqsSdk = () => requireOnUse('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');


let dynamo: DynamoDBClient | undefined;
let doc: DynamoDBDocumentClient | undefined;
let ses: SESv2Client | undefined;
let sqs: SQSClient | undefined;

const dynamoHooks: Array<(client: DynamoDBClient) => void> = [];

/**
 * Runs `hook` on the DynamoDB client when it is built (at once if it is): how the local stack and the tests add their
 * table access check (local/table-access-guard.ts) without building the client, and so reading the configuration,
 * before a test file has set its environment.
 */
export function onDynamoClient(hook: (client: DynamoDBClient) => void): void {
  dynamoHooks.push(hook);
  if (dynamo) hook(dynamo);
}

export function dynamoClient(): DynamoDBClient {
  if (dynamo) return dynamo;
  const c = config();
  dynamo = new DynamoDBClient({ region: c.region, ...(c.dynamodbEndpoint ? { endpoint: c.dynamodbEndpoint, maxAttempts: LOCAL_DYNAMODB_ATTEMPTS } : {}) });
  for (const hook of dynamoHooks) hook(dynamo);
  return dynamo;
}

export function documentClient(): DynamoDBDocumentClient {
  doc ??= DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return doc;
}

/** The SDK's command of each operation the stores send (dynamo/db.ts). */
const SDK_COMMANDS = {
  GetItem: documentCommands.GetCommand,
  PutItem: documentCommands.PutCommand,
  UpdateItem: documentCommands.UpdateCommand,
  DeleteItem: documentCommands.DeleteCommand,
  Query: documentCommands.QueryCommand,
  BatchGetItem: documentCommands.BatchGetCommand,
  BatchWriteItem: documentCommands.BatchWriteCommand,
  TransactWriteItems: documentCommands.TransactWriteCommand,
} as const satisfies Record<Operation, unknown>;

/** The stores' commands sent through `doc` (the SDK's middleware, retries and hooks apply as to any SDK call). */
export function sdkDb(doc: DynamoDBDocumentClient): Db {
  return {
    send: (command) => {
      const Sdk = SDK_COMMANDS[command.operation] as new (input: unknown) => Parameters<DynamoDBDocumentClient['send']>[0];
      return doc.send(new Sdk(command.input)) as never;
    },
  };
}

let sharedDb: Db | undefined;

/** The stores' `Db` on the shared document client: every function's but the lean public routes'. */
export function dynamoDb(): Db {
  sharedDb ??= sdkDb(documentClient());
  return sharedDb;
}

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

/**
 * The AWS SDK's DynamoDB clients, built once per cold start and shared by every adapter of the process (the functions
 * whose stores send through the lean client, dynamo/lean-db.ts, never load this module). The endpoint points at
 * DynamoDB Local when the local stack or the tests set it, at AWS otherwise. The SES and SQS clients are in
 * service-clients.ts, re-exported here for the callers that take all of them from one place.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as documentCommands from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config, LOCAL_DYNAMODB_ATTEMPTS } from './config.ts';
import type { Db, Operation } from './dynamo/db.ts';

export { sesClient, sesSdk, sqsClient, sqsSdk } from './service-clients.ts';


let dynamo: DynamoDBClient | undefined;
let doc: DynamoDBDocumentClient | undefined;

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

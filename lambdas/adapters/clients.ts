/**
 * AWS SDK clients, built once per cold start and shared by every adapter of the process. The endpoints point at
 * DynamoDB Local and the local SES when the local stack or the tests set them, at AWS otherwise.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { config } from './config.ts';

let dynamo: DynamoDBClient | undefined;
let doc: DynamoDBDocumentClient | undefined;
let ses: SESv2Client | undefined;

export function dynamoClient(): DynamoDBClient {
  const c = config();
  dynamo ??= new DynamoDBClient({ region: c.region, ...(c.dynamodbEndpoint ? { endpoint: c.dynamodbEndpoint } : {}) });
  return dynamo;
}

export function documentClient(): DynamoDBDocumentClient {
  doc ??= DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return doc;
}

export function sesClient(): SESv2Client {
  const c = config();
  ses ??= new SESv2Client({ region: c.region, ...(c.sesEndpoint ? { endpoint: c.sesEndpoint } : {}) });
  return ses;
}

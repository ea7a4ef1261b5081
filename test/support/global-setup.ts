/**
 * Integration test servers, once per run: the official DynamoDB Local (in memory) and the local SES, each on a free
 * loopback port, the tables created from the shared definitions. Stopped by PID when the run ends.
 */
import type { TestProject } from 'vitest/node';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { startSesLocal } from '../../local/ses-local.ts';
import { ensureTables } from '../../local/tables.ts';
import { localTableName } from '../../local/handler-env.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.ts';
import { freePort } from '../../local/ports.ts';
import { TABLE_LIST } from '../../lambdas/wiring/tables.ts';
import { generateKeys, type LocalKeys } from '../../local/keys.ts';

export interface SendwellTestServers {
  readonly dynamodbEndpoint: string;
  readonly dynamodbPid: number;
  readonly sesEndpoint: string;
  readonly tablePrefix: string;
  /** Token and pseudonym keys of this run, shared by every worker so tokens verify wherever they were signed. */
  readonly keys: LocalKeys;
}

declare module 'vitest' {
  export interface ProvidedContext {
    sendwell: SendwellTestServers;
  }
}

export const TEST_TABLE_PREFIX = 'sendwell-test';

export default async function setup(project: TestProject) {
  // A busy shared machine can take longer than the default 30 s to start the JVM.
  const dynamo = await startDynamoDbLocal({ port: await freePort(), startTimeoutMs: 120_000 });
  let ses: Awaited<ReturnType<typeof startSesLocal>> | undefined;
  try {
    ses = await startSesLocal({ port: await freePort() });
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    await ensureTables(client, TABLE_LIST, (def) => localTableName(def, TEST_TABLE_PREFIX));
    client.destroy();
  } catch (e) {
    await dynamo.stop();
    await ses?.stop();
    throw e;
  }
  project.provide('sendwell', {
    dynamodbEndpoint: dynamo.endpoint,
    dynamodbPid: dynamo.pid,
    sesEndpoint: ses.endpoint,
    tablePrefix: TEST_TABLE_PREFIX,
    keys: generateKeys(),
  });
  return async () => {
    await ses?.stop();
    await dynamo.stop();
  };
}

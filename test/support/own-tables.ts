/**
 * Tables of a test file's own, for what is stage-wide (the marketing pause, delivery settings, roles): the handlers of
 * this worker are pointed at them at once, before any of them reads its configuration, and the step returned creates
 * them (call it in `beforeAll`) and starts the reader of their messages stream that counts the figures
 * (figures-stream.ts); when the file ends the reader stops and the tables are deleted.
 */
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, inject } from 'vitest';
import { TABLE_LIST } from '../../lambdas/wiring/tables.ts';
import { localTableName } from '../../local/handler-env.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.ts';
import { ensureTables } from '../../local/tables.ts';
import { startOwnFigures, stopOwnFigures } from './figures-stream.ts';

let own = false;

/** Whether this test file already runs on tables of its own. */
export const hasOwnTables = () => own;

export function ownTables(prefix: string): () => Promise<void> {
  own = true;
  for (const def of TABLE_LIST) process.env[def.envKey] = localTableName(def, prefix);
  // The last hook of the file (registered first): the reader stops, then the tables go. A long run's DynamoDB Local
  // holding every file's tables (and their streams) got slow enough to push a 500-row import past 29 s.
  afterAll(async () => {
    await stopOwnFigures();
    const client = new DynamoDBClient({ endpoint: inject('sendwell').dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    await Promise.all(TABLE_LIST.map((def) => client.send(new DeleteTableCommand({ TableName: localTableName(def, prefix) })).catch(() => undefined)));
    client.destroy();
  });
  return async () => {
    const client = new DynamoDBClient({ endpoint: inject('sendwell').dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    await ensureTables(client, TABLE_LIST, (def) => localTableName(def, prefix));
    client.destroy();
    await startOwnFigures(prefix);
  };
}

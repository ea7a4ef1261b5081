/**
 * Tables of a test file's own, for what is stage-wide (the marketing pause, delivery settings, roles): the handlers of
 * this worker are pointed at them at once, before any of them reads its configuration, and the step returned creates
 * them (call it in `beforeAll`) and starts the reader of their messages stream that counts the figures
 * (figures-stream.ts), stopped when the file ends.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
  afterAll(stopOwnFigures);
  return async () => {
    const client = new DynamoDBClient({ endpoint: inject('sendwell').dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    await ensureTables(client, TABLE_LIST, (def) => localTableName(def, prefix));
    client.destroy();
    await startOwnFigures(prefix);
  };
}

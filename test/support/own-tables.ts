/**
 * Tables of a test file's own, for what is stage-wide (the marketing pause, delivery settings, roles): the handlers of
 * this worker are pointed at them at once, before any of them reads its configuration, and the step returned starts
 * the reader of their messages stream that counts the figures (figures-stream.ts). The tables are one of the sets
 * global-setup.ts created before any test wrote (their streams cost DynamoDB Local nothing extra, see local/tables.ts),
 * leased to this file alone; when the file ends the reader stops and the tables are deleted.
 */
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
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

/** `label` names the tables only when every prepared set is taken and they are made on the spot. */
export function ownTables(label: string): () => Promise<void> {
  own = true;
  const leased = leaseSet();
  const prefix = leased ?? `sendwell-${label}-${Date.now().toString(36)}`;
  for (const def of TABLE_LIST) process.env[def.envKey] = localTableName(def, prefix);
  const client = () => new DynamoDBClient({ endpoint: inject('sendwell').dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  // The last hook of the file (registered first): the reader stops, then the tables go.
  afterAll(async () => {
    await stopOwnFigures();
    const c = client();
    await Promise.all(TABLE_LIST.map((def) => c.send(new DeleteTableCommand({ TableName: localTableName(def, prefix) })).catch(() => undefined)));
    c.destroy();
  });
  return async () => {
    if (!leased) {
      console.warn(`own-tables: all ${inject('sendwell').ownTableSets.count} prepared table sets are leased; '${label}' gets tables made now (raise OWN_TABLE_SETS in test/support/global-setup.ts)`);
      const c = client();
      await ensureTables(c, TABLE_LIST, (def) => localTableName(def, prefix));
      c.destroy();
    }
    await startOwnFigures(prefix);
  };
}

/** The first set no other file has leased: its lease file is created exclusively, which holds across processes. */
function leaseSet(): string | undefined {
  const sets = inject('sendwell').ownTableSets;
  for (let i = 0; i < sets.count; i++) {
    try {
      closeSync(openSync(join(sets.leaseDir, String(i)), 'wx'));
      return `${sets.prefix}${i}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return undefined;
}

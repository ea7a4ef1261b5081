/** Creates the tables of `lambdas/wiring/tables.ts` in DynamoDB Local, the same definitions CDK deploys. */
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  PutItemCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type AttributeValue,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { MIGRATION_KEY } from '../lambdas/adapters/dynamo/suppression-store.ts';
import { TABLES, type KeyDef, type TableDef } from '../lambdas/wiring/tables.ts';

const keySchema = (k: KeyDef): KeySchemaElement[] => [
  { AttributeName: k.partitionKey, KeyType: 'HASH' },
  ...(k.sortKey ? [{ AttributeName: k.sortKey, KeyType: 'RANGE' as const }] : []),
];

/** The CreateTable input for one definition; exported so a test can compare it with the CDK template. */
export function createTableInput(def: TableDef, tableName: string): CreateTableCommandInput {
  const names = new Set<string>();
  for (const k of [def, ...def.indexes]) {
    names.add(k.partitionKey);
    if (k.sortKey) names.add(k.sortKey);
  }
  const attributes: AttributeDefinition[] = [...names].map((n) => ({ AttributeName: n, AttributeType: 'S' }));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributes,
    KeySchema: keySchema(def),
    ...(def.indexes.length
      ? {
          GlobalSecondaryIndexes: def.indexes.map((i) => ({
            IndexName: i.name,
            KeySchema: keySchema(i),
            Projection: { ProjectionType: i.projection === 'keys' ? 'KEYS_ONLY' : 'ALL' },
          })),
        }
      : {}),
    ...(def.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } } : {}),
  };
}

/**
 * Creates each missing table (existing ones are kept with their data) and turns TTL on where defined. An existing
 * table (the data folder of an earlier `npm start`) gets the indexes, the stream and the TTL added to its definition
 * since, one at a time.
 */
export async function ensureTables(
  client: DynamoDBClient,
  defs: readonly TableDef[],
  nameOf: (def: TableDef) => string,
): Promise<{ created: string[]; existing: string[] }> {
  const created: string[] = [];
  const existing: string[] = [];
  for (const def of defs) {
    const name = nameOf(def);
    try {
      const described = await client.send(new DescribeTableCommand({ TableName: name }));
      const have = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
      const input = createTableInput(def, name);
      for (const index of input.GlobalSecondaryIndexes ?? []) {
        if (have.has(index.IndexName)) continue;
        const attributes = (input.AttributeDefinitions ?? []).filter((a) => index.KeySchema?.some((k) => k.AttributeName === a.AttributeName));
        await client.send(new UpdateTableCommand({ TableName: name, AttributeDefinitions: attributes, GlobalSecondaryIndexUpdates: [{ Create: index }] }));
      }
      if (input.StreamSpecification && !described.Table?.StreamSpecification?.StreamEnabled) {
        await client.send(new UpdateTableCommand({ TableName: name, StreamSpecification: input.StreamSpecification }));
        await startStream(client, def, name);
      }
      if (def.ttlAttribute) {
        const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
        if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') await enableTtl(client, name, def.ttlAttribute);
      }
      existing.push(name);
      continue;
    } catch (e) {
      if ((e as Error).name !== 'ResourceNotFoundException') throw e;
    }
    await client.send(new CreateTableCommand(createTableInput(def, name)));
    for (const item of CREATED_WITH[def.id]?.() ?? []) await client.send(new PutItemCommand({ TableName: name, Item: item }));
    if (def.stream) await startStream(client, def, name);
    if (def.ttlAttribute) await enableTtl(client, name, def.ttlAttribute);
    created.push(name);
  }
  return { created, existing };
}

/**
 * Items a table this creates starts with. A new suppressions table holds nothing of the layout before one item per
 * address, so its move is done from the start (on AWS, `migrateData` finds that out by itself after its settle time).
 */
const CREATED_WITH: Readonly<Record<string, () => ReadonlyArray<Record<string, AttributeValue>>>> = {
  [TABLES.suppressions.id]: () => {
    const at = new Date().toISOString();
    return [{ pk: { S: MIGRATION_KEY.pk }, sk: { S: MIGRATION_KEY.sk }, startedAt: { S: at }, doneAt: { S: at } }];
  },
};

/** The key of the item that opens a new table's stream (written and deleted at once; stream readers skip it). */
const STREAM_START_KEY = '~stream-start';

/**
 * Gives a new stream its first record at once: a marker item put and deleted. DynamoDB Local finds where a table's
 * stream begins, on every write to the table and every DescribeStream, by walking the stream records of all its tables
 * from the oldest until it meets one of this table's. A stream opened at creation is found at once; one whose first
 * record comes after other tables' traffic pays a walk over all of it on every write (measured: a PutItem 2 → 40 ms
 * behind 50,000 older records, and most of a long test run's DynamoDB Local CPU).
 */
async function startStream(client: DynamoDBClient, def: TableDef, name: string): Promise<void> {
  const key = { [def.partitionKey]: { S: STREAM_START_KEY }, ...(def.sortKey ? { [def.sortKey]: { S: STREAM_START_KEY } } : {}) };
  await client.send(new PutItemCommand({ TableName: name, Item: key }));
  await client.send(new DeleteItemCommand({ TableName: name, Key: key }));
}

const enableTtl = (client: DynamoDBClient, name: string, attribute: string) =>
  client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: attribute } }));

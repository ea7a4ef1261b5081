/**
 * `npm start` keeps the data folder of an earlier run: a table created before an index was added to its definition
 * (the messages table's due-time index, `gsi2`; the suppressions' `legacy` index) gets the index, with its data kept,
 * the next time the stack starts; likewise the stream (the messages table's, which the figures are counted from since
 * issue 17) and the TTL. Items stored in an earlier layout are moved by the data migrations, as on AWS.
 */
import { CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { sdkDb } from '../../../lambdas/adapters/clients.ts';
import { MIGRATION_KEY, MIGRATION_SETTLE_MS, SuppressionStore } from '../../../lambdas/adapters/dynamo/suppression-store.ts';
import type { TableNames } from '../../../lambdas/adapters/dynamo/tables.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../../lambdas/wiring/tables.ts';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from '../../../local/dynamodb-local.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/local-aws.ts';
import { freePort } from '../../../local/ports.ts';
import { createTableInput, ensureTables } from '../../../local/tables.ts';

// A DynamoDB Local of its own: on the run's shared one, holding every file's tables, the new index was seen to take
// over 90 s to backfill at the end of a run, and over 240 s once more files had tables of their own.
let dynamo: RunningDynamoDbLocal;
beforeAll(async () => {
  dynamo = await startDynamoDbLocal({ port: await freePort(), startTimeoutMs: 120_000 });
}, 150_000);
afterAll(async () => {
  await dynamo?.stop();
});

describe('ensureTables on an existing table', () => {
  it('adds an index the definition gained since, and the index sees the existing items', { timeout: 300_000 }, async () => {
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const db = DynamoDBDocumentClient.from(client);
    const name = `sendwell-upgrade-${Date.now().toString(36)}-Messages`;
    // As an earlier version created it: gsi1 only, no stream (and CreateTable alone sets no TTL).
    const old = { ...TABLES.messages, stream: false, indexes: TABLES.messages.indexes.filter((i) => i.name === 'gsi1') };
    await client.send(new CreateTableCommand(createTableInput(old, name)));
    await db.send(new PutCommand({ TableName: name, Item: { pk: 'M#m1', sk: 'MSG', gsi2pk: 'DUE#0', gsi2sk: '2026-01-01T00:00:00.000Z#m1', messageId: 'm1' } }));

    const result = await ensureTables(client, [TABLES.messages], () => name);
    expect(result.existing).toEqual([name]);
    const described = await client.send(new DescribeTableCommand({ TableName: name }));
    expect((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort()).toEqual(['gsi1', 'gsi2']);
    expect(described.Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect((await client.send(new DescribeTimeToLiveCommand({ TableName: name }))).TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    // DynamoDB Local answers queries on an index only once it has backfilled it (ACTIVE).
    const statusOf = async () => (await client.send(new DescribeTableCommand({ TableName: name }))).Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === 'gsi2')?.IndexStatus;
    await expect.poll(statusOf, { timeout: 240_000, interval: 500 }).toBe('ACTIVE');
    const found = await db.send(new QueryCommand({ TableName: name, IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :p', ExpressionAttributeValues: { ':p': 'DUE#0' } }));
    expect(found.Items?.length).toBe(1);
    // Again: nothing more to add.
    expect((await ensureTables(client, [TABLES.messages], () => name)).existing).toEqual([name]);
    client.destroy();
  });

  it('gives an earlier suppressions table its legacy index, through which its old items are moved; a new one starts moved', { timeout: 300_000 }, async () => {
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const doc = DynamoDBDocumentClient.from(client);
    const name = `sendwell-upgrade-${Date.now().toString(36)}-Suppressions`;
    await client.send(new CreateTableCommand(createTableInput({ ...TABLES.suppressions, indexes: [] }, name)));
    const old = { reason: 'hard_bounce', scope: 'all', createdAt: '2026-01-02T03:04:05.000Z', source: 'ses:bounce' };
    await doc.send(new PutCommand({ TableName: name, Item: { pk: 'S#h1', sk: 'hard_bounce', ...old } }));

    expect((await ensureTables(client, [TABLES.suppressions], () => name)).existing).toEqual([name]);
    const statusOf = async () => (await client.send(new DescribeTableCommand({ TableName: name }))).Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === 'legacy')?.IndexStatus;
    await expect.poll(statusOf, { timeout: 240_000, interval: 500 }).toBe('ACTIVE');
    // An existing table holds no "done": it may hold old items, and they are read until moved.
    expect((await doc.send(new GetCommand({ TableName: name, Key: MIGRATION_KEY }))).Item).toBeUndefined();
    const store = new SuppressionStore(sdkDb(doc), { suppressions: name } as TableNames);
    expect(await store.listMany(['h1'])).toEqual(new Map([['h1', [old]]]));
    // The runs of migrateData: the first notes the start, the ones after the settle time move, and end the move.
    const at = (minutes: number) => () => new Date(Date.parse('2026-12-06T12:00:00.000Z') + minutes * 60_000);
    expect(await store.migrateStep(at(0), 60_000)).toEqual({ moved: 0, state: 'more' });
    expect(await store.migrateStep(at(10), 60_000)).toEqual({ moved: 0, state: 'more' });
    expect(await store.migrateStep(at(MIGRATION_SETTLE_MS / 60_000), 60_000)).toEqual({ moved: 1, state: 'more' });
    expect(await store.migrateStep(at(MIGRATION_SETTLE_MS / 60_000 + 5), 60_000)).toEqual({ moved: 0, state: 'done' });
    const items = (await doc.send(new QueryCommand({ TableName: name, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'S#h1' } }))).Items;
    expect(items).toEqual([{ pk: 'S#h1', sk: 'ADDRESS', hard_bounce: old }]);

    const fresh = `${name}-new`;
    expect((await ensureTables(client, [TABLES.suppressions], () => fresh)).created).toEqual([fresh]);
    expect((await doc.send(new GetCommand({ TableName: fresh, Key: MIGRATION_KEY }))).Item).toMatchObject({ doneAt: expect.any(String) });
    client.destroy();
  });
});

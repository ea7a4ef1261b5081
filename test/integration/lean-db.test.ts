/**
 * The public routes' lean DynamoDB client (lambdas/adapters/dynamo/lean-db.ts) against the run's DynamoDB Local, side
 * by side with the SDK's document client the other functions use: what one writes the other reads back the same, each
 * command the stores send answers in the document client's shape, and DynamoDB's refusals carry the names and
 * reasons the stores check.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dynamoDb } from '../../lambdas/adapters/clients.ts';
import { config } from '../../lambdas/adapters/config.ts';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type Db } from '../../lambdas/adapters/dynamo/db.ts';
import { LeanDb } from '../../lambdas/adapters/dynamo/lean-db.ts';
import { cancellationReasons, isConditionFailure } from '../../lambdas/adapters/dynamo/tables.ts';

const lean = () => new LeanDb({ region: config().region, endpoint: config().dynamodbEndpoint! });
// The relay table: no stream reads it, so these items count nowhere.
const table = () => config().tables.relay;

/** Every kind of value a store writes: strings, numbers, booleans, null, lists, maps, string and number sets, bytes. */
const everyKind = (pk: string, sk: string) => ({
  pk,
  sk,
  text: 'héllo ✉',
  count: 42,
  ratio: 0.125,
  big: 9_007_199_254_740_991,
  yes: true,
  no: false,
  nothing: null,
  list: ['a', 1, { nested: ['x', false] }],
  map: { a: { b: { c: 'deep' } }, B: { S: 'a map attribute named like a type' } },
  tags: new Set(['one', 'two']),
  numbers: new Set([1, 2, 3]),
  bytes: new Uint8Array([0, 1, 2, 250, 255]),
});

describe('the lean DynamoDB client beside the SDK document client', () => {
  it.each([
    ['lean writes, SDK reads', lean, dynamoDb],
    ['SDK writes, lean reads', dynamoDb, lean],
  ] as const)('%s every kind of value back the same', async (_, writer: () => Db, reader: () => Db) => {
    const pk = `LEAN#${randomUUID()}`;
    const item = everyKind(pk, 'R');
    await writer().send(new PutCommand({ TableName: table(), Item: { ...item, dropped: undefined } }));
    const { Item } = await reader().send(new GetCommand({ TableName: table(), Key: { pk, sk: 'R' }, ConsistentRead: true }));
    expect(Item).toEqual(item);
    expect(Item).not.toHaveProperty('dropped');
  });

  it('updates with values, returns the new attributes, and deletes', async () => {
    const db = lean();
    const Key = { pk: `LEAN#${randomUUID()}`, sk: 'R' };
    await db.send(new PutCommand({ TableName: table(), Item: { ...Key, opens: 1 } }));
    const updated = await db.send(
      new UpdateCommand({
        TableName: table(),
        Key,
        UpdateExpression: 'ADD opens :one, seen :who SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':one': 1, ':who': new Set(['apple']), ':s': 'opened' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(updated.Attributes).toEqual({ ...Key, opens: 2, seen: new Set(['apple']), status: 'opened' });
    const removed = await db.send(new DeleteCommand({ TableName: table(), Key, ReturnValues: 'ALL_OLD' }));
    expect(removed.Attributes).toMatchObject({ opens: 2 });
    expect((await dynamoDb().send(new GetCommand({ TableName: table(), Key, ConsistentRead: true }))).Item).toBeUndefined();
  });

  it('pages a query with the key it left off at', async () => {
    const db = lean();
    const pk = `LEAN#${randomUUID()}`;
    await db.send(new BatchWriteCommand({ RequestItems: { [table()]: ['a', 'b', 'c', 'd', 'e'].map((sk) => ({ PutRequest: { Item: { pk, sk, n: sk.charCodeAt(0) } } })) } }));
    const seen: string[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await db.send(new QueryCommand({ TableName: table(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, Limit: 2, ...(cursor ? { ExclusiveStartKey: cursor } : {}) }));
      seen.push(...(page.Items ?? []).map((i) => String(i.sk)));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    await db.send(new BatchWriteCommand({ RequestItems: { [table()]: seen.map((sk) => ({ DeleteRequest: { Key: { pk, sk } } })) } }));
    expect((await db.send(new QueryCommand({ TableName: table(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } }))).Items).toEqual([]);
  });

  it('reads a batch of keys, leaving out the ones that are not there', async () => {
    const db = lean();
    const pk = `LEAN#${randomUUID()}`;
    await dynamoDb().send(new PutCommand({ TableName: table(), Item: { pk, sk: 'R', n: 1 } }));
    const out = await db.send(new BatchGetCommand({ RequestItems: { [table()]: { Keys: [{ pk, sk: 'R' }, { pk, sk: 'absent' }], ConsistentRead: true } } }));
    expect(out.Responses?.[table()]).toEqual([{ pk, sk: 'R', n: 1 }]);
  });

  it('fails a condition as ConditionalCheckFailedException, and writes nothing', async () => {
    const Key = { pk: `LEAN#${randomUUID()}`, sk: 'R' };
    const refused = await lean()
      .send(new PutCommand({ TableName: table(), Item: { ...Key, n: 1 }, ConditionExpression: 'attribute_exists(pk)' }))
      .catch((e: unknown) => e);
    expect(isConditionFailure(refused)).toBe(true);
    expect((await dynamoDb().send(new GetCommand({ TableName: table(), Key, ConsistentRead: true }))).Item).toBeUndefined();
  });

  it('writes a transaction, and a cancelled one carries the reason of each item', async () => {
    const db = lean();
    const pk = `LEAN#${randomUUID()}`;
    await db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table(), Item: { pk, sk: 'R', opens: 0 }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName: table(), Item: { pk, sk: 'E#1', kind: 'open' } } },
        ],
      }),
    );
    const cancelled = await db
      .send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: { TableName: table(), Key: { pk, sk: 'R' }, UpdateExpression: 'ADD opens :one', ExpressionAttributeValues: { ':one': 1 } } },
            { Put: { TableName: table(), Item: { pk, sk: 'E#1', kind: 'again' }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(cancellationReasons(cancelled)).toEqual(['None', 'ConditionalCheckFailed']);
    const items = await dynamoDb().send(new QueryCommand({ TableName: table(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true }));
    expect(items.Items).toEqual([
      { pk, sk: 'E#1', kind: 'open' },
      { pk, sk: 'R', opens: 0 },
    ]);
  });

  it('names a table that does not exist as DynamoDB does', async () => {
    await expect(lean().send(new GetCommand({ TableName: `absent-${randomUUID()}`, Key: { pk: 'x', sk: 'y' } }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $fault: 'client',
    });
  });
});

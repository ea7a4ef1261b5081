/**
 * Suppressions as one item per address (lambdas/adapters/dynamo/suppression-store.ts), and the move of the items of the
 * layout before it (one per reason), against DynamoDB Local: on a suppressions table of this file's own, created as a
 * deployed stage's table is (no "done" item: it may hold old items), with old items written as the code before wrote
 * them. What the stores must keep true throughout: every suppression in force is found, by every read, before, during
 * and after the move; a lifted one never comes back; a repeated event adds once.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDb } from '../../lambdas/adapters/clients.ts';
import { config } from '../../lambdas/adapters/config.ts';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type Db, type DbCommand } from '../../lambdas/adapters/dynamo/db.ts';
import { LeanDb } from '../../lambdas/adapters/dynamo/lean-db.ts';
import { MIGRATION_KEY, MIGRATION_SETTLE_MS, SuppressionStore } from '../../lambdas/adapters/dynamo/suppression-store.ts';
import type { TableNames } from '../../lambdas/adapters/dynamo/tables.ts';
import type { SuppressionRecord } from '../../lambdas/schemas/stored.ts';
import { TABLES } from '../../lambdas/wiring/tables.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.ts';
import { createTableInput } from '../../local/tables.ts';

const table = `sendwell-suppression-layout-${Date.now().toString(36)}`;
const names = { suppressions: table } as TableNames;
let client: DynamoDBClient;

beforeAll(async () => {
  client = new DynamoDBClient({ endpoint: config().dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await client.send(new CreateTableCommand(createTableInput(TABLES.suppressions, table)));
});
afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  client.destroy();
});

/** A Db that records every command it sends. */
function recording(inner: Db = dynamoDb()): Db & { readonly sent: DbCommand<unknown, unknown>[] } {
  const sent: DbCommand<unknown, unknown>[] = [];
  return { sent, send: ((command: DbCommand<unknown, unknown>) => (sent.push(command), inner.send(command as never))) as Db['send'] };
}
const raw = dynamoDb();
const hash = () => randomUUID().replaceAll('-', '');
const record = (reason: SuppressionRecord['reason'], extra: Partial<SuppressionRecord> = {}): SuppressionRecord => ({
  reason,
  scope: reason === 'complaint' ? 'marketing' : 'all',
  createdAt: new Date().toISOString(),
  source: 'test',
  ...extra,
});
/** An item as the code before one item per address wrote it. */
const putOld = (h: string, r: SuppressionRecord) => raw.send(new PutCommand({ TableName: table, Item: { pk: `S#${h}`, sk: r.reason, ...r } }));
const itemsOf = async (h: string) =>
  (await raw.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `S#${h}` }, ConsistentRead: true }))).Items ?? [];
const batchKeys = (db: ReturnType<typeof recording>) =>
  db.sent.filter((c) => c.operation === 'BatchGetItem').flatMap((c) => Object.values((c.input as { RequestItems: Record<string, { Keys: unknown[] }> }).RequestItems).flatMap((r) => r.Keys));
const setMigrationDone = (done: boolean) =>
  done
    ? raw.send(new PutCommand({ TableName: table, Item: { ...MIGRATION_KEY, startedAt: new Date().toISOString(), doneAt: new Date().toISOString() } }))
    : raw.send(new DeleteCommand({ TableName: table, Key: MIGRATION_KEY }));

describe('before the move is done (old items may exist)', () => {
  beforeAll(() => setMigrationDone(false));

  it('finds an old item and a new one of another reason, by one address and by many, the new one winning for its reason', async () => {
    const [a, b, none] = [hash(), hash(), hash()];
    await putOld(a, record('hard_bounce', { source: 'old' }));
    await putOld(a, record('manual', { source: 'old manual' }));
    const store = new SuppressionStore(dynamoDb(), names);
    await store.put(a, record('manual', { source: 'new manual', scope: 'marketing' }));
    await store.put(b, record('complaint'));

    const listed = await store.list(a);
    expect(listed.map((r) => [r.reason, r.source])).toEqual([
      ['hard_bounce', 'old'],
      ['manual', 'new manual'],
    ]);
    const many = await store.listMany([a, b, none]);
    expect(many.get(a)).toEqual(listed);
    expect(many.get(b)?.map((r) => r.reason)).toEqual(['complaint']);
    expect(many.has(none)).toBe(false);
  });

  it('reads every key an old item could have, and the move’s state, until it reads that the move is done', async () => {
    const db = recording();
    const store = new SuppressionStore(db, names);
    await store.listMany([hash(), hash()]);
    expect(batchKeys(db)).toHaveLength(2 + 1 + 2 * 5);
  });

  it('adds a repeated event once when the first is an old item in force, and replaces an old one that lapses sooner', async () => {
    const h = hash();
    await putOld(h, record('hard_bounce'));
    const store = new SuppressionStore(dynamoDb(), names);
    expect(await store.putIfNew(h, record('hard_bounce'))).toBe(false);
    await putOld(h, record('soft_bounce', { expiresAt: '2030-01-01T00:00:00.000Z' }));
    expect(await store.putIfNew(h, record('soft_bounce', { expiresAt: '2029-01-01T00:00:00.000Z' }))).toBe(false);
    expect(await store.putIfNew(h, record('soft_bounce', { expiresAt: '2031-01-01T00:00:00.000Z' }))).toBe(true);
    expect((await store.list(h)).find((r) => r.reason === 'soft_bounce')?.expiresAt).toBe('2031-01-01T00:00:00.000Z');
  });

  it('lifts an old record and a new one of the same reason together: neither comes back', async () => {
    const h = hash();
    await putOld(h, record('manual', { source: 'old' }));
    const store = new SuppressionStore(dynamoDb(), names);
    await store.put(h, record('manual', { source: 'new' }));
    expect((await store.remove(h, 'manual'))?.source).toBe('new');
    expect(await store.list(h)).toEqual([]);
    expect(await itemsOf(h)).toEqual([]);
    await putOld(h, record('erased'));
    expect((await store.remove(h, 'erased'))?.reason).toBe('erased');
    expect(await store.remove(h, 'erased')).toBeUndefined();
  });
});

describe('the move', () => {
  it('moves every old item to its address’s item, keeps a newer record of the same reason, and is done only after its settle time', async () => {
    await setMigrationDone(false);
    const [a, b] = [hash(), hash()];
    const oldA = [record('hard_bounce'), record('complaint', { note: 'from the old layout' }), record('soft_bounce', { expiresAt: '2030-01-01T00:00:00.000Z' })];
    for (const r of oldA) await putOld(a, r);
    await putOld(b, record('manual', { source: 'old' }));
    const store = new SuppressionStore(dynamoDb(), names);
    await store.put(b, record('manual', { source: 'newer' }));

    let clock = new Date('2026-12-06T12:00:00.000Z');
    const first = await store.migrateStep(() => clock, 60_000);
    expect(first.state).toBe('more');
    expect(first.moved).toBeGreaterThanOrEqual(3);
    const itemsA = await itemsOf(a);
    expect(itemsA.map((i) => i.sk)).toEqual(['ADDRESS']);
    expect(await new SuppressionStore(dynamoDb(), names).list(a)).toEqual(
      [oldA[1], oldA[0], oldA[2]].map((r) => expect.objectContaining({ reason: r!.reason, createdAt: r!.createdAt, scope: r!.scope })),
    );
    expect(itemsA[0]!.complaint).toMatchObject({ note: 'from the old layout' });
    const itemsB = await itemsOf(b);
    expect(itemsB).toHaveLength(1);
    expect(itemsB[0]!.manual).toMatchObject({ source: 'newer' });

    // Nothing old is left, but the code before may still be running: not done yet.
    clock = new Date(clock.getTime() + MIGRATION_SETTLE_MS - 60_000);
    expect((await store.migrateStep(() => clock, 60_000)).state).toBe('more');
    // An old item written meanwhile (a function still on the code before) is moved by a later run.
    const late = hash();
    await putOld(late, record('hard_bounce'));
    clock = new Date(clock.getTime() + 120_000);
    expect(await store.migrateStep(() => clock, 60_000)).toEqual({ moved: 1, state: 'more' });
    expect(await store.migrateStep(() => clock, 60_000)).toEqual({ moved: 0, state: 'done' });
    expect((await raw.send(new GetCommand({ TableName: table, Key: MIGRATION_KEY, ConsistentRead: true }))).Item).toMatchObject({ doneAt: clock.toISOString() });
    expect((await store.list(late)).map((r) => r.reason)).toEqual(['hard_bounce']);
  });

  it('moves nothing back that was lifted after the index listed it', async () => {
    await setMigrationDone(false);
    const h = hash();
    const old = record('manual');
    await putOld(h, old);
    const stale = { pk: `S#${h}`, sk: 'manual', ...old };
    const store = new SuppressionStore(dynamoDb(), names);
    expect((await store.remove(h, 'manual'))?.createdAt).toBe(old.createdAt);
    expect(await store.moveLegacyItem(stale)).toBe(false);
    expect(await store.list(h)).toEqual([]);
    expect(await itemsOf(h)).toEqual([]);
  });

  it('stops within its budget and goes on where the next run starts', async () => {
    await setMigrationDone(false);
    for (let i = 0; i < 5; i++) await putOld(hash(), record('hard_bounce'));
    const store = new SuppressionStore(dynamoDb(), names);
    let ms = 0;
    // A clock that moves a second a reading: the budget of 0 s is spent before the first page.
    const ticking = () => new Date(Date.parse('2026-12-06T12:00:00.000Z') + (ms += 1000));
    expect(await store.migrateStep(ticking, 0)).toEqual({ moved: 0, state: 'more' });
    expect((await store.migrateStep(() => new Date('2026-12-06T12:00:00.000Z'), 60_000)).moved).toBe(5);
  });
});

describe('once the move is done', () => {
  beforeAll(() => setMigrationDone(true));

  it('reads one key per address, on either DynamoDB client', async () => {
    for (const inner of [dynamoDb(), new LeanDb({ region: config().region, endpoint: config().dynamodbEndpoint! })]) {
      const db = recording(inner);
      const store = new SuppressionStore(db, names);
      const [a, b] = [hash(), hash()];
      await new SuppressionStore(dynamoDb(), names).put(a, record('complaint'));
      // The first read learns that the move is done; from then on, one key per address and nothing else.
      await store.listMany([hash()]);
      db.sent.length = 0;
      const many = await store.listMany([a, b, a]);
      expect(batchKeys(db)).toEqual([
        { pk: `S#${a}`, sk: 'ADDRESS' },
        { pk: `S#${b}`, sk: 'ADDRESS' },
      ]);
      expect(many.get(a)?.map((r) => r.reason)).toEqual(['complaint']);
    }
  });

  it('keeps one item per address, a record per reason; the last lifted takes the item with it', async () => {
    const h = hash();
    const store = new SuppressionStore(dynamoDb(), names);
    expect(await store.putIfNew(h, record('hard_bounce'))).toBe(true);
    expect(await store.putIfNew(h, record('hard_bounce'))).toBe(false);
    await store.put(h, record('manual', { scope: 'marketing', note: 'asked by phone' }));
    const items = await itemsOf(h);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ sk: 'ADDRESS', hard_bounce: { reason: 'hard_bounce' }, manual: { scope: 'marketing', note: 'asked by phone' } });
    expect(items[0]).not.toHaveProperty('reason');
    expect((await store.remove(h, 'hard_bounce'))?.reason).toBe('hard_bounce');
    expect((await store.list(h)).map((r) => r.reason)).toEqual(['manual']);
    expect((await store.remove(h, 'manual'))?.note).toBe('asked by phone');
    expect(await itemsOf(h)).toEqual([]);
    expect(await store.remove(h, 'manual')).toBeUndefined();
    expect(await itemsOf(h)).toEqual([]);
  });

  it('a migration run reads that it is done and moves nothing', async () => {
    const db = recording();
    expect(await new SuppressionStore(db, names).migrateStep(() => new Date(), 60_000)).toEqual({ moved: 0, state: 'done' });
    expect(db.sent.map((c) => c.operation)).toEqual(['GetItem']);
  });
});

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
import { MIGRATION_GAP_MS, MIGRATION_KEY, MIGRATION_SETTLE_MS, SuppressionStore } from '../../lambdas/adapters/dynamo/suppression-store.ts';
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
    // In force and lapsing sooner: extended (the same suppression, not a new one).
    expect(await store.putIfNew(h, record('soft_bounce', { expiresAt: '2031-01-01T00:00:00.000Z' }))).toBe('extended');
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

  it('lifts only a record made before `madeBefore`, in either layout', async () => {
    const [old, fresh] = [hash(), hash()];
    const store = new SuppressionStore(dynamoDb(), names);
    await putOld(old, record('erased', { createdAt: '2026-06-01T00:00:00.000Z' }));
    await store.put(fresh, record('erased', { createdAt: '2026-06-01T00:00:00.000Z' }));
    for (const h of [old, fresh]) {
      expect(await store.remove(h, 'erased', { madeBefore: '2026-05-31T23:59:59.999Z' })).toBeUndefined();
      expect((await store.list(h)).map((r) => r.reason)).toEqual(['erased']);
      expect((await store.remove(h, 'erased', { madeBefore: '2026-06-01T00:00:00.001Z' }))?.reason).toBe('erased');
      expect(await itemsOf(h)).toEqual([]);
    }
  });
});

describe('the move', () => {
  const t0 = Date.parse('2026-12-06T12:00:00.000Z');
  const at = (ms: number) => () => new Date(t0 + ms);

  it('waits out its settle time, then moves every old item to its address’s item, keeping a newer record of the same reason', async () => {
    await setMigrationDone(false);
    const [a, b] = [hash(), hash()];
    const oldA = [record('hard_bounce'), record('complaint', { note: 'from the old layout' }), record('soft_bounce', { expiresAt: '2030-01-01T00:00:00.000Z' })];
    for (const r of oldA) await putOld(a, r);
    await putOld(b, record('manual', { source: 'old' }));
    const store = new SuppressionStore(dynamoDb(), names);
    await store.put(b, record('manual', { source: 'newer' }));

    // The first run notes the start and moves nothing: the code before may still run, or the deployment roll back.
    expect(await store.migrateStep(at(0), 60_000)).toEqual({ moved: 0, state: 'more' });
    expect(await store.migrateStep(at(MIGRATION_SETTLE_MS - 300_000), 60_000)).toEqual({ moved: 0, state: 'more' });
    expect((await itemsOf(a)).map((i) => i.sk)).toEqual(['complaint', 'hard_bounce', 'soft_bounce']);

    const moving = await store.migrateStep(at(MIGRATION_SETTLE_MS), 60_000);
    expect(moving.state).toBe('more');
    expect(moving.moved).toBeGreaterThanOrEqual(3);
    const itemsA = await itemsOf(a);
    expect(itemsA.map((i) => i.sk)).toEqual(['ADDRESS']);
    expect(await new SuppressionStore(dynamoDb(), names).list(a)).toEqual(
      [oldA[1], oldA[0], oldA[2]].map((r) => expect.objectContaining({ reason: r!.reason, createdAt: r!.createdAt, scope: r!.scope })),
    );
    expect(itemsA[0]!.complaint).toMatchObject({ note: 'from the old layout' });
    const itemsB = await itemsOf(b);
    expect(itemsB).toHaveLength(1);
    expect(itemsB[0]!.manual).toMatchObject({ source: 'newer' });

    // An old item written meanwhile (a function still finishing on the code before) is moved by a later run; the
    // first pass that finds nothing ends the move.
    const late = hash();
    await putOld(late, record('hard_bounce'));
    expect(await store.migrateStep(at(MIGRATION_SETTLE_MS + 300_000), 60_000)).toEqual({ moved: 1, state: 'more' });
    expect(await store.migrateStep(at(MIGRATION_SETTLE_MS + 600_000), 60_000)).toEqual({ moved: 0, state: 'done' });
    expect((await raw.send(new GetCommand({ TableName: table, Key: MIGRATION_KEY, ConsistentRead: true }))).Item).toMatchObject({ doneAt: at(MIGRATION_SETTLE_MS + 600_000)().toISOString() });
    expect((await store.list(late)).map((r) => r.reason)).toEqual(['hard_bounce']);
  });

  it('waits again after its runs stopped for a while (a rollback, then a new upgrade)', async () => {
    await setMigrationDone(false);
    const h = hash();
    await putOld(h, record('manual'));
    const store = new SuppressionStore(dynamoDb(), names);
    expect((await store.migrateStep(at(0), 60_000)).moved).toBe(0);
    // No run for longer than the gap: the function was gone. Its settle time counts from now again.
    expect(await store.migrateStep(at(MIGRATION_GAP_MS + 60_000 + MIGRATION_SETTLE_MS), 60_000)).toEqual({ moved: 0, state: 'more' });
    expect((await itemsOf(h)).map((i) => i.sk)).toEqual(['manual']);
  });

  it('never hides a suppression from a read that a move lands in the middle of', async () => {
    await setMigrationDone(false);
    const [h, g] = [hash(), hash()];
    const old = record('complaint');
    await putOld(h, old);
    await putOld(g, record('hard_bounce'));
    const mover = new SuppressionStore(dynamoDb(), names);
    // A Db that moves the old items right after the first request a read sends, before its next one.
    const racing = (): Db => {
      let moved = false;
      return {
        send: (async (command: DbCommand<unknown, unknown>) => {
          const out = await dynamoDb().send(command as never);
          if (!moved) {
            moved = true;
            for (const item of [...(await itemsOf(h)), ...(await itemsOf(g))]) if (item.sk !== 'ADDRESS') expect(await mover.moveLegacyItem(item)).toBe(true);
          }
          return out;
        }) as Db['send'],
      };
    };
    expect((await new SuppressionStore(racing(), names).list(h)).map((r) => r.reason)).toEqual(['complaint']);
    await putOld(h, record('manual'));
    await putOld(g, record('manual'));
    const many = await new SuppressionStore(racing(), names).listMany([h, g]);
    expect(many.get(h)?.map((r) => r.reason)).toEqual(['complaint', 'manual']);
    expect(many.get(g)?.map((r) => r.reason)).toEqual(['hard_bounce', 'manual']);
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
    const five = Array.from({ length: 5 }, () => hash());
    for (const h of five) await putOld(h, record('hard_bounce'));
    const store = new SuppressionStore(dynamoDb(), names);
    await store.migrateStep(at(0), 60_000);
    await store.migrateStep(at(MIGRATION_SETTLE_MS - 300_000), 60_000);
    let ms = MIGRATION_SETTLE_MS;
    // A clock that moves a second a reading: the budget of 0 s is spent before the first page.
    const ticking = () => new Date(t0 + (ms += 1000));
    expect(await store.migrateStep(ticking, 0)).toEqual({ moved: 0, state: 'more' });
    // (Old items left by the tests above are moved too: the table is shared by this file.)
    expect((await store.migrateStep(at(MIGRATION_SETTLE_MS + 60_000), 60_000)).moved).toBeGreaterThanOrEqual(5);
    for (const h of five) expect((await itemsOf(h)).map((i) => i.sk)).toEqual(['ADDRESS']);
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

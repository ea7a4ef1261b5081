/** Table names and the one transaction helper every store shares. */
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, QueryCommand, type Db, type QueryCommandInput } from './db.ts';
import type { TableKey } from '../../wiring/tables.ts';

export type TableNames = Readonly<Record<TableKey, string>>;

/** Reasons of a cancelled transaction, by item position (`ConditionalCheckFailed`, `None`, …). */
export function cancellationReasons(e: unknown): string[] | undefined {
  // By name: the SDK's error class and the lean client's (lean-db.ts) both carry DynamoDB's type and reasons.
  if ((e as Error)?.name !== 'TransactionCanceledException') return undefined;
  return ((e as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map((r) => r.Code ?? 'None');
}

export const isConditionFailure = (e: unknown) => (e as Error)?.name === 'ConditionalCheckFailedException';

/** `2026-11-22T00:12:25.123Z` → `2026-11-22`. */
export const dayOf = (iso: string) => iso.slice(0, 10);

/** `SET #f0 = :v0, …` with its names and values, for the fields that are defined. */
export function setExpression(fields: Readonly<Record<string, unknown>>) {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  return {
    UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
  };
}

/** Every item a Query answers, all pages of it. */
export async function queryAll(db: Db, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, ...(cursor ? { ExclusiveStartKey: cursor } : {}) }));
    items.push(...(out.Items ?? []));
    cursor = out.LastEvaluatedKey;
  } while (cursor);
  return items;
}

/** Waits before retry `attempt` of what DynamoDB left unprocessed (exponential, from 50 ms). */
const unprocessedBackoff = (attempt: number) => new Promise((r) => setTimeout(r, 50 * 2 ** attempt));

/**
 * Reads `keys` with consistent BatchGetItems of at most 100 keys, retrying what DynamoDB returns unprocessed.
 * Items come back in no particular order; keys without an item are simply absent. `projection` limits the attributes.
 */
export async function batchGetAll(db: Db, table: string, keys: ReadonlyArray<Record<string, unknown>>, projection?: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending = keys.slice(i, i + 100);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8) throw new Error(`could not read every requested item of ${table}`);
      if (attempt > 0) await unprocessedBackoff(attempt);
      const out = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: [...pending], ConsistentRead: true, ...(projection ? { ProjectionExpression: projection } : {}) } } }));
      items.push(...(out.Responses?.[table] ?? []));
      pending = out.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return items;
}

/** `items` in groups of `size` (the last one shorter): what one batch or transaction call takes. */
export function groupsOf<T>(items: readonly T[], size: number, weight: (item: T) => number = () => 1): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let filled = 0;
  for (const item of items) {
    const w = weight(item);
    if (current.length && filled + w > size) {
      groups.push(current);
      current = [];
      filled = 0;
    }
    current.push(item);
    filled += w;
  }
  if (current.length) groups.push(current);
  return groups;
}

/** `work` on every item, in order of start, at most `lanes` at once. */
export async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}

/**
 * Writes `requests` (puts or deletes, any tables) with BatchWriteItems of 25, `inflight` at once, retrying what
 * DynamoDB returns unprocessed. For items that need no condition: new keys nobody else writes, or idempotent rewrites.
 */
export async function batchWriteAll(db: Db, requests: ReadonlyArray<{ table: string; request: Record<string, unknown> }>, inflight = 8): Promise<void> {
  await inLanes(groupsOf(requests, 25), inflight, async (group) => {
    let pending: Record<string, Array<Record<string, unknown>>> = {};
    for (const r of group) (pending[r.table] ??= []).push(r.request);
    for (let attempt = 0; Object.keys(pending).length > 0; attempt++) {
      if (attempt > 8) throw new Error('could not write every item of a batch');
      if (attempt > 0) await unprocessedBackoff(attempt);
      const out = await db.send(new BatchWriteCommand({ RequestItems: pending as never }));
      pending = (out.UnprocessedItems ?? {}) as typeof pending;
    }
  });
}

/**
 * Deletes every item of one partition (erasure), 25 keys per BatchWriteItem, retrying what DynamoDB returns
 * unprocessed; `lastSk`, if given, after all the others (the item a repeated erasure starts from). Returns the number
 * of items deleted.
 */
export async function deletePartition(db: Db, table: string, pk: string, lastSk?: string): Promise<number> {
  let deleted = 0;
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
        ExclusiveStartKey: cursor,
      }),
    );
    const keys = (page.Items ?? []).filter((i) => i.sk !== lastSk).map((i) => ({ pk: i.pk, sk: i.sk }));
    for (let i = 0; i < keys.length; i += 25) {
      let requests = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error(`could not delete every item of a partition in ${table}`);
        if (attempt > 0) await unprocessedBackoff(attempt);
        const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
        requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    }
    deleted += keys.length;
    cursor = page.LastEvaluatedKey;
  } while (cursor);
  if (lastSk !== undefined) {
    const out = await db.send(new DeleteCommand({ TableName: table, Key: { pk, sk: lastSk }, ReturnValues: 'ALL_OLD' }));
    if (out.Attributes) deleted += 1;
  }
  return deleted;
}

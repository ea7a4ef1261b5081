/**
 * Suppressions, keyed by the address hash so they outlive the recipient (an erased person's complaint still
 * holds). One item per address, `S#hash / ADDRESS`, with one attribute per reason it has (`hard_bounce`,
 * `complaint`, …), each that reason's record with its own scope and expiry; none implies another. The sender reads
 * it with one key per address, where the earlier layout (one item per reason, `S#hash / <reason>`) took a key per
 * reason the address could have: five, almost all absent, each a read unit on AWS.
 *
 * Items of the earlier layout are moved by {@link SuppressionStore.migrateStep} (the `migrateData` function, every
 * 5 minutes until it is done; it waits 16 minutes before it moves anything), found through the sparse `legacy` index
 * (only an old item has a top-level `reason`). Until the move is known to be done, every read also looks for them and
 * a record of the new layout wins over one of the old for the same reason; a store stops looking once it reads that
 * the move is done (the `MIGRATION / suppressions-by-address` item).
 */
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, DeleteCommand, type Db } from './db.ts';
import { SUPPRESSION_REASONS } from '../../domain/decide.ts';
import type { SuppressionRecord } from '../../schemas/stored.ts';
import { project, SUPPRESSION_FIELDS } from './stored-fields.ts';
import { batchGetAll, cancellationReasons, isConditionFailure, type TableNames } from './tables.ts';

type Reason = SuppressionRecord['reason'];

const ADDRESS_SK = 'ADDRESS';
const addressKey = (hash: string) => ({ pk: `S#${hash}`, sk: ADDRESS_SK });
const legacyKey = (hash: string, reason: string) => ({ pk: `S#${hash}`, sk: reason });

/** The move to one item per address: `startedAt` (its wait's start), `lastRunAt`, and `doneAt` once nothing old is left. */
export const MIGRATION_KEY = { pk: 'MIGRATION', sk: 'suppressions-by-address' };
/** The sparse index over items of the old layout (only they have a top-level `reason`), by reason. */
export const LEGACY_INDEX = 'legacy';
/**
 * How long after its first run the move starts moving: any function still running the code before it (writing and
 * reading the old layout only) has finished by then (Lambda's longest run is 15 minutes; `migrateData` and its
 * schedule are deployed after everything else of the stage, so a deployment that fails has rolled back before).
 */
export const MIGRATION_SETTLE_MS = 16 * 60_000;
/** A pause in the runs longer than this (two missed periods and more) means the function was gone: wait again. */
export const MIGRATION_GAP_MS = 12 * 60_000;

export interface MigrationProgress {
  /** Items of the old layout moved by this call. */
  readonly moved: number;
  /** `done`: nothing of the old layout is left (and this call may have said so); `more`: run again. */
  readonly state: 'done' | 'more';
}

/** The expression names of every reason attribute (`#hard_bounce` → `hard_bounce`). */
const REASON_NAMES = Object.fromEntries(SUPPRESSION_REASONS.map((r) => [`#${r}`, r]));

export class SuppressionStore {
  readonly #db: Db;
  readonly #table: string;
  /** Read `done` once: from then on this store reads and writes the new layout only. */
  #migrated = false;

  constructor(db: Db, tables: TableNames) {
    this.#db = db;
    this.#table = tables.suppressions;
  }

  /** Every suppression of one address: one consistent Query of its partition finds both layouts. */
  async list(addressHash: string): Promise<SuppressionRecord[]> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `S#${addressHash}` },
        ConsistentRead: true,
      }),
    );
    const items = out.Items ?? [];
    if (this.#migrated) return merged(items);
    // A Query is no snapshot: it reads the address's item (first in key order) before the old ones, so a move
    // committed in between would be missed by both. The address's item read again after them sees it (and the move's
    // state beside it, to stop once it is done).
    const again = await batchGetAll(this.#db, this.#table, [addressKey(addressHash), MIGRATION_KEY]);
    this.#learn(again.find((i) => i.pk === MIGRATION_KEY.pk));
    return merged([...items.filter((i) => i.sk !== ADDRESS_SK), ...again.filter((i) => i.sk === ADDRESS_SK)]);
  }

  /**
   * The suppressions of many addresses at once, by address hash (an address without any is absent): one consistent
   * key per address in BatchGetItems, and, until the move to one item per address is known to be done, the keys of
   * the old layout and the move's state read before them.
   */
  async listMany(addressHashes: readonly string[]): Promise<Map<string, SuppressionRecord[]>> {
    const hashes = [...new Set(addressHashes)];
    const found: Record<string, unknown>[] = [];
    if (!this.#migrated) {
      // The old keys first, the addresses' items after them: a BatchGetItem is no snapshot, and a move committed
      // between two of its reads could otherwise be missed by both (the old item gone, the new one not yet read).
      const old = await batchGetAll(this.#db, this.#table, [MIGRATION_KEY, ...hashes.flatMap((hash) => SUPPRESSION_REASONS.map((reason) => legacyKey(hash, reason)))]);
      for (const item of old) {
        if (item.pk !== MIGRATION_KEY.pk) found.push(item);
        else this.#learn(item);
      }
    }
    found.push(...(await batchGetAll(this.#db, this.#table, hashes.map(addressKey))));
    const byHash = new Map<string, Record<string, unknown>[]>();
    for (const item of found) {
      const hash = String(item.pk).slice(2);
      byHash.set(hash, [...(byHash.get(hash) ?? []), item]);
    }
    const out = new Map<string, SuppressionRecord[]>();
    for (const [hash, items] of byHash) {
      const records = merged(items);
      if (records.length) out.set(hash, records);
    }
    return out;
  }

  /** Adds or replaces the record of `record.reason`. */
  async put(addressHash: string, record: SuppressionRecord): Promise<void> {
    await this.#db.send(new UpdateCommand(this.#setReason(addressHash, record)));
  }

  /**
   * Adds the record of `record.reason` unless one is in force already (at `now`): true when this call added it, so a
   * repeated event adds (and counts) once. A record in force that lapses before this one would is extended instead:
   * it takes this one's expiry, scope, source and note but keeps its `createdAt` (when the suppression began), and the
   * answer is `'extended'`, which is no new suppression. A lapsed record is replaced like an absent one. False when
   * nothing changed. Until the move is done, a record of the old layout counts the same way (the address's item's
   * record winning, as in {@link list}).
   *
   * Read, decided, then written on the condition that what was read is unchanged (retried if it changed meanwhile), so
   * two events racing for one address cannot both add, nor an extension undo a lift made since.
   */
  async putIfNew(addressHash: string, record: SuppressionRecord, now: Date = new Date()): Promise<boolean | 'extended'> {
    for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
      const migrated = await this.#isMigrated();
      const [item, legacy] = await Promise.all([
        this.#db.send(new GetCommand({ TableName: this.#table, Key: addressKey(addressHash), ConsistentRead: true })).then((o) => o.Item),
        migrated ? undefined : this.#db.send(new GetCommand({ TableName: this.#table, Key: legacyKey(addressHash, record.reason), ConsistentRead: true })).then((o) => o.Item),
      ]);
      const onItem = item?.[record.reason] as Record<string, unknown> | undefined;
      const found = onItem ?? legacy;
      const current = found ? project<SuppressionRecord>(found, SUPPRESSION_FIELDS) : undefined;
      const change = changeOf(current, record, now);
      if (change === 'none') return false;
      const written = change === 'extended' && current ? { ...record, createdAt: current.createdAt } : record;
      const update = this.#setReason(addressHash, written, unchanged('#r.', onItem));
      try {
        if (migrated) {
          await this.#db.send(new UpdateCommand(update));
        } else {
          const same = unchanged('', legacy);
          const check = { TableName: this.#table, Key: legacyKey(addressHash, record.reason), ConditionExpression: same.expression, ...(same.values ? { ExpressionAttributeValues: same.values } : {}) };
          await this.#db.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, { ConditionCheck: check }] }));
        }
        return change === 'added' ? true : 'extended';
      } catch (e) {
        if (!(isConditionFailure(e) || cancellationReasons(e)?.includes('ConditionalCheckFailed'))) throw e;
      }
    }
    // Changed under us every time: failing lets the event be retried rather than its suppression be lost.
    throw new Error(`suppression ${record.reason} kept changing while it was being added`);
  }

  /**
   * Removes the record of `reason`; returns it, or undefined when there was none. With `madeBefore` (ISO), only a
   * record made before then: a lift carried out later than it was decided leaves a record made since (a new erasure's
   * tombstone) in place.
   */
  async remove(addressHash: string, reason: Reason, options: { readonly madeBefore?: string } = {}): Promise<SuppressionRecord | undefined> {
    const before = options.madeBefore === undefined ? {} : { ':before': options.madeBefore };
    // The old layout's record first: a move running meanwhile then finds it gone and moves nothing back.
    let removed: SuppressionRecord | undefined;
    if (!(await this.#isMigrated())) {
      try {
        const old = await this.#db.send(
          new DeleteCommand({
            TableName: this.#table,
            Key: legacyKey(addressHash, reason),
            ReturnValues: 'ALL_OLD',
            ...(options.madeBefore === undefined ? {} : { ConditionExpression: 'attribute_not_exists(pk) OR createdAt < :before', ExpressionAttributeValues: before }),
          }),
        );
        if (old.Attributes) removed = project<SuppressionRecord>(old.Attributes, SUPPRESSION_FIELDS);
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    }
    try {
      const out = await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: addressKey(addressHash),
          UpdateExpression: 'REMOVE #r',
          ConditionExpression: options.madeBefore === undefined ? 'attribute_exists(#r)' : 'attribute_exists(#r) AND #r.createdAt < :before',
          ExpressionAttributeNames: { '#r': reason },
          ...(options.madeBefore === undefined ? {} : { ExpressionAttributeValues: before }),
          ReturnValues: 'ALL_OLD',
        }),
      );
      const was = out.Attributes ?? {};
      removed = project<SuppressionRecord>(was[reason] as Record<string, unknown>, SUPPRESSION_FIELDS);
      // The last reason gone: the item goes too, unless a reason was added meanwhile.
      if (!SUPPRESSION_REASONS.some((r) => r !== reason && was[r] !== undefined)) await this.#deleteIfEmpty(addressHash);
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    return removed;
  }

  /**
   * One run of the move to one item per address. The first run only notes when the move starts: nothing is moved
   * for {@link MIGRATION_SETTLE_MS}, by when every function still running the code before has finished and a failed
   * deployment has rolled back (the code before reads the old layout only: records moved under it would vanish for
   * it). Runs after that move every item of the old layout the `legacy` index lists (its record set on the address's
   * item unless the address has one for that reason already, and the old item deleted, in one transaction
   * conditional on the old item being unchanged), until `budgetMs` is spent; the first pass that finds nothing left
   * ends the move. Runs that stop for longer than {@link MIGRATION_GAP_MS} (the function was not deployed meanwhile:
   * a rollback, then a new upgrade) start the wait again.
   */
  async migrateStep(now: () => Date, budgetMs: number): Promise<MigrationProgress> {
    const started = now();
    const state = await this.#readState();
    if (this.#migrated) return { moved: 0, state: 'done' };
    const lastRun = typeof state?.lastRunAt === 'string' ? Date.parse(state.lastRunAt) : Number.NaN;
    const restart = !(started.getTime() - lastRun <= MIGRATION_GAP_MS);
    const startedAt = restart || typeof state?.startedAt !== 'string' ? started.toISOString() : state.startedAt;
    await this.#db.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: MIGRATION_KEY,
        UpdateExpression: 'SET startedAt = :s, lastRunAt = :now',
        ExpressionAttributeValues: { ':s': startedAt, ':now': started.toISOString() },
      }),
    );
    if (started.getTime() - Date.parse(startedAt) < MIGRATION_SETTLE_MS) return { moved: 0, state: 'more' };
    let moved = 0;
    let found = 0;
    for (const reason of SUPPRESSION_REASONS) {
      let cursor: Record<string, unknown> | undefined;
      do {
        if (now().getTime() - started.getTime() > budgetMs) return { moved, state: 'more' };
        const page = await this.#db.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: LEGACY_INDEX,
            KeyConditionExpression: '#reason = :r',
            ExpressionAttributeNames: { '#reason': 'reason' },
            ExpressionAttributeValues: { ':r': reason },
            Limit: 100,
            ...(cursor ? { ExclusiveStartKey: cursor } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          found++;
          if (await this.moveLegacyItem(item)) moved++;
        }
        cursor = page.LastEvaluatedKey;
      } while (cursor);
    }
    if (found > 0) return { moved, state: 'more' };
    await this.#db.send(
      new UpdateCommand({ TableName: this.#table, Key: MIGRATION_KEY, UpdateExpression: 'SET doneAt = :d', ExpressionAttributeValues: { ':d': now().toISOString() } }),
    );
    this.#migrated = true;
    return { moved, state: 'done' };
  }

  /**
   * Moves one item of the old layout, as the index listed it (which may be behind the table): true when its record
   * now sits on the address's item. An item changed or deleted since is left to the next pass (or is gone); a reason
   * the address's item has already (set since, by the new code) wins, and the old item is only deleted.
   */
  async moveLegacyItem(item: Record<string, unknown>): Promise<boolean> {
    const hash = String(item.pk).slice(2);
    const record = project<SuppressionRecord>(item, SUPPRESSION_FIELDS);
    const unchanged = {
      TableName: this.#table,
      Key: legacyKey(hash, record.reason),
      ConditionExpression: 'createdAt = :c',
      ExpressionAttributeValues: { ':c': record.createdAt },
    };
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [{ Update: this.#setReason(hash, record, { expression: 'attribute_not_exists(#r)' }) }, { Delete: unchanged }],
        }),
      );
      return true;
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (!reasons) throw e;
      // The address has this reason in the new layout already: the old record is only deleted (if still unchanged).
      if (reasons[0] === 'ConditionalCheckFailed' && reasons[1] !== 'ConditionalCheckFailed') {
        try {
          await this.#db.send(new DeleteCommand(unchanged));
        } catch (d) {
          if (!isConditionFailure(d)) throw d;
        }
      }
      return false;
    }
  }

  /** Whether the move is known to be done: read once per store until it is. */
  async #isMigrated(): Promise<boolean> {
    if (!this.#migrated) await this.#readState();
    return this.#migrated;
  }

  /** The move's state item (consistent), learnt from. */
  async #readState(): Promise<Record<string, unknown> | undefined> {
    const state = (await this.#db.send(new GetCommand({ TableName: this.#table, Key: MIGRATION_KEY, ConsistentRead: true }))).Item;
    this.#learn(state);
    return state;
  }

  /** Every read of the move's state item goes through here: once it says done, this store reads the new layout only. */
  #learn(state: Record<string, unknown> | undefined): void {
    if (state?.doneAt !== undefined) this.#migrated = true;
  }

  /** An update that sets the record of `record.reason` on the address's item, on `condition` when given. */
  #setReason(addressHash: string, record: SuppressionRecord, condition?: { readonly expression: string; readonly values?: Record<string, unknown> }) {
    return {
      TableName: this.#table,
      Key: addressKey(addressHash),
      UpdateExpression: 'SET #r = :r',
      ...(condition ? { ConditionExpression: condition.expression } : {}),
      ExpressionAttributeNames: { '#r': record.reason },
      ExpressionAttributeValues: { ':r': record, ...condition?.values },
    };
  }

  async #deleteIfEmpty(addressHash: string): Promise<void> {
    try {
      await this.#db.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: addressKey(addressHash),
          ConditionExpression: SUPPRESSION_REASONS.map((r) => `attribute_not_exists(#${r})`).join(' AND '),
          ExpressionAttributeNames: REASON_NAMES,
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }
}

/** How often {@link SuppressionStore.putIfNew} reads and writes again when the record changed between the two. */
const PUT_ATTEMPTS = 5;

/**
 * What putting `next` does to the record in force: add it (none, or lapsed: `expiresAt` provably past, as the send
 * rule reads it in domain/decide.ts), extend the one in force (it lapses, `next` lapses later or never), or nothing.
 */
function changeOf(current: SuppressionRecord | undefined, next: SuppressionRecord, now: Date): 'added' | 'extended' | 'none' {
  if (!current || (current.expiresAt !== undefined && Date.parse(current.expiresAt) <= now.getTime())) return 'added';
  if (current.expiresAt === undefined) return 'none';
  if (next.expiresAt === undefined) return 'extended';
  return Date.parse(next.expiresAt) > Date.parse(current.expiresAt) ? 'extended' : 'none';
}

/**
 * A condition that the record read (`at` prefixes its attributes: `#r.` on the address's item, nothing on an item of
 * the old layout) is still as it was: absent, or with the same `createdAt` and `expiresAt`, the only two a write
 * changes together (an extension keeps `createdAt` and moves `expiresAt`; a lift or a new record changes either).
 */
function unchanged(at: '#r.' | '', read: Record<string, unknown> | undefined): { expression: string; values?: Record<string, unknown> } {
  if (!read) return { expression: `attribute_not_exists(${at === '' ? 'pk' : '#r'})` };
  const expires = read.expiresAt === undefined ? `attribute_not_exists(${at}expiresAt)` : `${at}expiresAt = :readExpires`;
  return {
    expression: `${at}createdAt = :readCreated AND ${expires}`,
    values: { ':readCreated': read.createdAt, ...(read.expiresAt === undefined ? {} : { ':readExpires': read.expiresAt }) },
  };
}

/** Reasons in the order the API has always listed them: by name (the old layout's sort key). */
const LISTED = [...SUPPRESSION_REASONS].sort();

/**
 * The records of one address from its items of either layout, one per reason, by reason name: the address's item
 * wins over an old item of the same reason (it was written later).
 */
function merged(items: readonly Record<string, unknown>[]): SuppressionRecord[] {
  const address = items.find((i) => i.sk === ADDRESS_SK);
  const out: SuppressionRecord[] = [];
  for (const reason of LISTED) {
    const current = address?.[reason] as Record<string, unknown> | undefined;
    const old = items.find((i) => i.sk === reason);
    const found = current ?? old;
    if (found) out.push(project<SuppressionRecord>(found, SUPPRESSION_FIELDS));
  }
  return out;
}

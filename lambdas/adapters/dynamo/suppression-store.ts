/**
 * Suppressions, keyed by the address hash so they outlive the recipient (an erased person's complaint still
 * holds). `S#hash / <reason>`: one record per reason, each with its own scope; none implies another.
 */
import { DeleteCommand, PutCommand, QueryCommand, type Db } from './db.ts';
import { SUPPRESSION_REASONS } from '../../domain/decide.ts';
import type { SuppressionRecord } from '../../schemas/stored.ts';
import { project, SUPPRESSION_FIELDS } from './stored-fields.ts';
import { batchGetAll, isConditionFailure, type TableNames } from './tables.ts';

export class SuppressionStore {
  readonly #db: Db;
  readonly #table: string;

  constructor(db: Db, tables: TableNames) {
    this.#db = db;
    this.#table = tables.suppressions;
  }

  async list(addressHash: string): Promise<SuppressionRecord[]> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `S#${addressHash}` },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((r) => project<SuppressionRecord>(r, SUPPRESSION_FIELDS));
  }

  /**
   * The suppressions of many addresses at once (consistent BatchGetItems over every reason a record can have), by
   * address hash; an address without any is absent.
   */
  async listMany(addressHashes: readonly string[]): Promise<Map<string, SuppressionRecord[]>> {
    const keys = [...new Set(addressHashes)].flatMap((hash) => SUPPRESSION_REASONS.map((reason) => ({ pk: `S#${hash}`, sk: reason })));
    const byHash = new Map<string, SuppressionRecord[]>();
    for (const item of await batchGetAll(this.#db, this.#table, keys)) {
      const hash = String(item.pk).slice(2);
      byHash.set(hash, [...(byHash.get(hash) ?? []), project<SuppressionRecord>(item, SUPPRESSION_FIELDS)]);
    }
    return byHash;
  }

  /** Adds or replaces the record of `record.reason`. */
  async put(addressHash: string, record: SuppressionRecord): Promise<void> {
    await this.#db.send(new PutCommand({ TableName: this.#table, Item: { pk: `S#${addressHash}`, sk: record.reason, ...record } }));
  }

  /**
   * Adds the record of `record.reason` unless one is in force already: only an absent record, or one that lapses
   * before this one would, is replaced. True when this call added it, so a repeated event adds (and counts) once.
   */
  async putIfNew(addressHash: string, record: SuppressionRecord): Promise<boolean> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: `S#${addressHash}`, sk: record.reason, ...record },
          ConditionExpression:
            record.expiresAt === undefined ? 'attribute_not_exists(pk) OR attribute_exists(expiresAt)' : 'attribute_not_exists(pk) OR expiresAt < :expires',
          ...(record.expiresAt === undefined ? {} : { ExpressionAttributeValues: { ':expires': record.expiresAt } }),
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /** Removes the record of `reason`; returns it, or undefined when there was none. */
  async remove(addressHash: string, reason: SuppressionRecord['reason']): Promise<SuppressionRecord | undefined> {
    const out = await this.#db.send(
      new DeleteCommand({ TableName: this.#table, Key: { pk: `S#${addressHash}`, sk: reason }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes ? project<SuppressionRecord>(out.Attributes, SUPPRESSION_FIELDS) : undefined;
  }
}

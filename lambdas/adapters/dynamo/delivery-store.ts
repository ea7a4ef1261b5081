/**
 * Delivery timing state:
 *
 * | table      | item                       | what                                                                       |
 * |------------|----------------------------|----------------------------------------------------------------------------|
 * | counters   | `CONTROL / DELIVERY`       | the stage's quiet hours, frequency cap and default time zone               |
 * | recipients | `R#id / FREQ`              | the recipient's marketing send log `{messageId: epoch ms}` and a version   |
 * | messages   | `M#id / MSG` in gsi2       | a deferred message, found by its due time (`DUE#shard` / `<until>#<id>`)  |
 *
 * The send log lives in the recipient's partition, so erasure deletes it with the profile. A slot is taken with a
 * write conditional on the version read (optimistic concurrency): two campaigns racing for a recipient's last slot
 * cannot both take it, and a message already in the log is never counted twice.
 */
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type Db } from './db.ts';
import { MAX_CAP_DAYS, overCap, type FrequencyCap } from '../../domain/delivery-timing.ts';
import { FALLBACK_TIME_ZONE } from '../../domain/time-zones.ts';
import type { DeliverySettings } from '../../schemas/model.ts';
import { batchGetAll, cancellationReasons, isConditionFailure, type TableNames } from './tables.ts';

const SETTINGS_KEY = { pk: 'CONTROL', sk: 'DELIVERY' } as const;
const logKey = (recipientId: string) => ({ pk: `R#${recipientId}`, sk: 'FREQ' });

/** Partitions of the due-time index: deferred messages spread over them so no one index partition is hot. */
export const DUE_SHARDS = 8;
export const dueShardOf = (messageId: string): number => {
  let h = 0;
  for (const ch of messageId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % DUE_SHARDS;
};
/** The sparse due-time index attributes of a deferred message record. */
export const dueIndex = (messageId: string, until: string) => ({ gsi2pk: `DUE#${dueShardOf(messageId)}`, gsi2sk: `${until}#${messageId}` });

export type ReserveResult = 'reserved' | 'already' | 'capped';

export interface DueMessage {
  readonly messageId: string;
  readonly until: string;
  readonly campaignId?: string;
  readonly recipientId?: string;
}

export class DeliveryStore {
  readonly #db: Db;
  readonly #tables: TableNames;

  constructor(db: Db, tables: TableNames) {
    this.#db = db;
    this.#tables = tables;
  }

  #cached: { at: number; settings: DeliverySettings } | undefined;

  /**
   * The stage's settings (defaults filled: no quiet hours, no cap, UTC). One consistent read — what every send
   * decision uses. `maxAgeMs`: a copy read by this instance within that time will do (showing a recipient's zone
   * during an import of thousands of rows need not read the item for each).
   */
  async getSettings(options: { maxAgeMs?: number } = {}): Promise<DeliverySettings> {
    if (options.maxAgeMs !== undefined && this.#cached && Date.now() - this.#cached.at <= options.maxAgeMs) return this.#cached.settings;
    const settings = await this.#readSettings();
    this.#cached = { at: Date.now(), settings };
    return settings;
  }

  async #readSettings(): Promise<DeliverySettings> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#tables.counters, Key: SETTINGS_KEY, ConsistentRead: true }));
    const i = out.Item ?? {};
    return {
      ...(i.quietHours ? { quietHours: i.quietHours as DeliverySettings['quietHours'] & object } : {}),
      ...(i.frequencyCap ? { frequencyCap: i.frequencyCap as FrequencyCap } : {}),
      defaultTimeZone: typeof i.defaultTimeZone === 'string' ? i.defaultTimeZone : FALLBACK_TIME_ZONE,
      ...(i.topicCaps === true ? { topicCaps: true } : {}),
      ...(typeof i.updatedAt === 'string' ? { updatedAt: i.updatedAt } : {}),
      ...(typeof i.updatedBy === 'string' ? { updatedBy: i.updatedBy } : {}),
    };
  }

  async putSettings(settings: DeliverySettings): Promise<void> {
    await this.#db.send(new PutCommand({ TableName: this.#tables.counters, Item: { ...SETTINGS_KEY, ...settings } }));
    this.#cached = { at: Date.now(), settings };
  }

  /**
   * The marketing send log (epoch ms of each send) of each recipient, for the decision's pre-check; without the slot
   * of the message `own` names for a recipient (a retry of it must not count itself against the cap).
   */
  /** A person's send log as their export shows it: each message that took a slot, and when, oldest first. */
  async sendLogOf(recipientId: string): Promise<Array<{ messageId: string; at: string }>> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#tables.recipients, Key: logKey(recipientId), ConsistentRead: true }));
    return Object.entries((out.Item?.sends ?? {}) as Record<string, number>)
      .map(([messageId, t]) => ({ messageId, at: new Date(Number(t)).toISOString() }))
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  async sentLogs(recipientIds: readonly string[], own?: (recipientId: string) => string | undefined): Promise<Map<string, number[]>> {
    const items = await batchGetAll(this.#db, this.#tables.recipients, recipientIds.map(logKey));
    const logs = new Map<string, number[]>();
    for (const item of items) {
      const recipientId = String(item.pk).slice(2);
      // The slot of the message being decided (taken by an earlier attempt of it) is not another mail.
      const mine = own?.(recipientId);
      const sends = Object.entries((item.sends ?? {}) as Record<string, number>).filter(([messageId]) => messageId !== mine);
      logs.set(recipientId, sends.map(([, t]) => Number(t)));
    }
    return logs;
  }

  /**
   * Takes a slot for `messageId` in the recipient's log if every cap allows one more marketing mail at `now`:
   * `reserved`; `already` when the message holds one (a retry); `capped` when a cap is full. Exact under concurrency:
   * the write is conditional on the log's version, and a lost race reads again. Entries older than the longest cap
   * window ({@link MAX_CAP_DAYS}) are dropped on the way. The profile must still exist (checked in the same
   * transaction), so a send racing an erasure leaves nothing behind.
   */
  async reserve(recipientId: string, messageId: string, now: Date, caps: readonly FrequencyCap[]): Promise<ReserveResult> {
    for (let attempt = 0; ; attempt++) {
      const out = await this.#db.send(new GetCommand({ TableName: this.#tables.recipients, Key: logKey(recipientId), ConsistentRead: true }));
      const sends = (out.Item?.sends ?? {}) as Record<string, number>;
      const version = out.Item?.v as number | undefined;
      if (Object.hasOwn(sends, messageId)) return 'already';
      const from = now.getTime() - MAX_CAP_DAYS * 86_400_000;
      const kept = Object.fromEntries(Object.entries(sends).filter(([, t]) => Number(t) > from));
      if (overCap(Object.values(kept).map(Number), now, caps)) return 'capped';
      try {
        await this.#db.send(
          new TransactWriteCommand({
            TransactItems: [
              { ConditionCheck: { TableName: this.#tables.recipients, Key: { pk: `R#${recipientId}`, sk: 'PROFILE' }, ConditionExpression: 'attribute_exists(pk)' } },
              {
                Put: {
                  TableName: this.#tables.recipients,
                  Item: { ...logKey(recipientId), sends: { ...kept, [messageId]: now.getTime() }, v: (version ?? 0) + 1 },
                  ConditionExpression: version === undefined ? 'attribute_not_exists(pk)' : 'v = :v',
                  ...(version === undefined ? {} : { ExpressionAttributeValues: { ':v': version } }),
                },
              },
            ],
          }),
        );
        return 'reserved';
      } catch (e) {
        const reasons = cancellationReasons(e);
        // The recipient is gone: nothing to count for them.
        if (reasons?.[0] === 'ConditionalCheckFailed') return 'capped';
        if (!reasons || attempt >= 20) throw e;
        // Another send took a slot (or a transaction touched the log) between our read and write: read again.
        await new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** Math.min(attempt, 5)));
      }
    }
  }

  /** Gives a slot back: the message did not go out after all (SES refused it for good, or it could not be composed). */
  async release(recipientId: string, messageId: string): Promise<void> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tables.recipients,
          Key: logKey(recipientId),
          UpdateExpression: 'REMOVE sends.#m ADD v :one',
          ConditionExpression: 'attribute_exists(sends.#m)',
          ExpressionAttributeNames: { '#m': messageId },
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  /** Deferred messages due by `now`, one shard, oldest first, up to `limit`. */
  async due(shard: number, now: string, limit: number): Promise<DueMessage[]> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#tables.messages,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p AND gsi2sk <= :to',
        ExpressionAttributeValues: { ':p': `DUE#${shard}`, ':to': `${now}~` },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => ({
      messageId: String(i.messageId),
      until: String(i.until),
      ...(i.campaignId ? { campaignId: String(i.campaignId) } : {}),
      ...(i.recipientId ? { recipientId: String(i.recipientId) } : {}),
    }));
  }

  /** Takes a due message out of the index once it was handed on (only while it is still the same deferral). */
  async unindex(messageId: string, until: string): Promise<void> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tables.messages,
          Key: { pk: `M#${messageId}`, sk: 'MSG' },
          UpdateExpression: 'REMOVE gsi2pk, gsi2sk',
          ConditionExpression: '#status = :deferred AND #until = :until',
          ExpressionAttributeNames: { '#status': 'status', '#until': 'until' },
          ExpressionAttributeValues: { ':deferred': 'deferred', ':until': until },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }
}

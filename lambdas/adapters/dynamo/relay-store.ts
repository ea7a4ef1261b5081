/** Partner deliveries that failed after their retries, kept for replay: `P#partner / <event id>`. */
import { DeleteCommand, PutCommand, QueryCommand, type Db } from './db.ts';
import type { TableNames } from './tables.ts';

export interface FailedDelivery {
  readonly partnerId: string;
  readonly eventId: string;
  /** The exact JSON body that was (and will again be) signed and sent. */
  readonly body: string;
  readonly attempts: number;
  readonly lastError: string;
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
}

/** Failed deliveries are kept this long; a partner down for longer needs a re-sync, not a replay. */
const KEEP_DAYS = 30;

export class RelayStore {
  readonly #db: Db;
  readonly #table: string;

  constructor(db: Db, tables: TableNames) {
    this.#db = db;
    this.#table = tables.relay;
  }

  async saveFailure(f: FailedDelivery): Promise<void> {
    await this.#db.send(
      new PutCommand({
        TableName: this.#table,
        Item: { pk: `P#${f.partnerId}`, sk: f.eventId, ...f, expiresAt: Math.floor(Date.parse(f.firstFailedAt) / 1000) + KEEP_DAYS * 86_400 },
      }),
    );
  }

  /** Failed deliveries of a partner, in event order; consistent, so one saved a moment ago holds the next event behind it. */
  async failures(partnerId: string): Promise<FailedDelivery[]> {
    const items: FailedDelivery[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const out = await this.#db.send(
        new QueryCommand({ TableName: this.#table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `P#${partnerId}` }, ExclusiveStartKey: cursor, ConsistentRead: true }),
      );
      items.push(...(out.Items ?? []).map(({ pk: _p, sk: _s, expiresAt: _e, ...f }) => f as FailedDelivery));
      cursor = out.LastEvaluatedKey;
    } while (cursor);
    return items;
  }

  async remove(partnerId: string, eventId: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: { pk: `P#${partnerId}`, sk: eventId } }));
  }
}

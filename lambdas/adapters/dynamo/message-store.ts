/**
 * Message records and the counters behind the figures. The record is claimed with a conditional write before SES
 * is called: a retried send (same idempotency key) finds the claim and never mails twice.
 *
 * Layout (messages table): `M#id / MSG` the record; `M#id / E#<iso>#<type>` its events. Counters table:
 * `D#yyyy-mm-dd / ALL` with one number per figure (`sent_service`, `held_opted_out`, …).
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MessageRecordSchema, type MessageRecord } from '../../schemas/model.ts';
import { dayOf, isConditionFailure, setExpression, type TableNames } from './tables.ts';

export type NewMessage = Omit<MessageRecord, 'events' | 'updatedAt'> & { readonly requestHash: string; readonly idempotencyKey?: string };

export type ClaimResult =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly existing: MessageRecord; readonly requestHash: string | undefined };

const recordKey = (id: string) => ({ pk: `M#${id}`, sk: 'MSG' });

export class MessageStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #tables: TableNames;

  constructor(db: DynamoDBDocumentClient, tables: TableNames) {
    this.#db = db;
    this.#tables = tables;
  }

  /**
   * Writes the record unless one exists with this id; a record whose send failed may be claimed again (nothing was
   * mailed). Returns the existing record otherwise.
   */
  async claim(message: NewMessage): Promise<ClaimResult> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tables.messages,
          Item: { ...recordKey(message.messageId), ...message, updatedAt: message.createdAt },
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :failed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed' },
        }),
      );
      return { claimed: true };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const existing = await this.#db.send(new GetCommand({ TableName: this.#tables.messages, Key: recordKey(message.messageId), ConsistentRead: true }));
      const item = existing.Item ?? {};
      return { claimed: false, existing: this.#toRecord(item, []), requestHash: item.requestHash as string | undefined };
    }
  }

  async markSent(id: string, sesMessageId: string, links: readonly string[], at: string): Promise<void> {
    await this.#update(id, { status: 'sent', sesMessageId, links: [...links], updatedAt: at });
    await this.addEvent(id, at, 'send', { sesMessageId });
  }

  async markFailed(id: string, error: string, at: string): Promise<void> {
    await this.#update(id, { status: 'failed', error, updatedAt: at });
    await this.addEvent(id, at, 'send_failed', { error });
  }

  async addEvent(id: string, at: string, type: string, detail?: Record<string, unknown>): Promise<void> {
    await this.#db.send(
      new PutCommand({
        TableName: this.#tables.messages,
        Item: { pk: `M#${id}`, sk: `E#${at}#${type}`, at, type, ...(detail ? { detail } : {}) },
      }),
    );
  }

  async get(id: string): Promise<MessageRecord | undefined> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#tables.messages,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `M#${id}` },
        ConsistentRead: true,
      }),
    );
    const items = out.Items ?? [];
    const record = items.find((i) => i.sk === 'MSG');
    if (!record) return undefined;
    return this.#toRecord(record, items.filter((i) => typeof i.sk === 'string' && i.sk.startsWith('E#')));
  }

  /** Adds to the day's counters (`{ sent_service: 1 }`). */
  async count(at: string, figures: Readonly<Record<string, number>>): Promise<void> {
    const entries = Object.entries(figures);
    if (entries.length === 0) return;
    await this.#db.send(
      new UpdateCommand({
        TableName: this.#tables.counters,
        Key: { pk: `D#${dayOf(at)}`, sk: 'ALL' },
        UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :n${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#c${i}`, k])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, n], i) => [`:n${i}`, n])),
      }),
    );
  }

  /** The counters of one day (for tests and, later, the metrics route). */
  async dayCounters(day: string): Promise<Record<string, number>> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#tables.counters, Key: { pk: `D#${day}`, sk: 'ALL' }, ConsistentRead: true }));
    const { pk: _pk, sk: _sk, ...figures } = out.Item ?? {};
    return figures as Record<string, number>;
  }

  async #update(id: string, fields: Record<string, unknown>): Promise<void> {
    await this.#db.send(new UpdateCommand({ TableName: this.#tables.messages, Key: recordKey(id), ...setExpression(fields) }));
  }

  #toRecord(item: Record<string, unknown>, events: Record<string, unknown>[]): MessageRecord {
    const { pk: _pk, sk: _sk, requestHash: _h, idempotencyKey: _k, addressHash: _a, ...rest } = item;
    return MessageRecordSchema.parse({
      ...rest,
      events: events.map((e) => ({ at: e.at, type: e.type, ...(e.detail ? { detail: e.detail } : {}) })),
    });
  }
}

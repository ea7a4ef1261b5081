/**
 * What SES feedback leaves behind besides message records and suppressions, in the messages table (its TTL expires
 * both):
 *
 * - `FEEDBACK / <iso>#<event hash>`: the recent bounces and complaints ops look at, with the address masked
 *   (`j***@e***.com`) and kept {@link RECENT_FEEDBACK_DAYS} days. One item per SES event, so a duplicate is one item.
 * - `SB#<address hash> / SOFT_BOUNCES`: the transient bounces of one address, as a string set of `<iso>|<event hash>`
 *   (adding an element twice changes nothing), expiring a window after the last one.
 */
import { DeleteCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type Db } from './db.ts';
import { recordExists } from './message-store.ts';
import { cancellationReasons, isConditionFailure, type TableNames } from './tables.ts';

/** How long the recent-feedback list keeps an entry. */
export const RECENT_FEEDBACK_DAYS = 30;

/** The SES feedback the recent-feedback list keeps (masked): bounces and complaints. */
export const RECENT_FEEDBACK_KINDS = ['bounced_hard', 'bounced_soft', 'complained'] as const;
export const isRecentFeedback = (kind: string): kind is (typeof RECENT_FEEDBACK_KINDS)[number] => (RECENT_FEEDBACK_KINDS as readonly string[]).includes(kind);

export interface RecentFeedback {
  readonly at: string;
  readonly kind: (typeof RECENT_FEEDBACK_KINDS)[number];
  /** `j***@e***.com`: never the address itself. */
  readonly address: string;
  /** `Permanent/General`, `Transient/MailboxFull`, `abuse`… */
  readonly detail?: string;
  readonly messageId?: string;
  readonly class?: string;
  readonly topic?: string;
  readonly campaignId?: string;
}

const RECENT_PK = 'FEEDBACK';

export class FeedbackStore {
  readonly #db: Db;
  readonly #table: string;

  constructor(db: Db, tables: TableNames) {
    this.#db = db;
    this.#table = tables.messages;
  }

  /**
   * Adds an entry once per event (`eventHash`); false when it was there already. An entry naming its message is
   * written on the condition that the message's record exists, so an erasure, which deletes the record first and then
   * the entries of its bounces and complaints (`forgetMessage`), never leaves one naming it; without the record the
   * entry is kept without its message's fields. `notAfter` (epoch seconds): the record's own expiry.
   */
  async addRecent(eventHash: string, entry: RecentFeedback, notAfter?: number): Promise<boolean> {
    // Never past its message's record (a stage keeping records less than 30 days): erasure finds it through the record.
    const expiresAt = Math.min(Math.floor(Date.parse(entry.at) / 1000) + RECENT_FEEDBACK_DAYS * 86_400, entry.messageId && notAfter ? notAfter : Number.POSITIVE_INFINITY);
    const Item = { pk: RECENT_PK, sk: `${entry.at}#${eventHash}`, ...entry, expiresAt };
    const put = { TableName: this.#table, Item, ConditionExpression: 'attribute_not_exists(pk)' };
    try {
      if (!entry.messageId) await this.#db.send(new PutCommand(put));
      else {
        await this.#db.send(
          new TransactWriteCommand({
            TransactItems: [{ Put: put }, recordExists(this.#table, entry.messageId)],
          }),
        );
      }
      return true;
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (isConditionFailure(e) || reasons?.[0] === 'ConditionalCheckFailed') return false;
      if (reasons?.[1] !== 'ConditionalCheckFailed') throw e;
      const { messageId: _m, class: _c, topic: _t, campaignId: _k, ...rest } = entry;
      return this.addRecent(eventHash, rest);
    }
  }

  /**
   * Erasure: the entries of a message's bounces and complaints, found by the times of its feedback events (as
   * `MessageStore.deleteMessage` hands them over). Returns how many went.
   */
  async forgetMessage(messageId: string, events: ReadonlyArray<{ readonly at: string; readonly type: string }>): Promise<number> {
    let removed = 0;
    for (const at of new Set(events.filter((e) => isRecentFeedback(e.type)).map((e) => e.at))) {
      const out = await this.#db.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :at)',
          FilterExpression: 'messageId = :m',
          ExpressionAttributeValues: { ':pk': RECENT_PK, ':at': `${at}#`, ':m': messageId },
          ProjectionExpression: 'pk, sk',
          ConsistentRead: true,
        }),
      );
      for (const key of out.Items ?? []) {
        await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: { pk: key.pk, sk: key.sk } }));
        removed++;
      }
    }
    return removed;
  }

  /** The newest entries first. */
  async recent(limit = 50): Promise<RecentFeedback[]> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': RECENT_PK },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(({ pk: _pk, sk: _sk, expiresAt: _e, ...entry }) => entry as RecentFeedback);
  }

  /** Remembers one transient bounce of an address; returns every one remembered (this one included). */
  async addSoftBounce(addressHash: string, entry: string, expiresAt: number): Promise<string[]> {
    const out = await this.#db.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: `SB#${addressHash}`, sk: 'SOFT_BOUNCES' },
        UpdateExpression: 'ADD bounces :entry SET expiresAt = if_not_exists(expiresAt, :exp)',
        ExpressionAttributeValues: { ':entry': new Set([entry]), ':exp': expiresAt },
        ReturnValues: 'ALL_NEW',
      }),
    );
    // A later expiry wins, whatever order the bounces arrived in.
    if (typeof out.Attributes?.expiresAt === 'number' && out.Attributes.expiresAt < expiresAt) {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: `SB#${addressHash}`, sk: 'SOFT_BOUNCES' },
          UpdateExpression: 'SET expiresAt = :exp',
          ConditionExpression: 'expiresAt < :exp',
          ExpressionAttributeValues: { ':exp': expiresAt },
        }),
      ).catch((e: unknown) => {
        if (!isConditionFailure(e)) throw e;
      });
    }
    return [...((out.Attributes?.bounces as Set<string> | undefined) ?? [])];
  }

  /** Forgets bounces too old for any window to come. */
  async forgetSoftBounces(addressHash: string, entries: readonly string[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#db.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: `SB#${addressHash}`, sk: 'SOFT_BOUNCES' },
        UpdateExpression: 'DELETE bounces :old',
        ExpressionAttributeValues: { ':old': new Set(entries) },
      }),
    );
  }
}

/**
 * Message records and the counters behind the figures. The record is claimed with a conditional write before SES
 * is called: a retried send (same idempotency key) finds the claim and never mails twice.
 *
 * Layout (messages table): `M#id / MSG` the record; `M#id / E#<iso>#<type>` its events; `LINKS#hash / LINKS` a
 * template's shared tracked links (no recipient, no TTL: what old mail's links need after an erasure). Counters table:
 * `<series> / D#yyyy-mm-dd` with one number per figure (`sent_service`, `held_reason_opted_out`, …), where the series
 * is `ALL`, `T#topic` or `C#campaign`: a range of days of one series is one Query. `FIGURES#<event id> / PART`
 * is the marker of a counted part of a messages stream batch ({@link MessageStore.addFigures}), expiring in two days.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type Db } from './db.ts';
import { unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import type { MessageRecord } from '../../schemas/stored.ts';
import { MESSAGE_FIELDS, project } from './stored-fields.ts';
import { addFigures, COUNTER_SHARDS, counterKeys, counterPk, counterShardPks, counterUpdate, type CounterDims } from './counters.ts';
import type { CampaignProgress, SeriesDay } from '../../domain/message-figures.ts';
import { progressAdd, PROGRESS_SHARDS } from './campaign-progress.ts';
import { batchGetAll, batchWriteAll, cancellationReasons, deletePartition, groupsOf, isConditionFailure, queryAll, setExpression, type TableNames } from './tables.ts';
import { dueIndex } from './delivery-store.ts';

export type Deferral = 'quiet_hours' | 'local_time';

/**
 * A campaign's count of recipients waiting for one moment: `C#campaign / WAIT#<deferral>#<until>` in the campaigns
 * table, added to when a recipient starts waiting and taken from when they stop, in the same transaction as their
 * message record changes, so the figure is exact. Progress sums them; the soonest non-zero one is the next due time.
 */
export const waitKey = (campaignId: string, deferral: Deferral, until: string) => ({ pk: `C#${campaignId}`, sk: `WAIT#${deferral}#${until}` });

/** What a deferred message becomes when it is looked at again. */
export type DeferredNext =
  | { readonly status: 'sending'; readonly decidedAt: string; readonly late?: boolean }
  | { readonly status: 'held'; readonly reason: string }
  | { readonly status: 'deferred'; readonly until: string; readonly deferral: Deferral };

export type NewMessage = Omit<MessageRecord, 'events' | 'updatedAt'> & {
  readonly requestHash: string;
  readonly idempotencyKey?: string;
  /** Epoch seconds: the record (and its events) expire then (retention). */
  readonly expiresAt: number;
  /** A local-time campaign's mail decided after the recipient's moment had passed: counted `late` once sent. */
  readonly late?: boolean;
};

export type ClaimResult =
  | { readonly claimed: true }
  | {
      readonly claimed: false;
      readonly existing: MessageRecord;
      readonly requestHash: string | undefined;
      /** A `failed` record that was dead-lettered: its failure is final (a plain `failed` is about to be retried). */
      readonly final: boolean;
    };

/** Message ids an erasure remembers per item (~45 bytes each: ~90 KB, far under DynamoDB's 400 KB). */
const ERASING_IDS_PER_ITEM = 2000;

/** A message record's key in the messages table (its events share the partition). */
export const recordKey = (id: string) => ({ pk: `M#${id}`, sk: 'MSG' });

/** A transaction's condition that the message's record exists: what an erasure, deleting the record first, cancels. */
export const recordExists = (table: string, id: string) => ({ ConditionCheck: { TableName: table, Key: recordKey(id), ConditionExpression: 'attribute_exists(pk)' } });

/**
 * gsi1 lists a recipient's messages (export, erasure). A campaign's message is left out of it (issue 17: its index
 * entry was a write unit per mail): its id derives from campaign and recipient, so privacy.ts finds it from the
 * campaigns (`messageIds`).
 */
const recipientIndex = (m: { readonly recipientId?: string | undefined; readonly campaignId?: string | undefined; readonly createdAt: string }) =>
  m.recipientId && !m.campaignId ? { gsi1pk: `R#${m.recipientId}`, gsi1sk: m.createdAt } : {};

/**
 * The tracked links every recipient of a template shares, by link index (`null`: a link that depended on the
 * recipient), under its content hash. Kept apart from every message and person (`LINKS#id`, no TTL, no recipient), so
 * a click in old mail still finds its destination after an erasure took the message record.
 */
export interface LinkSet {
  readonly id: string;
  readonly template: string;
  readonly links: readonly (string | null)[];
}

/** A message's tracked links as composed: every one by index, and the template's shared set when it has one. */
export interface SentLinks {
  readonly links: readonly string[];
  readonly linkSet?: Pick<LinkSet, 'id' | 'links'> | undefined;
}

/**
 * A message record as the stores keep it: the API's fields, and where its tracked links are — `links` (records sent
 * before 2026-12-06, and mail whose every link depended on the recipient) or the shared set's id and the recipient's
 * own links by index. {@link MessageStore.get} hands the API the links resolved; {@link MessageStore.sentLinks} resolves them.
 */
export type StoredMessageRecord = MessageRecord & {
  readonly linkSet?: string;
  readonly ownLinks?: Readonly<Record<string, string>>;
  /** When DynamoDB's TTL deletes the record (epoch seconds): no event of it may outlive it. */
  readonly expiresAt?: number;
  /** A `failed` record whose failure is final: its last attempt failed (`markDeadLettered`). */
  readonly deadLetteredAt?: string;
};

/** What the store reads of a record: the API's fields, where its links are, its expiry, and whether its failure is final. */
const STORED_MESSAGE_FIELDS = [...MESSAGE_FIELDS, 'linkSet', 'ownLinks', 'expiresAt', 'deadLetteredAt'];

/** Link sets read or written by this process, by id: content-addressed, so a copy never goes stale. */
const linkSets = new Map<string, LinkSet>();
const LINK_SETS_KEPT = 256;
function keepLinkSet(set: LinkSet): void {
  if (linkSets.size >= LINK_SETS_KEPT) linkSets.delete(linkSets.keys().next().value!);
  linkSets.set(set.id, set);
}

/** A raw tracking event: kept until `expiresAt` (epoch seconds, the table's TTL), then DynamoDB deletes it. */
export interface TrackingEvent {
  readonly at: string;
  readonly ipPseudonym?: string;
  readonly userAgent?: string;
  readonly expiresAt: number;
}

/**
 * A recipient's last human open or click (what segments' `lastOpenedAt` / `lastClickedAt` read), in the messages table
 * (`R#recipient / ENGAGEMENT`) rather than on the profile: the public pixel and click functions may write message
 * items but never a recipient's (their consent lives there). Only ever moves forward in time. Written in the
 * transaction that counts the open or click (`MessageStore.recordOpen`), so it exists only if the message did.
 */
function engagementUpdate(table: string, recipientId: string, field: 'lastOpenedAt' | 'lastClickedAt', at: string) {
  return {
    TableName: table,
    Key: { pk: `R#${recipientId}`, sk: 'ENGAGEMENT' },
    UpdateExpression: 'SET #f = :at',
    ConditionExpression: 'attribute_not_exists(#f) OR #f < :at',
    ExpressionAttributeNames: { '#f': field },
    ExpressionAttributeValues: { ':at': at },
  };
}

export interface MessageStoreOptions {
  /** Called with every set of figures {@link MessageStore.count} adds (the container emits them as CloudWatch metrics). */
  readonly onCount?: (figures: Readonly<Record<string, number>>) => void;
}

export class MessageStore {
  readonly #db: Db;
  readonly #tables: TableNames;
  readonly #onCount: MessageStoreOptions['onCount'];

  constructor(db: Db, tables: TableNames, options: MessageStoreOptions = {}) {
    this.#db = db;
    this.#tables = tables;
    this.#onCount = options.onCount;
  }

  /**
   * Writes the record unless one exists with this id; a record whose send failed may be claimed again (nothing was
   * mailed). Returns the existing record otherwise (none: `again`, and the record is gone).
   */
  async claim(message: NewMessage, options: { readonly again?: boolean } = {}): Promise<ClaimResult> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tables.messages,
          Item: { ...recordKey(message.messageId), ...message, updatedAt: message.createdAt, ...recipientIndex(message) },
          // A failed send may be claimed again (nothing went out), unless it was dead-lettered: that is final. `again`:
          // only that (a retry of this caller's own failed attempt): a record an erasure deleted meanwhile stays gone.
          ConditionExpression: `${options.again ? '' : 'attribute_not_exists(pk) OR '}(#status = :failed AND attribute_not_exists(deadLetteredAt))`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed' },
        }),
      );
      return { claimed: true };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const existing = await this.#db.send(new GetCommand({ TableName: this.#tables.messages, Key: recordKey(message.messageId), ConsistentRead: true }));
      const item = existing.Item ?? {};
      return { claimed: false, existing: this.#toRecord(item, []), requestHash: item.requestHash as string | undefined, final: item.deadLetteredAt !== undefined };
    }
  }

  /**
   * Claims the record as `deferred` until `until` (in the due-time index), with the same condition as
   * {@link claim}; for a campaign's message, the campaign's wait count for that moment is added to in the same
   * transaction. `request` is what a transactional send needs to be sent later (template, to, data).
   */
  async claimDeferred(message: NewMessage & { readonly until: string; readonly deferral: Deferral; readonly request?: Record<string, unknown> }): Promise<ClaimResult> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tables.messages,
                Item: {
                  ...recordKey(message.messageId),
                  ...message,
                  status: 'deferred',
                  updatedAt: message.createdAt,
                  ...recipientIndex(message),
                  ...dueIndex(message.messageId, message.until),
                },
                ConditionExpression: 'attribute_not_exists(pk) OR (#status = :failed AND attribute_not_exists(deadLetteredAt))',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':failed': 'failed' },
              },
            },
            ...(message.campaignId ? [this.#waitAdd(message.campaignId, message.deferral, message.until, 1)] : []),
          ],
        }),
      );
      return { claimed: true };
    } catch (e) {
      if (cancellationReasons(e)?.[0] !== 'ConditionalCheckFailed') throw e;
      const existing = await this.#db.send(new GetCommand({ TableName: this.#tables.messages, Key: recordKey(message.messageId), ConsistentRead: true }));
      const item = existing.Item ?? {};
      return { claimed: false, existing: this.#toRecord(item, []), requestHash: item.requestHash as string | undefined, final: item.deadLetteredAt !== undefined };
    }
  }

  /**
   * Moves a deferred record on, if it is still the deferral `until` (so two deliveries of a due batch, or the due
   * reader and a sender, cannot both take it): to `sending`, to `held`, or deferred again to a new time. The
   * campaign's wait counts move with it in the same transaction. False when someone else moved it first.
   */
  async leaveDeferred(id: string, was: { readonly until: string; readonly deferral: Deferral; readonly campaignId?: string | undefined }, next: DeferredNext, at: string): Promise<boolean> {
    const fields: Record<string, unknown> = { status: next.status, updatedAt: at };
    if (next.status === 'sending') Object.assign(fields, { decidedAt: next.decidedAt, ...(next.late ? { late: true } : {}) });
    if (next.status === 'held') fields.reason = next.reason;
    if (next.status === 'deferred') Object.assign(fields, { until: next.until, deferral: next.deferral, ...dueIndex(id, next.until) });
    const set = setExpression(fields);
    const remove = next.status === 'deferred' ? '' : ' REMOVE gsi2pk, gsi2sk';
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.#tables.messages,
                Key: recordKey(id),
                UpdateExpression: set.UpdateExpression + remove,
                ConditionExpression: '#st = :deferred AND #un = :was',
                ExpressionAttributeNames: { ...set.ExpressionAttributeNames, '#st': 'status', '#un': 'until' },
                ExpressionAttributeValues: { ...set.ExpressionAttributeValues, ':deferred': 'deferred', ':was': was.until },
              },
            },
            ...(was.campaignId ? [this.#waitAdd(was.campaignId, was.deferral, was.until, -1)] : []),
            ...(was.campaignId && next.status === 'deferred' ? [this.#waitAdd(was.campaignId, next.deferral, next.until, 1)] : []),
          ],
        }),
      );
      return true;
    } catch (e) {
      if (cancellationReasons(e)?.[0] === 'ConditionalCheckFailed') return false;
      throw e;
    }
  }

  /**
   * A deferred transactional message SES refused when it was due (`failed`, nothing went out): deferred again to
   * `until`, back in the due-time index, at most `maxAttempts` times. False once they are used up (it stays failed).
   */
  async deferAgainAfterFailure(id: string, until: string, at: string, maxAttempts: number): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tables.messages,
          Key: recordKey(id),
          UpdateExpression: 'SET #st = :deferred, #un = :until, updatedAt = :at, gsi2pk = :gpk, gsi2sk = :gsk ADD dueAttempts :one',
          ConditionExpression: '#st = :failed AND attribute_exists(#rq) AND attribute_not_exists(deadLetteredAt) AND (attribute_not_exists(dueAttempts) OR dueAttempts < :max)',
          ExpressionAttributeNames: { '#st': 'status', '#un': 'until', '#rq': 'request' },
          ExpressionAttributeValues: {
            ':deferred': 'deferred',
            ':failed': 'failed',
            ':until': until,
            ':at': at,
            ':one': 1,
            ':max': maxAttempts,
            ':gpk': dueIndex(id, until).gsi2pk,
            ':gsk': dueIndex(id, until).gsi2sk,
          },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /** The engagement of each recipient that has any (one consistent BatchGetItem per 100). */
  async engagements(recipientIds: readonly string[]): Promise<Map<string, { lastOpenedAt?: string; lastClickedAt?: string }>> {
    const items = await batchGetAll(this.#db, this.#tables.messages, recipientIds.map((id) => ({ pk: `R#${id}`, sk: 'ENGAGEMENT' })));
    return new Map(
      items.map((i) => [
        String(i.pk).slice(2),
        { ...(typeof i.lastOpenedAt === 'string' ? { lastOpenedAt: i.lastOpenedAt } : {}), ...(typeof i.lastClickedAt === 'string' ? { lastClickedAt: i.lastClickedAt } : {}) },
      ]),
    );
  }

  /** Erasure: the recipient's engagement item. */
  async deleteEngagement(recipientId: string): Promise<number> {
    return deletePartition(this.#db, this.#tables.messages, `R#${recipientId}`);
  }

  /** The stored request of a deferred transactional message (what to send when it is due). */
  async deferredRequest(id: string): Promise<{ record: MessageRecord; request?: Record<string, unknown>; requestHash?: string; idempotencyKey?: string } | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#tables.messages, Key: recordKey(id), ConsistentRead: true }));
    if (!out.Item) return undefined;
    return {
      record: this.#toRecord(out.Item, []),
      ...(out.Item.request ? { request: out.Item.request as Record<string, unknown> } : {}),
      ...(typeof out.Item.idempotencyKey === 'string' ? { idempotencyKey: out.Item.idempotencyKey } : {}),
      ...(out.Item.requestHash ? { requestHash: String(out.Item.requestHash) } : {}),
    };
  }

  #waitAdd(campaignId: string, deferral: Deferral, until: string, n: number) {
    return {
      Update: {
        TableName: this.#tables.campaigns,
        Key: waitKey(campaignId, deferral, until),
        UpdateExpression: 'ADD #n :n SET #until = :until, #kind = :kind',
        ExpressionAttributeNames: { '#n': 'n', '#until': 'until', '#kind': 'deferral' },
        ExpressionAttributeValues: { ':n': n, ':until': until, ':kind': deferral },
      },
    };
  }

  /**
   * The record as sent: one write. No `send` event item beside it (issue 17): `sentAt` and `sesMessageId` on the
   * record say the same, and each extra item was a write per mail. Of the tracked links it keeps the id of the
   * template's shared link set (stored once: {@link putLinkSet}) and only the links that depended on the recipient:
   * a newsletter's dozen links copied into every record made it ~2.5 KB, and every later write of it (the delivery,
   * each open and click) cost 3 write units instead of 1.
   */
  async markSent(id: string, sesMessageId: string, sent: SentLinks, at: string): Promise<void> {
    const { links, linkSet } = sent;
    const own = linkSet ? Object.fromEntries(links.flatMap((url, i) => (linkSet.links[i] === null ? [[String(i), url]] : []))) : {};
    const kept = linkSet ? { linkSet: linkSet.id, ...(Object.keys(own).length ? { ownLinks: own } : {}) } : { links: [...links] };
    // Only the claim this send held: a record an erasure or a stale delivery made final meanwhile keeps that outcome.
    await this.#moveFrom(id, 'sending', { status: 'sent', sesMessageId, ...kept, sentAt: at, updatedAt: at });
  }

  /**
   * Takes over a claim left `sending` since `since` (its sender died around the SES call): true if this caller now
   * holds it. Conditional on the record being unchanged, so two takers cannot both win.
   */
  async reclaimStale(id: string, since: string, at: string, decidedAt: string): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tables.messages,
          Key: recordKey(id),
          UpdateExpression: 'SET updatedAt = :at, reclaimedAt = :at, decidedAt = :decided',
          ConditionExpression: '#status = :sending AND updatedAt = :since',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':at': at, ':since': since, ':sending': 'sending', ':decided': decidedAt },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /** A claim left `sending` whose SES feedback shows SES took the message: it was sent. */
  async settleAsSent(id: string, at: string): Promise<void> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tables.messages,
          Key: recordKey(id),
          UpdateExpression: 'SET #status = :sent, sentAt = if_not_exists(sentAt, :at), updatedAt = :at',
          ConditionExpression: '#status = :sending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':at': at, ':sent': 'sent', ':sending': 'sending' },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  /**
   * A claim this caller holds (its own, or one taken over) whose recipient may no longer get the mail: held, with the
   * reason, and nothing sent. Only from `sending`: an outcome made final meanwhile stands.
   */
  async markHeld(id: string, reason: string, at: string, error?: string): Promise<void> {
    await this.#moveFrom(id, 'sending', { status: 'held', reason, updatedAt: at, ...(error ? { error } : {}) });
  }

  /**
   * A record on its way (`sending`: a claim; `failed`: an attempt about to be retried) held for `reason` instead, if it
   * is still `was` (and, failed, not dead-lettered): true if this call moved it. Made final here, it is counted once,
   * from its change (the messages stream), whoever meets it later.
   */
  async holdUnsettled(id: string, was: 'sending' | 'failed', reason: string, at: string): Promise<boolean> {
    return (await this.#moveFrom(id, was, { status: 'held', reason, updatedAt: at })) !== undefined;
  }

  /**
   * The last attempt failed: the record stays `failed` for good (no redelivery claims it again). True if this call
   * marked it; false if it already was (two deliveries of the same last attempt both fail, and only one may hand the
   * recipient to the dead-letter queue) or is no failed attempt any more.
   */
  async markDeadLettered(id: string, error: string, at: string): Promise<boolean> {
    // Only a failed attempt: a copy of the batch that claimed it again (and may be at SES with it), sent or held it
    // meanwhile has its fate, and that stands. A record an erasure deleted does not come back (without its expiry).
    return (await this.#moveFrom(id, 'failed', { status: 'failed', error, deadLetteredAt: at, updatedAt: at })) !== undefined;
  }

  /**
   * The attempt failed (nothing went out): the record says so, and an event keeps the error (it expires with the
   * record). Only from `sending`: a failed attempt may be claimed again, and a record another delivery made final
   * meanwhile (a stale claim taken over and sent) must stay final, or it would be mailed, and counted, twice.
   */
  async markFailed(id: string, error: string, at: string): Promise<void> {
    const record = await this.#moveFrom(id, 'sending', { status: 'failed', error, updatedAt: at }, true);
    if (!record) return;
    await this.#db.send(
      new PutCommand({
        TableName: this.#tables.messages,
        Item: { pk: `M#${id}`, sk: `E#${at}#send_failed`, at, type: 'send_failed', detail: { error }, ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}) },
      }),
    );
  }

  /** Stores a link set; its id is its content's hash, so writing it again changes nothing. */
  async putLinkSet(set: LinkSet): Promise<void> {
    await this.#db.send(new PutCommand({ TableName: this.#tables.messages, Item: { pk: `LINKS#${set.id}`, sk: 'LINKS', ...set, links: [...set.links] } }));
    keepLinkSet(set);
  }

  /** A link set: read once per process (it never changes), then from memory. */
  async getLinkSet(id: string): Promise<LinkSet | undefined> {
    const kept = linkSets.get(id);
    if (kept) return kept;
    const key = { TableName: this.#tables.messages, Key: { pk: `LINKS#${id}`, sk: 'LINKS' } };
    // Stored just before the mail went out: a miss of the cheap read (a replica behind) is asked again consistently.
    let out = await this.#db.send(new GetCommand(key));
    if (!out.Item) out = await this.#db.send(new GetCommand({ ...key, ConsistentRead: true }));
    if (!out.Item) return undefined;
    const set = { id, template: String(out.Item.template ?? ''), links: (out.Item.links as unknown[]).map((l) => (typeof l === 'string' ? l : null)) };
    keepLinkSet(set);
    return set;
  }

  /**
   * A message's tracked links by index, as sent: its own `links`, or the shared set's with the recipient's own links in
   * their places. `null` where a link cannot be found (its set is gone: never deleted, so only by hand).
   */
  async sentLinks(record: Pick<StoredMessageRecord, 'links' | 'linkSet' | 'ownLinks'>): Promise<readonly (string | null)[]> {
    if (record.links) return record.links;
    if (!record.linkSet) return [];
    const set = await this.getLinkSet(record.linkSet);
    // Without its set, the recipient's own links still stand at their places.
    const count = Math.max(set?.links.length ?? 0, ...Object.keys(record.ownLinks ?? {}).map((i) => Number(i) + 1));
    return Array.from({ length: count }, (_, i) => record.ownLinks?.[String(i)] ?? set?.links[i] ?? null);
  }

  /** The record alone (no events): one consistent GetItem, for the hot public paths. */
  async getRecord(id: string): Promise<StoredMessageRecord | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#tables.messages, Key: recordKey(id), ConsistentRead: true }));
    return out.Item ? this.#toRecord(out.Item, []) : undefined;
  }

  /**
   * Counts an open on the record and keeps the raw event (user agent, pseudonymized IP) until its TTL; with
   * `recipientId` (a human open), moves the recipient's `lastOpenedAt` forward. False when the record is gone.
   */
  async recordOpen(id: string, open: TrackingEvent & { readonly machine: boolean; readonly reason?: string }, recipientId?: string): Promise<boolean> {
    return this.#recordEngagement(id, 'Open', open, {}, recipientId);
  }

  /** Counts a click on link `linkIndex`, human or machine, and keeps the raw event until its TTL; `recipientId` as for an open. */
  async recordClick(id: string, linkIndex: number, click: TrackingEvent & { readonly machine: boolean; readonly reason?: string }, recipientId?: string): Promise<boolean> {
    return this.#recordEngagement(id, 'Click', click, { linkIndex }, recipientId);
  }

  /**
   * One open or click: the record's counts (`opens`/`clicks`, machine or human, the first and last times), its raw
   * event and, for a person's (`recipientId`), their engagement item, in one transaction on the condition that the
   * record exists. So the event is kept exactly when it was counted, and an erasure (which deletes the record first:
   * `deleteMessage`) racing it leaves nothing behind, with no delete right on the public functions. One call: 4 WRU,
   * 6 with the engagement (issue 17: it was an update beside a transaction of a condition check and the event, 5 WRU
   * and 2 calls, and the engagement a call of its own that an erasure could race). The day's figures come from the
   * record's change, through the stream (`last…At` is the day they are counted on). A record gone (erased) cancels the
   * transaction: false. An engagement already later than this one (requests finishing out of order), or one another
   * transaction holds at that moment, is left out of it.
   */
  async #recordEngagement(
    id: string,
    kind: 'Open' | 'Click',
    e: TrackingEvent & { readonly machine: boolean; readonly reason?: string },
    detail: Record<string, unknown>,
    recipientId: string | undefined,
  ): Promise<boolean> {
    const type = kind.toLowerCase();
    const n = `${type}s`;
    const items = [
      {
        Update: {
          TableName: this.#tables.messages,
          Key: recordKey(id),
          UpdateExpression: e.machine
            ? `ADD ${n} :one, machine${kind}s :one SET first${kind}At = if_not_exists(first${kind}At, :at), last${kind}At = :at`
            : `ADD ${n} :one, human${kind}s :one SET first${kind}At = if_not_exists(first${kind}At, :at), firstHuman${kind}At = if_not_exists(firstHuman${kind}At, :at), last${kind}At = :at`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1, ':at': e.at },
        },
      },
      {
        Put: {
          TableName: this.#tables.messages,
          Item: {
            pk: `M#${id}`,
            sk: `E#${e.at}#${type}#${randomUUID().slice(0, 8)}`,
            at: e.at,
            type,
            detail: { ...detail, machine: e.machine, ...(e.reason ? { reason: e.reason } : {}), ...(e.ipPseudonym ? { ipPseudonym: e.ipPseudonym } : {}), ...(e.userAgent ? { userAgent: e.userAgent } : {}) },
            expiresAt: e.expiresAt,
          },
        },
      },
    ];
    const engagement = recipientId && !e.machine ? { Update: engagementUpdate(this.#tables.messages, recipientId, kind === 'Open' ? 'lastOpenedAt' : 'lastClickedAt', e.at) } : undefined;
    try {
      await this.#db.send(new TransactWriteCommand({ TransactItems: engagement ? [...items, engagement] : items }));
      return true;
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (reasons?.[0] === 'ConditionalCheckFailed') return false;
      // Only the engagement stood in the way (a later one is there, or the person's open of another mail was being
      // written at the same moment): the count and the event stand without it.
      if (!engagement || reasons?.[0] !== 'None' || reasons[1] !== 'None' || !['ConditionalCheckFailed', 'TransactionConflict'].includes(reasons[2] ?? '')) throw err;
      return this.#recordEngagement(id, kind, e, detail, undefined);
    }
  }

  /** The message's click events from `since` on (ISO), oldest first: link, time, and whether counted as machine. */
  async clicksSince(id: string, since: string): Promise<Array<{ key: { pk: string; sk: string }; linkIndex: number; at: string; machine: boolean }>> {
    const items = await queryAll(this.#db, {
      TableName: this.#tables.messages,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      FilterExpression: '#type = :click',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':pk': `M#${id}`, ':from': `E#${since}`, ':to': 'E#~', ':click': 'click' },
      ConsistentRead: true,
    });
    return items.map((i) => {
      const detail = (i.detail ?? {}) as { linkIndex?: number; machine?: boolean };
      return { key: { pk: String(i.pk), sk: String(i.sk) }, linkIndex: Number(detail.linkIndex ?? -1), at: String(i.at), machine: detail.machine === true };
    });
  }

  /**
   * Counts a click counted human again as machine (`reason`): true if this call changed it. Conditional on the event
   * still being human, so two requests that both see the same burst move each click once.
   */
  async reclassifyClick(id: string, key: { pk: string; sk: string }, reason: string): Promise<{ changed: boolean; noHumanLeft: boolean; firstHumanClickAt?: string }> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tables.messages,
          Key: key,
          UpdateExpression: 'SET detail.machine = :t, detail.reason = :r',
          ConditionExpression: 'attribute_exists(pk) AND detail.machine = :f',
          ExpressionAttributeValues: { ':t': true, ':f': false, ':r': reason },
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) return { changed: false, noHumanLeft: false };
      throw e;
    }
    const out = await this.#db.send(
      new UpdateCommand({
        TableName: this.#tables.messages,
        Key: recordKey(id),
        UpdateExpression: 'ADD humanClicks :minus, machineClicks :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1, ':minus': -1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const human = Number(out.Attributes?.humanClicks ?? 0);
    if (human > 0 || out.Attributes?.firstHumanClickAt === undefined) return { changed: true, noHumanLeft: false };
    // The last human click was a machine after all: the message no longer counts as clicked by a person.
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tables.messages,
          Key: recordKey(id),
          UpdateExpression: 'REMOVE firstHumanClickAt',
          ConditionExpression: 'humanClicks = :zero AND firstHumanClickAt = :first',
          ExpressionAttributeValues: { ':zero': 0, ':first': out.Attributes.firstHumanClickAt },
        }),
      );
      return { changed: true, noHumanLeft: true, firstHumanClickAt: String(out.Attributes.firstHumanClickAt) };
    } catch (e) {
      if (isConditionFailure(e)) return { changed: true, noHumanLeft: false };
      throw e;
    }
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
    const item = items.find((i) => i.sk === 'MSG');
    if (!item) return undefined;
    // The API's record: its links resolved, where they are kept left out.
    const stored = this.#toRecord(item, items.filter((i) => typeof i.sk === 'string' && i.sk.startsWith('E#')));
    const { linkSet, ownLinks: _own, expiresAt: _exp, deadLetteredAt: _dead, ...record } = stored;
    if (record.links || !linkSet) return record;
    return { ...record, links: (await this.sentLinks(stored)).map((l) => l ?? '') };
  }

  /**
   * Records one SES feedback event on the message. The event item's key derives from the event, so a duplicate
   * finds it and returns `duplicate: true`; the delivery status only moves forward by rank, so a reordered event
   * cannot undo a later one, and a duplicate finishes what a delivery that died after the event item left undone.
   */
  async recordFeedback(
    id: string,
    f: {
      readonly kind: string;
      readonly rank: number;
      readonly eventKey: string;
      readonly at: string;
      readonly detail: Record<string, string>;
      readonly expiresAt: number;
      /** The message's class and series, on the item: the messages stream counts the event from them (domain/message-figures.ts). */
      readonly counted?: Pick<MessageRecord, 'class' | 'topic' | 'campaignId' | 'variant'>;
    },
  ): Promise<{ duplicate: boolean; gone?: true }> {
    let duplicate = false;
    try {
      // On the condition that the record exists: an erasure (which deletes the record first) racing a bounce finds
      // every event item the record had when it queries the partition, and none comes after it.
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tables.messages,
                Item: {
                  pk: `M#${id}`,
                  sk: `E#${f.at}#${f.kind}#${createHash('sha256').update(f.eventKey).digest('base64url').slice(0, 12)}`,
                  at: f.at,
                  type: f.kind,
                  detail: f.detail,
                  expiresAt: f.expiresAt,
                  ...f.counted,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            recordExists(this.#tables.messages, id),
          ],
        }),
      );
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (reasons?.[0] === 'ConditionalCheckFailed') duplicate = true;
      else if (reasons?.[1] === 'ConditionalCheckFailed') return { duplicate, gone: true };
      else throw e;
    }
    // Also for a duplicate: the delivery before may have died between its event item and this (forward-only by rank,
    // so applying it again changes nothing). Rank 0 (a not-spam report) is no state of the message.
    if (f.rank <= 0) return { duplicate };
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tables.messages,
          Key: recordKey(id),
          UpdateExpression: 'SET deliveryStatus = :k, deliveryRank = :r, deliveryAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(deliveryRank) OR deliveryRank < :r)',
          ExpressionAttributeValues: { ':k': f.kind, ':r': f.rank, ':at': f.at },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    return { duplicate };
  }

  /**
   * Records SES's `Delivery` on the message in one conditional write, without an event item of its own: `deliveredAt`
   * is set once, so a duplicate finds it and changes nothing; the delivery status moves forward by rank only. A
   * delivery reordered after a later state (a bounce after delivery, arriving first) still sets `deliveredAt`, in a
   * second write. Setting `deliveredAt` is what the messages stream counts as the delivery.
   */
  async recordDelivery(id: string, at: string, rank: number): Promise<{ readonly outcome: 'applied' | 'duplicate' | 'unknown_message' }> {
    const attempt = async (moveStatus: boolean) =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#tables.messages,
          Key: recordKey(id),
          UpdateExpression: moveStatus ? 'SET deliveredAt = :at, deliveryStatus = :k, deliveryRank = :r, deliveryAt = :at' : 'SET deliveredAt = :at',
          ConditionExpression: moveStatus
            ? 'attribute_exists(pk) AND attribute_not_exists(deliveredAt) AND (attribute_not_exists(deliveryRank) OR deliveryRank < :r)'
            : 'attribute_exists(pk) AND attribute_not_exists(deliveredAt)',
          ExpressionAttributeValues: moveStatus ? { ':at': at, ':k': 'delivered', ':r': rank } : { ':at': at },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    for (const moveStatus of [true, false]) {
      try {
        await attempt(moveStatus);
        return { outcome: 'applied' };
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        const old = (e as { Item?: Record<string, NativeAttributeValue> }).Item;
        if (!old) return { outcome: 'unknown_message' };
        const item = unmarshall(old as never);
        if (item.deliveredAt !== undefined) return { outcome: 'duplicate' };
        // A later state is recorded already: only the delivery itself is still owed.
      }
    }
    return { outcome: 'duplicate' };
  }

  /** Ids of a recipient's messages in gsi1 (all but campaign messages since issue 17), oldest first. */
  async idsByRecipient(recipientId: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const out = await this.#db.send(
        new QueryCommand({
          TableName: this.#tables.messages,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :r',
          ExpressionAttributeValues: { ':r': `R#${recipientId}` },
          // The index holds keys only (lambdas/wiring/tables.ts): the id is the record's partition key, `M#<id>`.
          ProjectionExpression: 'pk',
          ExclusiveStartKey: cursor,
        }),
      );
      ids.push(...(out.Items ?? []).map((i) => String(i.pk).slice(2)));
      cursor = out.LastEvaluatedKey;
    } while (cursor);
    return ids;
  }

  /** Which of these message ids have a `failed` record: SES refused or throttled them, nothing went out (100 a call). */
  async failedOf(ids: readonly string[]): Promise<string[]> {
    const items = await batchGetAll(this.#db, this.#tables.messages, ids.map(recordKey));
    return items.filter((i) => i.status === 'failed').map((i) => String(i.pk).slice(2));
  }

  /** The records of these message ids that exist, by id (consistent, 100 a call). */
  async records(ids: readonly string[]): Promise<Map<string, StoredMessageRecord>> {
    const items = await batchGetAll(this.#db, this.#tables.messages, ids.map(recordKey));
    return new Map(items.map((i) => [String(i.pk).slice(2), this.#toRecord(i, [])]));
  }

  /** Which of these message ids have a record (keys only, 100 a call). */
  async existing(ids: readonly string[]): Promise<string[]> {
    const items = await batchGetAll(this.#db, this.#tables.messages, ids.map(recordKey), 'pk');
    return items.map((i) => String(i.pk).slice(2));
  }

  /**
   * Deletes a message record and all its events; returns how many items went. The record goes first: an open or
   * click landing meanwhile finds no record and its transaction (count and raw event) is cancelled (`#recordEngagement`).
   */
  async deleteMessage(id: string, forgetFeedback?: (events: ReadonlyArray<{ readonly at: string; readonly type: string }>) => Promise<number>): Promise<number> {
    const out = await this.#db.send(new DeleteCommand({ TableName: this.#tables.messages, Key: recordKey(id), ReturnValues: 'ALL_OLD' }));
    let forgotten = 0;
    if (forgetFeedback) {
      // Told its events' times and kinds (where the recent-feedback list has its bounces and complaints) before those
      // items go: an erasure stopped in between finds them again.
      const events = await queryAll(this.#db, {
        TableName: this.#tables.messages,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
        ExpressionAttributeNames: { '#at': 'at', '#type': 'type' },
        ExpressionAttributeValues: { ':pk': `M#${id}`, ':e': 'E#' },
        ProjectionExpression: '#at, #type',
        ConsistentRead: true,
      });
      forgotten = await forgetFeedback(events.map((e) => ({ at: String(e.at), type: String(e.type) })));
    }
    return (out.Attributes ? 1 : 0) + forgotten + (await deletePartition(this.#db, this.#tables.messages, `M#${id}`));
  }

  /**
   * Erasure: the message ids it is about to delete, kept with the person (`R#recipient / ERASING#n`, gone with the
   * engagement item at the end): an erasure that stopped after a message's record went, through which it found the
   * message, finds the rest of that message again when repeated.
   */
  async rememberErasing(recipientId: string, ids: readonly string[]): Promise<void> {
    const items = groupsOf(ids, ERASING_IDS_PER_ITEM).map((group, n) => ({ pk: `R#${recipientId}`, sk: `ERASING#${n}`, ids: group }));
    await batchWriteAll(this.#db, items.map((Item) => ({ table: this.#tables.messages, request: { PutRequest: { Item } } })));
  }

  /** The ids an earlier, unfinished erasure of the person remembered (`rememberErasing`). */
  async erasingIds(recipientId: string): Promise<string[]> {
    const items = await queryAll(this.#db, {
      TableName: this.#tables.messages,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':pk': `R#${recipientId}`, ':e': 'ERASING#' },
      ConsistentRead: true,
    });
    return items.flatMap((i) => (Array.isArray(i.ids) ? i.ids.map(String) : []));
  }

  /**
   * Adds to the day's counters (`{ sent_service: 1 }`): always the `ALL` series, and the topic's and the campaign's
   * series when `dims` names them.
   */
  async count(at: string, figures: Readonly<Record<string, number>>, dims: CounterDims = {}): Promise<void> {
    if (Object.keys(figures).length === 0) return;
    await Promise.all(counterKeys(at, dims).map((key) => this.#db.send(new UpdateCommand(counterUpdate(this.#tables.counters, key, figures)))));
    this.#onCount?.(figures);
  }

  /**
   * Adds one part of a stream batch's figures (domain/message-figures.ts `nextPart`: each series-day once, summed, and
   * each campaign's progress from the recipients the part settled) in
   * one transaction with the part's marker `FIGURES#<event id>` (services/message-figures.ts), which says which record the part ran
   * through and expires after the stream's retention. The marker's condition makes a redelivered part change nothing:
   * `{ written: false, through }` then tells the caller how far the part that was written before went. Every item goes
   * to one shard of its series (random), as {@link count} does.
   */
  async addFigures(
    marker: { readonly id: string; readonly through: string; readonly expiresAt: number },
    sums: readonly SeriesDay[],
    progress: readonly CampaignProgress[] = [],
    shard = Math.floor(Math.random() * COUNTER_SHARDS),
  ): Promise<{ readonly written: true } | { readonly written: false; readonly through: string | undefined }> {
    const key = { pk: `FIGURES#${marker.id}`, sk: 'PART' };
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tables.counters,
                Item: { ...key, through: marker.through, expiresAt: marker.expiresAt },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...sums.map((s) => ({ Update: counterUpdate(this.#tables.counters, { pk: counterPk(s.series, shard), sk: `D#${s.day}` }, s.figures) })),
            ...progress.map((p) => progressAdd(this.#tables.campaigns, p.campaign, shard % PROGRESS_SHARDS, p.figures)),
          ],
        }),
      );
    } catch (e) {
      if (cancellationReasons(e)?.[0] !== 'ConditionalCheckFailed') throw e;
      const found = await this.#db.send(new GetCommand({ TableName: this.#tables.counters, Key: key, ConsistentRead: true }));
      return { written: false, through: typeof found.Item?.through === 'string' ? found.Item.through : undefined };
    }
    const all = sums.filter((s) => s.series === 'ALL').reduce<Record<string, number>>((sum, s) => addFigures(sum, s.figures), {});
    if (Object.keys(all).length) this.#onCount?.(all);
    return { written: true };
  }

  /** The counters of one day of one series (`ALL`, `T#topic`, `C#campaign`), summed over its shards (one BatchGetItem). */
  async dayCounters(day: string, series = 'ALL'): Promise<Record<string, number>> {
    const items = await batchGetAll(this.#db, this.#tables.counters, counterShardPks(series).map((pk) => ({ pk, sk: `D#${day}` })));
    let sum: Record<string, number> = {};
    for (const { pk: _pk, sk: _sk, ...figures } of items) sum = addFigures(sum, figures);
    return sum;
  }

  /**
   * Every day of one series from `fromDay` to `toDay` (inclusive, `yyyy-mm-dd`), oldest first, summed over its shards
   * (one Query per shard, in parallel); days with nothing are absent.
   */
  /** `consistent`: reads every write that answered before (the auto-pause judges the batch it just counted). */
  async counterSeries(series: string, fromDay: string, toDay: string, consistent = false): Promise<Array<{ day: string; figures: Record<string, number> }>> {
    const byDay = new Map<string, Record<string, number>>();
    const shards = await Promise.all(
      counterShardPks(series).map((pk) =>
        queryAll(this.#db, {
          TableName: this.#tables.counters,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': `D#${fromDay}`, ':to': `D#${toDay}` },
          ...(consistent ? { ConsistentRead: true } : {}),
        }),
      ),
    );
    for (const items of shards) {
      for (const { pk: _pk, sk, ...figures } of items) {
        const day = String(sk).slice(2);
        byDay.set(day, addFigures(byDay.get(day) ?? {}, figures));
      }
    }
    return [...byDay.keys()].sort().map((day) => ({ day, figures: byDay.get(day)! }));
  }

  /**
   * Sets `fields` on the record if it is `was` and its failure is not final (dead-lettered): every move of a record's
   * status goes through here, so a final outcome stays final, and a record an erasure deleted meanwhile is not written
   * back (without its expiry, it would stay for good; what went out needs no record then). The record's expiry when
   * this call moved it (asked for with `withExpiry`: a failure's event takes it), undefined when it did not.
   */
  async #moveFrom(id: string, was: string, fields: Record<string, unknown>, withExpiry = false): Promise<{ readonly expiresAt?: number } | undefined> {
    const set = setExpression(fields);
    try {
      // The record comes back only when asked: not on every send's `markSent`.
      const out = await this.#db.send(
        new UpdateCommand({
          TableName: this.#tables.messages,
          Key: recordKey(id),
          ...set,
          ConditionExpression: '#was = :was AND attribute_not_exists(#dead)',
          ExpressionAttributeNames: { ...set.ExpressionAttributeNames, '#was': 'status', '#dead': 'deadLetteredAt' },
          ExpressionAttributeValues: { ...set.ExpressionAttributeValues, ':was': was },
          ...(withExpiry ? { ReturnValues: 'ALL_NEW' as const } : {}),
        }),
      );
      return { ...(typeof out.Attributes?.expiresAt === 'number' ? { expiresAt: out.Attributes.expiresAt } : {}) };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      return undefined;
    }
  }

  #toRecord(item: Record<string, unknown>, events: Record<string, unknown>[]): StoredMessageRecord {
    return project<StoredMessageRecord>(
      { ...item, events: events.map((e) => ({ at: e.at, type: e.type, ...(e.detail ? { detail: e.detail } : {}) })) },
      STORED_MESSAGE_FIELDS,
    );
  }
}

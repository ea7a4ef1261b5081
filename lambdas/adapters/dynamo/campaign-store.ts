/**
 * Campaigns and everything that keeps their delivery exactly-once, in the campaigns table:
 *
 * | item                          | what                                                                        |
 * |-------------------------------|-----------------------------------------------------------------------------|
 * | `C#id / CAMPAIGN`             | the campaign, its status and its launch state (cursor, audience found)     |
 * | `C#id / P#n`                  | progress shard n (sent, held_<reason>, failed, excluded, holdout, settled;  |
 * |                               | per A/B variant `V#<variant>#<figure>`)                                     |
 * | `C#id / X#batchId`            | a batch's recipients settled without a message record (excluded, gone)      |
 * | `C#id / PARK#batchId`         | a batch set aside while the campaign is paused                               |
 * | `C#id / RATE#epochSecond`     | the send-rate window of one second (expires by TTL)                         |
 * | `C#id / AUDIT#at#action`      | who launched, paused, resumed, cancelled it, and why                        |
 * | `C#id / WAIT#kind#until`      | recipients waiting for one moment (local time, quiet hours' end)            |
 * | `C#id / PAGE#n`               | the launcher's page n as first read, until the launch moved past it         |
 * | `SCHEDULE / sendAt#id`        | a scheduled launch, found by the minute sweep                               |
 * | `ACTIVE / id`                 | a sending or paused campaign, checked by the sweep for a stalled launch     |
 *
 * Progress is sharded so concurrent senders settling batches rarely touch the same item in their transactions.
 */
import { decodeCursor, encodeCursor } from '../../domain/cursor.ts';
import { createHash } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type Db,
} from './db.ts';
import { SendwellError } from '../../domain/errors.ts';
import type { CampaignAction, CampaignCounters, CampaignStatus, SendBatch } from '../../domain/campaign.ts';
import { ALLOWED_FROM } from '../../domain/campaign.ts';
import type { Campaign } from '../../schemas/model.ts';
import type { SegmentRule } from '../../domain/segments.ts';
import { cancellationReasons, isConditionFailure, queryAll, setExpression, type TableNames } from './tables.ts';
import { progressAdd, PROGRESS_SHARDS } from './campaign-progress.ts';
import { progressFigures, VARIANT_PREFIX, type SettledRecipient } from '../../domain/campaign-outcome.ts';

/** The campaign as stored: its fields without progress, plus the launch state only the engine reads. */
export type StoredCampaign = Omit<Campaign, 'progress'> & {
  /** Recipients the launcher found in the audience index so far (the `audience` figure of the progress). */
  readonly found: number;
  readonly audienceComplete: boolean;
  /** Pages of the audience queued so far: the page number the next launcher run writes. */
  readonly page: number;
  /** Where the next audience page starts (a DynamoDB key, with the shard for an everyone audience). */
  readonly cursor?: Record<string, unknown>;
  /** Last time a launcher advanced (or started); the sweep restarts a launch that has not for a while. */
  readonly launcherAt?: string;
  /** Milliseconds spent paused before the current pause (for the rate). */
  readonly pausedMs: number;
  /** The segment's rules, read when the campaign was launched: who is in it does not change mid-campaign. */
  readonly segmentRules?: SegmentRule;
};

/** A batch's outcome for one recipient, as it settles it. */
export type SettleEntry = SettledRecipient & {
  /**
   * The recipient's message record, when they have one: counted from its change on the messages stream
   * (domain/message-figures.ts `settledOfChange`) when it becomes final, never by the batch.
   */
  readonly messageId?: string;
  /**
   * With `messageId`: the recipient is gone (erased) and so is any record of theirs. Counted once through the
   * campaign's mark of that message (`G#<hash>`), which the erasure also puts for every record of theirs it made final
   * (and so counted) before deleting it.
   */
  readonly gone?: true;
};

/** How long a launcher's page is kept if it is not dropped: far beyond any launch, which advances a page in seconds. */
const LAUNCH_PAGE_DAYS = 1;

/** A page of a campaign's audience as the launcher queues it, and the cursor after it. */
export interface LaunchPage {
  readonly ids: string[];
  readonly next?: Record<string, unknown>;
}
const campaignKey = (id: string) => ({ pk: `C#${id}`, sk: 'CAMPAIGN' });
/** The mark of a gone recipient's campaign message: the message id hashed (it embeds the erased person's id). */
const goneKey = (campaignId: string, messageId: string) => ({ pk: `C#${campaignId}`, sk: `G#${createHash('sha256').update(messageId).digest('base64url').slice(0, 22)}` });
const shardOf = (batchId: string) => createHash('sha256').update(batchId).digest()[0]! % PROGRESS_SHARDS;
/** The key of a campaign in the list index (gsi1): what a list cursor must hold. */
const LIST_KEY_SHAPE = {
  pk: (v: string) => /^C#cmp_[A-Za-z0-9]{1,40}$/.test(v),
  sk: (v: string) => v === 'CAMPAIGN',
  gsi1pk: (v: string) => v === 'CAMPAIGNS',
  gsi1sk: (v: string) => /^\d{4}-\d{2}-\d{2}T[\d:.]+Z#cmp_[A-Za-z0-9]{1,40}$/.test(v),
};

const KEY_FIELDS = ['pk', 'sk', 'gsi1pk', 'gsi1sk'] as const;

/** A parked batch as {@link CampaignStore.parked} reads it: `parkVersion` is what its unpark names. */
export type ParkedBatch = SendBatch & { attempt?: number; parkVersion?: number };
/** The batch to queue again, without its parking version. */
export const asBatch = ({ parkVersion: _, ...batch }: ParkedBatch): SendBatch & { attempt?: number } => batch;

export class CampaignStore {
  readonly #db: Db;
  readonly #table: string;

  constructor(db: Db, tables: TableNames) {
    this.#db = db;
    this.#table = tables.campaigns;
  }

  async create(c: Omit<StoredCampaign, 'found' | 'audienceComplete' | 'page' | 'pausedMs'>): Promise<void> {
    await this.#db.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...campaignKey(c.id), gsi1pk: 'CAMPAIGNS', gsi1sk: `${c.createdAt}#${c.id}`, ...c, found: 0, audienceComplete: false, page: 0, pausedMs: 0 },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(id: string): Promise<StoredCampaign | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#table, Key: campaignKey(id), ConsistentRead: true }));
    return out.Item ? toStored(out.Item) : undefined;
  }

  /** Every campaign's id, every page (keys only): how erasure and export find a person's campaign messages. */
  async ids(): Promise<string[]> {
    const items = await queryAll(this.#db, {
      TableName: this.#table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :k',
      ExpressionAttributeValues: { ':k': 'CAMPAIGNS' },
      ProjectionExpression: 'pk',
    });
    return items.map((i) => String(i.pk).slice('C#'.length));
  }

  /** Newest first, `limit` at a time; `cursor` is the `next` of the previous page. */
  async list(limit: number, cursor?: string): Promise<{ campaigns: StoredCampaign[]; next?: string }> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :k',
        ExpressionAttributeValues: { ':k': 'CAMPAIGNS' },
        ScanIndexForward: false,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, 'campaigns', LIST_KEY_SHAPE) } : {}),
      }),
    );
    const campaigns = (out.Items ?? []).map(toStored);
    return out.LastEvaluatedKey ? { campaigns, next: encodeCursor('campaigns', out.LastEvaluatedKey as Record<string, string>) } : { campaigns };
  }

  /**
   * Changes a campaign if its status allows `action` (`ALLOWED_FROM`), atomically; otherwise throws `conflict` naming
   * the status it is in (or `not_found`). `extra` transaction items (schedule and active markers, the audit entry)
   * commit with it or not at all. Returns the campaign as it was before.
   */
  async transition(
    id: string,
    action: CampaignAction,
    fields: Readonly<Record<string, unknown>>,
    extra: { put?: Array<Record<string, unknown>>; remove?: Array<{ pk: string; sk: string }>; add?: Readonly<Record<string, number>> } = {},
  ): Promise<StoredCampaign> {
    const before = await this.get(id);
    if (!before) throw new SendwellError('not_found', `No campaign ${id}.`);
    const allowed = ALLOWED_FROM[action];
    if (!allowed.includes(before.status)) throw conflict(action, before.status);
    const done = await this.#changeIf(id, fields, extra.add ?? {}, '#status = :was', { ':was': before.status }, [
      ...(extra.put ?? []).map((Item) => ({ Put: { TableName: this.#table, Item } })),
      ...(extra.remove ?? []).map((Key) => ({ Delete: { TableName: this.#table, Key } })),
    ]);
    if (!done) throw conflict(action, (await this.get(id))?.status ?? before.status);
    return before;
  }

  /** Campaigns whose scheduled time has come (`SCHEDULE` markers up to `now`). */
  async due(now: string): Promise<string[]> {
    return this.#markerIds('SCHEDULE', now);
  }

  /** Campaigns scheduled, whatever their time. */
  async scheduled(): Promise<string[]> {
    return this.#markerIds('SCHEDULE');
  }

  /** Campaigns sending or paused. */
  async active(): Promise<string[]> {
    return this.#markerIds('ACTIVE');
  }

  async #markerIds(pk: string, upTo?: string): Promise<string[]> {
    const items = await queryAll(this.#db, {
      TableName: this.#table,
      KeyConditionExpression: upTo ? 'pk = :pk AND sk <= :to' : 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk, ...(upTo ? { ':to': `${upTo}~` } : {}) },
    });
    return items.map((i) => String(i.campaignId));
  }

  /** The campaign's items of one kind (`P#`, `PARK#`, `RATE#`, `AUDIT#`), consistently, every page. */
  #itemsOf(id: string, prefix: string): Promise<Record<string, unknown>[]> {
    return queryAll(this.#db, {
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': `C#${id}`, ':p': prefix },
      ConsistentRead: true,
    });
  }

  /**
   * Records that the launcher queued page `page` (found `found` recipients) and where the next starts. Conditional
   * on the page number and on the campaign still sending: a second launcher running the same page (a duplicate
   * launch message) loses here and stops. `next` undefined: the audience is complete.
   */
  async advanceLaunch(id: string, page: number, found: number, next: Record<string, unknown> | undefined, at: string): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: campaignKey(id),
          UpdateExpression: `SET #page = :next, #at = :at, #done = :done${next ? ', #cursor = :cursor' : ' REMOVE #cursor'} ADD #found :n`,
          ConditionExpression: '#page = :page AND #status IN (:sending, :paused)',
          ExpressionAttributeNames: { '#status': 'status', '#cursor': 'cursor', '#page': 'page', '#at': 'launcherAt', '#done': 'audienceComplete', '#found': 'found' },
          ExpressionAttributeValues: {
            ':next': page + 1,
            ':page': page,
            ':at': at,
            ':done': next === undefined,
            ':n': found,
            ':sending': 'sending',
            ':paused': 'paused',
            ...(next ? { ':cursor': next } : {}),
          },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /**
   * The launcher's page `page` of the audience: the one stored, or `read` stored now. A launcher that dies after
   * queueing a page's batches and before advancing reads the page again; the audience may have changed meanwhile, and
   * the same batch ids over other people would count some twice and leave others uncounted (the campaign would never
   * complete). So the first read of a page is kept (~15 KB for 500 ids, one write per page) until the launch has moved
   * past it ({@link dropLaunchPage}); a launcher that dies in between leaves it to its TTL, a day.
   */
  async launchPage(id: string, page: number, read: () => Promise<LaunchPage>, at: Date): Promise<LaunchPage | undefined> {
    const key = { pk: `C#${id}`, sk: `PAGE#${page}` };
    const fresh = await read();
    try {
      // Stored only while the launch stands at this page: a launcher that lags behind another (which moved past it
      // and dropped it) must not store, and queue, a page of its own under the same batch ids.
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.#table,
                Key: campaignKey(id),
                ConditionExpression: '#page = :page',
                ExpressionAttributeNames: { '#page': 'page' },
                ExpressionAttributeValues: { ':page': page },
              },
            },
            {
              Put: {
                TableName: this.#table,
                Item: { ...key, ids: fresh.ids, ...(fresh.next ? { next: fresh.next } : {}), expiresAt: Math.floor(at.getTime() / 1000) + LAUNCH_PAGE_DAYS * 86_400 },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return fresh;
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (!reasons) throw e;
      // The launch moved on: this launcher is behind, and stops.
      if (reasons[0] === 'ConditionalCheckFailed') return undefined;
      if (reasons[1] !== 'ConditionalCheckFailed') throw e;
      const kept = (await this.#db.send(new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }))).Item!;
      return { ids: (kept.ids ?? []) as string[], ...(kept.next ? { next: kept.next as Record<string, unknown> } : {}) };
    }
  }

  /** The page the launch has moved past: no launcher reads it again (it holds recipient ids: gone at once, not at its TTL). */
  async dropLaunchPage(id: string, page: number): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: { pk: `C#${id}`, sk: `PAGE#${page}` } }));
  }

  /** Marks a launcher as alive without advancing (it is about to start). */
  async touchLauncher(id: string, at: string): Promise<void> {
    await this.#db.send(new UpdateCommand({ TableName: this.#table, Key: campaignKey(id), ...setExpression({ launcherAt: at }) }));
  }

  /**
   * Counts the recipients a batch settled without a message record exactly once; returns what was counted now (the
   * caller adds it to the day's figures). Those with a record are left out: the messages stream counts them when the
   * record becomes final. One transaction adds to the batch's progress shard and puts:
   *
   * - the batch's marker (`X#<batch>`), which a later delivery of the batch finds: it then counts nothing (all of them
   *   were counted by the delivery that put it, as excluded, holdout or gone);
   * - for each one gone (erased), the mark of their message (`G#<hash>`, see {@link markGone}): one whose record the
   *   erasure counted, or another batch met gone first, is dropped and the rest tried again.
   */
  async settle(campaignId: string, batchId: string, entries: readonly SettleEntry[], at: string): Promise<SettleEntry[]> {
    let pending = entries.filter((e) => e.messageId === undefined || e.gone);
    for (let attempt = 0; pending.length > 0; attempt++) {
      const gone = pending.filter((e) => e.gone);
      const items = [
        { Put: { TableName: this.#table, Item: { pk: `C#${campaignId}`, sk: `X#${batchId}`, count: pending.length, at }, ConditionExpression: 'attribute_not_exists(pk)' } },
        ...gone.map((e) => ({ Put: { TableName: this.#table, Item: { ...goneKey(campaignId, e.messageId!), at }, ConditionExpression: 'attribute_not_exists(pk)' } })),
        progressAdd(this.#table, campaignId, shardOf(batchId), progressFigures(pending)),
      ];
      try {
        await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
        return pending;
      } catch (e) {
        const reasons = cancellationReasons(e);
        if (!reasons || attempt >= 12) throw e;
        // Counted by another delivery of the batch.
        if (reasons[0] === 'ConditionalCheckFailed') return [];
        const marked = new Set(gone.flatMap((g, i) => (reasons[i + 1] === 'ConditionalCheckFailed' ? [g] : [])));
        if (marked.size) pending = pending.filter((p) => !marked.has(p));
        // A concurrent transaction on the same progress shard: try again after a short, jittered wait.
        else await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** Math.min(attempt, 6)));
      }
    }
    return [];
  }

  /**
   * Marks a campaign message whose record an erasure made final (so the messages stream counted it) before deleting
   * it: a batch that meets the recipient gone later counts nothing more for them. Putting it again changes nothing.
   */
  async markGone(campaignId: string, messageId: string, at: string): Promise<void> {
    await this.#db.send(new PutCommand({ TableName: this.#table, Item: { ...goneKey(campaignId, messageId), at } }));
  }

  /** The settled counters: what the launcher found and what the senders settled, summed over the shards. */
  async counters(c: StoredCampaign): Promise<CampaignCounters & { settled: number }> {
    const sum: Record<string, number> = {};
    for (const { pk: _pk, sk: _sk, ...figures } of await this.#itemsOf(c.id, 'P#')) {
      for (const [k, v] of Object.entries(figures)) sum[k] = (sum[k] ?? 0) + Number(v);
    }
    const held = Object.fromEntries(Object.entries(sum).filter(([k]) => k.startsWith('held_')).map(([k, v]) => [k.slice(5), v]));
    return {
      audience: c.found,
      audienceComplete: c.audienceComplete,
      excluded: sum.excluded ?? 0,
      sent: sum.sent ?? 0,
      failed: sum.failed ?? 0,
      held,
      late: sum.late ?? 0,
      settled: sum.settled ?? 0,
      ...(sum.holdout ? { holdout: sum.holdout } : {}),
      ...(c.variants ? { variants: variantCounters(sum) } : {}),
    };
  }

  /**
   * Records an A/B test's winner, once: false if the campaign already has a decision (another sweep, or a person,
   * decided first) or is not sending or paused.
   */
  async decide(id: string, decision: { variant: string; reason: string; at: string; by?: string }): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: campaignKey(id),
          UpdateExpression: 'SET #decision = :d, #updated = :at',
          ConditionExpression: 'attribute_not_exists(#decision) AND #status IN (:sending, :paused)',
          ExpressionAttributeNames: { '#decision': 'decision', '#updated': 'updatedAt', '#status': 'status' },
          ExpressionAttributeValues: { ':d': decision, ':at': decision.at, ':sending': 'sending', ':paused': 'paused' },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /** The campaign's wait items: how many recipients wait for which moment (see `waitingCounts`). */
  async waits(id: string): Promise<Array<{ deferral: string; until: string; n: number }>> {
    return (await this.#itemsOf(id, 'WAIT#')).map((i) => ({ deferral: String(i.deferral), until: String(i.until), n: Number(i.n ?? 0) }));
  }

  /** `sending` → `completed` once the whole audience is found and settled; true if this call completed it. */
  async completeIfDone(id: string, at: string): Promise<boolean> {
    const c = await this.get(id);
    if (!c || c.status !== 'sending' || !c.audienceComplete) return false;
    const { settled } = await this.counters(c);
    if (settled < c.found) return false;
    return this.#changeIf(id, { status: 'completed', completedAt: at, updatedAt: at }, {}, '#status = :sending AND audienceComplete = :t', { ':sending': 'sending', ':t': true }, [
      { Delete: { TableName: this.#table, Key: { pk: 'ACTIVE', sk: id } } },
    ]);
  }

  /**
   * Sets `fields` (and adds `add`) on the campaign if `condition` holds, with `items` in the same transaction; a field
   * given as `null` is removed (a draft's A/B test, audience or schedule taken back). False when the condition did not
   * hold (nothing was written).
   */
  async #changeIf(
    id: string,
    fields: Readonly<Record<string, unknown>>,
    add: Readonly<Record<string, number>>,
    condition: string,
    values: Readonly<Record<string, unknown>>,
    items: ReadonlyArray<Record<string, unknown>>,
  ): Promise<boolean> {
    const remove = Object.keys(fields).filter((k) => fields[k] === null);
    const set = setExpression(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null)));
    const adds = Object.entries(add);
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.#table,
                Key: campaignKey(id),
                UpdateExpression:
                  set.UpdateExpression +
                  (adds.length ? ` ADD ${adds.map((_, i) => `#a${i} :a${i}`).join(', ')}` : '') +
                  (remove.length ? ` REMOVE ${remove.map((_, i) => `#r${i}`).join(', ')}` : ''),
                ConditionExpression: condition,
                ExpressionAttributeNames: {
                  ...set.ExpressionAttributeNames,
                  '#status': 'status',
                  ...Object.fromEntries(adds.map(([k], i) => [`#a${i}`, k])),
                  ...Object.fromEntries(remove.map((k, i) => [`#r${i}`, k])),
                },
                ExpressionAttributeValues: { ...set.ExpressionAttributeValues, ...values, ...Object.fromEntries(adds.map(([, n], i) => [`:a${i}`, n])) },
              },
            },
            ...items,
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
   * Takes up to `want` sends from the campaign's budget for one window (`limit` a window; a second, or 1/rate seconds
   * below one mail a second), numbered `window`, ending at `endsAtMs`. Returns how many were granted (0: this window
   * is spent; wait for the next one). The window's item expires an hour after the window ends (TTL, epoch seconds).
   */
  async takeSendTokens(id: string, window: number, want: number, limit: number, endsAtMs: number = (window + 1) * 1000): Promise<number> {
    const n = Math.min(want, limit);
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: `C#${id}`, sk: `RATE#${window}` },
          UpdateExpression: 'ADD #used :n SET #exp = :exp',
          ConditionExpression: 'attribute_not_exists(#used) OR #used <= :max',
          ExpressionAttributeNames: { '#used': 'used', '#exp': 'expiresAt' },
          ExpressionAttributeValues: { ':n': n, ':max': limit - n, ':exp': Math.ceil(endsAtMs / 1000) + 3600 },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return n;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      // Fewer left than asked for: ask again for what the failed condition saw left (another sender may take it first).
      const raw = (e as { Item?: { used?: number | { N?: string } } }).Item?.used;
      const used = typeof raw === 'number' ? raw : raw?.N !== undefined ? Number(raw.N) : undefined;
      const left = used === undefined ? Math.min(1, n - 1) : Math.min(n - 1, limit - used);
      return left >= 1 ? this.takeSendTokens(id, window, left, limit, endsAtMs) : 0;
    }
  }

  /** The per-second windows used so far (for tests and the bench: proof the rate was kept). */
  async rateWindows(id: string): Promise<Array<{ second: number; used: number }>> {
    return (await this.#itemsOf(id, 'RATE#')).map((i) => ({ second: Number(String(i.sk).slice(5)), used: Number(i.used) }));
  }

  /**
   * Sets a batch aside while its campaign is paused (or waits for an A/B winner). Two deliveries of one batch may park
   * different remainders under one key: the recipients are added to a set, so neither loses the other's, and every
   * park moves the item's `version`, so an unpark that read an older one leaves it (for the next resume or sweep).
   */
  async park(batch: SendBatch & { attempt?: number }): Promise<void> {
    if (batch.recipientIds.length === 0) return;
    await this.#db.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: `C#${batch.campaignId}`, sk: `PARK#${batch.batchId}` },
        UpdateExpression: 'SET #batch = if_not_exists(#batch, :batch) ADD #ids :ids, #version :one',
        ExpressionAttributeNames: { '#batch': 'batch', '#ids': 'ids', '#version': 'version' },
        ExpressionAttributeValues: { ':batch': batch, ':ids': new Set(batch.recipientIds), ':one': 1 },
      }),
    );
  }

  /** The parked batches, each with every recipient parked under its key and the `parkVersion` its unpark names. */
  async parked(id: string): Promise<ParkedBatch[]> {
    return (await this.#itemsOf(id, 'PARK#')).map((i) => {
      const batch = i.batch as SendBatch & { attempt?: number };
      // The first park's list is in the set too; an item parked before sets were used has only the list.
      const ids = [...new Set([...batch.recipientIds, ...(i.ids instanceof Set ? (i.ids as Set<string>) : [])])].sort();
      return { ...batch, recipientIds: ids, ...(typeof i.version === 'number' ? { parkVersion: i.version } : {}) };
    });
  }

  /** Deletes a parked batch, unless it was parked again since `parkVersion` was read (then it stays for the next look). */
  async unpark(campaignId: string, batchId: string, parkVersion?: number): Promise<void> {
    try {
      await this.#db.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: { pk: `C#${campaignId}`, sk: `PARK#${batchId}` },
          ...(parkVersion !== undefined ? { ConditionExpression: '#version = :v', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':v': parkVersion } } : {}),
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  /** The audit trail of a campaign's lifecycle actions, oldest first. */
  async audit(id: string): Promise<Array<{ at: string; action: string; actor: string; reason?: string }>> {
    return (await this.#itemsOf(id, 'AUDIT#')).map(({ pk: _pk, sk: _sk, ...entry }) => entry as { at: string; action: string; actor: string; reason?: string });
  }
}

/** The extra items of a lifecycle transition. */
export const markers = {
  schedule: (id: string, sendAt: string) => ({ pk: 'SCHEDULE', sk: `${sendAt}#${id}`, campaignId: id }),
  active: (id: string) => ({ pk: 'ACTIVE', sk: id, campaignId: id }),
  activeKey: (id: string) => ({ pk: 'ACTIVE', sk: id }),
  scheduleKey: (id: string, sendAt: string) => ({ pk: 'SCHEDULE', sk: `${sendAt}#${id}` }),
  audit: (id: string, at: string, action: string, actor: string, reason?: string) => ({
    pk: `C#${id}`,
    sk: `AUDIT#${at}#${action}`,
    at,
    action,
    actor,
    ...(reason ? { reason } : {}),
  }),
};

function variantCounters(sum: Readonly<Record<string, number>>): Record<string, { sent: number; failed: number; held: number }> {
  const out: Record<string, { sent: number; failed: number; held: number }> = {};
  for (const [k, n] of Object.entries(sum)) {
    if (!k.startsWith(VARIANT_PREFIX)) continue;
    const [, variant, figure] = k.split('#') as [string, string, string];
    const v = (out[variant] ??= { sent: 0, failed: 0, held: 0 });
    if (figure === 'sent') v.sent += n;
    else if (figure === 'failed') v.failed += n;
    else if (figure.startsWith('held_')) v.held += n;
  }
  return out;
}

function conflict(action: CampaignAction, status: CampaignStatus): SendwellError {
  return new SendwellError('conflict', `Cannot ${action} a campaign that is ${status}.`, [
    { path: 'status', message: `${action} needs one of: ${ALLOWED_FROM[action].join(', ')}` },
  ]);
}

function toStored(item: Record<string, unknown>): StoredCampaign {
  const rest: Record<string, unknown> = { ...item };
  for (const f of KEY_FIELDS) delete rest[f];
  return rest as unknown as StoredCampaign;
}


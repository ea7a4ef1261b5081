/**
 * Recipients, their topic consents and the consent ledger. Every change of consent is written in one
 * TransactWriteItems with its ledger entries, so there is never a change without its proof, nor proof of a change
 * that did not happen.
 *
 * Layout (recipients table): `R#id / PROFILE` the person; `R#id / C#topic` one consent, in the sparse gsi2
 * (`T#topic#opted_in`) while opted in, which is a topic's audience; `A#addressHash / CLAIM` makes an address
 * unique and finds its recipient with a consistent read. Ledger table: `R#id / <iso time>#<random>`.
 */
import { decodeCursor, encodeCursor } from '../../domain/cursor.ts';
import { createHash, randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, TransactWriteCommand, type Db } from './db.ts';
import { SendwellError } from '../../domain/errors.ts';
import type { ConsentStatus } from '../../domain/decide.ts';
import type { ConsentSource } from '../../schemas/fields.ts';
import type { LedgerEntry } from '../../schemas/stored.ts';
import { LEDGER_FIELDS, project } from './stored-fields.ts';
import { batchGetAll, batchWriteAll, cancellationReasons, deletePartition, groupsOf, inLanes, setExpression, type TableNames } from './tables.ts';

export interface StoredProfile {
  readonly id: string;
  /** As typed, with the domain in canonical form: what goes in `To`. */
  readonly email: string;
  /** Canonical (lower-cased) address. */
  readonly address: string;
  readonly addressHash: string;
  readonly externalId?: string;
  readonly country?: string;
  readonly locale?: string;
  /** IANA zone the recipient gave (absent: derived from the country, else the stage default). */
  readonly timeZone?: string;
  readonly attributes: Record<string, unknown>;
  /** Last human open and click (kept in the messages table, `MessageStore.engagements`; merged in where segments read them). */
  readonly lastOpenedAt?: string;
  readonly lastClickedAt?: string;
  readonly unsubscribedAll: boolean;
  readonly tracking?: boolean;
  readonly doNotSell?: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface StoredConsent {
  readonly topic: string;
  readonly status: ConsentStatus;
  readonly updatedAt: string;
  readonly confirmedAt?: string;
  readonly source: ConsentSource;
}

export interface RecipientAggregate {
  readonly profile: StoredProfile;
  readonly consents: Readonly<Record<string, StoredConsent>>;
}

/** One consent to write: `previous` is the status read before (undefined: none), checked so no change is lost. */
export interface ConsentWrite {
  readonly next: StoredConsent;
  readonly previous: ConsentStatus | undefined;
}

export interface RecipientChange {
  readonly consents?: readonly ConsentWrite[];
  /** Profile fields to set; `updatedAt` is always set. */
  readonly profile?: Partial<Omit<StoredProfile, 'id' | 'address' | 'addressHash' | 'createdAt'>>;
  /**
   * The values the change was decided on, of the profile's switches it sets (`undefined`: unset): one that changed
   * since makes the whole change fail with `conflict`, as a consent's status does.
   */
  readonly profileWas?: Partial<Record<'unsubscribedAll' | 'tracking' | 'doNotSell', boolean | undefined>>;
  /**
   * Attributes to set (a value) or take away (`null`), each in place in the profile's map: two changes at once of
   * different attributes both stay (a merged map written back would keep only the later one's).
   */
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly ledger: readonly LedgerEntry[];
  readonly at: string;
}

const profileKey = (id: string) => ({ pk: `R#${id}`, sk: 'PROFILE' });

/** A ledger entry's sort key (`<at>#<index>#<random>`): what a ledger cursor must hold (the recipient is the path's). */
const LEDGER_KEY_SHAPE = { sk: (v: string) => /^\d{4}-\d{2}-\d{2}T[\d:.]+Z#\d{3}#[0-9a-f-]{8}$/.test(v) };

/**
 * Profiles are also in gsi2, spread over `EVERYONE_SHARDS` partitions (`ALL#n`), so a service broadcast finds every
 * recipient through an index rather than a table scan, and a busy import does not write one hot index partition.
 */
export const EVERYONE_SHARDS = 8;
const everyoneIndex = (id: string) => {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return { gsi2pk: `ALL#${h % EVERYONE_SHARDS}`, gsi2sk: `R#${id}` };
};

/** Where the audience of a campaign is listed in gsi2: a topic's opted-in consents, or one shard of every profile. */
export type AudiencePartition = { readonly topic: string } | { readonly everyoneShard: number };

/** A recipient read for sending: the profile and, when asked for, its consent to one topic. */
export interface SendingView {
  readonly profile: StoredProfile;
  readonly consent?: StoredConsent;
  /** Status of the other topics asked for (a segment's `consent.<topic>` conditions); absent topics were never answered. */
  readonly otherConsents?: Readonly<Record<string, string>>;
}
const claimKey = (hash: string) => ({ pk: `A#${hash}`, sk: 'CLAIM' });

export class RecipientStore {
  readonly #db: Db;
  readonly #tables: TableNames;

  constructor(db: Db, tables: TableNames) {
    this.#db = db;
    this.#tables = tables;
  }

  /**
   * Creates a recipient with its first consents and ledger entries, unless the address is taken: then nothing is
   * written and the existing recipient's id is returned. Safe under concurrency (the address claim is conditional).
   */
  async create(
    profile: StoredProfile,
    consents: readonly StoredConsent[],
    ledger: readonly LedgerEntry[],
  ): Promise<{ created: true } | { created: false; existingId: string }> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tables.recipients,
                Item: { ...claimKey(profile.addressHash), recipientId: profile.id, createdAt: profile.createdAt },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.#tables.recipients,
                Item: { ...profileKey(profile.id), ...profile, ...everyoneIndex(profile.id) },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...consents.map((c) => ({ Put: { TableName: this.#tables.recipients, Item: this.#consentItem(profile.id, c) } })),
            ...ledger.map((entry, i) => this.#ledgerPut(entry, i)),
          ],
        }),
      );
      return { created: true };
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (reasons?.[0] === 'ConditionalCheckFailed') {
        const existingId = await this.findIdByAddressHash(profile.addressHash);
        if (existingId) return { created: false, existingId };
      }
      throw e;
    }
  }

  /**
   * Creates many new recipients in as few transactions as fit (100 items each): an import's step of new addresses.
   * All or nothing per transaction: if any address of a transaction was taken meanwhile, that transaction writes
   * nothing and its recipients are returned in `retry` (the caller creates them one by one, which handles a taken
   * address). Returns the ids created.
   */
  async createMany(
    recipients: ReadonlyArray<{ profile: StoredProfile; consents: readonly StoredConsent[]; ledger: readonly LedgerEntry[] }>,
  ): Promise<{ created: string[]; retry: typeof recipients }> {
    const created: string[] = [];
    const retry: Array<(typeof recipients)[number]> = [];
    let group: Array<(typeof recipients)[number]> = [];
    let items: Array<Record<string, unknown>> = [];
    const itemsOf = (r: (typeof recipients)[number]) => [
      { Put: { TableName: this.#tables.recipients, Item: { ...claimKey(r.profile.addressHash), recipientId: r.profile.id, createdAt: r.profile.createdAt }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.#tables.recipients, Item: { ...profileKey(r.profile.id), ...r.profile, ...everyoneIndex(r.profile.id) }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ...r.consents.map((c) => ({ Put: { TableName: this.#tables.recipients, Item: this.#consentItem(r.profile.id, c) } })),
      ...r.ledger.map((entry, i) => this.#ledgerPut(entry, i)),
    ];
    const flush = async () => {
      if (!group.length) return;
      try {
        await this.#db.send(new TransactWriteCommand({ TransactItems: items as never }));
        created.push(...group.map((r) => r.profile.id));
      } catch (e) {
        if (!cancellationReasons(e)) throw e;
        retry.push(...group);
      }
      group = [];
      items = [];
    };
    for (const r of recipients) {
      const mine = itemsOf(r);
      if (mine.length > 100) {
        retry.push(r);
        continue;
      }
      if (items.length + mine.length > 100) await flush();
      group.push(r);
      items.push(...mine);
    }
    await flush();
    return { created, retry };
  }

  /**
   * An import job's way to create many new recipients (issue 15), in two phases. First the address claims, the only
   * items that need a condition (an address is one recipient's), each with its recipient's ledger entries (`ledger`:
   * written exactly when the claim is won), 100 items a transaction, 4 at once; a claim holds `origin` (job and
   * line), so a step done again after a crash knows its own claims. Then, for the claims won, the consents and, last,
   * the profile, without conditions ({@link writeClaimed}, BatchWriteItem): their keys are new (the ledger's made
   * deterministic), so writing them again is idempotent, and a profile present means its other items are too.
   * Returns the address hashes that were taken already (nothing written for them).
   */
  async claimMany(claims: ReadonlyArray<{ addressHash: string; recipientId: string; createdAt: string; origin: string; ledger?: readonly LedgerEntry[] }>): Promise<{ taken: Set<string> }> {
    const taken = new Set<string>();
    // A claim and its ledger entries go in one transaction: groups of at most 100 items.
    await inLanes(groupsOf(claims, 100, (c) => 1 + (c.ledger?.length ?? 0)), 4, async (first) => {
      // A cancelled transaction names the claims already taken: the rest is tried again without them.
      for (let group = first; group.length; ) {
        // Which claim each item belongs to: only claims have a condition, so only their positions can fail.
        const owner: number[] = [];
        const items = group.flatMap((c, k) => {
          const mine = [
            {
              Put: {
                TableName: this.#tables.recipients,
                Item: { ...claimKey(c.addressHash), recipientId: c.recipientId, createdAt: c.createdAt, origin: c.origin },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...(c.ledger ?? []).map((entry, i) => this.#claimedLedgerPut(entry, i)),
          ];
          owner.push(...mine.map(() => k));
          return mine;
        });
        try {
          await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
          group = [];
        } catch (e) {
          const reasons = cancellationReasons(e);
          if (!reasons?.includes('ConditionalCheckFailed')) throw e;
          const before = group.length;
          reasons.forEach((r, i) => r === 'ConditionalCheckFailed' && taken.add(group[owner[i] ?? -1]?.addressHash ?? ''));
          group = group.filter((c) => !taken.has(c.addressHash));
          // Nothing named as taken: trying again would loop; the step fails and is delivered again.
          if (group.length === before) throw e;
        }
      }
    });
    return { taken };
  }

  /** The second phase of {@link claimMany}: the items of recipients whose claims are won (profiles written last). */
  async writeClaimed(recipients: ReadonlyArray<{ profile: StoredProfile; consents: readonly StoredConsent[]; ledger: readonly LedgerEntry[] }>): Promise<void> {
    // The ledger by transactions of plain puts, not BatchWriteItem: IAM cannot grant that without deletes too, and
    // the ledger is append-only. Its keys are deterministic here, so writing an entry again replaces it by itself.
    const entries = recipients.flatMap((r) => r.ledger.map((entry, i) => this.#claimedLedgerPut(entry, i)));
    await Promise.all([
      inLanes(groupsOf(entries, 100), 4, async (group) => void (await this.#db.send(new TransactWriteCommand({ TransactItems: group })))),
      batchWriteAll(this.#db, recipients.flatMap((r) => r.consents.map((c) => ({ table: this.#tables.recipients, request: { PutRequest: { Item: this.#consentItem(r.profile.id, c) } } })))),
    ]);
    await batchWriteAll(this.#db, recipients.map((r) => ({ table: this.#tables.recipients, request: { PutRequest: { Item: { ...profileKey(r.profile.id), ...r.profile, ...everyoneIndex(r.profile.id) } } } })));
  }

  /** The address claims of many hashes (consistent BatchGets, 3 at once), by hash; absent: unclaimed. */
  async claims(hashes: readonly string[]): Promise<Map<string, { recipientId: string; createdAt: string; origin?: string }>> {
    const unique = [...new Set(hashes)];
    const groups = groupsOf(unique, 100);
    const found = new Map<string, { recipientId: string; createdAt: string; origin?: string }>();
    await Promise.all(
      groups.map(async (g) => {
        for (const i of await batchGetAll(this.#db, this.#tables.recipients, g.map(claimKey))) {
          found.set(String(i.pk).slice(2), { recipientId: String(i.recipientId), createdAt: String(i.createdAt), ...(i.origin ? { origin: String(i.origin) } : {}) });
        }
      }),
    );
    return found;
  }

  /** The recipient ids of many address hashes at once (consistent BatchGet of the claims), by hash; absent: unclaimed. */
  async findIdsByAddressHashes(hashes: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(hashes)];
    const items = await batchGetAll(this.#db, this.#tables.recipients, unique.map(claimKey));
    return new Map(items.map((i) => [String(i.pk).slice(2), String(i.recipientId)]));
  }

  async findIdByAddressHash(hash: string): Promise<string | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#tables.recipients, Key: claimKey(hash), ConsistentRead: true }));
    return out.Item?.recipientId as string | undefined;
  }

  /** The profile alone (consistent), without the consents: what a pixel or click needs to know. */
  async getProfile(id: string): Promise<StoredProfile | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#tables.recipients, Key: profileKey(id), ConsistentRead: true }));
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, gsi2pk: _g, gsi2sk: _gs, ...profile } = out.Item;
    return profile as unknown as StoredProfile;
  }

  async get(id: string): Promise<RecipientAggregate | undefined> {
    const items: Record<string, unknown>[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const out = await this.#db.send(
        new QueryCommand({
          TableName: this.#tables.recipients,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `R#${id}` },
          ConsistentRead: true,
          ExclusiveStartKey: cursor,
        }),
      );
      items.push(...(out.Items ?? []));
      cursor = out.LastEvaluatedKey;
    } while (cursor);
    const profileItem = items.find((i) => i.sk === 'PROFILE');
    if (!profileItem) return undefined;
    const { pk: _pk, sk: _sk, ...profile } = profileItem;
    const consents: Record<string, StoredConsent> = {};
    for (const item of items) {
      if (typeof item.sk !== 'string' || !item.sk.startsWith('C#')) continue;
      const { topic, status, updatedAt, confirmedAt, source } = item as unknown as StoredConsent;
      consents[topic] = { topic, status, updatedAt, source, ...(confirmedAt ? { confirmedAt } : {}) };
    }
    return { profile: profile as unknown as StoredProfile, consents };
  }

  /**
   * Applies consent and profile changes with their ledger entries in one transaction. A consent whose status
   * changed since it was read makes the whole change fail with `conflict`: the caller reads again and retries.
   */
  async apply(id: string, change: RecipientChange): Promise<void> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            this.#profileUpdate(id, { ...(change.profile ?? {}), updatedAt: change.at }, change.profileWas, change.attributes),
            ...(change.consents ?? []).map((c) => ({
              Put: {
                TableName: this.#tables.recipients,
                Item: this.#consentItem(id, c.next),
                ...(c.previous === undefined
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : {
                      ConditionExpression: '#status = :previous',
                      ExpressionAttributeNames: { '#status': 'status' },
                      ExpressionAttributeValues: { ':previous': c.previous },
                    }),
              },
            })),
            ...change.ledger.map((entry, i) => this.#ledgerPut(entry, i)),
          ],
        }),
      );
    } catch (e) {
      const reasons = cancellationReasons(e);
      const changed = new SendwellError('conflict', 'The consent changed while this request was processed; send it again.');
      if (reasons?.[0] === 'ConditionalCheckFailed') {
        // The profile's condition: gone, or (with `profileWas`) one of its switches changed since it was read.
        if (change.profileWas && (await this.getProfile(id))) throw changed;
        throw new SendwellError('not_found', `No recipient ${id}.`);
      }
      // Another transaction on the same items at the same moment (two clicks of one button) is a change meanwhile too.
      if (reasons?.some((r) => r === 'ConditionalCheckFailed' || r === 'TransactionConflict')) throw changed;
      throw e;
    }
  }

  /**
   * Moves a recipient to another address in one transaction: the old address claim goes, the new one is taken (fails
   * with `conflict` when another recipient holds it), the profile changes, the ledger records it.
   */
  async changeAddress(
    id: string,
    from: { addressHash: string },
    to: { email: string; address: string; addressHash: string },
    ledger: readonly LedgerEntry[],
    at: string,
  ): Promise<void> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            this.#profileUpdate(id, { email: to.email, address: to.address, addressHash: to.addressHash, updatedAt: at }),
            {
              Delete: {
                TableName: this.#tables.recipients,
                Key: claimKey(from.addressHash),
                ConditionExpression: 'recipientId = :id',
                ExpressionAttributeValues: { ':id': id },
              },
            },
            {
              Put: {
                TableName: this.#tables.recipients,
                Item: { ...claimKey(to.addressHash), recipientId: id, createdAt: at },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...ledger.map((entry, i) => this.#ledgerPut(entry, i)),
          ],
        }),
      );
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (reasons?.[0] === 'ConditionalCheckFailed') throw new SendwellError('not_found', `No recipient ${id}.`);
      if (reasons?.[2] === 'ConditionalCheckFailed') {
        throw new SendwellError('conflict', 'Another recipient has this address.', [{ path: 'email', message: 'taken' }]);
      }
      if (reasons?.[1] === 'ConditionalCheckFailed') throw new SendwellError('conflict', 'The address changed meanwhile; send the request again.');
      throw e;
    }
  }

  /**
   * Erasure: deletes the recipient's items (profile, consents), its address claim and its whole ledger.
   * Returns how many items went from each table.
   */
  async erase(id: string, addressHash: string): Promise<{ recipients: number; ledger: number }> {
    // The profile last: an erasure that stops part-way is finished by repeating it, which starts from the profile.
    let ledger = await deletePartition(this.#db, this.#tables.ledger, `R#${id}`);
    const claim = await deletePartition(this.#db, this.#tables.recipients, `A#${addressHash}`);
    let recipients = await deletePartition(this.#db, this.#tables.recipients, `R#${id}`, profileKey(id).sk);
    // Once more now the profile is gone: a change that committed meanwhile (every write of a person's items checks
    // the profile exists) left its ledger entry or item after the first pass; none can commit after this one.
    ledger += await deletePartition(this.#db, this.#tables.ledger, `R#${id}`);
    recipients += await deletePartition(this.#db, this.#tables.recipients, `R#${id}`);
    return { recipients: recipients + claim, ledger };
  }

  /** Every ledger entry of a recipient, oldest first. */
  async fullLedger(id: string): Promise<LedgerEntry[]> {
    const entries: LedgerEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.ledger(id, 1000, cursor);
      entries.push(...page.entries);
      cursor = page.next;
    } while (cursor);
    return entries;
  }

  /** The ledger of a recipient, oldest first. */
  async ledger(id: string, limit = 500, cursor?: string): Promise<{ entries: LedgerEntry[]; next?: string }> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#tables.ledger,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `R#${id}` },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: { pk: `R#${id}`, ...decodeCursor(cursor, 'ledger', LEDGER_KEY_SHAPE) } } : {}),
      }),
    );
    const entries = (out.Items ?? []).map((entry) => project<LedgerEntry>(entry, LEDGER_FIELDS));
    const next = out.LastEvaluatedKey?.sk as string | undefined;
    return next ? { entries, next: encodeCursor('ledger', { sk: next }) } : { entries };
  }

  /**
   * One page of an audience from gsi2, in recipient-id order: the ids and where the next page starts (undefined at
   * the end). The index is eventually consistent; the sender reads each recipient again, consistently, before sending.
   */
  async audiencePage(partition: AudiencePartition, limit: number, cursor?: Record<string, unknown>): Promise<{ ids: string[]; next?: Record<string, unknown> }> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#tables.recipients,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p',
        ExpressionAttributeValues: { ':p': 'topic' in partition ? `T#${partition.topic}#opted_in` : `ALL#${partition.everyoneShard}` },
        ProjectionExpression: 'gsi2sk',
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    const ids = (out.Items ?? []).map((i) => String(i.gsi2sk).slice(2));
    return out.LastEvaluatedKey ? { ids, next: out.LastEvaluatedKey } : { ids };
  }

  /**
   * Profiles (and the consent to `topic`) of up to 50 recipients in one consistent BatchGetItem, retrying what
   * DynamoDB leaves unprocessed. Recipients that no longer exist are absent from the map.
   */
  async getForSending(ids: readonly string[], topic?: string, otherTopics: readonly string[] = []): Promise<Map<string, SendingView>> {
    const extra = otherTopics.filter((t) => t !== topic);
    const keys = ids.flatMap((id) => [profileKey(id), ...[...(topic ? [topic] : []), ...extra].map((t) => ({ pk: `R#${id}`, sk: `C#${t}` }))]);
    const items = await batchGetAll(this.#db, this.#tables.recipients, keys);
    const profiles = new Map<string, StoredProfile>();
    const consents = new Map<string, StoredConsent>();
    const others = new Map<string, Record<string, string>>();
    for (const item of items) {
      const id = String(item.pk).slice(2);
      const { pk: _pk, sk, gsi2pk: _g, gsi2sk: _gs, ...rest } = item;
      if (sk === 'PROFILE') profiles.set(id, rest as unknown as StoredProfile);
      else {
        const { topic: t, status, updatedAt, confirmedAt, source } = rest as unknown as StoredConsent;
        if (t === topic) consents.set(id, { topic: t, status, updatedAt, source, ...(confirmedAt ? { confirmedAt } : {}) });
        else others.set(id, { ...(others.get(id) ?? {}), [t]: status });
      }
    }
    const views = new Map<string, SendingView>();
    for (const [id, profile] of profiles) {
      const consent = consents.get(id);
      const o = others.get(id);
      views.set(id, { profile, ...(consent ? { consent } : {}), ...(extra.length ? { otherConsents: o ?? {} } : {}) });
    }
    return views;
  }

  /** The first item of every change transaction: the profile update, which also proves the recipient exists. */
  #profileUpdate(id: string, fields: Record<string, unknown>, was: RecipientChange['profileWas'] = {}, attributes: RecipientChange['attributes'] = {}) {
    const set = setExpression(fields);
    const names: Record<string, string> = { ...set.ExpressionAttributeNames };
    const values: Record<string, unknown> = { ...set.ExpressionAttributeValues };
    const setParts = [set.UpdateExpression.replace(/^SET /, '')];
    const removeParts: string[] = [];
    for (const [i, [name, value]] of Object.entries(attributes).entries()) {
      names[`#attrs`] = 'attributes';
      names[`#a${i}`] = name;
      if (value === null) {
        removeParts.push(`#attrs.#a${i}`);
      } else {
        values[`:a${i}`] = value;
        setParts.push(`#attrs.#a${i} = :a${i}`);
      }
    }
    const updateExpression = `SET ${setParts.join(', ')}${removeParts.length ? ` REMOVE ${removeParts.join(', ')}` : ''}`;
    const conditions = ['attribute_exists(pk)'];
    for (const [i, [name, value]] of Object.entries(was).entries()) {
      names[`#was${i}`] = name;
      if (value === undefined) {
        conditions.push(`attribute_not_exists(#was${i})`);
      } else {
        values[`:was${i}`] = value;
        conditions.push(`#was${i} = :was${i}`);
      }
    }
    return {
      Update: {
        TableName: this.#tables.recipients,
        Key: profileKey(id),
        UpdateExpression: updateExpression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ConditionExpression: conditions.join(' AND '),
      },
    };
  }

  #consentItem(recipientId: string, c: StoredConsent) {
    return {
      pk: `R#${recipientId}`,
      sk: `C#${c.topic}`,
      ...c,
      // The sparse audience index: only opted-in (and so, where required, confirmed) consents are in it.
      ...(c.status === 'opted_in' ? { gsi2pk: `T#${c.topic}#opted_in`, gsi2sk: `R#${recipientId}` } : {}),
    };
  }

  #ledgerItem(entry: LedgerEntry, index: number, suffix: string) {
    return { pk: `R#${entry.recipientId}`, sk: `${entry.at}#${String(index).padStart(3, '0')}#${suffix}`, ...entry };
  }

  /** A new recipient's ledger entry with a key made from its recipient and index: written again, it replaces itself. */
  #claimedLedgerPut(entry: LedgerEntry, index: number) {
    return { Put: { TableName: this.#tables.ledger, Item: this.#ledgerItem(entry, index, createHash('sha256').update(entry.recipientId).digest('hex').slice(0, 8)) } };
  }

  /** `index` keeps entries written in one transaction (same instant) in the order they were made. */
  #ledgerPut(entry: LedgerEntry, index: number) {
    return {
      Put: {
        TableName: this.#tables.ledger,
        Item: this.#ledgerItem(entry, index, randomUUID().slice(0, 8)),
        // Append-only: an entry is never overwritten.
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }
}

/**
 * Journeys, their figures, who is where in them, and posted events:
 *
 * | table      | item                          | what                                                                       |
 * |------------|-------------------------------|----------------------------------------------------------------------------|
 * | campaigns  | `JOURNEY#id / JOURNEY`        | the definition and status; gsi1 `JOURNEYS` / id lists them                 |
 * | campaigns  | `JOURNEY#id / FIG#n`          | figures (`entered|step`, `held|step|reason`…), spread over shards          |
 * | recipients | `R#rid / J#journeyId`         | an enrolment: step, status, version; in gsi2 `JDUE#n` / `<due>#…` while in |
 * | messages   | `EV#id / EVENT`               | a posted event (idempotency), expires                                      |
 *
 * An enrolment lives in its recipient's partition, so erasure deletes it with the profile (and its index entry with
 * it). While a recipient is in a journey their enrolment is always in the due index: at the end of a wait, or a short
 * lease ahead while a step runs, so a process that dies mid-step leaves it for the scheduled sweep to pick up. Every
 * move is conditional on the version read and writes its figures in the same transaction: a step is counted once.
 */
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type Db } from './db.ts';
import { decodeCursor, encodeCursor } from '../../domain/cursor.ts';
import { SendwellError } from '../../domain/errors.ts';
import type { Journey } from '../../schemas/journeys.ts';
import { cancellationReasons, isConditionFailure, queryAll, type TableNames } from './tables.ts';
import { SLUG } from '../../domain/slug.ts';

export const ENROLMENT_STATUSES = ['active', 'waiting', 'done', 'exited'] as const;
export type EnrolmentStatus = (typeof ENROLMENT_STATUSES)[number];

export interface Enrolment {
  readonly journeyId: string;
  readonly recipientId: string;
  /** 1 for the first enrolment, 2 after a re-entry… */
  readonly run: number;
  /** The step about to run or waiting (`end` once done). */
  readonly step: string;
  readonly status: EnrolmentStatus;
  /** Bumped by every move: the condition of the next one. */
  readonly v: number;
  /**
   * Bumped only when the enrolment reaches a step (not by waiting, a retry's postponement or a pause): what names a
   * send step's message, so every run of that step at that visit claims the same record.
   */
  readonly seq: number;
  /** While in the journey: when the sweep should look at it. */
  readonly due?: string;
  /** The keyed event (its id) that started this run: a retry of that event finds it and starts no second run. */
  readonly event?: string;
  /** The trigger event's properties: template data for the send steps. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** The message each send step produced (for `opened`/`clicked` branches). */
  readonly sent?: Readonly<Record<string, string>>;
  readonly enrolledAt: string;
  readonly updatedAt: string;
  readonly exitReason?: string;
  /**
   * Enrolled by a function that does not run steps (a recipient page's opt-in): not counted yet, first step not run.
   * The sweep's first move counts it.
   */
  readonly pending?: boolean;
}

export interface DueEnrolment {
  readonly recipientId: string;
  readonly journeyId: string;
  readonly due: string;
}

/** Figure deltas: attribute name (lambdas/domain/journeys.ts `figureName`) → amount. */
export type FigureDelta = Readonly<Record<string, number>>;

export const JOURNEY_DUE_SHARDS = 8;
const FIGURE_SHARDS = 8;
const hash = (s: string): number => {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
};
const journeyKey = (id: string) => ({ pk: `JOURNEY#${id}`, sk: 'JOURNEY' });
const enrolmentKey = (recipientId: string, journeyId: string) => ({ pk: `R#${recipientId}`, sk: `J#${journeyId}` });
const dueIndex = (e: Pick<Enrolment, 'recipientId' | 'journeyId'>, due: string) => ({
  gsi2pk: `JDUE#${hash(e.recipientId) % JOURNEY_DUE_SHARDS}`,
  gsi2sk: `${due}#${e.recipientId}#${e.journeyId}`,
});
const LIST_KEY_SHAPE = {
  pk: (s: string) => s.startsWith('JOURNEY#') && SLUG.test(s.slice('JOURNEY#'.length)),
  sk: (s: string) => s === 'JOURNEY',
  gsi1pk: (s: string) => s === 'JOURNEYS',
  // A journey id as the schema takes it: a cursor with anything else is refused before DynamoDB sees it.
  gsi1sk: (s: string) => SLUG.test(s),
};

// A stored journey is what the API checked against its schema before writing it (as every store, read back as written).
function toJourney({ pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, ...rest }: Record<string, unknown>): Journey {
  return rest as unknown as Journey;
}

function toEnrolment(item: Record<string, unknown>): Enrolment {
  const { pk: _pk, sk: _sk, gsi2pk: _g, gsi2sk: _gs, ...rest } = item;
  return rest as unknown as Enrolment;
}

/**
 * The journeys as last read in this process, by table, for the trigger look-up on every event and sign-up: shared by
 * every store of the process, so a change through one drops the copy all of them read (the local stack runs the admin
 * API and the pages, each with its own container, in one process; on AWS a function has one container).
 */
const journeyCache = new Map<string, { at: number; journeys: Journey[] }>();

export class JourneyStore {
  readonly #db: Db;
  readonly #tables: TableNames;

  constructor(db: Db, tables: TableNames) {
    this.#db = db;
    this.#tables = tables;
  }

  /** Creates (`create`: fails if the id is taken) or replaces (`replace`: only while its status is one of `onlyIf`). */
  async putJourney(journey: Journey, mode: 'create' | 'replace', onlyIf: readonly string[] = []): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tables.campaigns,
          Item: { ...journeyKey(journey.id), gsi1pk: 'JOURNEYS', gsi1sk: journey.id, ...journey },
          ...(mode === 'create'
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: `attribute_exists(pk) AND #status IN (${onlyIf.map((_, i) => `:s${i}`).join(', ')})`,
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: Object.fromEntries(onlyIf.map((s, i) => [`:s${i}`, s])),
              }),
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      throw mode === 'create'
        ? new SendwellError('conflict', `Journey ${journey.id} already exists; PUT /v1/journeys/${journey.id} replaces it.`, [{ path: 'id', message: 'taken' }])
        : new SendwellError('conflict', `Journey ${journey.id} changed meanwhile, or is not ${onlyIf.join(' or ')}.`, [{ path: 'status', message: `must be ${onlyIf.join(' or ')}` }]);
    }
    journeyCache.delete(this.#tables.campaigns);
  }

  async getJourney(id: string): Promise<Journey | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#tables.campaigns, Key: journeyKey(id), ConsistentRead: true }));
    return out.Item ? toJourney(out.Item) : undefined;
  }

  /** The journey and its figure shards, in one Query of its partition. */
  async getJourneyWithFigures(id: string): Promise<{ journey: Journey; figures: Record<string, unknown>[] } | undefined> {
    const items = await queryAll(this.#db, {
      TableName: this.#tables.campaigns,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `JOURNEY#${id}` },
      ConsistentRead: true,
    });
    const def = items.find((i) => i.sk === 'JOURNEY');
    if (!def) return undefined;
    const figures = items.filter((i) => String(i.sk).startsWith('FIG#')).map(({ pk: _p, sk: _s, ...rest }) => rest);
    return { journey: toJourney(def), figures };
  }

  /** One page of journeys in id order, and the cursor of the next. */
  async listJourneys(limit: number, cursor?: string): Promise<{ journeys: Journey[]; next?: string }> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#tables.campaigns,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :k',
        ExpressionAttributeValues: { ':k': 'JOURNEYS' },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, 'journeys', LIST_KEY_SHAPE) } : {}),
      }),
    );
    const journeys = (out.Items ?? []).map(toJourney);
    const last = out.LastEvaluatedKey as Record<string, string> | undefined;
    return last ? { journeys, next: encodeCursor('journeys', last) } : { journeys };
  }

  /**
   * Every journey (the trigger look-up). A copy read in this process within `maxAgeMs` will do: journeys are few and
   * change rarely, and every change through a store of this process drops the copy.
   */
  async allJourneys(maxAgeMs = 5_000): Promise<Journey[]> {
    const cached = journeyCache.get(this.#tables.campaigns);
    if (cached && Date.now() - cached.at <= maxAgeMs) return cached.journeys;
    const items = await queryAll(this.#db, {
      TableName: this.#tables.campaigns,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :k',
      ExpressionAttributeValues: { ':k': 'JOURNEYS' },
    });
    const journeys = items.map(toJourney);
    journeyCache.set(this.#tables.campaigns, { at: Date.now(), journeys });
    return journeys;
  }

  /** Moves a journey from one of `from` to `to`; false when it was in none of them. */
  async setStatus(id: string, from: readonly string[], to: string, at: string): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tables.campaigns,
          Key: journeyKey(id),
          UpdateExpression: `SET #status = :to, updatedAt = :at${to === 'active' ? ', activatedAt = if_not_exists(activatedAt, :at)' : ''}`,
          ConditionExpression: `#status IN (${from.map((_, i) => `:f${i}`).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':to': to, ':at': at, ...Object.fromEntries(from.map((s, i) => [`:f${i}`, s])) },
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
    journeyCache.delete(this.#tables.campaigns);
    return true;
  }

  /** Every journey enrolment of a person (their export): the `J#` items of their partition. */
  async enrolmentsOf(recipientId: string): Promise<Enrolment[]> {
    const items = await queryAll(this.#db, {
      TableName: this.#tables.recipients,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :j)',
      ExpressionAttributeValues: { ':pk': `R#${recipientId}`, ':j': 'J#' },
      ConsistentRead: true,
    });
    return items.map(toEnrolment);
  }

  async getEnrolment(recipientId: string, journeyId: string): Promise<Enrolment | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#tables.recipients, Key: enrolmentKey(recipientId, journeyId), ConsistentRead: true }));
    return out.Item ? toEnrolment(out.Item) : undefined;
  }

  /**
   * Starts an enrolment: written only if the person has none in this journey (`previous` undefined) or still has the
   * one read (`previous.v`), and only while their profile exists. False when another request enrolled them first
   * or they are gone.
   */
  async enrol(e: Enrolment, previous: Pick<Enrolment, 'v'> | undefined, figures: FigureDelta | undefined): Promise<boolean> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            { ConditionCheck: { TableName: this.#tables.recipients, Key: { pk: `R#${e.recipientId}`, sk: 'PROFILE' }, ConditionExpression: 'attribute_exists(pk)' } },
            {
              Put: {
                TableName: this.#tables.recipients,
                Item: { ...enrolmentKey(e.recipientId, e.journeyId), ...e, ...(e.due ? dueIndex(e, e.due) : {}) },
                ConditionExpression: previous ? 'v = :v' : 'attribute_not_exists(pk)',
                ...(previous ? { ExpressionAttributeValues: { ':v': previous.v } } : {}),
              },
            },
            ...(figures ? [this.#figureUpdate(e.journeyId, e.recipientId, figures)] : []),
          ],
        }),
      );
      return true;
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (reasons?.some((r) => r === 'ConditionalCheckFailed')) return false;
      throw err;
    }
  }

  /**
   * Moves an enrolment on from the version it was read at: sets `changes` (a `due` puts it in the due index, none
   * takes it out), bumps the version, adds `figures`. Returns the enrolment as written, or undefined when another
   * worker moved it first (that worker goes on; this one stops).
   */
  async move(e: Enrolment, changes: Partial<Pick<Enrolment, 'step' | 'status' | 'due' | 'sent' | 'exitReason' | 'seq'>>, figures: FigureDelta, at: string): Promise<Enrolment | undefined> {
    const { pending: _counted, ...was } = e;
    const next: Enrolment = { ...was, ...changes, v: e.v + 1, updatedAt: at };
    const sets: Record<string, unknown> = { step: next.step, status: next.status, v: next.v, seq: next.seq, updatedAt: at };
    if (next.sent) sets.sent = next.sent;
    if (next.exitReason) sets.exitReason = next.exitReason;
    // Every move counts what it did, so after the first one an enrolment is counted.
    const removes: string[] = e.pending ? ['pending'] : [];
    if (changes.due !== undefined && (next.status === 'active' || next.status === 'waiting')) Object.assign(sets, { due: changes.due }, dueIndex(e, changes.due));
    else removes.push('due', 'gsi2pk', 'gsi2sk');
    const names = Object.fromEntries([...Object.keys(sets), ...removes].map((k, i) => [`#a${i}`, k]));
    const byName = Object.fromEntries(Object.entries(names).map(([p, k]) => [k, p]));
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.#tables.recipients,
                Key: enrolmentKey(e.recipientId, e.journeyId),
                UpdateExpression:
                  `SET ${Object.keys(sets).map((k, i) => `${byName[k]} = :s${i}`).join(', ')}` + (removes.length ? ` REMOVE ${removes.map((k) => byName[k]).join(', ')}` : ''),
                ConditionExpression: '#cv = :cv',
                ExpressionAttributeNames: { ...names, '#cv': 'v' },
                ExpressionAttributeValues: { ...Object.fromEntries(Object.values(sets).map((v, i) => [`:s${i}`, v])), ':cv': e.v },
              },
            },
            ...(Object.keys(figures).length ? [this.#figureUpdate(e.journeyId, e.recipientId, figures)] : []),
          ],
        }),
      );
      return next;
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (reasons?.[0] === 'ConditionalCheckFailed') return undefined;
      throw err;
    }
  }

  /** Enrolments due by `now` in one shard of the index, earliest first. */
  async due(shard: number, now: string, limit: number): Promise<DueEnrolment[]> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#tables.recipients,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p AND gsi2sk <= :to',
        ExpressionAttributeValues: { ':p': `JDUE#${shard}`, ':to': `${now}~` },
        ProjectionExpression: 'gsi2sk',
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => {
      const [due, recipientId, journeyId] = String(i.gsi2sk).split('#') as [string, string, string];
      return { due, recipientId, journeyId };
    });
  }

  /**
   * Records a posted event once: true when this call recorded it; false when an event with this id was recorded and
   * finished before (an idempotent repeat). An event recorded but not finished (its poster died) may be taken again.
   */
  async recordEvent(event: { id: string; name: string; recipientId: string; requestHash: string; at: string; expiresAt: number }): Promise<{ first: true } | { first: false; requestHash: string; enrolled: string[] }> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tables.messages,
          // Not the recipient nor the event's name: the request's hash is all a repeat is checked against, and an item
          // naming the person would outlive their erasure (it is keyed by the event, not found from them).
          Item: { pk: `EV#${event.id}`, sk: 'EVENT', requestHash: event.requestHash, at: event.at, expiresAt: event.expiresAt, done: false },
          ConditionExpression: 'attribute_not_exists(pk) OR (done = :f AND requestHash = :h)',
          ExpressionAttributeValues: { ':f': false, ':h': event.requestHash },
        }),
      );
      return { first: true };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const out = await this.#db.send(new GetCommand({ TableName: this.#tables.messages, Key: { pk: `EV#${event.id}`, sk: 'EVENT' }, ConsistentRead: true }));
      return { first: false, requestHash: String(out.Item?.requestHash), enrolled: (out.Item?.enrolled as string[] | undefined) ?? [] };
    }
  }

  async finishEvent(id: string, enrolled: readonly string[]): Promise<void> {
    await this.#db.send(
      new UpdateCommand({
        TableName: this.#tables.messages,
        Key: { pk: `EV#${id}`, sk: 'EVENT' },
        UpdateExpression: 'SET done = :t, enrolled = :e',
        ExpressionAttributeValues: { ':t': true, ':e': enrolled },
      }),
    );
  }

  #figureUpdate(journeyId: string, recipientId: string, figures: FigureDelta) {
    const entries = Object.entries(figures).filter(([, n]) => n !== 0);
    return {
      Update: {
        TableName: this.#tables.campaigns,
        Key: { pk: `JOURNEY#${journeyId}`, sk: `FIG#${hash(recipientId) % FIGURE_SHARDS}` },
        UpdateExpression: entries.length ? `ADD ${entries.map((_, i) => `#f${i} :f${i}`).join(', ')}` : 'SET touched = :t',
        ExpressionAttributeNames: entries.length ? Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])) : undefined,
        ExpressionAttributeValues: entries.length ? Object.fromEntries(entries.map(([, n], i) => [`:f${i}`, n])) : { ':t': true },
      },
    };
  }
}

/**
 * Stage-wide switches, in the counters table: `CONTROL / MARKETING` says whether marketing is paused (by the
 * auto-pause or by ops), since when, why, and who resumed it last; every pause and resume is also kept as its own
 * item (`CONTROL / MARKETING#<iso>#pause|resume`) with its actor, as the record of who did what.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type Db } from './db.ts';
import { isConditionFailure, type TableNames } from './tables.ts';

const KEY = { pk: 'CONTROL', sk: 'MARKETING' } as const;
// Attribute names always through placeholders: several are DynamoDB reserved words.
const NAMES = { '#paused': 'paused', '#since': 'since', '#reason': 'reason', '#actor': 'actor', '#figures': 'figures' };

export interface MarketingPause {
  readonly since: string;
  readonly reason: string;
  /** Who paused: `auto` for the auto-pause, else the admin principal. */
  readonly actor?: string;
  /** What the auto-pause judged (sent, hard bounces, complaints, rates, window). */
  readonly figures?: Readonly<Record<string, unknown>>;
}

export interface MarketingResume {
  readonly at: string;
  readonly actor: string;
  readonly reason: string;
  /** The day's `ALL` counters at the resume: the auto-pause judges only what is counted after it. */
  readonly baseline: Readonly<Record<string, number>>;
}

export interface MarketingControl {
  readonly pause?: MarketingPause;
  readonly lastResume?: MarketingResume;
}

export interface ControlEvent {
  readonly at: string;
  readonly action: 'pause' | 'resume';
  readonly actor: string;
  readonly reason: string;
}

export class ControlStore {
  readonly #db: Db;
  readonly #table: string;

  constructor(db: Db, tables: TableNames) {
    this.#db = db;
    this.#table = tables.counters;
  }

  /** The pause in force, or undefined while marketing runs. One consistent read. */
  async getMarketingPause(): Promise<MarketingPause | undefined> {
    return (await this.getMarketingControl()).pause;
  }

  async getMarketingControl(): Promise<MarketingControl> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#table, Key: KEY, ConsistentRead: true }));
    const item = out.Item;
    if (!item) return {};
    return {
      ...(item.paused === true ? { pause: { since: item.since, reason: item.reason, ...(item.actor ? { actor: item.actor } : {}), ...(item.figures ? { figures: item.figures } : {}) } } : {}),
      ...(item.lastResume ? { lastResume: item.lastResume as MarketingResume } : {}),
    };
  }

  /** Pauses marketing unless it is paused already; true when this call paused it (concurrent callers pause once). */
  async pauseMarketing(pause: MarketingPause & { readonly actor: string }): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: KEY,
          UpdateExpression: 'SET #paused = :t, #since = :since, #reason = :reason, #actor = :actor, #figures = :figures',
          ConditionExpression: 'attribute_not_exists(#paused) OR #paused = :f',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':t': true, ':f': false, ':since': pause.since, ':reason': pause.reason, ':actor': pause.actor, ':figures': pause.figures ?? {} },
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
    await this.#log({ at: pause.since, action: 'pause', actor: pause.actor, reason: pause.reason });
    return true;
  }

  /** Resumes marketing if it is paused; returns the pause it ended, or undefined when nothing was paused. */
  async resumeMarketing(resume: MarketingResume): Promise<MarketingPause | undefined> {
    let old: Record<string, unknown> | undefined;
    try {
      const out = await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: KEY,
          UpdateExpression: 'SET #paused = :f, #lastResume = :resume REMOVE #since, #reason, #actor, #figures',
          ConditionExpression: '#paused = :t',
          ExpressionAttributeNames: { ...NAMES, '#lastResume': 'lastResume' },
          ExpressionAttributeValues: { ':t': true, ':f': false, ':resume': resume },
          ReturnValues: 'ALL_OLD',
        }),
      );
      old = out.Attributes;
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw e;
    }
    await this.#log({ at: resume.at, action: 'resume', actor: resume.actor, reason: resume.reason });
    return { since: String(old?.since), reason: String(old?.reason), ...(old?.actor ? { actor: String(old.actor) } : {}) };
  }

  /** Pauses and resumes, newest first. */
  async history(limit = 20): Promise<ControlEvent[]> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': KEY.pk, ':prefix': `${KEY.sk}#` },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => ({ at: i.at, action: i.action, actor: i.actor, reason: i.reason }) as ControlEvent);
  }

  async #log(event: ControlEvent): Promise<void> {
    await this.#db.send(new PutCommand({ TableName: this.#table, Item: { pk: KEY.pk, sk: `${KEY.sk}#${event.at}#${event.action}`, ...event } }));
  }
}

/**
 * The DynamoDB tables, defined once. `lib/data-tables.ts` turns them into CDK tables and `local/tables.ts` into
 * CreateTable calls against DynamoDB Local, so the two can never drift apart.
 *
 * Every table uses generic `pk`/`sk` keys (and `gsiNpk`/`gsiNsk` on indexes) so one table can hold several item
 * kinds of the same concern (a recipient and its topic consents share a partition) without a migration.
 */
import { TABLE_ENV, type EnvKey } from './env-keys.ts';

export interface KeyDef {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface IndexDef extends KeyDef {
  readonly name: string;
  /**
   * `keys`: the index holds the table's and its own keys only, so a write that changes no key attribute writes
   * nothing to it (with every attribute projected, each update of an item is also a write to the index).
   * @default every attribute
   */
  readonly projection?: 'keys';
}

export interface TableDef extends KeyDef {
  /** Stable logical id: CDK construct id, and the suffix of the local table name. */
  readonly id: string;
  /** Environment variable that carries this table's name to the Lambdas. */
  readonly envKey: EnvKey;
  readonly indexes: readonly IndexDef[];
  /** Attribute holding an epoch-seconds expiry; DynamoDB deletes the item after it. */
  readonly ttlAttribute?: string;
  /** Whether the table emits a change stream (new and old images). */
  readonly stream?: boolean;
  readonly description: string;
}

const gsi = (n: number): IndexDef => ({ name: `gsi${n}`, partitionKey: `gsi${n}pk`, sortKey: `gsi${n}sk` });

export const TABLES = {
  recipients: {
    id: 'Recipients',
    envKey: TABLE_ENV.recipients,
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: [gsi(1), gsi(2)],
    description: 'Recipients, their topic consents and preferences; gsi1 finds a recipient by address hash, gsi2 a topic audience.',
  },
  ledger: {
    id: 'ConsentLedger',
    envKey: TABLE_ENV.ledger,
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: [],
    // The stream is the partner relay's outbox: every committed ledger entry becomes exactly one partner event.
    stream: true,
    description: 'Append-only consent ledger: who, what, when, source, wording version, pseudonymized IP.',
  },
  suppressions: {
    id: 'Suppressions',
    envKey: TABLE_ENV.suppressions,
    partitionKey: 'pk',
    sortKey: 'sk',
    // `legacy` (sparse): the items of the layout before one item per address, found by reason so the `migrateData`
    // function can move them without a Scan (suppression-store.ts). Items of the current layout are not in it.
    indexes: [{ name: 'legacy', partitionKey: 'reason', sortKey: 'pk' } as IndexDef],
    description: 'Suppressions keyed by a hash of the normalized address, so they survive erasure: one item per address, a record per reason.',
  },
  campaigns: {
    id: 'Campaigns',
    envKey: TABLE_ENV.campaigns,
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: [gsi(1)],
    // The campaign send-rate windows (one item per campaign and second) expire on their own.
    ttlAttribute: 'expiresAt',
    description: 'Topics, templates, campaigns and their progress; gsi1 lists campaigns by status and time.',
  },
  messages: {
    id: 'Messages',
    envKey: TABLE_ENV.messages,
    partitionKey: 'pk',
    sortKey: 'sk',
    // gsi1: a recipient's messages (export, erasure), keys only: the record's updates (sent, delivered, opened) write
    // nothing to it (issue 17: a unit per update); a campaign's messages are not in it (found from the campaigns). gsi2 (sparse): deferred messages by due time, `DUE#shard` /
    // `<until>#<id>`, read by the due-message sweep.
    indexes: [{ ...gsi(1), projection: 'keys' }, gsi(2)],
    ttlAttribute: 'expiresAt',
    // The day counters are made of this stream (issue 17: handlers/count-message-figures.ts, once per batch instead of
    // once per event); on DynamoDB Local every write to it also costs stream bookkeeping on its one SQLite thread.
    stream: true,
    description: 'One record per message, claimed with a condition before SES is called; raw tracking events expire; gsi2 finds deferred messages by due time.',
  },
  relay: {
    id: 'PartnerRelay',
    envKey: TABLE_ENV.relay,
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: [],
    ttlAttribute: 'expiresAt',
    description: 'Partner webhook deliveries that failed after their retries, kept for replay (P#partner / event id).',
  },
  counters: {
    id: 'Counters',
    envKey: TABLE_ENV.counters,
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: [],
    // The markers of the messages stream's counted batches (`FIGURES#<event id>`) expire once no redelivery can come.
    ttlAttribute: 'expiresAt',
    description: 'Atomic counters behind the metrics (per day, campaign, topic, class).',
  },
} as const satisfies Record<string, TableDef>;

export type TableKey = keyof typeof TABLES;

export const TABLE_LIST: readonly TableDef[] = Object.values(TABLES);

/**
 * What a function may do to the items of each table: declared once per function (`tables` in `routes.ts` and
 * `event-functions.ts`), turned into IAM by `lib/permissions.ts`, and enforced on the local stack and in the tests by
 * `lambdas/adapters/table-access-guard.ts`, so a missing declaration fails locally before it fails on AWS with
 * AccessDenied.
 */
import type { TableKey } from './tables.ts';

/**
 * One verb of item access. `read`: GetItem, BatchGetItem, Query (the table and its indexes), ConditionCheckItem.
 * `put`: PutItem. `update`: UpdateItem. `delete`: DeleteItem and BatchWriteItem (Sendwell batches deletes only).
 */
export type TableVerb = 'read' | 'put' | 'update' | 'delete';
export const TABLE_VERBS: readonly TableVerb[] = ['read', 'put', 'update', 'delete'];

/** The verbs a function holds on each table it touches; a table it does not name it cannot touch. */
export type TableGrants = Readonly<Partial<Record<TableKey, readonly TableVerb[]>>>;

/**
 * The IAM actions of each verb, on the table ARN (and, for `read`, Query on each index ARN). `TransactWriteItems` and
 * `TransactGetItems` have no action of their own: IAM authorizes each item through these. No verb grants `Scan`:
 * every access path is a key or an index, and a Scan is the one read that hands a whole table (every recipient's
 * address and consent history) to a bug or a compromised function. No `DescribeTable`, no stream reads either.
 */
export const VERB_ACTIONS: { readonly [V in TableVerb]: readonly string[] } = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'],
  put: ['dynamodb:PutItem'],
  update: ['dynamodb:UpdateItem'],
  delete: ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
};

/** `read` + `put` + `update` + `delete`: everything a function may do to items (never Scan). */
export const ALL_VERBS: readonly TableVerb[] = TABLE_VERBS;

/**
 * The recipient pages that change consent (unsubscribe, one-click, confirm, mailto): read the person, their topic and
 * suppressions, write their consent and append to the ledger, count the change. No delete, no message write.
 */
export const RECIPIENT_PAGE: TableGrants = {
  recipients: ['read', 'put', 'update'],
  ledger: ['put'],
  suppressions: ['read'],
  campaigns: ['read'],
  messages: ['read'],
  counters: ['update'],
};

/**
 * The open pixel and the click redirect: read the record and the person's tracking consent, count the open or click
 * on the record and keep the raw event (the day's figures come from the messages stream). No delete, no ledger, no
 * suppression list (it never decides tracking), no counter.
 */
export const TRACKING: TableGrants = {
  recipients: ['read'],
  messages: ['read', 'put', 'update'],
};

/** Table names and the one transaction helper every store shares. */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { TableKey } from '../../wiring/tables.ts';

export type TableNames = Readonly<Record<TableKey, string>>;

/** Reasons of a cancelled transaction, by item position (`ConditionalCheckFailed`, `None`, …). */
export function cancellationReasons(e: unknown): string[] | undefined {
  if (!(e instanceof TransactionCanceledException) && (e as Error)?.name !== 'TransactionCanceledException') return undefined;
  return ((e as TransactionCanceledException).CancellationReasons ?? []).map((r) => r.Code ?? 'None');
}

export const isConditionFailure = (e: unknown) => (e as Error)?.name === 'ConditionalCheckFailedException';

/** `2026-11-22T00:12:25.123Z` → `2026-11-22`. */
export const dayOf = (iso: string) => iso.slice(0, 10);

/** `SET #f0 = :v0, …` with its names and values, for the fields that are defined. */
export function setExpression(fields: Readonly<Record<string, unknown>>) {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  return {
    UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
  };
}

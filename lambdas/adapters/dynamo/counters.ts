/**
 * The counter items behind the figures. Every counted event adds to its day in the `ALL` series and, when it has
 * them, in its topic's (`T#topic`) and campaign's (`C#campaign`) series (and an A/B test variant's,
 * `C#campaign#V#variant`), one number per figure.
 *
 * Each series is written on {@link COUNTER_SHARDS} items a day, so no single item takes every counted event of the
 * stage (one DynamoDB item takes ~1,000 writes/s; at a few hundred mails/s with their SES events `ALL` would be the
 * first hot item, docs/SCALING.md): shard 0 is `<series> / D#yyyy-mm-dd` (the unsharded key, so figures written before
 * sharding still count), shard n is `<series>#n / D#yyyy-mm-dd`. A write picks a shard at random (adding is
 * commutative); a read sums every shard.
 */
import { seriesOf, type CounterDims } from '../../domain/message-figures.ts';
import { dayOf } from './tables.ts';

export { variantSeries, type CounterDims } from '../../domain/message-figures.ts';

/** Items each series is spread over per day. */
export const COUNTER_SHARDS = 8;

export interface CounterKey {
  readonly pk: string;
  readonly sk: string;
}

/**
 * The partition key of shard `shard` of a series.
 *
 * @example
 * counterPk('ALL', 0) // 'ALL'
 * counterPk('T#news', 3) // 'T#news#3'
 */
export const counterPk = (series: string, shard: number): string => (shard === 0 ? series : `${series}#${shard}`);

/** Every shard's partition key of a series, for reads. */
export const counterShardPks = (series: string): string[] => Array.from({ length: COUNTER_SHARDS }, (_, n) => counterPk(series, n));

/** The counter items an event at `at` adds to, on shard `shard` (random unless given). */
export function counterKeys(at: string, dims: CounterDims, shard = Math.floor(Math.random() * COUNTER_SHARDS)): CounterKey[] {
  const sk = `D#${dayOf(at)}`;
  return seriesOf(dims).map((series) => ({ pk: counterPk(series, shard), sk }));
}

/** Adds the figures of `b` to those of `a` (a new object). */
export function addFigures(a: Readonly<Record<string, number>>, b: Readonly<Record<string, unknown>>): Record<string, number> {
  const sum: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) sum[k] = (sum[k] ?? 0) + Number(v);
  return sum;
}

/** The `UpdateItem` input that adds `figures` to the item at `key` (for a plain update or a transaction item). */
export function counterUpdate(tableName: string, key: CounterKey, figures: Readonly<Record<string, number>>) {
  const entries = Object.entries(figures);
  return {
    TableName: tableName,
    Key: { pk: key.pk, sk: key.sk },
    UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :n${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#c${i}`, k])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, n], i) => [`:n${i}`, n])),
  };
}

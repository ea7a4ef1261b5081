/**
 * The counter items behind the figures. Every counted event adds to its day in the `ALL` series and, when it has
 * them, in its topic's (`T#topic`) and campaign's (`C#campaign`) series: `<series> / D#yyyy-mm-dd`, one number per
 * figure. Used by the message store's plain `count` and by the campaign sender, which adds a batch's outcomes in the
 * same transaction that marks them counted.
 */
import { dayOf } from './tables.ts';

export interface CounterDims {
  readonly topic?: string;
  readonly campaign?: string;
}

export interface CounterKey {
  readonly pk: string;
  readonly sk: string;
}

/** The counter items an event at `at` adds to. */
export function counterKeys(at: string, dims: CounterDims): CounterKey[] {
  const sk = `D#${dayOf(at)}`;
  return [
    { pk: 'ALL', sk },
    ...(dims.topic ? [{ pk: `T#${dims.topic}`, sk }] : []),
    ...(dims.campaign ? [{ pk: `C#${dims.campaign}`, sk }] : []),
  ];
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

/**
 * A campaign's progress items (`C#<campaign> / P#<shard>`, in the campaigns table): figures added by whoever settles
 * its recipients (the messages stream for those with a record, the send batch for those without), summed over the
 * shards by `CampaignStore.counters`. Its own module: the messages stream's writer (MessageStore.addFigures) builds
 * the same item without loading the campaign store.
 */

/** Shards of a campaign's progress: concurrent writers rarely touch the same item. */
export const PROGRESS_SHARDS = 8;

/** The transaction item that adds `figures` to shard `shard` of the campaign's progress. */
export function progressAdd(table: string, campaignId: string, shard: number, figures: Readonly<Record<string, number>>) {
  const names = Object.keys(figures);
  return {
    Update: {
      TableName: table,
      Key: { pk: `C#${campaignId}`, sk: `P#${shard}` },
      UpdateExpression: `ADD ${names.map((_, i) => `#f${i} :f${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((k, i) => [`#f${i}`, k])),
      ExpressionAttributeValues: Object.fromEntries(names.map((k, i) => [`:f${i}`, figures[k]!])),
    },
  };
}

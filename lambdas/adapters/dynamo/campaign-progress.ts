/**
 * A campaign's progress items (`C#<campaign> / P#<shard>`, in the campaigns table): figures added by whoever settles
 * its recipients (the messages stream for those with a record, the send batch for those without), summed over the
 * shards by `CampaignStore.counters`. Its own module: the messages stream's writer (MessageStore.addFigures) builds
 * the same item without loading the campaign store.
 */
import { counterUpdate } from './counters.ts';

/** Shards of a campaign's progress: concurrent writers rarely touch the same item. */
export const PROGRESS_SHARDS = 8;

/** The transaction item that adds `figures` to shard `shard` of the campaign's progress (an `ADD` like a day counter's). */
export function progressAdd(table: string, campaignId: string, shard: number, figures: Readonly<Record<string, number>>) {
  return { Update: counterUpdate(table, { pk: `C#${campaignId}`, sk: `P#${shard}` }, figures) };
}

/**
 * The local stand-in for a Lambda DynamoDB stream event source: reads a table's stream on DynamoDB Local and hands
 * batches, in the shape Lambda delivers them, to the same handler AWS invokes. Remembers how far it got (a
 * checkpoint file when given) so a restart neither skips nor repeats records; a batch the handler reports as failed
 * is retried from the failed record. Any error (DynamoDB Local down or restarted, the handler throwing) is reported,
 * waited out with a growing pause, and polling goes on from the checkpoint.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type GetRecordsCommandOutput,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';

export interface StreamPollerOptions {
  readonly endpoint: string;
  readonly tableName: string;
  readonly handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  /** JSON file keeping the last handled sequence number per shard; omitted → in memory. */
  readonly checkpointFile?: string;
  /** @default 250 */
  readonly intervalMs?: number;
  /** Records per batch at most, as the mapping's `batchSize`. @default 100 */
  readonly batchSize?: number;
  /**
   * As the mapping's `maxBatchingWindow`: after a read finds records, reads on for up to this long until the batch is
   * full, so batches are as full as on AWS (the benches; tests and `npm start` hand records over at once). @default 0
   */
  readonly batchingWindowMs?: number;
  /**
   * The mapping's Lambda event filters: a record reaches the handler when it matches one of them (the subset of the
   * pattern syntax Sendwell uses: nested objects, arrays of exact strings or `{prefix}`). Records that match none are
   * passed over and the checkpoint moves past them, as on AWS. @default every record
   */
  readonly filters?: readonly FilterPattern[];
  /** Where to start without a checkpoint: the oldest record kept (as Lambda's TRIM_HORIZON) or only new ones. @default 'TRIM_HORIZON' */
  readonly startAt?: 'TRIM_HORIZON' | 'LATEST';
  readonly onError?: (e: unknown) => void;
}

/** A Lambda event filter pattern, as far as Sendwell uses the syntax. */
export type FilterPattern = { readonly [key: string]: FilterPattern | ReadonlyArray<string | { readonly prefix: string }> };

/** Whether `value` (a stream record) matches `pattern`: every key's condition holds, an array meaning one of them. */
export function matchesFilter(pattern: FilterPattern, value: unknown): boolean {
  return Object.entries(pattern).every(([key, condition]) => {
    const v = (value as Record<string, unknown> | undefined)?.[key];
    if (!Array.isArray(condition)) return matchesFilter(condition as FilterPattern, v);
    return condition.some((c: string | { readonly prefix: string }) => (typeof c === 'string' ? v === c : typeof v === 'string' && v.startsWith(c.prefix)));
  });
}

export interface RunningStreamPoller {
  /** Resolves once every record written so far has been handed to the handler (for tests). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startStreamPoller(options: StreamPollerOptions): RunningStreamPoller {
  const client = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const checkpoint: Record<string, string> =
    options.checkpointFile && existsSync(options.checkpointFile) ? (JSON.parse(readFileSync(options.checkpointFile, 'utf8')) as Record<string, string>) : {};
  const iterators = new Map<string, string | undefined>();
  const batchSize = options.batchSize ?? 100;
  let streamArn: string | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  /** Rounds started, and the last round that found nothing to hand over (both counters only grow). */
  let roundsStarted = 0;
  let lastIdleRound = -1;

  // Written aside and renamed over it: a kill mid-write (the fault suite's SIGKILL) leaves the last checkpoint whole;
  // written in place it once left an empty file, and the next `npm start` could not read it.
  const save = () => {
    if (!options.checkpointFile) return;
    writeFileSync(`${options.checkpointFile}.tmp`, JSON.stringify(checkpoint));
    renameSync(`${options.checkpointFile}.tmp`, options.checkpointFile);
  };

  async function iteratorFor(shardId: string): Promise<string | undefined> {
    if (iterators.has(shardId)) return iterators.get(shardId);
    const after = checkpoint[shardId];
    const out = await client.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : (options.startAt ?? 'TRIM_HORIZON'),
        ...(after ? { SequenceNumber: after } : {}),
      }),
    );
    iterators.set(shardId, out.ShardIterator);
    return out.ShardIterator;
  }

  async function poll(): Promise<boolean> {
    streamArn ??= (await client.send(new ListStreamsCommand({ TableName: options.tableName }))).Streams?.[0]?.StreamArn;
    if (!streamArn) return false;
    const shards = (await client.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards ?? [];
    let handled = false;
    for (const shard of shards) {
      if (!shard.ShardId) continue;
      // Starting from now: a shard already closed holds only older records, nothing to read there.
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      if (closed && options.startAt === 'LATEST' && !checkpoint[shard.ShardId] && !iterators.has(shard.ShardId)) {
        iterators.set(shard.ShardId, undefined);
        continue;
      }
      const iterator = await iteratorFor(shard.ShardId);
      if (!iterator) continue;
      let out;
      try {
        out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
      } catch (e) {
        // An iterator that expired or points before the shard's oldest record: get a fresh one next round.
        if ((e as Error).name === 'ExpiredIteratorException' || (e as Error).name === 'TrimmedDataAccessException') {
          iterators.delete(shard.ShardId);
          continue;
        }
        throw e;
      }
      const records = (out.Records ?? []) as _Record[];
      if (records.length === 0) {
        iterators.set(shard.ShardId, out.NextShardIterator);
        continue;
      }
      // The batching window: read on from where this read ended until the batch (of records the filters let through,
      // as on AWS) is full or the window is over.
      const { filters } = options;
      const passes = (r: _Record) => !filters || filters.some((f) => matchesFilter(f, r));
      const handed = records.filter(passes);
      const windowEnds = Date.now() + (options.batchingWindowMs ?? 0);
      while (handed.length < batchSize && out.NextShardIterator && Date.now() < windowEnds && !stopped) {
        await new Promise((r) => setTimeout(r, Math.min(options.intervalMs ?? 250, windowEnds - Date.now())));
        const more: GetRecordsCommandOutput = await client.send(new GetRecordsCommand({ ShardIterator: out.NextShardIterator, Limit: batchSize - handed.length }));
        const read = (more.Records ?? []) as _Record[];
        records.push(...read);
        handed.push(...read.filter(passes));
        out = more;
      }
      const result = handed.length ? await options.handler({ Records: handed as unknown as DynamoDBStreamEvent['Records'] }) : undefined;
      const failed = result?.batchItemFailures?.[0]?.itemIdentifier;
      const done = failed ? records.slice(0, records.findIndex((r) => r.dynamodb?.SequenceNumber === failed)) : records;
      const last = done.at(-1)?.dynamodb?.SequenceNumber;
      if (last) checkpoint[shard.ShardId] = last;
      // After a reported failure, read again from the checkpoint: the failed record comes back.
      if (failed) iterators.delete(shard.ShardId);
      else iterators.set(shard.ShardId, out.NextShardIterator);
      save();
      handled = true;
    }
    return handled;
  }

  const loop = async () => {
    let failures = 0;
    while (!stopped) {
      const round = ++roundsStarted;
      let idle = false;
      try {
        idle = !(await poll());
        failures = 0;
      } catch (e) {
        options.onError?.(e);
        // DynamoDB Local unreachable or restarted (its iterators then mean nothing), or the handler failed: start
        // again from the checkpoint with fresh iterators, after a pause that grows while the failures go on (not a
        // busy loop of errors through an outage).
        iterators.clear();
        streamArn = undefined;
        failures++;
        if (!stopped) await new Promise((r) => setTimeout(r, Math.min(5000, (options.intervalMs ?? 250) * 2 ** Math.min(failures, 5))));
        continue;
      }
      if (idle) lastIdleRound = round;
      if (!stopped && idle) await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
    }
  };
  running = loop();

  return {
    async drain(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      // A round that started after this call and found nothing: everything written before the call was handed over.
      const after = roundsStarted;
      while (lastIdleRound <= after) {
        if (Date.now() > deadline) throw new Error('stream poller did not drain in time');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      stopped = true;
      await running;
      client.destroy();
    },
  };
}

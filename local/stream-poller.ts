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
  /** The streams client to read with (a test's fake). @default a client of `endpoint`, destroyed on stop */
  readonly client?: Pick<DynamoDBStreamsClient, 'send' | 'destroy'>;
  /**
   * The mapping's Lambda event filters: a record reaches the handler when it matches one of them (the subset of the
   * pattern syntax Sendwell uses: nested objects, arrays of exact strings, `{prefix}` or `{exists}`). Records that
   * match none are passed over and the checkpoint moves past them, as on AWS. @default every record
   */
  readonly filters?: readonly FilterPattern[];
  /** Where to start without a checkpoint: the oldest record kept (as Lambda's TRIM_HORIZON) or only new ones. @default 'TRIM_HORIZON' */
  readonly startAt?: 'TRIM_HORIZON' | 'LATEST';
  readonly onError?: (e: unknown) => void;
}

/** A Lambda event filter pattern, as far as Sendwell uses the syntax. */
export type FilterPattern = { readonly [key: string]: FilterPattern | ReadonlyArray<string | { readonly prefix: string } | { readonly exists: boolean }> };

/** Whether `value` (a stream record) matches `pattern`: every key's condition holds, an array meaning one of them. */
export function matchesFilter(pattern: FilterPattern, value: unknown): boolean {
  return Object.entries(pattern).every(([key, condition]) => {
    const v = (value as Record<string, unknown> | undefined)?.[key];
    if (!Array.isArray(condition)) return matchesFilter(condition as FilterPattern, v);
    return condition.some((c: string | { readonly prefix: string } | { readonly exists: boolean }) =>
      // `exists`, as Lambda applies it: to a leaf value only (a string, a number, a boolean), never to an object.
      typeof c === 'string' ? v === c : 'exists' in c ? (v !== undefined && v !== null && typeof v !== 'object') === c.exists : typeof v === 'string' && v.startsWith(c.prefix),
    );
  });
}

export interface RunningStreamPoller {
  /** Resolves once every record written so far has been handed to the handler (for tests). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startStreamPoller(options: StreamPollerOptions): RunningStreamPoller {
  const client = options.client ?? new DynamoDBStreamsClient({ endpoint: options.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const checkpoint: Record<string, string> =
    options.checkpointFile && existsSync(options.checkpointFile) ? (JSON.parse(readFileSync(options.checkpointFile, 'utf8')) as Record<string, string>) : {};
  const iterators = new Map<string, string | undefined>();
  /** Records a batching window read past its batch (it reads whole pages): the start of the shard's next batch. */
  const carried = new Map<string, _Record[]>();
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
      const shardId = shard.ShardId;
      const iterator = await iteratorFor(shardId);
      // No iterator: a closed shard read to its end, unless a batching window carried records of it (handed first).
      if (!iterator && !carried.has(shardId)) continue;
      const records = carried.get(shardId) ?? [];
      carried.delete(shardId);
      let next: string | undefined = iterator;
      let full = false;
      let expired = false;
      const read = async (): Promise<boolean> => {
        let out: GetRecordsCommandOutput;
        try {
          out = await client.send(new GetRecordsCommand({ ShardIterator: next, Limit: batchSize }));
        } catch (e) {
          // An iterator that expired or points before the shard's oldest record: get a fresh one next round.
          if ((e as Error).name === 'ExpiredIteratorException' || (e as Error).name === 'TrimmedDataAccessException') {
            expired = true;
            return false;
          }
          throw e;
        }
        const page = (out.Records ?? []) as _Record[];
        records.push(...page);
        next = out.NextShardIterator;
        full = page.length === batchSize;
        return true;
      };
      if (!records.length && !(await read())) {
        iterators.delete(shardId);
        continue;
      }
      if (records.length === 0) {
        iterators.set(shardId, next);
        continue;
      }
      // The batching window: read on from where the last read ended until the batch (of records the filters let
      // through, as on AWS) is full or the window is over. Whole pages: waiting only once a read found the shard's end
      // (a page not full); what a page brings past the batch is carried to the next.
      const { filters } = options;
      const passes = (r: _Record) => !filters || filters.some((f) => matchesFilter(f, r));
      const passing = () => records.filter(passes).length;
      const windowEnds = Date.now() + (options.batchingWindowMs ?? 0);
      while (passing() < batchSize && next && Date.now() < windowEnds && !stopped) {
        if (!full) await new Promise((r) => setTimeout(r, Math.min(options.intervalMs ?? 250, windowEnds - Date.now())));
        if (!(await read())) break;
      }
      // The batch: the records through its last one that passes; the rest is carried.
      const handed: _Record[] = [];
      let cut = records.length;
      for (let i = 0; i < records.length && handed.length < batchSize; i++) {
        if (!passes(records[i]!)) continue;
        handed.push(records[i]!);
        if (handed.length === batchSize) cut = i + 1;
      }
      if (cut < records.length) carried.set(shardId, records.splice(cut));
      const result = handed.length ? await options.handler({ Records: handed as unknown as DynamoDBStreamEvent['Records'] }) : undefined;
      const failed = result?.batchItemFailures?.[0]?.itemIdentifier;
      const done = failed ? records.slice(0, records.findIndex((r) => r.dynamodb?.SequenceNumber === failed)) : records;
      const last = done.at(-1)?.dynamodb?.SequenceNumber;
      if (last) checkpoint[shardId] = last;
      // After a reported failure, read again from the checkpoint: the failed record comes back (and what was carried
      // past it with it); so after an iterator that expired.
      if (failed || expired) {
        iterators.delete(shardId);
        carried.delete(shardId);
      } else iterators.set(shardId, next);
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
        // Read again from the checkpoint with the rest: what was carried comes again with it.
        carried.clear();
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

/**
 * The local stream reader's batching window (local/stream-poller.ts) where DynamoDB Local cannot be made to misbehave:
 * a round that fails after a batch carried records past its end, and a shard that closes under a carried batch. The
 * reader is given a fake streams client holding one shard of numbered records; test/integration/message-figures.test.ts reads a real
 * stream on DynamoDB Local.
 */
import { describe, expect, it } from 'vitest';
import { startStreamPoller } from '../../../local/stream-poller.ts';

/** The fake shard: records 1..`available`, closed after `closedAt`; `describeFails` DescribeStream calls fail. */
const shard = { available: 0, arriving: 0, closedAt: Number.POSITIVE_INFINITY, describeFails: 0, reads: 0 };

/** The streams client the reader is given: the fake shard, answering the four commands it sends by their names. */
const client = {
  async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
    const { input } = command;
    switch (command.constructor.name) {
      case 'ListStreamsCommand':
        return { Streams: [{ StreamArn: 'arn:stream' }] };
      case 'DescribeStreamCommand': {
        if (shard.describeFails > 0 && shard.describeFails--) throw new Error('DynamoDB Local restarted');
        const closed = Number.isFinite(shard.closedAt) ? { EndingSequenceNumber: String(shard.closedAt) } : {};
        return { StreamDescription: { Shards: [{ ShardId: 'shard-1', SequenceNumberRange: closed }] } };
      }
      case 'GetShardIteratorCommand':
        return { ShardIterator: `at:${String(input.SequenceNumber ?? 0)}` };
      case 'GetRecordsCommand': {
        const from = Number(String(input.ShardIterator).slice(3));
        const to = Math.min(from + Number(input.Limit), shard.available);
        const Records = Array.from({ length: Math.max(0, to - from) }, (_, i) => ({ eventID: String(from + i + 1), eventName: 'MODIFY', dynamodb: { SequenceNumber: String(from + i + 1) } }));
        // More records arrive after the first read: the window reads on, and its second page brings more than fit.
        if (++shard.reads === 1) shard.available = shard.arriving;
        return { Records, ...(to >= shard.closedAt ? {} : { NextShardIterator: `at:${to}` }) };
      }
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  },
  destroy() {},
} as unknown as NonNullable<Parameters<typeof startStreamPoller>[0]['client']>;


/** Reads the fake shard with a window and batches of 3 until it is drained; the batches handed over, by sequence number. */
async function batchesRead(onBatch: (n: number) => void = () => {}): Promise<string[][]> {
  const batches: string[][] = [];
  const poller = startStreamPoller({
    client,
    endpoint: 'http://127.0.0.1:1',
    tableName: 'messages',
    batchSize: 3,
    batchingWindowMs: 200,
    intervalMs: 5,
    handler: async (event) => {
      batches.push(event.Records.map((r) => String(r.dynamodb?.SequenceNumber)));
      onBatch(batches.length);
      return { batchItemFailures: [] };
    },
  });
  try {
    await poller.drain(10_000);
  } finally {
    await poller.stop();
  }
  return batches;
}

describe('the local stream reader, with a batching window', () => {
  it('hands what a batch carried past its end once, in order, also when the next round fails', async () => {
    Object.assign(shard, { available: 2, arriving: 5, closedAt: Number.POSITIVE_INFINITY, describeFails: 0, reads: 0 });
    // The round after the first batch fails (its DescribeStream): the reader starts again from its checkpoint.
    const batches = await batchesRead((n) => {
      if (n === 1) shard.describeFails = 1;
    });
    expect(batches).toEqual([
      ['1', '2', '3'],
      ['4', '5'],
    ]);
  });

  it('hands what a batch carried past its end when the shard closed under it', async () => {
    Object.assign(shard, { available: 2, arriving: 5, closedAt: 5, describeFails: 0, reads: 0 });
    expect(await batchesRead()).toEqual([
      ['1', '2', '3'],
      ['4', '5'],
    ]);
  });
});

/**
 * The messages table's change stream → the day counters (services/message-figures.ts): deliveries, SES feedback,
 * opens and clicks, each counter item written once per batch, and campaign progress. A part that cannot be written is reported as a batch
 * item failure from its first record on, so Lambda delivers it again from there, until it is written (a batch the
 * stream drops first goes, as shard and sequence numbers, to the on-failure destination). The figures counted go to CloudWatch as well.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import { publishMetrics } from '../adapters/metrics.ts';
import { countMessageFigures, type StreamedChange } from '../services/message-figures.ts';

type StreamRecord = DynamoDBStreamEvent['Records'][number];

const image = (i: unknown) => (i ? unmarshall(i as Record<string, AttributeValue>) : undefined);

/** Lambda gives epoch seconds; the local poller hands over what the SDK parsed (a Date). */
function approximateTime(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number') return new Date(v < 1e11 ? v * 1000 : v).toISOString();
  return undefined;
}

function changeOf(r: StreamRecord): StreamedChange {
  const at = approximateTime(r.dynamodb?.ApproximateCreationDateTime);
  const oldImage = image(r.dynamodb?.OldImage);
  const newImage = image(r.dynamodb?.NewImage);
  return {
    id: r.eventID ?? r.dynamodb?.SequenceNumber ?? '',
    change: { eventName: r.eventName ?? '', ...(oldImage ? { oldImage } : {}), ...(newImage ? { newImage } : {}), ...(at ? { at } : {}) },
  };
}

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = event.Records ?? [];
  try {
    const report = await countMessageFigures(container(), records.map(changeOf));
    if (report.paused) logger.warn('marketing paused itself', { reason: report.paused.reason, figures: report.paused.figures });
    if (report.failedAt === undefined) {
      logger.debug('message figures counted', { records: records.length, written: report.written, skipped: report.skipped });
      return { batchItemFailures: [] };
    }
    logger.error('message figures not counted; the batch comes again from the first record not counted', { error: report.error as Error, written: report.written });
    const failed = records.find((r) => (r.eventID ?? r.dynamodb?.SequenceNumber) === report.failedAt);
    return { batchItemFailures: [{ itemIdentifier: failed?.dynamodb?.SequenceNumber ?? '' }] };
  } finally {
    publishMetrics();
  }
};

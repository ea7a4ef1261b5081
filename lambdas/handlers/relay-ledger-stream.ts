/**
 * The consent ledger's change stream → partner webhooks, and the one thing an entry sets off in Sendwell itself: the
 * lift of an erasure tombstone that an opt-in on a public page ledgered (services/privacy.ts `liftLedgeredTombstone`). Only inserted entries are relayed (the ledger is
 * append-only; removals are erasure, which relays its own `recipient.erased` entry). Deliveries that fail are kept
 * for replay, so a partner being down never blocks the stream; a record this handler cannot read is reported as a
 * batch item failure so Lambda retries it and, after that, sends it to the on-failure destination.
 */
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { dynamoDb } from '../adapters/clients.ts';
import { config } from '../adapters/config.ts';
import { RelayStore } from '../adapters/dynamo/relay-store.ts';
import { logger } from '../adapters/logger.ts';
import { partners } from '../adapters/partners.ts';
import { container } from '../adapters/container.ts';
import { relayLedger, type LedgerRecord, type RelayDeps } from '../services/partner-relay.ts';
import { liftLedgeredTombstone } from '../services/privacy.ts';

/** Enough for one more record against a partner that times out on every attempt. */
const TIME_RESERVE_MS = 20_000;

export function relayDeps(): RelayDeps {
  return { deps: container(), partners, failures: new RelayStore(dynamoDb(), config().tables) };
}

/** The handler around given relay dependencies (tests shorten the backoff; AWS and the local stack use the defaults). */
export const makeHandler = (relayOf: () => RelayDeps) => async (event: DynamoDBStreamEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<DynamoDBBatchResponse> => {
  const relay = relayOf();
  for (const record of event.Records ?? []) {
    // A partner that hangs costs seconds per record: stop while there is time, the rest of the batch comes again.
    if (context && context.getRemainingTimeInMillis() < TIME_RESERVE_MS) {
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
    if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) continue;
    // Only ledger entries (`R#<recipient>`) are partner events; DynamoDB Local's stream-start marker (local/tables.ts) is not one.
    if (!record.dynamodb.NewImage.pk?.S?.startsWith('R#')) continue;
    try {
      const entry = unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>) as LedgerRecord;
      // What the entry sets off here first (a retry repeats it harmlessly): a tombstone lift a public page ledgered.
      if (await liftLedgeredTombstone(relay.deps, entry)) logger.info('erasure tombstone lifted by a ledgered opt-in');
      const report = await relayLedger(relay, [entry]);
      if (report.failed > 0) logger.warn('partner delivery kept for replay', { failed: report.failed });
    } catch (e) {
      logger.error('ledger record not relayed', { error: e as Error });
      // Everything from this record on is retried (stream order is kept).
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
};

export const handler = makeHandler(relayDeps);

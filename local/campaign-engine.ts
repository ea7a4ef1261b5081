/**
 * The campaign engine on one machine: the launch and send queues (the SQS stand-in of `campaign-queue.ts`, kept in
 * DynamoDB Local), their consumers calling the same handlers AWS invokes, and the sweep the AWS scheduler runs every
 * minute. `npm start` and the integration tests both start it through here.
 */
import { asFunction } from './table-access-guard.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useLocalCampaignQueues } from '../lambdas/adapters/container.ts';
import type { DeadLetter, SendBatch } from '../lambdas/domain/campaign.ts';
import type { CampaignQueues } from '../lambdas/services/deps.ts';
import { EVENT_FUNCTIONS } from '../lambdas/wiring/event-functions.ts';
import { ensureQueueTable, LocalQueue, startConsumer, type QueueHandler } from './campaign-queue.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';

/** How soon a batch whose handler failed (or whose process died) is delivered again; heartbeats cover long runs. */
export const DEFAULT_VISIBILITY_SECONDS = 30;
/**
 * Send-queue consumers on one machine. Every consumer shares this process's SDK clients and one DynamoDB Local, which
 * runs one write at a time per table (and fails a write that waited 10 s for its table): more in flight only queues.
 */
export const DEFAULT_SENDER_CONCURRENCY = 4;
/** Send batches per sender call (the AWS event source takes 5). */
export const DEFAULT_SENDER_BATCH_SIZE = 5;

export interface CampaignEngineOptions {
  readonly dynamodbEndpoint: string;
  /** Table holding every local queue. */
  readonly table: string;
  /** Queue names start with it (tests sharing one DynamoDB Local each use their own). @default 'sendwell' */
  readonly queuePrefix?: string;
  /**
   * How long a received message stays hidden. The consumer extends it while its handler runs (a heartbeat, as
   * ChangeMessageVisibility), so it need not outlast a handler run: it is how soon a batch whose handler failed, or
   * whose process died, comes back.
   * @default 30
   */
  readonly visibilitySeconds?: number;
  /** Deliveries of a send batch before the queue dead-letters it (AWS: max attempts + 2). @default 7 */
  readonly maxReceiveCount?: number;
  /** Share of messages delivered twice (tests). @default 0 */
  readonly duplicateRate?: number;
  /** Send-queue consumers at once. @default {@link DEFAULT_SENDER_CONCURRENCY} */
  readonly senderConcurrency?: number;
  /** Send batches per sender call. @default {@link DEFAULT_SENDER_BATCH_SIZE} */
  readonly senderBatchSize?: number;
  /** How often the sweeps (scheduled launches, stalled launches, due deferred mail) run. @default 5000 */
  readonly sweepMs?: number;
  /** Wraps the sender handler (tests inject crashes). */
  readonly wrapSender?: (handler: QueueHandler) => QueueHandler;
  readonly onError?: (e: unknown) => void;
}

export interface CampaignEngine {
  readonly queues: CampaignQueues;
  /** The consumer settings in effect (defaults applied). */
  readonly settings: { readonly senderConcurrency: number; readonly senderBatchSize: number; readonly sendVisibilitySeconds: number };
  readonly launchQueue: LocalQueue;
  readonly sendQueue: LocalQueue;
  /** Runs the sweep once now. */
  sweep(): Promise<void>;
  /** True when no message waits or is in flight on either queue and no handler is running. */
  idle(): Promise<boolean>;
  /**
   * Stops the consumers and the sweep. `abandon`: as if the process died — messages being handled are not deleted
   * (they come back after the visibility timeout), and nothing waits for the handlers.
   */
  stop(options?: { abandon?: boolean }): Promise<void>;
}

export async function startCampaignEngine(o: CampaignEngineOptions): Promise<CampaignEngine> {
  const client = new DynamoDBClient({ endpoint: o.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await ensureQueueTable(client, o.table);
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const prefix = o.queuePrefix ?? 'sendwell';
  const senderConcurrency = o.senderConcurrency ?? DEFAULT_SENDER_CONCURRENCY;
  const senderBatchSize = o.senderBatchSize ?? DEFAULT_SENDER_BATCH_SIZE;
  const visibility = () => o.visibilitySeconds ?? DEFAULT_VISIBILITY_SECONDS;
  const launchQueue = new LocalQueue({
    db,
    table: o.table,
    name: `${prefix}-campaign-launch`,
    visibilitySeconds: visibility(),
    maxReceiveCount: 5,
    duplicateRate: o.duplicateRate ?? 0,
  });
  const sendQueue = new LocalQueue({
    db,
    table: o.table,
    name: `${prefix}-campaign-send`,
    visibilitySeconds: visibility(),
    maxReceiveCount: o.maxReceiveCount ?? 7,
    duplicateRate: o.duplicateRate ?? 0,
  });
  const queues: CampaignQueues = {
    launch: (campaignId: string) => launchQueue.send([JSON.stringify({ campaignId })]),
    send: (batches: readonly SendBatch[], delaySeconds = 0) => sendQueue.send(batches.map((b) => JSON.stringify(b)), delaySeconds),
    deadLetter: (letter: DeadLetter) => sendQueue.deadLetter(JSON.stringify(letter), { reason: letter.reason }),
  };
  useLocalCampaignQueues(queues);

  const launcher = asFunction('campaignLauncher', (await import('../lambdas/handlers/campaign-launcher.ts')).handler);
  const sender = asFunction('campaignSender', (await import('../lambdas/handlers/campaign-sender.ts')).handler);
  const sweepHandler = asFunction('startDueCampaigns', (await import('../lambdas/handlers/start-due-campaigns.ts')).handler);
  // The same minute schedule on AWS (EventBridge Scheduler): deferred and local-time mail whose time came.
  const dueHandler = asFunction('sendDueMessages', (await import('../lambdas/handlers/send-due-messages.ts')).handler);
  // And journey steps whose time came (the same minute schedule on AWS).
  const journeysHandler = asFunction('runDueJourneys', (await import('../lambdas/handlers/run-due-journeys.ts')).handler);
  const consumers = [
    startConsumer(launchQueue, launcher, { batchSize: 1, concurrency: 1, timeoutSeconds: EVENT_FUNCTIONS.campaignLauncher.timeoutSeconds, ...(o.onError ? { onError: o.onError } : {}) }),
    startConsumer(sendQueue, o.wrapSender ? o.wrapSender(sender) : sender, {
      batchSize: senderBatchSize,
      concurrency: senderConcurrency,
      timeoutSeconds: EVENT_FUNCTIONS.campaignSender.timeoutSeconds,
      ...(o.onError ? { onError: o.onError } : {}),
    }),
  ];
  const sweep = async () => {
    await sweepHandler();
    await dueHandler();
    await journeysHandler();
  };
  const timer = setInterval(() => void sweep().catch((e: unknown) => o.onError?.(e)), o.sweepMs ?? 5000);
  return {
    queues,
    settings: { senderConcurrency, senderBatchSize, sendVisibilitySeconds: sendQueue.visibilitySeconds },
    launchQueue,
    sendQueue,
    sweep,
    idle: async () => {
      if (consumers.some((c) => c.busy() > 0)) return false;
      const [l, s] = await Promise.all([launchQueue.depth(), sendQueue.depth()]);
      return l.waiting + l.inFlight + s.waiting + s.inFlight === 0;
    },
    stop: async (options = {}) => {
      clearInterval(timer);
      if (options.abandon) {
        for (const c of consumers) c.abandon();
        return;
      }
      await Promise.all(consumers.map((c) => c.stop()));
      client.destroy();
    },
  };
}

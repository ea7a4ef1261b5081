/**
 * The campaign engine on one machine: the launch and send queues (the SQS stand-in of `campaign-queue.ts`, kept in
 * DynamoDB Local), their consumers calling the same handlers AWS invokes, and the sweep the AWS scheduler runs every
 * minute. `npm start` and the integration tests both start it through here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useLocalCampaignQueues } from '../lambdas/adapters/container.ts';
import type { DeadLetter, SendBatch } from '../lambdas/domain/campaign.ts';
import type { CampaignQueues } from '../lambdas/services/deps.ts';
import { EVENT_FUNCTIONS } from '../lambdas/wiring/event-functions.ts';
import { ensureQueueTable, LocalQueue, startConsumer, type QueueHandler } from './campaign-queue.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';

export interface CampaignEngineOptions {
  readonly dynamodbEndpoint: string;
  /** Table holding every local queue. */
  readonly table: string;
  /** Queue names start with it (tests sharing one DynamoDB Local each use their own). @default 'sendwell' */
  readonly queuePrefix?: string;
  /**
   * How long a received message stays hidden. Like the AWS queues (6× the consumer's timeout) it must outlast a
   * handler run, or a batch still being sent is handed out again.
   * @default each consumer's function timeout + 30 s (150 s for the send queue)
   */
  readonly visibilitySeconds?: number;
  /** Deliveries of a send batch before the queue dead-letters it (AWS: max attempts + 2). @default 7 */
  readonly maxReceiveCount?: number;
  /** Share of messages delivered twice (tests). @default 0 */
  readonly duplicateRate?: number;
  /** Send-queue consumers at once. @default 4 */
  readonly senderConcurrency?: number;
  /** Send batches per sender call. @default 5 */
  readonly senderBatchSize?: number;
  /** How often the sweep (scheduled launches, stalled launches) runs. @default 5000 */
  readonly sweepMs?: number;
  /** Wraps the sender handler (tests inject crashes). */
  readonly wrapSender?: (handler: QueueHandler) => QueueHandler;
  readonly onError?: (e: unknown) => void;
}

export interface CampaignEngine {
  readonly queues: CampaignQueues;
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
  const visibility = (timeoutSeconds: number) => o.visibilitySeconds ?? timeoutSeconds + 30;
  const launchQueue = new LocalQueue({
    db,
    table: o.table,
    name: `${prefix}-campaign-launch`,
    visibilitySeconds: visibility(EVENT_FUNCTIONS.campaignLauncher.timeoutSeconds),
    maxReceiveCount: 5,
    duplicateRate: o.duplicateRate ?? 0,
  });
  const sendQueue = new LocalQueue({
    db,
    table: o.table,
    name: `${prefix}-campaign-send`,
    visibilitySeconds: visibility(EVENT_FUNCTIONS.campaignSender.timeoutSeconds),
    maxReceiveCount: o.maxReceiveCount ?? 7,
    duplicateRate: o.duplicateRate ?? 0,
  });
  const queues: CampaignQueues = {
    launch: (campaignId: string) => launchQueue.send([JSON.stringify({ campaignId })]),
    send: (batches: readonly SendBatch[], delaySeconds = 0) => sendQueue.send(batches.map((b) => JSON.stringify(b)), delaySeconds),
    deadLetter: (letter: DeadLetter) => sendQueue.deadLetter(JSON.stringify(letter), { reason: letter.reason }),
  };
  useLocalCampaignQueues(queues);

  const { handler: launcher } = await import('../lambdas/handlers/campaign-launcher.ts');
  const { handler: sender } = await import('../lambdas/handlers/campaign-sender.ts');
  const { handler: sweepHandler } = await import('../lambdas/handlers/start-due-campaigns.ts');
  const consumers = [
    startConsumer(launchQueue, launcher, { batchSize: 1, concurrency: 1, timeoutSeconds: EVENT_FUNCTIONS.campaignLauncher.timeoutSeconds, ...(o.onError ? { onError: o.onError } : {}) }),
    startConsumer(sendQueue, o.wrapSender ? o.wrapSender(sender) : sender, {
      batchSize: o.senderBatchSize ?? 5,
      concurrency: o.senderConcurrency ?? 4,
      timeoutSeconds: EVENT_FUNCTIONS.campaignSender.timeoutSeconds,
      ...(o.onError ? { onError: o.onError } : {}),
    }),
  ];
  const sweep = async () => {
    await sweepHandler();
  };
  const timer = setInterval(() => void sweep().catch((e: unknown) => o.onError?.(e)), o.sweepMs ?? 5000);
  return {
    queues,
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

/**
 * Builds the services' dependencies once per cold start: the DynamoDB stores and the SES mailer on the shared SDK
 * clients, the keys, and the sending settings from the environment (parsed with zod on first use).
 */
import { z } from 'zod';
import type { CampaignQueues, Deps, SendingSettings, Settings } from '../services/deps.ts';
import { ENV } from '../wiring/env-keys.ts';
import { documentClient, sesClient, sqsClient } from './clients.ts';
import { config } from './config.ts';
import { CampaignStore } from './dynamo/campaign-store.ts';
import { CatalogStore } from './dynamo/catalog-store.ts';
import { MessageStore } from './dynamo/message-store.ts';
import { RecipientStore } from './dynamo/recipient-store.ts';
import { SuppressionStore } from './dynamo/suppression-store.ts';
import { runtimeKeys } from './keys.ts';
import { SesMailer } from './ses-mailer.ts';
import { SqsCampaignQueues } from './sqs-campaign-queues.ts';

const SettingsSchema = z.object({
  [ENV.publicBaseUrl]: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
  [ENV.fromAddress]: z.string().min(3, 'set the SES identity mail is sent from'),
  [ENV.postalAddress]: z.string().min(3, 'set the postal address shown in marketing mail'),
  [ENV.sesConfigurationSet]: z.string().optional(),
  [ENV.unsubscribeMailbox]: z.email().optional(),
});

export function parseSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = SettingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Sendwell sending settings are invalid: ${problems}`);
  }
  const e = parsed.data;
  return {
    publicBaseUrl: e[ENV.publicBaseUrl],
    fromAddress: e[ENV.fromAddress],
    postalAddress: e[ENV.postalAddress],
    ...(e[ENV.sesConfigurationSet] ? { configurationSet: e[ENV.sesConfigurationSet] } : {}),
    ...(e[ENV.unsubscribeMailbox] ? { unsubscribeMailbox: e[ENV.unsubscribeMailbox] } : {}),
  };
}

const SendingSchema = z.object({
  [ENV.sendRate]: z.coerce.number().positive().max(10_000).default(14),
  [ENV.sendMaxAttempts]: z.coerce.number().int().min(1).max(50).default(5),
  [ENV.sendReconcileSeconds]: z.coerce.number().int().min(1).max(86_400).default(600),
});

export function parseSending(env: NodeJS.ProcessEnv = process.env): SendingSettings {
  const parsed = SendingSchema.safeParse(Object.fromEntries(Object.keys(SendingSchema.shape).map((k) => [k, env[k] || undefined])));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Sendwell campaign sending settings are invalid: ${problems}`);
  }
  const e = parsed.data;
  return { ratePerSecond: e[ENV.sendRate], maxAttempts: e[ENV.sendMaxAttempts], reconcileSeconds: e[ENV.sendReconcileSeconds] };
}

let deps: Deps | undefined;
let localQueues: CampaignQueues | undefined;

/**
 * The local stack and the tests run the campaign handlers in process, with a stand-in for SQS (`local/campaign-queue.ts`):
 * they hand it here before the first request. On AWS nothing calls this and the queues are SQS.
 */
export function useLocalCampaignQueues(queues: CampaignQueues): void {
  localQueues = queues;
}

export function container(): Deps {
  if (deps) return deps;
  const db = documentClient();
  const { tables } = config();
  let settings: Settings | undefined;
  let sending: SendingSettings | undefined;
  let queues: CampaignQueues | undefined;
  deps = {
    recipients: new RecipientStore(db, tables),
    catalog: new CatalogStore(db, tables),
    suppressions: new SuppressionStore(db, tables),
    messages: new MessageStore(db, tables),
    campaigns: new CampaignStore(db, tables),
    get queues() {
      if (localQueues) return localQueues;
      queues ??= new SqsCampaignQueues(sqsClient(), {
        launch: process.env[ENV.launchQueueUrl],
        send: process.env[ENV.sendQueueUrl],
        deadLetter: process.env[ENV.sendDeadLetterQueueUrl],
      });
      return queues;
    },
    get sending() {
      sending ??= parseSending();
      return sending;
    },
    mailer: new SesMailer(sesClient()),
    keys: runtimeKeys,
    // Parsed on first use: a stage without mail settings can still manage topics and recipients, and the first
    // request that needs to send fails with a message naming the missing variable.
    get settings() {
      settings ??= parseSettings();
      return settings;
    },
    retentionDays: z.coerce.number().int().min(1).max(3650).default(400).parse(process.env[ENV.retentionDays] ?? undefined),
    clock: () => new Date(),
  };
  return deps;
}

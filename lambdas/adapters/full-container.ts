/**
 * The services' dependencies on a given DynamoDB `Db`: the stores, the SES mailer, the queues, the keys, and the
 * sending settings from the environment (read on first use). Built once per cold start by `container()`
 * (container.ts, on the SDK's client: every function but the public pages) and by `pageContainer()`
 * (page-container.ts, on the lean client: the preference page and the confirm link). The pixel, click and unsubscribe
 * build only their part (public-deps.ts, public-container.ts).
 */
import type { CampaignQueues, Deps, SendingSettings, Settings } from '../services/deps.ts';
import { ENV } from '../wiring/env-keys.ts';
import { sesClient, sqsClient } from './service-clients.ts';
import type { Db } from './dynamo/db.ts';
import { publicDeps } from './public-deps.ts';
import { optionalNumber, parseSettings } from './settings.ts';
import { config, readEnv } from './config.ts';
import { CampaignStore } from './dynamo/campaign-store.ts';
import { DEFAULT_PAUSE_POLICY, type PausePolicy } from '../domain/marketing-pause.ts';
import { SES_REVIEW_RATES } from '../domain/metrics.ts';
import { DEFAULT_SOFT_BOUNCE_POLICY, type SoftBouncePolicy } from '../domain/soft-bounces.ts';
import { ControlStore } from './dynamo/control-store.ts';
import { DeliveryStore } from './dynamo/delivery-store.ts';
import { FeedbackStore } from './dynamo/feedback-store.ts';
import { JourneyStore } from './dynamo/journey-store.ts';
import { SesMailer } from './ses-mailer.ts';
import { SqsCampaignQueues } from './sqs-campaign-queues.ts';

const SENDING = {
  [ENV.sendRate]: optionalNumber({ above: 0, max: 10_000 }),
  [ENV.sendMaxAttempts]: optionalNumber({ integer: true, min: 1, max: 50 }),
  [ENV.sendReconcileSeconds]: optionalNumber({ integer: true, min: 1, max: 86_400 }),
};

/** How campaigns send (rate, attempts, reconcile window), defaults filled; throws naming a bad variable. */
export function parseSending(env: NodeJS.ProcessEnv = process.env): SendingSettings {
  const e = readEnv(env, 'campaign sending settings', SENDING);
  return { ratePerSecond: e[ENV.sendRate] ?? 14, maxAttempts: e[ENV.sendMaxAttempts] ?? 5, reconcileSeconds: e[ENV.sendReconcileSeconds] ?? 600 };
}

const POLICIES = {
  [ENV.softBounceLimit]: optionalNumber({ integer: true, min: 1, max: 100 }),
  [ENV.softBounceWindowDays]: optionalNumber({ integer: true, min: 1, max: 90 }),
  [ENV.softBounceSuppressDays]: optionalNumber({ integer: true, min: 1, max: 3650 }),
  [ENV.pauseBounceRate]: optionalNumber({ above: 0, below: SES_REVIEW_RATES.bounce, belowHint: `must be below SES's review threshold ${SES_REVIEW_RATES.bounce}` }),
  [ENV.pauseComplaintRate]: optionalNumber({ above: 0, below: SES_REVIEW_RATES.complaint, belowHint: `must be below SES's review threshold ${SES_REVIEW_RATES.complaint}` }),
  [ENV.pauseMinSent]: optionalNumber({ integer: true, min: 1 }),
  [ENV.pauseWindowDays]: optionalNumber({ integer: true, min: 1, max: 90 }),
};

/** The transient-bounce and auto-pause policies from the environment, defaults filled; throws naming a bad variable. */
export function parsePolicies(env: NodeJS.ProcessEnv = process.env): { softBounces: SoftBouncePolicy; pausePolicy: PausePolicy } {
  const e = readEnv(env, 'feedback settings', POLICIES);
  return {
    softBounces: {
      limit: e[ENV.softBounceLimit] ?? DEFAULT_SOFT_BOUNCE_POLICY.limit,
      windowDays: e[ENV.softBounceWindowDays] ?? DEFAULT_SOFT_BOUNCE_POLICY.windowDays,
      suppressDays: e[ENV.softBounceSuppressDays] ?? DEFAULT_SOFT_BOUNCE_POLICY.suppressDays,
    },
    pausePolicy: {
      bounceRate: e[ENV.pauseBounceRate] ?? DEFAULT_PAUSE_POLICY.bounceRate,
      complaintRate: e[ENV.pauseComplaintRate] ?? DEFAULT_PAUSE_POLICY.complaintRate,
      minSent: e[ENV.pauseMinSent] ?? DEFAULT_PAUSE_POLICY.minSent,
      windowDays: e[ENV.pauseWindowDays] ?? DEFAULT_PAUSE_POLICY.windowDays,
    },
  };
}

const RETENTION = { [ENV.retentionDays]: optionalNumber({ integer: true, min: 1, max: 3650 }) };

/** Days message records and raw tracking events are kept (DynamoDB TTL; default 400); throws naming a bad variable. */
export function parseRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  return readEnv(env, 'retention settings', RETENTION)[ENV.retentionDays] ?? 400;
}

let localQueues: CampaignQueues | undefined;

/**
 * The local stack and the tests run the campaign handlers in process, with a stand-in for SQS (`local/campaign-queue.ts`):
 * they hand it here before the first request. On AWS nothing calls this and the queues are SQS.
 */
export function useLocalCampaignQueues(queues: CampaignQueues): void {
  localQueues = queues;
}

/** Every dependency of the services, the stores on `db`. */
export function buildContainer(db: Db): Deps {
  const { tables } = config();
  // The stores, keys and clock the public routes use (public-deps.ts), built the same way; its base URL is not read here.
  const base = publicDeps(db);
  let settings: Settings | undefined;
  let sending: SendingSettings | undefined;
  let queues: CampaignQueues | undefined;
  let mailer: SesMailer | undefined;
  return {
    recipients: base.recipients,
    catalog: base.catalog,
    suppressions: base.suppressions,
    messages: base.messages,
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
    control: new ControlStore(db, tables),
    delivery: new DeliveryStore(db, tables),
    feedback: new FeedbackStore(db, tables),
    // Built on the first mail sent: most requests of most functions (the public routes') send none.
    mailer: { send: (message, options) => (mailer ??= new SesMailer(sesClient())).send(message, options) },
    journeys: new JourneyStore(db, tables),
    keys: base.keys,
    // Parsed on first use: a stage without mail settings can still manage topics and recipients, and the first
    // request that needs to send fails with a message naming the missing variable.
    get settings() {
      settings ??= parseSettings();
      return settings;
    },
    retentionDays: parseRetentionDays(),
    ...parsePolicies(),
    clock: base.clock,
  };
}

/**
 * What the services need from the outside, as narrow structural types. The services import no SDK: tests and the
 * container (`lambdas/adapters/container.ts`) hand them the DynamoDB and SES adapters.
 */
import type { CampaignStore } from '../adapters/dynamo/campaign-store.ts';
import type { CatalogStore } from '../adapters/dynamo/catalog-store.ts';
import type { DeadLetter, SendBatch } from '../domain/campaign.ts';
import type { ControlStore } from '../adapters/dynamo/control-store.ts';
import type { DeliveryStore } from '../adapters/dynamo/delivery-store.ts';
import type { FeedbackStore } from '../adapters/dynamo/feedback-store.ts';
import type { JourneyStore } from '../adapters/dynamo/journey-store.ts';
import type { MessageStore } from '../adapters/dynamo/message-store.ts';
import type { RecipientStore } from '../adapters/dynamo/recipient-store.ts';
import type { SuppressionStore } from '../adapters/dynamo/suppression-store.ts';
import type { RuntimeKeys } from '../adapters/keys.ts';
import type { SesMailer } from '../adapters/ses-mailer.ts';
import type { PausePolicy } from '../domain/marketing-pause.ts';
import type { SoftBouncePolicy } from '../domain/soft-bounces.ts';

export interface Settings {
  /** Base URL of the public pages, no trailing slash. */
  readonly publicBaseUrl: string;
  /** `From` of every mail Sendwell sends. */
  readonly fromAddress: string;
  /** The sender's postal address, shown in marketing footers. */
  readonly postalAddress: string;
  readonly configurationSet?: string;
  /** A mailbox that takes `mailto:` unsubscribe requests, when one is set up. */
  readonly unsubscribeMailbox?: string;
}

/** How campaigns send, from the stage's configuration. */
export interface SendingSettings {
  /** Campaign mails per second when the campaign sets no rate. */
  readonly ratePerSecond: number;
  /** Tries of one recipient (throttles and SES errors) before it is dead-lettered with the reason. */
  readonly maxAttempts: number;
  /** Seconds before a claim left `sending` is settled from SES feedback or sent again. */
  readonly reconcileSeconds: number;
}

/**
 * The campaign queues: SQS on AWS, the local stack's stand-in locally. A message may be delivered more than once;
 * every consumer is idempotent.
 */
export interface CampaignQueues {
  /** Asks the launcher to find (more of) the campaign's audience. */
  launch(campaignId: string): Promise<void>;
  /** Hands batches to the senders, after `delaySeconds` (at most 900). */
  send(batches: readonly SendBatch[], delaySeconds?: number): Promise<void>;
  /** Keeps what kept failing, with why, for ops to look at and redrive. */
  deadLetter(letter: DeadLetter): Promise<void>;
}

export interface Deps {
  readonly recipients: Pick<
    RecipientStore,
    'create' | 'createMany' | 'claimMany' | 'writeClaimed' | 'claims' | 'findIdByAddressHash' | 'findIdsByAddressHashes' | 'get' | 'getProfile' | 'apply' | 'ledger' | 'fullLedger' | 'erase' | 'changeAddress' | 'audiencePage' | 'getForSending'
  >;
  readonly catalog: Pick<
    CatalogStore,
    'createTopic' | 'getTopic' | 'listTopics' | 'updateTopic' | 'putTemplate' | 'getTemplate' | 'listTemplates' | 'putSegment' | 'getSegment' | 'listSegments' | 'deleteSegment'
  >;
  /** Quiet hours, frequency caps and the default time zone; the per-recipient marketing send log; the due-time index. */
  readonly delivery: Pick<DeliveryStore, 'getSettings' | 'putSettings' | 'sentLogs' | 'sendLogOf' | 'reserve' | 'release' | 'due' | 'unindex'>;
  readonly suppressions: Pick<SuppressionStore, 'list' | 'listMany' | 'put' | 'remove' | 'putIfNew' | 'migrateStep'>;
  readonly messages: Pick<
    MessageStore,
    | 'claim'
    | 'claimDeferred'
    | 'leaveDeferred'
    | 'deferredRequest'
    | 'deferAgainAfterFailure'
    | 'engagements'
    | 'deleteEngagement'
    | 'rememberErasing'
    | 'erasingIds'
    | 'markSent'
    | 'markFailed'
    | 'reclaimStale'
    | 'markHeld'
    | 'holdUnsettled'
    | 'markDeadLettered'
    | 'settleAsSent'
    | 'get'
    | 'getRecord'
    | 'records'
    | 'count'
    | 'recordOpen'
    | 'recordClick'
    | 'clicksSince'
    | 'putLinkSet'
    | 'getLinkSet'
    | 'sentLinks'
    | 'reclassifyClick'
    | 'idsByRecipient'
    | 'existing'
    | 'failedOf'
    | 'deleteMessage'
    | 'recordFeedback'
    | 'recordDelivery'
    | 'counterSeries'
    | 'dayCounters'
    | 'addFigures'
  >;
  readonly campaigns: CampaignStore;
  readonly queues: CampaignQueues;
  readonly sending: SendingSettings;
  /**
   * Stage-wide switches: the marketing pause. Anything that sends marketing asks `getMarketingPause()` (one consistent
   * read) and holds while it answers `{ since, reason }`.
   */
  readonly control: Pick<ControlStore, 'getMarketingPause' | 'getMarketingControl' | 'pauseMarketing' | 'resumeMarketing' | 'history'>;
  /** Recent bounces and complaints (masked) and the transient-bounce window per address. */
  readonly feedback: Pick<FeedbackStore, 'addRecent' | 'recent' | 'addSoftBounce' | 'forgetSoftBounces' | 'forgetMessage'>;
  readonly mailer: Pick<SesMailer, 'send'>;
  /** Journeys, their figures, enrolments (with the journeys' due index) and posted events. */
  readonly journeys: JourneyStore;
  readonly keys: () => Promise<RuntimeKeys>;
  readonly settings: Settings;
  readonly clock: () => Date;
  /** How long message records and their events are kept. @default 400 days */
  readonly retentionDays?: number;
  /** When repeated transient bounces suppress marketing to an address. @default DEFAULT_SOFT_BOUNCE_POLICY */
  readonly softBounces?: SoftBouncePolicy;
  /** When marketing pauses itself. @default DEFAULT_PAUSE_POLICY */
  readonly pausePolicy?: PausePolicy;
}

/** The counter series a message's events add to besides `ALL` (defined with the figures the stream derives). */
export { dimsOf } from '../domain/message-figures.ts';

/** Who asked: the IAM principal on AWS, `local-admin` on the local stack, `recipient` on public pages. */
export type Actor = string;

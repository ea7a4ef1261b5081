/**
 * What the services need from the outside, as narrow structural types. The services import no SDK: tests and the
 * container (`lambdas/adapters/container.ts`) hand them the DynamoDB and SES adapters.
 */
import type { CounterDims } from '../adapters/dynamo/counters.ts';
import type { CatalogStore } from '../adapters/dynamo/catalog-store.ts';
import type { ControlStore } from '../adapters/dynamo/control-store.ts';
import type { FeedbackStore } from '../adapters/dynamo/feedback-store.ts';
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

export interface Deps {
  readonly recipients: Pick<RecipientStore, 'create' | 'findIdByAddressHash' | 'get' | 'apply' | 'ledger' | 'fullLedger' | 'erase' | 'changeAddress'>;
  readonly catalog: Pick<CatalogStore, 'createTopic' | 'getTopic' | 'listTopics' | 'putTemplate' | 'getTemplate' | 'listTemplates'>;
  readonly suppressions: Pick<SuppressionStore, 'list' | 'put' | 'remove' | 'putIfNew'>;
  readonly messages: Pick<MessageStore, 'claim' | 'markSent' | 'markFailed' | 'get' | 'getRecord' | 'count' | 'recordOpen' | 'recordClick' | 'idsByRecipient' | 'deleteMessage' | 'recordFeedback' | 'counterSeries' | 'dayCounters'>;
  /**
   * Stage-wide switches: the marketing pause. Anything that sends marketing asks `getMarketingPause()` (one consistent
   * read) and holds while it answers `{ since, reason }`.
   */
  readonly control: Pick<ControlStore, 'getMarketingPause' | 'getMarketingControl' | 'pauseMarketing' | 'resumeMarketing' | 'history'>;
  /** Recent bounces and complaints (masked) and the transient-bounce window per address. */
  readonly feedback: Pick<FeedbackStore, 'addRecent' | 'recent' | 'addSoftBounce' | 'forgetSoftBounces'>;
  readonly mailer: Pick<SesMailer, 'send'>;
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

/** The counter series a message's events add to besides `ALL`: its topic's and its campaign's. */
export const dimsOf = (m: { readonly topic?: string | undefined; readonly campaignId?: string | undefined }): CounterDims => ({
  ...(m.topic ? { topic: m.topic } : {}),
  ...(m.campaignId ? { campaign: m.campaignId } : {}),
});

/** Who asked: the IAM principal on AWS, `local-admin` on the local stack, `recipient` on public pages. */
export type Actor = string;

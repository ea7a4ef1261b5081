/**
 * Every environment variable the Lambdas read, named once. The CDK constructs set them, the local stack sets them,
 * and `lambdas/adapters/config.ts` checks them at cold start.
 */
export const ENV = {
  stage: 'SENDWELL_STAGE',
  tableRecipients: 'SENDWELL_TABLE_RECIPIENTS',
  tableLedger: 'SENDWELL_TABLE_LEDGER',
  tableSuppressions: 'SENDWELL_TABLE_SUPPRESSIONS',
  tableCampaigns: 'SENDWELL_TABLE_CAMPAIGNS',
  tableMessages: 'SENDWELL_TABLE_MESSAGES',
  tableCounters: 'SENDWELL_TABLE_COUNTERS',
  tableRelay: 'SENDWELL_TABLE_RELAY',
  /** Only set by the local stack and tests: where DynamoDB Local listens. */
  dynamodbEndpoint: 'SENDWELL_DYNAMODB_ENDPOINT',
  /** Only set by the local stack and tests: where the local SES listens. */
  sesEndpoint: 'SENDWELL_SES_ENDPOINT',
  sesConfigurationSet: 'SENDWELL_SES_CONFIGURATION_SET',
  fromAddress: 'SENDWELL_FROM_ADDRESS',
  publicBaseUrl: 'SENDWELL_PUBLIC_BASE_URL',
  postalAddress: 'SENDWELL_POSTAL_ADDRESS',
  /** Optional: the sender's name on the public pages (unsubscribe, preferences, confirm); default the display name of the from address. */
  senderName: 'SENDWELL_SENDER_NAME',
  /** Optional: an https URL of the sender's logo, shown on the public pages. */
  logoUrl: 'SENDWELL_LOGO_URL',
  /** Optional: the mailbox SES receives `mailto:` unsubscribe requests at (`List-Unsubscribe` second URI). */
  unsubscribeMailbox: 'SENDWELL_UNSUBSCRIBE_MAILBOX',
  /** Days message records and raw tracking events are kept (DynamoDB TTL). Default 400. */
  retentionDays: 'SENDWELL_RETENTION_DAYS',
  /** AWS: Secrets Manager id of the token signing keys (`{"current": "k1", "k1": "…"}`). */
  tokenKeysSecret: 'SENDWELL_TOKEN_KEYS_SECRET',
  /** AWS: Secrets Manager id of the pseudonymization secret (`{"secret": "…"}`; never rotated). */
  pseudonymSecret: 'SENDWELL_PSEUDONYM_SECRET',
  /** AWS: Secrets Manager id of the partner webhooks (`[{"id","url","secret","includeAddress"}]`). */
  partnersSecret: 'SENDWELL_PARTNERS_SECRET',
  /** URL of the campaign launch queue (SQS on AWS; the local stack's stand-in ignores it). */
  launchQueueUrl: 'SENDWELL_LAUNCH_QUEUE_URL',
  /** URL of the campaign send queue. */
  sendQueueUrl: 'SENDWELL_SEND_QUEUE_URL',
  /** URL of the send queue's dead-letter queue: batches that kept failing, with their reason. */
  sendDeadLetterQueueUrl: 'SENDWELL_SEND_DLQ_URL',
  /** AWS: the import queue (chunks of an import job, `lib/import-jobs.ts`). */
  importQueueUrl: 'SENDWELL_IMPORT_QUEUE_URL',
  /** AWS: the bucket import files are uploaded to with a pre-signed URL (`lib/import-jobs.ts`). */
  importBucket: 'SENDWELL_IMPORT_BUCKET',
  /** Local stack and tests only: the folder uploaded import files are kept in, in place of the bucket. */
  localUploadsDir: 'SENDWELL_LOCAL_UPLOADS_DIR',
  /** Local stack and tests only: the gateway's base URL the local upload endpoint answers on. */
  localUploadsUrl: 'SENDWELL_LOCAL_UPLOADS_URL',
  /** Local stack and tests only: the key local upload URLs are signed with (random per start). */
  localUploadsSecret: 'SENDWELL_LOCAL_UPLOADS_SECRET',
  /** Campaign mails per second when a campaign sets no rate: at most the SES account's maximum send rate. Default 14. */
  sendRate: 'SENDWELL_SEND_RATE',
  /** Deliveries of a send batch before what still fails is dead-lettered with its reason. Default 5. */
  sendMaxAttempts: 'SENDWELL_SEND_MAX_ATTEMPTS',
  /**
   * Seconds after which a message claimed but never marked sent (the sender died around the SES call) is settled: sent
   * if SES reported a send event for it, sent again otherwise. Longer than SES events take to arrive. Default 600.
   */
  sendReconcileSeconds: 'SENDWELL_SEND_RECONCILE_SECONDS',
  /**
   * Tests only: milliseconds added to the handlers' clock (a local-time or quiet-hours test moves "now" past a moment
   * hours away instead of waiting for it). Never set on AWS; `npm start` refuses to start with it.
   */
  clockOffsetMs: 'SENDWELL_CLOCK_OFFSET_MS',
  /** Local stack and tests only: the partner webhooks as JSON, in place of the secret. */
  partners: 'SENDWELL_PARTNERS',
  /** Local stack and tests only: the token keys as JSON, in place of the secret. */
  tokenKeys: 'SENDWELL_TOKEN_KEYS',
  /** Local stack and tests only: the pseudonymization secret, in place of the secret. */
  pseudonymKey: 'SENDWELL_PSEUDONYM_KEY',
  // ---- SES feedback and the marketing auto-pause (docs/operations.md); every one optional, defaults in brackets ----
  /** Transient bounces of one address within the window that suppress marketing to it [3]. */
  softBounceLimit: 'SENDWELL_SOFT_BOUNCE_LIMIT',
  /** Days of the transient-bounce window [7]. */
  softBounceWindowDays: 'SENDWELL_SOFT_BOUNCE_WINDOW_DAYS',
  /** Days marketing stays suppressed after repeated transient bounces [30]. */
  softBounceSuppressDays: 'SENDWELL_SOFT_BOUNCE_SUPPRESS_DAYS',
  /** Hard-bounce rate (fraction) at which marketing pauses itself; below SES's 0.05 [0.045]. */
  pauseBounceRate: 'SENDWELL_PAUSE_BOUNCE_RATE',
  /** Complaint rate (fraction) at which marketing pauses itself; below SES's 0.001 [0.0009]. */
  pauseComplaintRate: 'SENDWELL_PAUSE_COMPLAINT_RATE',
  /** Sent mails the window must hold before a rate can pause anything [1000]. */
  pauseMinSent: 'SENDWELL_PAUSE_MIN_SENT',
  /** Days of counters the auto-pause judges, today included [7]. */
  pauseWindowDays: 'SENDWELL_PAUSE_WINDOW_DAYS',
} as const;

export type EnvKey = (typeof ENV)[keyof typeof ENV];

/**
 * The variable carrying each table's name, by table (`TABLES` in ./tables.ts names the same): the configuration reads
 * these at every cold start without loading the tables' key and index definitions.
 */
export const TABLE_ENV = {
  recipients: ENV.tableRecipients,
  ledger: ENV.tableLedger,
  suppressions: ENV.tableSuppressions,
  campaigns: ENV.tableCampaigns,
  messages: ENV.tableMessages,
  relay: ENV.tableRelay,
  counters: ENV.tableCounters,
} as const;

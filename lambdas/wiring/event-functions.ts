/**
 * The functions no HTTP route invokes, defined like `FUNCTIONS` of `routes.ts` (same `FunctionDef`, same
 * `Permission`s, so `lib/functions.ts` builds and grants them the same way). Each names what invokes it; the
 * construct of that event source connects it (`ses-receipt`: `lib/inbound-mail.ts`).
 */
import { COUNTED_FEEDBACK_KINDS } from '../domain/message-figures.ts';
import type { FunctionDef } from './routes.ts';
import { ALL_VERBS, RECIPIENT_PAGE } from './table-access.ts';

/**
 * The messages stream as the figures function reads it (lib/message-figures.ts), here without CDK so the local stream
 * reader (local/stream-poller.ts) reads it the same way: up to 100 records a batch, waiting up to 5 s for a fuller one
 * (the benches' reader; `npm start`'s and the tests' hand over at once), and Lambda event filters that let through
 * only the changes that can add to the figures or settle a campaign recipient (domain/message-figures.ts
 * `figuresOfChange`, `settledOfChange`): a message record's
 * MODIFY, a campaign record claimed final, and the INSERT of a counted SES feedback event. Other claims, raw open and
 * click events, engagement items, link sets and every REMOVE (TTL, erasure) never invoke it.
 */
export const FIGURES_STREAM = {
  batchSize: 100,
  windowSeconds: 5,
  filters: [
    { eventName: ['MODIFY'], dynamodb: { Keys: { sk: { S: ['MSG'] } } } },
    { eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'E#' }] } }, NewImage: { type: { S: [...COUNTED_FEEDBACK_KINDS] } } } },
    // A campaign recipient whose record is final from its first write (a claim as `held`) settles the recipient
    // (domain/message-figures.ts `settledOfChange`); a claim as `sending` or `deferred`, every mail's first write, does
    // not invoke the function.
    { eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: ['MSG'] } }, NewImage: { status: { S: ['held', 'sent', 'failed'] }, campaignId: { S: [{ exists: true }] } } } },
  ],
} as const;

/**
 * The ledger stream as the partner relay reads it (lib/partner-relay.ts; local/main.ts reads it the same way): only a
 * new entry (INSERT) is relayed, so nothing else invokes the function. The ledger is append-only; its REMOVEs are
 * erasures, which the relay has nothing to send for.
 */
export const LEDGER_STREAM = {
  filters: [{ eventName: ['INSERT'] }],
} as const;

/**
 * Receives of an import queue message before SQS moves it to the dead-letter queue (lib/import-jobs.ts sets the
 * redrive, local/import-engine.ts the local queue's): the worker marks the job `failed` when a message fails on its
 * last receive, so a job never says `running` for a chunk nobody will import. A chunk resumes at its offset, so
 * retries are cheap.
 */
export const IMPORT_MAX_RECEIVES = 10;

/**
 * What invokes an event function. `ses-receipt`: an SES receipt rule's Lambda action (asynchronous, `Event`).
 * `ledger-stream`: the consent ledger table's DynamoDB stream (batches, partial failures). `messages-stream`: the
 * messages table's DynamoDB stream (batches of up to 100, partial failures, no bisection). `schedule`: an EventBridge
 * Scheduler rate. `ses-events`: the configuration set's event destination on the default EventBridge bus.
 * `campaign-launch-queue`: the launch queue (SQS, one message at a time). `campaign-send-queue`: the send queue (SQS,
 * partial batch failures, concurrency capped from the SES send rate). `import-queue`: the import jobs' queue (SQS, one
 * chunk at a time, partial batch failures; lib/import-jobs.ts).
 */
export type EventSource = 'ses-receipt' | 'ledger-stream' | 'messages-stream' | 'schedule' | 'ses-events' | 'campaign-launch-queue' | 'campaign-send-queue' | 'import-queue';

export interface EventFunctionDef extends FunctionDef {
  readonly source: EventSource;
}

export const EVENT_FUNCTIONS = {
  mailtoUnsubscribe: {
    entry: 'lambdas/handlers/mailto-unsubscribe.ts',
    description: 'mailto: unsubscribe: mail to the unsubscribe mailbox (SES receipt rule); verifies the token in the subject, unsubscribes.',
    source: 'ses-receipt',
    memorySize: 256,
    timeoutSeconds: 10,
    // Same grants as the unsubscribe page: the token keys to verify, the tables to record the opt-out in the ledger.
    permissions: ['keys:read'],
    tables: RECIPIENT_PAGE,
  },
  relayLedgerStream: {
    entry: 'lambdas/handlers/relay-ledger-stream.ts',
    description: 'Consent ledger stream → signed partner webhooks (failures kept for replay); carries out the erasure-tombstone lifts the public pages ledger.',
    source: 'ledger-stream',
    memorySize: 256,
    timeoutSeconds: 60,
    permissions: ['keys:read', 'partners:read'],
    // suppressions: a tombstone lift ledgered on a public page (whose functions may only read suppressions) is done
    // here: a reason removed from the address's item, the item deleted with its last reason (and, until the layout's
    // move is done, the old layout's item).
    tables: { recipients: ['read'], relay: ['read', 'put'], suppressions: ['read', 'update', 'delete'] },
  },
  countMessageFigures: {
    entry: 'lambdas/handlers/count-message-figures.ts',
    description: 'Figures: messages table stream → day counters (deliveries, SES feedback, opens, clicks) and campaign progress, each counter once per batch, exactly once; completes campaigns; judges the marketing auto-pause.',
    source: 'messages-stream',
    memorySize: 256,
    timeoutSeconds: 60,
    permissions: [],
    // The images come with the stream: no message read. counters: the markers (put), the sums (update), and the
    // auto-pause (reads the figures and the switch, pauses with an update and a history put). campaigns: the
    // progress of the recipients a batch settled (update), and completing the campaign (read, update, and the
    // active-campaign item's delete).
    tables: { counters: ['read', 'put', 'update'], campaigns: ['read', 'update', 'delete'] },
  },
  replayPartnerEvents: {
    entry: 'lambdas/handlers/replay-partner-events.ts',
    description: 'Partner relay: sends kept failed deliveries again, oldest first (every 15 minutes).',
    source: 'schedule',
    memorySize: 256,
    timeoutSeconds: 300,
    permissions: ['keys:read', 'partners:read'],
    tables: { relay: ['read', 'put', 'delete'] },
  },
  sesEvents: {
    entry: 'lambdas/handlers/ses-events.ts',
    description: 'SES feedback: delivery, bounce, complaint, reject, delay and rendering-failure events → message records, suppressions, ledger, counters.',
    source: 'ses-events',
    memorySize: 256,
    timeoutSeconds: 30,
    permissions: ['keys:read'],
    tables: { recipients: ['read', 'put', 'update'], ledger: ['put'], suppressions: ['read', 'update'], campaigns: ['read'], messages: ['read', 'put', 'update'], counters: ['read', 'put', 'update'] },
  },
  campaignLauncher: {
    entry: 'lambdas/handlers/campaign-launcher.ts',
    description: 'Campaigns: pages the audience (topic index or all recipients) into send batches on the send queue; resumable from its saved cursor.',
    source: 'campaign-launch-queue',
    memorySize: 512,
    // Pages for at most LAUNCH_TIME_BUDGET_MS of this, then hands the rest to a new launch message.
    timeoutSeconds: 300,
    permissions: ['campaigns:enqueue'],
    tables: { recipients: ['read'], campaigns: ALL_VERBS, counters: ['read'] },
  },
  campaignSender: {
    entry: 'lambdas/handlers/campaign-sender.ts',
    description: 'Campaigns: one send batch → batched consent and suppression reads, claim, render, send (rate limited), record; partial batch failures.',
    source: 'campaign-send-queue',
    memorySize: 512,
    timeoutSeconds: 120,
    // `campaigns:enqueue`: a batch that keeps failing goes to the dead-letter queue with its reason.
    permissions: ['ses:send', 'keys:read', 'campaigns:enqueue'],
    // recipients put/update: the slot a marketing mail takes in the person's send log under frequency caps (and gives back).
    tables: { recipients: ['read', 'put', 'update'], suppressions: ['read'], campaigns: ALL_VERBS, messages: ['read', 'put', 'update'], counters: ['read', 'put', 'update'] },
  },
  startDueCampaigns: {
    entry: 'lambdas/handlers/start-due-campaigns.ts',
    description: 'Campaigns: every minute, launches scheduled campaigns whose time has come, restarts launches that stalled, sends back batches parked while their campaign is sending, picks A/B test winners.',
    source: 'schedule',
    memorySize: 256,
    timeoutSeconds: 60,
    permissions: ['campaigns:enqueue'],
    tables: { campaigns: ALL_VERBS, counters: ['read'] },
  },
  importWorker: {
    entry: 'lambdas/handlers/import-worker.ts',
    description: 'Import jobs: one chunk of an import file → rows imported in recorded steps, resumable at its offset; partial batch failures.',
    source: 'import-queue',
    memorySize: 512,
    // A chunk of 250 rows takes a few seconds on AWS; the worker stops 15 s before its time and resumes on redelivery.
    timeoutSeconds: 120,
    // It reads uploaded files and queues the chunks it reads them into.
    permissions: ['keys:read', 'imports:enqueue', 'imports:read-uploads'],
    // The job and its chunks live in the campaigns table; rows become recipients with their ledger entries. New
    // recipients go in by BatchWriteItem, which IAM grants only with deletes (the `delete` verb); never on the ledger.
    tables: { recipients: ['read', 'put', 'update', 'delete'], ledger: ['put'], campaigns: ['read', 'put', 'update', 'delete'] },
  },
  sendDueMessages: {
    entry: 'lambdas/handlers/send-due-messages.ts',
    description: 'Deferred mail: every minute, reads the messages due-time index (quiet hours over, local-time moments reached); campaign recipients back on the send queue, transactional mail decided again and sent.',
    source: 'schedule',
    memorySize: 512,
    timeoutSeconds: 120,
    // Transactional deferred mail is sent from here (`ses:send`, `keys:read` for its links); campaign recipients go
    // back on the send queue (`campaigns:enqueue`).
    permissions: ['ses:send', 'keys:read', 'campaigns:enqueue'],
    // recipients: the mail's recipient, and its slot in the send log (a transaction: put, and update to give it back);
    // messages: the due index, the record's moves; counters: the delivery settings and the day's figures.
    tables: { recipients: ['read', 'put', 'update'], suppressions: ['read'], campaigns: ['read'], messages: ['read', 'put', 'update'], counters: ['read', 'update'] },
  },
  runDueJourneys: {
    entry: 'lambdas/handlers/run-due-journeys.ts',
    description: 'Journeys: every minute, reads the enrolments due-time index (waits that ended, steps a failed run left) and runs their next steps through the send rule.',
    source: 'schedule',
    memorySize: 512,
    timeoutSeconds: 120,
    permissions: ['ses:send', 'keys:read'],
    // recipients: the enrolments (and their due index), the person, their send-log slot; campaigns: journeys, templates,
    // topics, the journeys' figures; messages: the step's message record (and its opens and clicks for a branch).
    tables: { recipients: ['read', 'put', 'update'], suppressions: ['read'], campaigns: ['read', 'update'], messages: ['read', 'put', 'update'], counters: ['read', 'update'] },
  },
  migrateData: {
    entry: 'lambdas/handlers/migrate-data.ts',
    description: 'Data migrations: every 5 minutes until it is done, moves suppressions of the old layout (one item per reason) to one item per address.',
    source: 'schedule',
    memorySize: 256,
    // Each run moves what it can in MIGRATE_BUDGET_MS (handlers/migrate-data.ts) and leaves the rest to the next.
    timeoutSeconds: 300,
    permissions: [],
    // The old items through the `legacy` index (read), each moved in a transaction: the address's item updated, the
    // old item deleted on the condition that it is unchanged; the migration's state item updated.
    tables: { suppressions: ['read', 'update', 'delete'] },
  },
} as const satisfies Record<string, EventFunctionDef>;

export type EventFunctionKey = keyof typeof EVENT_FUNCTIONS;


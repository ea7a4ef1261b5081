/**
 * The functions no HTTP route invokes, defined like `FUNCTIONS` of `routes.ts` (same `FunctionDef`, same
 * `Permission`s, so `lib/functions.ts` builds and grants them the same way). Each names what invokes it; the
 * construct of that event source connects it (`ses-receipt`: `lib/inbound-mail.ts`).
 */
import type { FunctionDef } from './routes.ts';

/**
 * What invokes an event function. `ses-receipt`: an SES receipt rule's Lambda action (asynchronous, `Event`).
 * `ledger-stream`: the consent ledger table's DynamoDB stream (batches, partial failures). `schedule`: an EventBridge
 * Scheduler rate. `ses-events`: the configuration set's event destination on the default EventBridge bus.
 */
export type EventSource = 'ses-receipt' | 'ledger-stream' | 'schedule' | 'ses-events';

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
    permissions: ['data:write', 'keys:read'],
  },
  relayLedgerStream: {
    entry: 'lambdas/handlers/relay-ledger-stream.ts',
    description: 'Partner relay: consent ledger stream → signed partner webhooks; failures kept for replay.',
    source: 'ledger-stream',
    memorySize: 256,
    timeoutSeconds: 60,
    permissions: ['data:write', 'keys:read', 'partners:read'],
  },
  replayPartnerEvents: {
    entry: 'lambdas/handlers/replay-partner-events.ts',
    description: 'Partner relay: sends kept failed deliveries again, oldest first (every 15 minutes).',
    source: 'schedule',
    memorySize: 256,
    timeoutSeconds: 300,
    permissions: ['data:write', 'keys:read', 'partners:read'],
  },
  sesEvents: {
    entry: 'lambdas/handlers/ses-events.ts',
    description: 'SES feedback: delivery, bounce, complaint, reject, delay and rendering-failure events → message records, suppressions, ledger, counters.',
    source: 'ses-events',
    memorySize: 256,
    timeoutSeconds: 30,
    permissions: ['data:write', 'keys:read'],
  },
} as const satisfies Record<string, EventFunctionDef>;

export type EventFunctionKey = keyof typeof EVENT_FUNCTIONS;


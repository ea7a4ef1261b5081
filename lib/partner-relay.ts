/**
 * The partner relay concern: what carries consent changes from the consent ledger to the partner webhooks. The
 * ledger table's stream invokes `relayLedgerStream`, a schedule invokes `replayPartnerEvents` (both from
 * `lambdas/wiring/event-functions.ts`); what the relay finally cannot process lands in a failure queue.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { EVENT_FUNCTIONS, LEDGER_STREAM, type EventFunctionDef } from '../lambdas/wiring/event-functions.ts';
import type { FailureQueue } from './failure-queue.ts';
import { FunctionSchedule } from './function-schedule.ts';
import { assertEventSource, buildFunction, type BuildFunctionOptions } from './functions.ts';

/** The ledger stream's event source mapping, exported for the tests that hold the template to it. */
export const LEDGER_STREAM_SETTINGS = {
  /** A new mapping starts at the oldest record the stream still holds (24 hours): no entry is skipped on deploy. */
  startingPosition: lambda.StartingPosition.TRIM_HORIZON,
  batchSize: 25,
  /** One batch per shard at a time: the ledger entries of a recipient (one partition key) are relayed in order. */
  parallelizationFactor: 1,
  /** The handler returns the first record it could not relay; Lambda retries from there. */
  reportBatchItemFailures: true,
  /** A failing batch is split until the failing record is alone, so one bad record does not hold back 24 others. */
  bisectBatchOnError: true,
  retryAttempts: 10,
  /**
   * Well inside the stream's 24-hour retention: a record the function cannot process in time goes to the failure
   * queue with its shard and sequence numbers, leaving at least 18 hours to read it from the stream again (and the
   * ledger itself holds every entry for good), instead of being trimmed from the stream with no trace.
   */
  maxRecordAge: Duration.hours(6),
  /** New entries only (LEDGER_STREAM.filters): an erasure's REMOVEs do not invoke the function. */
  filters: LEDGER_STREAM.filters.map((pattern) => lambda.FilterCriteria.filter(pattern as unknown as Record<string, unknown>)),
} as const;

export interface PartnerRelayProps extends BuildFunctionOptions {
  /**
   * How often the kept failed deliveries are sent again.
   *
   * @default Duration.minutes(15)
   */
  readonly replayEvery?: Duration;
  /**
   * Keep the stream's failure queue when the stack is deleted.
   *
   * @default true
   */
  readonly retainFailures?: boolean;
  /**
   * The two functions, by key, if not those of EVENT_FUNCTIONS.
   *
   * @default relayLedgerStream and replayPartnerEvents of lambdas/wiring/event-functions.ts
   */
  readonly functions?: {
    readonly relay: { readonly key: string; readonly def: EventFunctionDef };
    readonly replay: { readonly key: string; readonly def: EventFunctionDef };
  };
}

/**
 * The partner relay:
 *
 * - **Stream → relay function.** An event source mapping on the consent ledger table's stream
 *   ({@link LEDGER_STREAM_SETTINGS}: from the trim horizon, 25 records a batch, one batch per shard at a time, partial
 *   batch responses, bisection, 10 retries, 6 hours' maximum record age). A partner being down does not fail a batch:
 *   the handler keeps the failed delivery in the relay table for replay. What still fails (a record the handler cannot
 *   read, a relay table it cannot write) goes, after the retries, to {@link streamFailures}: Lambda sends a record of
 *   the batch (shard, first and last sequence numbers, times), not the ledger entries, so it holds no personal data.
 *   The function reads this one stream only (`DataTables.grantStreamRead`).
 * - **Schedule → replay function.** A {@link FunctionSchedule} (lib/function-schedule.ts), `rate(15 minutes)`: an
 *   EventBridge Scheduler schedule alone in its group, invoking the replay function through a role that may invoke
 *   that function and nothing else. A run Scheduler cannot start within one period is superseded by the next one,
 *   which sends the same kept deliveries; for the same reason a failed run is not retried by Lambda: the next run
 *   15 minutes later is the retry, rather than a Lambda retry that could overlap it.
 *
 * Both functions are built by `buildFunction` (lib/functions.ts) and granted by their `permissions`
 * (`keys:read`, `partners:read` and their `tables`).
 *
 * @example
 * const relay = new PartnerRelay(stack, 'Relay', { stage, publicBaseUrl, resources: { data, email, keys, partners, campaigns } });
 * new CfnOutput(stack, 'RelayFailureQueueUrl', { value: relay.streamFailures.queue.queueUrl });
 */
export class PartnerRelay extends Construct {
  /** The functions by key (`relayLedgerStream`, `replayPartnerEvents`), as `HttpEndpoints.functions`. */
  readonly functions: Readonly<Record<string, nodejs.NodejsFunction>>;
  readonly relayFunction: nodejs.NodejsFunction;
  readonly replayFunction: nodejs.NodejsFunction;
  /** The ledger stream's event source mapping. */
  readonly streamMapping: lambda.EventSourceMapping;
  /** The on-failure destination of the ledger stream's event source mapping. */
  readonly streamFailures: FailureQueue;
  /** The schedule invoking the replay function, its group and the role Scheduler assumes. */
  readonly replaySchedule: FunctionSchedule;

  constructor(scope: Construct, id: string, props: PartnerRelayProps) {
    super(scope, id);
    const relay = props.functions?.relay ?? { key: 'relayLedgerStream', def: EVENT_FUNCTIONS.relayLedgerStream };
    const replay = props.functions?.replay ?? { key: 'replayPartnerEvents', def: EVENT_FUNCTIONS.replayPartnerEvents };
    assertEventSource(relay.key, relay.def, 'ledger-stream');
    assertEventSource(replay.key, replay.def, 'schedule');
    const replayEvery = props.replayEvery ?? Duration.minutes(15);

    this.relayFunction = buildFunction(this, relay.key, relay.def, props);
    this.replayFunction = buildFunction(this, replay.key, replay.def, props);
    this.functions = { [relay.key]: this.relayFunction, [replay.key]: this.replayFunction };

    // Stream → relay, with the stream grant on the ledger stream alone (DataTables.connectStream).
    const stream = props.resources.data.connectStream(this, 'ledger', this.relayFunction, 'LedgerStream', LEDGER_STREAM_SETTINGS, {
      holds: 'ledger stream batches the relay function could not process after its retries (shard and sequence numbers only)',
      retain: props.retainFailures,
    });
    this.streamMapping = stream.mapping;
    this.streamFailures = stream.failures;

    this.replaySchedule = new FunctionSchedule(this, 'ReplaySchedule', {
      fn: this.replayFunction,
      every: replayEvery,
      description: `Sendwell ${props.stage}: send kept failed partner deliveries again (${replay.key}).`,
    });
  }
}

/**
 * The figures concern: the messages table's stream invokes `countMessageFigures` (lambdas/wiring/event-functions.ts),
 * which turns each batch of record changes into day-counter sums and campaign progress, each item written once per
 * batch, exactly once (services/message-figures.ts). A batch is retried until it is written, for as long as the stream
 * keeps it; what the stream drops unread lands in a failure queue.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { EVENT_FUNCTIONS, FIGURES_STREAM, type EventFunctionDef } from '../lambdas/wiring/event-functions.ts';
import type { FailureQueue } from './failure-queue.ts';
import { assertEventSource, buildFunction, type BuildFunctionOptions } from './functions.ts';

/** The messages stream's event source mapping, exported for the tests that hold the template to it. */
export const MESSAGE_STREAM_SETTINGS = {
  /** A new mapping starts at the oldest record the stream still holds (24 hours): no event is left uncounted on deploy. */
  startingPosition: lambda.StartingPosition.TRIM_HORIZON,
  /** One transaction per ~99 distinct counter items: a batch of a campaign's events is usually one write. */
  batchSize: FIGURES_STREAM.batchSize,
  /** Waits this long for a fuller batch: the figures (and the auto-pause) lag the events by about this much. */
  maxBatchingWindow: Duration.seconds(FIGURES_STREAM.windowSeconds),
  /** Only the changes that can add to the figures invoke the function (FIGURES_STREAM.filters). */
  filters: FIGURES_STREAM.filters.map((pattern) => lambda.FilterCriteria.filter(pattern as Record<string, unknown>)),
  /** One batch per shard at a time: a part is redelivered from its first record (the marker's name), never overlapped. */
  parallelizationFactor: 1,
  /** The handler returns the first record of the part it could not write; Lambda retries from there. */
  reportBatchItemFailures: true,
  /**
   * Never bisected: each written part's marker is named after its first record, and a half starting inside a written
   * part would be counted again. A record cannot fail on its own (the images are only read), so there is no poison
   * record to isolate; what fails is a write, which the retries below wait out.
   */
  bisectBatchOnError: false,
  /**
   * Retried until it is written, for as long as the stream keeps the record (24 hours: inside the markers' two days,
   * services/message-figures.ts MARKER_DAYS): no `retryAttempts` or `maxRecordAge` (Lambda's defaults, -1, infinite).
   * A campaign's progress is counted here (a recipient's record becoming final), so a record dropped after a number of
   * tries would leave its campaign `sending` for good; a write that keeps failing holds its shard back instead, which
   * the iterator-age alarm reports.
   */
} as const;

export interface MessageFiguresProps extends BuildFunctionOptions {
  /**
   * Keep the stream's failure queue when the stack is deleted.
   *
   * @default true
   */
  readonly retainFailures?: boolean;
  /**
   * The function, by key, if not that of EVENT_FUNCTIONS.
   *
   * @default countMessageFigures of lambdas/wiring/event-functions.ts
   */
  readonly function?: { readonly key: string; readonly def: EventFunctionDef };
}

/**
 * Stream → figures function: an event source mapping on the messages table's stream ({@link MESSAGE_STREAM_SETTINGS}:
 * from the trim horizon, 100 records or 5 seconds a batch, one batch per shard at a time, partial batch responses,
 * no bisection, retried until written). A batch the stream's 24-hour retention drops before it was written goes to
 * {@link streamFailures}: Lambda sends a record of the batch (shard, first and last sequence numbers, times), not the
 * messages, so it holds no personal data. The function reads this one stream only (`DataTables.grantStreamRead`) and
 * writes the counters table and the campaigns' progress (and completes campaigns).
 *
 * @example
 * const figures = new MessageFigures(stack, 'Figures', { stage, publicBaseUrl, resources: { data, email, keys, partners, campaigns } });
 * new CfnOutput(stack, 'FiguresFailureQueueUrl', { value: figures.streamFailures.queue.queueUrl });
 */
export class MessageFigures extends Construct {
  /** The functions by key (`countMessageFigures`), as `HttpEndpoints.functions`. */
  readonly functions: Readonly<Record<string, nodejs.NodejsFunction>>;
  readonly figuresFunction: nodejs.NodejsFunction;
  /** The messages stream's event source mapping. */
  readonly streamMapping: lambda.EventSourceMapping;
  /** The on-failure destination of the mapping. */
  readonly streamFailures: FailureQueue;

  constructor(scope: Construct, id: string, props: MessageFiguresProps) {
    super(scope, id);
    const { key, def } = props.function ?? { key: 'countMessageFigures', def: EVENT_FUNCTIONS.countMessageFigures };
    assertEventSource(key, def, 'messages-stream');
    this.figuresFunction = buildFunction(this, key, def, props);
    this.functions = { [key]: this.figuresFunction };

    const stream = props.resources.data.connectStream(this, 'messages', this.figuresFunction, 'MessagesStream', MESSAGE_STREAM_SETTINGS, {
      holds: 'messages stream batches whose figures could not be counted after their retries (shard and sequence numbers only)',
      retain: props.retainFailures,
    });
    this.streamMapping = stream.mapping;
    this.streamFailures = stream.failures;
  }
}

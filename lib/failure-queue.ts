/**
 * Where Lambda puts what a function finally failed to process: one SQS queue per event source, used as the on-failure
 * destination of asynchronous invocations (`lib/inbound-mail.ts`, `lib/delivery-events.ts`) or of a stream event
 * source mapping (`DataTables.connectStream`: the partner relay, the figures), and, where an EventBridge rule invokes
 * the function, also as that rule target's dead-letter queue (`lib/delivery-events.ts`). One helper, so every such
 * queue is encrypted, TLS-only, kept as long as SQS allows, and acknowledged to cdk-nag with the same reviewed reason.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';


/** Retries of a failed asynchronous invocation before it goes to the failure queue. */
export const ASYNC_INVOKE_RETRY = { retryAttempts: 2, maxEventAge: Duration.hours(6) } as const;

/** SQS's maximum: what failed stays readable for two weeks (an opt-out must be honoured within 10 business days). */
export const FAILURE_RETENTION = Duration.days(14);

export interface FailureQueueProps {
  /**
   * What ends up in the queue, for the acknowledgement and the reader of the template: `failed mailto: unsubscribe
   * invocations (the SES receipt event)`.
   */
  readonly holds: string;
  /**
   * Keep the queue (and the failure records in it) when the stack is deleted.
   *
   * @default true
   */
  readonly retain?: boolean;
  /**
   * The queue is also the dead-letter queue of an EventBridge rule target (`deadLetterQueue` of an
   * `aws-events-targets` target): EventBridge puts there what it could not deliver to the function after its retry
   * policy, and the target adds a queue policy statement letting `events.amazonaws.com` send from that rule only.
   * Only changes the acknowledgement's reason, which must name every writer.
   *
   * @default false
   */
  readonly ruleTargetDeadLetter?: boolean;
}

/**
 * An SQS queue Lambda writes failure records into: SSE with SQS managed keys, TLS required (a queue policy denies any
 * request without `aws:SecureTransport`), 14 days' retention. The function sending to it is granted `sqs:SendMessage`
 * on it and nothing else (the L2 destinations would also grant `GetQueueAttributes` and `GetQueueUrl`, which Lambda
 * does not use to deliver).
 *
 * No dead-letter queue of its own: it is the end of the line. Nothing consumes it automatically; an operator reads
 * it, fixes the cause and replays. (An alarm on its depth belongs to the observability construct.)
 *
 * @example
 * const failures = new FailureQueue(this, 'Failures', { holds: 'failed mailto: unsubscribe invocations' });
 * fn.configureAsyncInvoke({ onFailure: failures.invokeDestination(), retryAttempts: 2 });
 * fn.addEventSourceMapping('Stream', { ..., onFailure: failures.eventSourceDestination() });
 */
export class FailureQueue extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: FailureQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: FAILURE_RETENTION,
      removalPolicy: (props.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // On the queue resource alone, not on the queue policy below it.
    Validations.of(this.queue.node.defaultChild ?? this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        `This queue is itself a dead-letter end: the Lambda on-failure destination for ${props.holds}. cdk-nag recognises ` +
        "only a queue's RedrivePolicy or a function's DeadLetterConfig as dead-letter use, not Lambda destinations " +
        '(EventInvokeConfig or event source mapping DestinationConfig.OnFailure)' +
        (props.ruleTargetDeadLetter
          ? ', nor the DeadLetterConfig of an EventBridge rule target, which this queue also is (events EventBridge could ' +
            'not deliver to the function after its retry policy; only that rule may send, by the aws:SourceArn condition ' +
            'of the queue policy)'
          : '') +
        '. No consumer receives from it ' +
        'automatically, so there is no repeated processing failure a further DLQ would catch; records are kept for the ' +
        '14 days SQS allows, encrypted, TLS only, for an operator to inspect and replay (lib/failure-queue.ts).',
    });
  }

  /**
   * The one retry policy for functions invoked asynchronously by an AWS service (SES receipt rules, EventBridge):
   * Lambda retries a failed invocation twice within six hours, then sends it to this queue.
   */
  protectAsyncInvocations(fn: lambda.IFunction): void {
    fn.configureAsyncInvoke({ ...ASYNC_INVOKE_RETRY, onFailure: this.invokeDestination() });
  }

  /** The on-failure destination of a function's asynchronous invocations (`fn.configureAsyncInvoke`). */
  invokeDestination(): lambda.IDestination {
    return {
      bind: (_scope, fn) => {
        this.grantSend(fn);
        return { destination: this.queue.queueArn };
      },
    };
  }

  /** The on-failure destination of a stream event source mapping (`onFailure` of `fn.addEventSourceMapping`). */
  eventSourceDestination(): lambda.IEventSourceDlq {
    return {
      bind: (_mapping, fn) => {
        this.grantSend(fn);
        return { destination: this.queue.queueArn };
      },
    };
  }

  /** `sqs:SendMessage` on this queue: what Lambda needs (with the function's role) to deliver a failure record. */
  private grantSend(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sqs:SendMessage'], resourceArns: [this.queue.queueArn] });
  }
}

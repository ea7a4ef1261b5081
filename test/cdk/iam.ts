/**
 * What each `Permission` must become in IAM (the spec the grants of lib/permissions.ts are held to), and a view of a
 * synthesized template's policies by role. Shared by the suites that check function grants (HTTP and inbound mail).
 */
import type { EventFunctionDef, EventSource } from '../../lambdas/wiring/event-functions.ts';
import type { FunctionDef, Permission } from '../../lambdas/wiring/routes.ts';
import { VERB_ACTIONS } from '../../lambdas/wiring/table-access.ts';
import { flattenCfn, type SendwellSynth } from './synth.ts';

export const ITEM_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
export const ITEM_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
export const EXPECTED_ACTIONS: { readonly [P in Permission]: readonly string[] } = {
  'tables:describe': ['dynamodb:DescribeTable'],
  // No Scan, no DescribeTable, no stream reads: what TableV2.grantReadData would add.
  'ses:account': ['ses:GetAccount'],
  // Not SendRawEmail, SendBulkEmail or SendTemplatedEmail: Simple content through SES API v2 only.
  'ses:send': ['ses:SendEmail'],
  // Not DescribeSecret (what Secret.grantRead adds).
  'keys:read': ['secretsmanager:GetSecretValue'],
  'partners:read': ['secretsmanager:GetSecretValue'],
  // Not GetQueueAttributes or GetQueueUrl (what Queue.grantSendMessages adds); no KMS: SQS-managed encryption.
  'campaigns:enqueue': ['sqs:SendMessage'],
  // The import jobs' queue: SendMessage only, like the campaign queues.
  'imports:enqueue': ['sqs:SendMessage'],
  'imports:upload': ['s3:PutObject'],
  // The worker deletes a file once it has read it to its end.
  'imports:read-uploads': ['s3:GetObject', 's3:DeleteObject'],
};
/** What an SQS event source grants its function on the queue it consumes (SQS-managed encryption: no KMS actions). */
export const SQS_CONSUME = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'];
/** What the event source of a function adds to its role, by the `source` of its definition (event-functions.ts). */
export const SOURCE_ACTIONS: { readonly [S in EventSource | 'http']: readonly string[] } = {
  http: [],
  // The on-failure destination of the asynchronous invocations.
  'ses-receipt': ['sqs:SendMessage'],
  // The stream (no Scan, no item read: the event carries the images) and the on-failure destination.
  'ledger-stream': ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams', 'sqs:SendMessage'],
  // Likewise on the messages table's stream.
  'messages-stream': ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams', 'sqs:SendMessage'],
  // Scheduler invokes through its own role; the function gets nothing for it.
  schedule: [],
  // EventBridge invokes through the function's resource policy and writes the DLQ through the queue policy; the
  // function itself only sends its failed asynchronous invocations to the failure queue.
  'ses-events': ['sqs:SendMessage'],
  // The queue it consumes; nothing for failures: the queue's redrive policy moves them, not the function.
  'campaign-launch-queue': SQS_CONSUME,
  'campaign-send-queue': SQS_CONSUME,
  'import-queue': SQS_CONSUME,
};
/** What every function's role holds whatever its permissions: its own log group, X-Ray. */
export const BASELINE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
/** Actions without a resource type, the only ones allowed on Resource "*" (and acknowledged to cdk-nag as such). */
export const RESOURCELESS_ACTIONS = new Set(['xray:PutTelemetryRecords', 'xray:PutTraceSegments', 'ses:GetAccount']);

/** The exact, sorted action set a function must hold: its permissions, the verbs of its `tables`, its event source's. */
export const expectedActions = (def: FunctionDef): string[] =>
  [
    ...new Set([
      ...BASELINE_ACTIONS,
      ...(def.permissions as readonly Permission[]).flatMap((p) => EXPECTED_ACTIONS[p]),
      ...Object.values(def.tables ?? {}).flatMap((verbs) => (verbs ?? []).flatMap((v) => VERB_ACTIONS[v])),
      ...SOURCE_ACTIONS[sourceOf(def)],
    ]),
  ].sort();

/** `http` for a function of `FUNCTIONS`, its `source` for one of `EVENT_FUNCTIONS`. */
export const sourceOf = (def: FunctionDef): EventSource | 'http' => ('source' in def ? (def as EventFunctionDef).source : 'http');

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The identity and managed policies of a template, read by the role they are attached to (by logical id). */
export function policiesOf(json: SendwellSynth['json']) {
  const policies = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy');
  const statementsOfRole = (roleId: string): Statement[] =>
    policies
      .filter(([, p]) => asArray(p.Properties.Roles).some((r: any) => r?.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  return {
    policies,
    statementsOfRole,
    /** Every action the role's policies allow, sorted. */
    actionsOfRole: (roleId: string): string[] => [...new Set(statementsOfRole(roleId).flatMap((s) => asArray(s.Action)))].sort(),
    /** Every resource (flattened, sorted) on which the role's policies allow `action`. */
    resourcesFor: (roleId: string, action: string): string[] =>
      [
        ...new Set(
          statementsOfRole(roleId)
            .filter((s) => asArray(s.Action).includes(action))
            .flatMap((s) => asArray(s.Resource).map(flattenCfn)),
        ),
      ].sort(),
  };
}

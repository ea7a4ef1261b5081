/**
 * The data concern: one DynamoDB table per entry of `lambdas/wiring/tables.ts`, with Sendwell's secure defaults in
 * this one place. The construct also owns what a function needs to use the tables: the environment variables that
 * carry their names and the grants.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FailureQueue } from './failure-queue.ts';
import { TABLES, type KeyDef, type TableDef, type TableKey } from '../lambdas/wiring/tables.ts';
import { VERB_ACTIONS, type TableGrants, type TableVerb } from '../lambdas/wiring/table-access.ts';

/** What Lambda's poller needs to read a table's stream (see {@link DataTables.grantStreamRead}). */
export const STREAM_READ_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'] as const;

/** The one item action that reads an index. */
const INDEX_ACTION = 'dynamodb:Query';

/** What a customer managed table key must allow for item reads (the set `TableV2.grantReadData` gives the key). */
const KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'] as const;
/**
 * Added for item writes: `TableV2.grantReadWriteData`'s key set with its wildcards (`kms:ReEncrypt*`,
 * `kms:GenerateDataKey*`) spelled out, less the key-pair variants DynamoDB never uses.
 */
const KEY_WRITE_ACTIONS = ['kms:Encrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext'] as const;

export interface DataTablesProps {
  /**
   * Keep the tables when the stack is deleted or a table would be replaced (`RemovalPolicy.RETAIN`) and turn on
   * DynamoDB deletion protection. The consent ledger and suppressions are evidence Sendwell must be able to show, so
   * losing them has to take a deliberate step; only throw-away stages should set `false`.
   *
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * A customer managed KMS key for the tables. Supply one when key-policy control, cross-account access or
   * crypto-shredding of a whole stage is required; its key policy then decides who can read the data. `TableV2`
   * renders the key per replica region, so the stack needs a concrete region (`env.region`) when a key is given.
   *
   * @default - the AWS managed key `aws/dynamodb`: encryption under KMS with every key use in CloudTrail, no key to
   *   administer, rotate or pay for, and no key policy that can lock the functions out of their own data.
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How many days back point-in-time recovery can restore (1-35).
   *
   * @default 35
   */
  readonly recoveryPeriodDays?: number;
}

/** Every key attribute is a string: the generic `pk`/`sk`/`gsiNpk`/`gsiNsk` design composes typed prefixes into them. */
const keyAttributes = (k: KeyDef): Pick<dynamodb.TablePropsV2, 'partitionKey' | 'sortKey'> => ({
  partitionKey: { name: k.partitionKey, type: dynamodb.AttributeType.STRING },
  ...(k.sortKey ? { sortKey: { name: k.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
});

/**
 * The DynamoDB tables of Sendwell: on-demand, point-in-time recovery, KMS encryption, TTL and streams where the table
 * definition asks for them, every index projecting all attributes.
 *
 * @example
 * const data = new DataTables(stack, 'Data', { retainData: isProductionStage(stage) });
 * data.bindEnvironment(fn);      // SENDWELL_TABLE_* = table names
 * data.grantDescribe(fn);        // dynamodb:DescribeTable on every table
 * data.grantItems(fn, { recipients: ['read'], ledger: ['put'] });  // exactly those verbs on those tables
 */
export class DataTables extends Construct {
  /** The tables by their key in `TABLES`. */
  readonly tables: Readonly<Record<TableKey, dynamodb.TableV2>>;
  /** Each table with the definition it was built from, in `TABLE_LIST` order. */
  readonly entries: readonly { readonly def: TableDef; readonly table: dynamodb.TableV2 }[];
  private readonly encryptionKey: kms.IKey | undefined;
  private readonly keyed: readonly { readonly key: TableKey; readonly def: TableDef; readonly table: dynamodb.TableV2 }[];

  constructor(scope: Construct, id: string, props: DataTablesProps = {}) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    const retain = props.retainData ?? true;
    const encryption = props.encryptionKey
      ? dynamodb.TableEncryptionV2.customerManagedKey(props.encryptionKey)
      : dynamodb.TableEncryptionV2.awsManagedKey();

    const entries = (Object.entries(TABLES) as [TableKey, TableDef][]).map(([key, def]) => {
      // No physical name: CloudFormation derives one per stack, so two stages never collide and the names reach the
      // functions through their environment variables only.
      const table = new dynamodb.TableV2(this, def.id, {
        ...keyAttributes(def),
        billing: dynamodb.Billing.onDemand(),
        encryption,
        pointInTimeRecoverySpecification: {
          pointInTimeRecoveryEnabled: true,
          recoveryPeriodInDays: props.recoveryPeriodDays ?? 35,
        },
        deletionProtection: retain,
        removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        timeToLiveAttribute: def.ttlAttribute,
        dynamoStream: def.stream ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined,
        globalSecondaryIndexes: def.indexes.map((index) => ({
          indexName: index.name,
          ...keyAttributes(index),
          projectionType: index.projection === 'keys' ? dynamodb.ProjectionType.KEYS_ONLY : dynamodb.ProjectionType.ALL,
        })),
      });
      return { key, def, table };
    });

    this.entries = entries.map(({ def, table }) => ({ def, table }));
    this.keyed = entries;
    this.tables = Object.fromEntries(entries.map(({ key, table }) => [key, table])) as Record<TableKey, dynamodb.TableV2>;
  }

  /** Sets every table's name in the variable its definition names (`envKey`): handlers parse all of them at cold start. */
  bindEnvironment(fn: lambda.Function): void {
    for (const { def, table } of this.entries) fn.addEnvironment(def.envKey, table.tableName);
  }

  /** `dynamodb:DescribeTable` on every table (health probes): metadata only, no item can be read or written. */
  grantDescribe(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:DescribeTable'],
      resourceArns: this.entries.map(({ table }) => table.tableArn),
    });
  }

  /**
   * What a Lambda event source mapping on one table's stream needs from the function's role, on that stream's ARN
   * and nothing else (`lib/partner-relay.ts`). Not `TableV2.grantStreamRead` (nor `DynamoEventSource`, which calls
   * it): that also grants `dynamodb:ListStreams` on Resource "*", which would land in the statement the X-Ray
   * acknowledgement of every function's default policy covers. Lambda asks for the four actions "on your stream",
   * and ListStreams is authorized on the stream ARN like the other three (the DynamoDB developer guide's policy for
   * a Lambda stream consumer scopes all four to the table's streams).
   */
  grantStreamRead(key: TableKey, grantee: iam.IGrantable): iam.Grant {
    const entry = this.entries.find(({ def }) => def === TABLES[key]);
    // TableV2 has a StreamArn attribute whether or not the table streams: the definition decides.
    const streamArn = entry?.def.stream ? entry.table.tableStreamArn : undefined;
    if (!entry || !streamArn) throw new Error(`Sendwell: table "${key}" has no stream (set stream: true in lambdas/wiring/tables.ts).`);
    return iam.Grant.addToPrincipal({ grantee, actions: [...STREAM_READ_ACTIONS], resourceArns: [streamArn] });
  }

  /**
   * `fn` reads table `key`'s stream: the grant above, an event source mapping `mappingId` with `settings`, and a
   * {@link FailureQueue} `StreamFailures` in `scope` for the batches still failing after their retries (shard and
   * sequence numbers only). Not `DynamoEventSource`: see {@link grantStreamRead}.
   */
  connectStream(
    scope: Construct,
    key: TableKey,
    fn: lambda.Function,
    mappingId: string,
    settings: Omit<lambda.EventSourceMappingOptions, 'eventSourceArn' | 'onFailure'>,
    failures: { readonly holds: string; readonly retain?: boolean | undefined },
  ): { mapping: lambda.EventSourceMapping; failures: FailureQueue } {
    // Throws unless the table's definition has a stream, before anything is connected to it.
    this.grantStreamRead(key, fn);
    const queue = new FailureQueue(scope, 'StreamFailures', { holds: failures.holds, ...(failures.retain !== undefined ? { retain: failures.retain } : {}) });
    const mapping = fn.addEventSourceMapping(mappingId, { eventSourceArn: this.tables[key].tableStreamArn, ...settings, onFailure: queue.eventSourceDestination() });
    return { mapping, failures: queue };
  }

  /**
   * Exactly the item access `grants` declares (`tables` of a function definition, lambdas/wiring/table-access.ts): per
   * table the actions of its verbs on the table ARN, and for `read` Query on each of its indexes by name. A table the
   * declaration does not name gets nothing. Not `TableV2.grantReadData`/`grantReadWriteData`: those add `Scan`,
   * `DescribeTable`, the stream reads and every item write to every table they are called on.
   */
  grantItems(fn: lambda.Function, grants: TableGrants): void {
    const writes = new Set<TableVerb>(['put', 'update', 'delete']);
    let anyWrite = false;
    for (const { key, def, table } of this.keyed) {
      const verbs = grants[key];
      if (!verbs || verbs.length === 0) continue;
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...new Set(verbs.flatMap((v) => VERB_ACTIONS[v]))], resources: [table.tableArn] }));
      if (verbs.includes('read') && def.indexes.length > 0) {
        fn.addToRolePolicy(new iam.PolicyStatement({ actions: [INDEX_ACTION], resources: def.indexes.map((i) => `${table.tableArn}/index/${i.name}`) }));
      }
      anyWrite ||= verbs.some((v) => writes.has(v));
    }
    if (this.encryptionKey && Object.keys(grants).length > 0) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...KEY_READ_ACTIONS, ...(anyWrite ? KEY_WRITE_ACTIONS : [])], resources: [this.encryptionKey.keyArn] }));
    }
  }
}

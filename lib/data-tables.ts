/**
 * The data concern: one DynamoDB table per entry of `lambdas/wiring/tables.ts`, with Sendwell's secure defaults in
 * this one place. The construct also owns what a function needs to use the tables: the environment variables that
 * carry their names and the grants.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { TABLES, type KeyDef, type TableDef, type TableKey } from '../lambdas/wiring/tables.ts';
import { attachPolicy, iam5ResourceFinding } from './managed-policies.ts';

/**
 * `data:read`: the item reads the handlers make. `TransactGetItems` is authorized through `GetItem`.
 *
 * No `Scan`: every access path of Sendwell is a key or an index (`lambdas/wiring/tables.ts`), so nothing needs one,
 * and a Scan is the one read that returns a whole table, every recipient's address and consent history included, to
 * a bug or a compromised function page by page. No `DescribeTable`, no stream reads: the handlers use neither.
 */
export const ITEM_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'] as const;

/**
 * `data:write` adds these to {@link ITEM_READ_ACTIONS}. `TransactWriteItems` has no IAM action of its own: it is
 * authorized through `PutItem`, `UpdateItem`, `DeleteItem` and `ConditionCheckItem` on each item it touches.
 */
export const ITEM_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'] as const;

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

type ItemAccess = 'read' | 'readWrite';

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
 * data.grantReadWriteItems(fn);  // item reads and writes on every table, Query on every index
 */
export class DataTables extends Construct {
  /** The tables by their key in `TABLES`. */
  readonly tables: Readonly<Record<TableKey, dynamodb.TableV2>>;
  /** Each table with the definition it was built from, in `TABLE_LIST` order. */
  readonly entries: readonly { readonly def: TableDef; readonly table: dynamodb.TableV2 }[];
  private readonly encryptionKey: kms.IKey | undefined;
  private readonly itemPolicies = new Map<ItemAccess, iam.ManagedPolicy>();

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
          projectionType: dynamodb.ProjectionType.ALL,
        })),
      });
      return { key, def, table };
    });

    this.entries = entries.map(({ def, table }) => ({ def, table }));
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

  /** {@link ITEM_READ_ACTIONS} on every table, and Query on every index (`data:read`). */
  grantReadItems(fn: lambda.Function): void {
    attachPolicy(this.itemPolicy('read'), fn);
  }

  /** {@link ITEM_READ_ACTIONS} and {@link ITEM_WRITE_ACTIONS} on every table, and Query on every index (`data:write`). */
  grantReadWriteItems(fn: lambda.Function): void {
    attachPolicy(this.itemPolicy('readWrite'), fn);
  }

  /**
   * One customer managed policy per access level, shared by every function that has it, so each index wildcard is
   * acknowledged once, on the one policy that holds it. Not `TableV2.grantReadData`/`grantReadWriteData`: those add
   * `Scan`, `DescribeTable` and the stream reads (`GetRecords`, `GetShardIterator`).
   */
  private itemPolicy(access: ItemAccess): iam.ManagedPolicy {
    const existing = this.itemPolicies.get(access);
    if (existing) return existing;

    const write = access === 'readWrite';
    const tableArns = this.entries.map(({ table }) => table.tableArn);
    // `…/index/*` only on tables that have indexes: the standard form of an index ARN in a policy; listing the
    // index names instead would have to change with every index added to lambdas/wiring/tables.ts.
    const indexArns = this.entries.filter(({ def }) => def.indexes.length > 0).map(({ table }) => `${table.tableArn}/index/*`);
    const statements = [
      new iam.PolicyStatement({ actions: [...ITEM_READ_ACTIONS, ...(write ? ITEM_WRITE_ACTIONS : [])], resources: tableArns }),
    ];
    // Of the item actions, only Query reads an index (GetItem, BatchGetItem and ConditionCheckItem take a table key,
    // and indexes cannot be written), so the index ARNs get Query and nothing else.
    if (indexArns.length > 0) statements.push(new iam.PolicyStatement({ actions: [INDEX_ACTION], resources: indexArns }));
    if (this.encryptionKey) {
      statements.push(
        new iam.PolicyStatement({
          actions: [...KEY_READ_ACTIONS, ...(write ? KEY_WRITE_ACTIONS : [])],
          resources: [this.encryptionKey.keyArn],
        }),
      );
    }
    const policy = new iam.ManagedPolicy(this, write ? 'ItemReadWritePolicy' : 'ItemReadPolicy', {
      description: write
        ? 'Sendwell: read and write the items of every table and index (no Scan, no table or stream actions).'
        : 'Sendwell: read the items of every table and index (no Scan, no table or stream actions).',
      statements,
    });
    for (const indexArn of indexArns) {
      Validations.of(policy).acknowledge({
        id: iam5ResourceFinding(policy, indexArn),
        reason:
          'DynamoDB index ARN: "<table ARN>/index/*" is the standard resource form for the global secondary indexes of one ' +
          'table and matches only that table\'s indexes (a Query on an index is authorized on the index ARN, not the table ARN). ' +
          'The statement holding it allows dynamodb:Query and nothing else: no Scan, no write (indexes cannot be written).',
      });
    }
    this.itemPolicies.set(access, policy);
    return policy;
  }
}

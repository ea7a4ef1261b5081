/** DataTables on its own, in tiny stacks (no bundling): retention per stage and what it gives a function. */
import { describe, expect, it } from 'vitest';
import { App, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TABLE_LIST, TABLES, type TableKey } from '../../lambdas/wiring/tables.ts';
import { DataTables, type DataTablesProps } from '../../lib/data-tables.ts';
import { flattenCfn } from './synth.ts';
import { inlineFunction } from './fixtures.ts';

function build(props?: DataTablesProps) {
  const stack = new Stack(new App(), 'T');
  const data = new DataTables(stack, 'Data', props);
  return { stack, data };
}

const tablesOf = (t: Template) => Object.values(t.findResources('AWS::DynamoDB::GlobalTable'));

describe('DataTables', () => {
  it('retains tables and turns on deletion protection by default', () => {
    const tables = tablesOf(Template.fromStack(build().stack));
    expect(tables).toHaveLength(TABLE_LIST.length);
    for (const t of tables) {
      expect(t.DeletionPolicy).toBe('Retain');
      expect(t.UpdateReplacePolicy).toBe('Retain');
      expect(t.Properties.Replicas[0].DeletionProtectionEnabled).toBe(true);
    }
  });

  it('deletes tables without protection when retainData is false', () => {
    for (const t of tablesOf(Template.fromStack(build({ retainData: false }).stack))) {
      expect(t.DeletionPolicy).toBe('Delete');
      expect(t.Properties.Replicas[0].DeletionProtectionEnabled).toBe(false);
    }
  });

  it('encrypts with a customer managed key when one is given', () => {
    // TableV2 renders a replica's key per region, so a customer managed key needs a stack with a concrete region.
    const stack = new Stack(new App(), 'T', { env: { region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    new DataTables(stack, 'Data', { encryptionKey: key, retainData: false });
    for (const t of tablesOf(Template.fromStack(stack))) {
      expect(t.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      expect(t.Properties.Replicas[0].SSESpecification.KMSMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
    }
  });

  it('sets every table env var on a function and grants DescribeTable on the tables only', () => {
    const { stack, data } = build({ retainData: false });
    const fn = inlineFunction(stack);
    data.bindEnvironment(fn);
    data.grantDescribe(fn);
    const template = Template.fromStack(stack);
    const [fnResource] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(Object.keys(fnResource!.Properties.Environment.Variables).sort()).toEqual(TABLE_LIST.map((t) => t.envKey).sort());
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      { Action: 'dynamodb:DescribeTable', Effect: 'Allow', Resource: TABLE_LIST.map(() => ({ 'Fn::GetAtt': [expect.any(String), 'Arn'] })) },
    ]);
  });

  describe.each([
    ['an environment-agnostic stack', {}],
    ['a stack with a concrete account and region', { env: { account: '123456789012', region: 'eu-west-1' } }],
  ] as [string, StackProps][])('item grants in %s', (_name, stackProps) => {
    function withGrant(grant: 'grantReadItems' | 'grantReadWriteItems', props: DataTablesProps = {}) {
      const stack = new Stack(new App(), 'T', stackProps);
      const data = new DataTables(stack, 'Data', { retainData: false, ...props });
      const fns = ['A', 'B'].map(
        (id) =>
          new lambda.Function(stack, id, {
            runtime: lambda.Runtime.NODEJS_24_X,
            handler: 'index.handler',
            code: lambda.Code.fromInline('export const handler = async () => {};'),
          }),
      );
      for (const fn of fns) data[grant](fn);
      const template = Template.fromStack(stack);
      const policies = Object.entries(template.findResources('AWS::IAM::ManagedPolicy'));
      const tableArn = (t: (typeof TABLE_LIST)[number]) => `<${stack.getLogicalId(data.tables[keyOf(t.id)].node.defaultChild as never)}.Arn>`;
      const tableArns = TABLE_LIST.map(tableArn).sort();
      const indexArns = TABLE_LIST.filter((t) => t.indexes.length > 0).map((t) => `${tableArn(t)}/index/*`).sort();
      return { stack, policies, tableArns, indexArns };
    }
    const flat = (statement: { Action: string | string[]; Resource: unknown[] }) => ({
      actions: [statement.Action].flat().sort(),
      resources: statement.Resource.map(flattenCfn).sort(),
    });
    const READ = ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query'];
    const WRITE = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

    it('read: the item reads on the tables, Query alone on the indexes, in one policy shared by both functions', () => {
      const { policies, tableArns, indexArns } = withGrant('grantReadItems');
      expect(policies).toHaveLength(1);
      const [, policy] = policies[0]!;
      expect(policy.Properties.Roles).toHaveLength(2);
      expect(policy.Properties.PolicyDocument.Statement.map(flat)).toEqual([
        { actions: READ, resources: tableArns },
        { actions: ['dynamodb:Query'], resources: indexArns },
      ]);
    });

    it('write: the item reads and writes on the tables, Query alone on the indexes; never Scan', () => {
      const { policies, tableArns, indexArns } = withGrant('grantReadWriteItems');
      expect(policies).toHaveLength(1);
      const statements = policies[0]![1].Properties.PolicyDocument.Statement.map(flat);
      expect(statements).toEqual([
        { actions: [...READ, ...WRITE].sort(), resources: tableArns },
        { actions: ['dynamodb:Query'], resources: indexArns },
      ]);
      expect(JSON.stringify(statements)).not.toMatch(/Scan|DescribeTable|GetRecords|GetShardIterator/);
    });

    it.each(['grantReadItems', 'grantReadWriteItems'] as const)('%s: each index ARN acknowledged by the id cdk-nag reports', (grant) => {
      const { stack, indexArns } = withGrant(grant);
      const acknowledged = stack.node
        .findAll()
        .flatMap((c) => c.node.metadata)
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.keys(m.data as object).map((id) => id.replace(/^annotation::/i, '')));
      for (const arn of indexArns) expect(acknowledged).toContain(`AwsSolutions-IAM5[Resource::${arn}]`);
      // And they cover what cdk-nag finds, whether the stack's account and region are tokens or literals.
      const iam5 = new AwsSolutionsChecks().validateScope(stack).violations.filter((v) => v.ruleName.startsWith('AwsSolutions-IAM5'));
      expect(iam5.filter((v) => v.violatingResources.some((r) => r.constructPath?.startsWith('T/Data/')))).toEqual([]);
    });
  });

  it('grants the four stream reads on one table\'s stream ARN only, never ListStreams on "*"', () => {
    const { stack, data } = build({ retainData: false });
    const fn = inlineFunction(stack);
    data.grantStreamRead('ledger', fn);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [stack.getLogicalId(data.tables.ledger.node.defaultChild as never), 'StreamArn'] },
      },
    ]);
  });

  it('refuses a stream grant on a table without a stream', () => {
    const { stack, data } = build({ retainData: false });
    const withoutStream = (Object.keys(TABLES) as TableKey[]).find((k) => !('stream' in TABLES[k] && TABLES[k].stream))!;
    expect(() => data.grantStreamRead(withoutStream, inlineFunction(stack))).toThrow(/has no stream/);
  });

  it('grants the item key actions on a customer managed key, spelled out without wildcards', () => {
    const stack = new Stack(new App(), 'T', { env: { region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const data = new DataTables(stack, 'Data', { encryptionKey: key, retainData: false });
    const fn = inlineFunction(stack);
    data.grantReadWriteItems(fn);
    const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'));
    const keyStatement = policy!.Properties.PolicyDocument.Statement.find((s: { Action: string[] }) => [s.Action].flat().includes('kms:Decrypt'));
    expect(keyStatement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
    expect([keyStatement.Action].flat().sort()).toEqual(
      ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'].sort(),
    );
  });
});

function keyOf(tableId: string) {
  const entry = Object.entries(TABLES).find(([, def]) => def.id === tableId);
  if (!entry) throw new Error(`no table with id ${tableId}`);
  return entry[0] as TableKey;
}

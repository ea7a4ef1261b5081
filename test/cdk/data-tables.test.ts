/** DataTables on its own, in tiny stacks (no bundling): retention per stage and what it gives a function. */
import { describe, expect, it } from 'vitest';
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { TableGrants } from '../../lambdas/wiring/table-access.ts';
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
    function withGrants(grants: TableGrants) {
      const stack = new Stack(new App(), 'T', stackProps);
      const data = new DataTables(stack, 'Data', { retainData: false });
      const fn = inlineFunction(stack);
      data.grantItems(fn, grants);
      const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
      const arnOf = (key: TableKey) => `<${stack.getLogicalId(data.tables[key].node.defaultChild as never)}.Arn>`;
      return { stack, statements, arnOf };
    }
    const flat = (statement: { Action: string | string[]; Resource: unknown }) => ({
      actions: [statement.Action].flat().sort(),
      resources: [statement.Resource].flat().map(flattenCfn).sort(),
    });
    const READ = ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query'];

    it('each declared table gets exactly the actions of its verbs, read gets Query on its indexes by name; other tables nothing', () => {
      const { statements, arnOf } = withGrants({ recipients: ['read'], ledger: ['put'], messages: ['read', 'update'] });
      expect(statements.map(flat)).toEqual([
        { actions: READ, resources: [arnOf('recipients')] },
        { actions: ['dynamodb:Query'], resources: TABLES.recipients.indexes.map((i) => `${arnOf('recipients')}/index/${i.name}`).sort() },
        { actions: ['dynamodb:PutItem'], resources: [arnOf('ledger')] },
        { actions: [...READ, 'dynamodb:UpdateItem'].sort(), resources: [arnOf('messages')] },
        { actions: ['dynamodb:Query'], resources: TABLES.messages.indexes.map((i) => `${arnOf('messages')}/index/${i.name}`).sort() },
      ]);
      expect(JSON.stringify(statements)).not.toMatch(/Scan|DescribeTable|GetRecords|GetShardIterator|index\/\*/);
    });

    it('delete holds DeleteItem and BatchWriteItem; nothing is granted for an empty declaration', () => {
      expect(withGrants({ suppressions: ['delete'] }).statements.map(flat)[0]!.actions).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem']);
      expect(withGrants({}).statements).toEqual([]);
    });

    it('needs no cdk-nag acknowledgement: no wildcard resource', () => {
      const { stack } = withGrants({ recipients: ['read', 'put', 'update', 'delete'], campaigns: ['read'] });
      const iam5 = new AwsSolutionsChecks().validateScope(stack).violations.filter((v) => v.ruleName.startsWith('AwsSolutions-IAM5'));
      expect(iam5).toEqual([]);
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

  it('grants the key actions on a customer managed key, spelled out without wildcards (decrypt only without a write verb)', () => {
    for (const [grants, write] of [[{ recipients: ['read', 'put'] }, true], [{ recipients: ['read'] }, false]] as [TableGrants, boolean][]) {
      const stack = new Stack(new App(), 'T', { env: { region: 'eu-west-1' } });
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      const data = new DataTables(stack, 'Data', { encryptionKey: key, retainData: false });
      data.grantItems(inlineFunction(stack), grants);
      const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
      const keyStatement = statements.find((s: { Action: string[] }) => [s.Action].flat().includes('kms:Decrypt'));
      expect(keyStatement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
      const writeActions = ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'];
      expect([keyStatement.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', ...(write ? writeActions : [])].sort());
    }
  });
});


/** DataTables on its own, in tiny stacks (no bundling): retention per stage and what it gives a function. */
import { describe, expect, it } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { TABLE_LIST } from '../../lambdas/wiring/tables.ts';
import { DataTables, type DataTablesProps } from '../../lib/data-tables.ts';

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
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => {};'),
    });
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
});
